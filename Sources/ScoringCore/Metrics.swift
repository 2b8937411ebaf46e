import Foundation
import Tensors

/// Accuracy and calibration of one set's scores against the true classes, over the images
/// whose class is known. Computed from the scores' cosines and normalisers (`SetScores`),
/// the same numbers the session shows: there is one scoring of images, and these figures
/// are read off it.
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
    /// The bins `ece` is computed from (`calibrationBins` of them, empty ones included):
    /// a reliability diagram's data. Not part of `Metrics`' own coding (the session's
    /// files predate it); reports carry it as `reliability`.
    public var reliability: [ReliabilityBin] = []

    /// One bin of the top-1 confidence: the images whose confidence is in [low, high) (the
    /// last bin includes 1), their mean confidence and how many of them are right.
    public struct ReliabilityBin: Sendable, Equatable, Codable {
        public var low: Double
        public var high: Double
        public var count: Int
        /// Mean top-1 confidence in the bin (0 when empty).
        public var confidence: Double
        /// Fraction right in the bin (0 when empty).
        public var accuracy: Double

        public init(low: Double, high: Double, count: Int, confidence: Double, accuracy: Double) {
            self.low = low; self.high = high; self.count = count; self.confidence = confidence; self.accuracy = accuracy
        }
    }

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

    /// The metrics of `scores` against `truth` (each image's class; nil: left out).
    ///
    /// Everything comes from the cosines, the rule and the row normalisers `SetScores`
    /// keeps: the rank of the true class is its rank among the cosines (the rule is
    /// monotone), log p(true) is `scale·cos_t − logΣexp` under a softmax and `−softplus(−z_t)`
    /// under a sigmoid (exact where float32 rounds σ(z) to 1), and the top-1 confidence
    /// is the one the screen shows. No probability table is built.
    public init(scores: SetScores, truth: [Int?], maxConfusions: Int = 10) {
        precondition(truth.count == scores.imageCount)
        let k = scores.classCount, scale = scores.scale
        var n = 0, hits1 = 0, hits5 = 0
        var trueProb = 0.0, nll = 0.0
        var perClass = [(hits: Int, total: Int)](repeating: (0, 0), count: k)
        var confusion: [Int: Int] = [:]
        var binCount = [Int](repeating: 0, count: Self.calibrationBins)
        var binConfidence = [Double](repeating: 0, count: Self.calibrationBins)
        var binCorrect = [Double](repeating: 0, count: Self.calibrationBins)
        scores.cosines.storage.withUnsafeBufferPointer { cos in
            for (r, t) in truth.enumerated() {
                guard let t, t < k, let best = scores.predictions[r] else { continue }
                n += 1
                let row = cos.baseAddress! + r * k
                let ct = row[t]
                // Rank of the true class: classes with a larger cosine, ties broken by index
                // (only whether it is below 5 is read).
                let above = FastMath.rank(of: t, in: row, count: k, limit: 5)
                if best == t { hits1 += 1 }
                if above < 5 { hits5 += 1 }
                if let bias = scores.rule.bias {
                    // −log σ(z_t) − Σ log(1 − σ(z_c)) = softplus(−z_t) + Σ softplus(z_c).
                    let zt = Double(scale * ct + bias)
                    nll += Self.softplus(-zt)
                    for c in 0..<k where c != t { nll += Self.softplus(Double(scale * row[c] + bias)) }
                    trueProb += exp(-Self.softplus(-zt))
                } else {
                    let logP = Double(scale * ct) - Double(scores.logSumExp[r])
                    nll -= logP
                    trueProb += exp(logP)
                }
                perClass[t].total += 1
                if best == t { perClass[t].hits += 1 } else { confusion[t * k + best, default: 0] += 1 }
                let confidence = Double(scores.confidence[r])
                let bin = min(Self.calibrationBins - 1, Int(confidence * Double(Self.calibrationBins)))
                binCount[bin] += 1
                binConfidence[bin] += confidence
                binCorrect[bin] += best == t ? 1 : 0
            }
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
        let bins = Self.calibrationBins
        reliability = (0..<bins).map { b in
            let c = Double(max(binCount[b], 1))
            return ReliabilityBin(
                low: Double(b) / Double(bins), high: Double(b + 1) / Double(bins), count: binCount[b],
                confidence: binCount[b] > 0 ? binConfidence[b] / c : 0, accuracy: binCount[b] > 0 ? binCorrect[b] / c : 0)
        }
        // The ECE is read off the same bins the diagram draws.
        ece = reliability.reduce(0) { $0 + Double($1.count) / d * abs($1.confidence - $1.accuracy) }
        confusions = confusion.map { Confusion(truth: $0.key / k, predicted: $0.key % k, count: $0.value) }
            .sorted { ($0.count, -$0.truth, -$0.predicted) > ($1.count, -$1.truth, -$1.predicted) }
            .prefix(maxConfusions).map { $0 }
    }

    /// log(1 + eˣ) without overflow.
    static func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
}
