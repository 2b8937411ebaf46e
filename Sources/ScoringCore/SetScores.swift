import Foundation
import Tensors

/// One template set's scores of every image: the cosines to each class, kept (not logits,
/// so a temperature changes only the last step), with what the screen and the summary read
/// of them, computed once: the prediction, and the log-sum-exp of each row from which any
/// probability follows without a second pass.
public struct SetScores: Sendable {
    /// `[images, classes]`: image · class classifier, both unit vectors.
    public let cosines: Matrix
    /// How the cosines become probabilities (a softmax for CLIP, a sigmoid per class for SigLIP).
    public let rule: ScoreRule
    /// The logit scale the probabilities use (`exp(logit_scale)` or 1 / temperature).
    public var scale: Float { rule.scale }
    /// Per image: log Σ_c exp(scale · cosine_c) (a softmax's normaliser; 0 under a sigmoid).
    public let logSumExp: [Float]
    /// Per image: the most probable class (nil when there are no classes).
    public let predictions: [Int?]
    /// Per image: the top probability, and its lead over the second.
    public let confidence: [Float]
    /// Per image: the top probability minus the second (the top probability itself with one class).
    public let margin: [Float]

    /// Softmax scores (CLIP's rule) at `scale`.
    public init(cosines: Matrix, scale: Float) {
        self.init(cosines: cosines, rule: .softmax(scale: scale))
    }

    /// Derives predictions, confidence, margin and log-sum-exp from `cosines` `[images, classes]`.
    public init(cosines: Matrix, rule: ScoreRule) {
        self.cosines = cosines
        self.rule = rule
        if let bias = rule.bias {
            (predictions, confidence, margin) = Self.sigmoidSummary(cosines, scale: rule.scale, bias: bias)
            logSumExp = [Float](repeating: 0, count: cosines.rows)
            return
        }
        // Every image × class after an edit (10 million at 10,000 images): in C, eight lanes.
        guard cosines.cols > 0 else {
            logSumExp = [Float](repeating: 0, count: cosines.rows)
            predictions = [Int?](repeating: nil, count: cosines.rows)
            confidence = [Float](repeating: 0, count: cosines.rows)
            margin = [Float](repeating: 0, count: cosines.rows)
            return
        }
        let summary = SoftmaxRows.summarize(cosines, scale: rule.scale)
        logSumExp = summary.logSumExp
        predictions = summary.best.map { $0 }
        confidence = summary.confidence
        margin = summary.margin
    }

    /// Under a sigmoid the most probable class is still the largest cosine; its probability
    /// and its lead over the second need no normaliser.
    private static func sigmoidSummary(_ cosines: Matrix, scale: Float, bias: Float) -> ([Int?], [Float], [Float]) {
        let n = cosines.rows, k = cosines.cols
        var preds = [Int?](repeating: nil, count: n)
        var conf = [Float](repeating: 0, count: n), margin = [Float](repeating: 0, count: n)
        cosines.storage.withUnsafeBufferPointer { c in
            for r in 0..<n where k > 0 {
                let row = c.baseAddress! + r * k
                let top = maximum(row, count: k)
                var best = 0
                while best < k - 1, row[best] != top { best += 1 }
                var second = -Float.infinity
                for j in 0..<k where j != best { second = max(second, row[j]) }
                preds[r] = best
                conf[r] = ScoreRule.sigmoid(scale * top + bias)
                margin[r] = k > 1 ? conf[r] - ScoreRule.sigmoid(scale * second + bias) : conf[r]
            }
        }
        return (preds, conf, margin)
    }

    private static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity, i = 0
        if count >= 8 {
            var v = SIMD8<Float>(repeating: -.infinity)
            while i + 8 <= count { v = pointwiseMax(v, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)); i += 8 }
            m = v.max()
        }
        while i < count { m = max(m, x[i]); i += 1 }
        return m
    }

    /// Scores from given probabilities (screen and metric tests): the cosines are their
    /// logarithms at scale 1, so a softmax gives them back when each row sums to 1.
    public init(probabilities p: Matrix) {
        self.init(
            cosines: Matrix(rows: p.rows, cols: p.cols, storage: p.storage.map { Foundation.log(max($0, 1e-30)) }),
            scale: 1)
    }

    /// Rows of `cosines`.
    public var imageCount: Int { cosines.rows }
    /// Columns of `cosines`.
    public var classCount: Int { cosines.cols }

    /// One image's class probabilities.
    public func probabilities(image r: Int) -> [Float] {
        let k = classCount, s = scale, l = logSumExp[r]
        if let bias = rule.bias { return (0..<k).map { ScoreRule.sigmoid(s * cosines.storage[r * k + $0] + bias) } }
        return (0..<k).map { Foundation.exp(s * cosines.storage[r * k + $0] - l) }
    }
}
