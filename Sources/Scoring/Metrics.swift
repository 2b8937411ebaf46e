import Foundation
import Tensors

/// Accuracy and calibration of class probabilities against the true classes, over the
/// images whose class is known.
public struct Metrics: Sendable, Equatable, Codable {
    /// Labelled images the figures are over.
    public var count: Int
    /// Fraction whose most probable class is the true one.
    public var top1: Double
    /// Fraction whose true class is among the five most probable.
    public var top5: Double
    /// Top-1 recall averaged over the classes that have labelled images.
    public var meanPerClassRecall: Double
    /// Mean probability given to the true class.
    public var meanTrueProbability: Double
    /// Mean negative log-likelihood of the true class. Under a softmax, −log p(true); under a
    /// sigmoid per class (SigLIP), of the whole one-hot label vector with the classes
    /// independent, as SigLIP's loss counts it: −log p(true) − Σ_other log(1 − p).
    public var nll: Double
    /// Expected calibration error of the top-1 confidence, 15 equal-width bins.
    public var ece: Double
    /// Recall per class (nil for a class with no labelled image).
    public var perClassRecall: [Double?]
    /// The most frequent (true, predicted) mistakes, most frequent first.
    public var confusions: [Confusion]

    /// How often one true class was predicted as another.
    public struct Confusion: Sendable, Equatable, Codable {
        /// The true class index.
        public var truth: Int
        /// The predicted class index.
        public var predicted: Int
        /// Images with that pair.
        public var count: Int

        /// One confusion pair and its count.
        public init(truth: Int, predicted: Int, count: Int) {
            self.truth = truth
            self.predicted = predicted
            self.count = count
        }
    }

    enum CodingKeys: String, CodingKey {
        case count, top1, top5, meanPerClassRecall = "mean_per_class_recall", meanTrueProbability = "mean_true_probability"
        case nll, ece, perClassRecall = "per_class_recall", confusions
    }

    /// Bins of the expected calibration error (equal width over the confidence).
    public static let calibrationBins = 15

    /// The metrics of a score table, under the rule that made it.
    public init(table: ScoreTable, truth: [Int?], maxConfusions: Int = 10) {
        self.init(
            probabilities: table.probabilities, truth: truth, independent: table.isSigmoid, logits: table.logits,
            maxConfusions: maxConfusions)
    }

    /// - Parameters: `p` is `[images, classes]` probabilities; `truth` each image's class
    ///   (nil: left out); `independent` says the classes were scored each on its own (a
    ///   sigmoid, not a softmax: see `nll`); `maxConfusions` how many of the largest
    ///   confusions are kept. Top-1 confidence (for ECE) is the largest probability either way.
    ///   `logits`, under a sigmoid, give its NLL exactly: −log σ(z) = softplus(−z) holds where
    ///   float32 has already rounded σ(z) to 0 or 1.
    public init(probabilities p: Matrix, truth: [Int?], independent: Bool = false, logits: Matrix? = nil, maxConfusions: Int = 10) {
        precondition(truth.count == p.rows)
        let k = p.cols
        var n = 0, hits1 = 0, hits5 = 0
        var trueProb = 0.0, nll = 0.0
        var perClass = [(hits: Int, total: Int)](repeating: (0, 0), count: k)
        var confusion: [Int: Int] = [:]
        var binCount = [Int](repeating: 0, count: Self.calibrationBins)
        var binConfidence = [Double](repeating: 0, count: Self.calibrationBins)
        var binCorrect = [Double](repeating: 0, count: Self.calibrationBins)
        for (r, t) in truth.enumerated() {
            guard let t, t < k else { continue }
            n += 1
            let row = (0..<k).map { Double(p[r, $0]) }
            var best = 0
            for c in 1..<max(1, k) where row[c] > row[best] { best = c }
            // Rank of the true class: classes strictly more probable, ties broken by index.
            let above = (0..<k).filter { row[$0] > row[t] || (row[$0] == row[t] && $0 < t) }.count
            if best == t { hits1 += 1 }
            if above < 5 { hits5 += 1 }
            trueProb += row[t]
            if independent, let z = logits {
                // −log σ(z_t) − Σ log(1 − σ(z_c)) = softplus(−z_t) + Σ softplus(z_c).
                nll += Self.softplus(-Double(z[r, t]))
                for c in 0..<k where c != t { nll += Self.softplus(Double(z[r, c])) }
            } else {
                nll -= log(max(row[t], 1e-300))
                if independent {
                    for c in 0..<k where c != t { nll -= log(max(1 - row[c], 1e-300)) }
                }
            }
            perClass[t].total += 1
            if best == t { perClass[t].hits += 1 } else { confusion[t * k + best, default: 0] += 1 }
            let bin = min(Self.calibrationBins - 1, Int(row[best] * Double(Self.calibrationBins)))
            binCount[bin] += 1
            binConfidence[bin] += row[best]
            binCorrect[bin] += best == t ? 1 : 0
        }
        count = n
        let d = Double(max(n, 1))
        top1 = Double(hits1) / d
        top5 = Double(hits5) / d
        meanTrueProbability = trueProb / d
        self.nll = nll / d
        perClassRecall = perClass.map { $0.total > 0 ? Double($0.hits) / Double($0.total) : nil }
        let recalls = perClassRecall.compactMap { $0 }
        meanPerClassRecall = recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
        var e = 0.0
        for b in 0..<Self.calibrationBins where binCount[b] > 0 {
            e += Double(binCount[b]) / d * abs(binConfidence[b] / Double(binCount[b]) - binCorrect[b] / Double(binCount[b]))
        }
        ece = e
        confusions = confusion.map { Confusion(truth: $0.key / k, predicted: $0.key % k, count: $0.value) }
            .sorted { ($0.count, -$0.truth, -$0.predicted) > ($1.count, -$1.truth, -$1.predicted) }
            .prefix(maxConfusions).map { $0 }
    }

    /// log(1 + eˣ) without overflow.
    static func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
}
