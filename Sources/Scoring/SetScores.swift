import Foundation
import Tensors

/// One template set's scores of every image: the cosines to each class, kept (not logits,
/// so a temperature changes only the last step), with what the screen and the summary read
/// of them, computed once: the prediction, and the log-sum-exp of each row from which any
/// probability follows without a second pass.
public struct SetScores: Sendable {
    /// `[images, classes]`: image · class classifier, both unit vectors.
    public let cosines: Matrix
    /// The logit scale the probabilities use (`exp(logit_scale)` or 1 / temperature).
    public let scale: Float
    /// Per image: log Σ_c exp(scale · cosine_c).
    public let logSumExp: [Float]
    /// Per image: the most probable class (nil when there are no classes).
    public let predictions: [Int?]
    /// Per image: the top probability, and its lead over the second.
    public let confidence: [Float]
    public let margin: [Float]

    public init(cosines: Matrix, scale: Float) {
        self.cosines = cosines
        self.scale = scale
        let n = cosines.rows, k = cosines.cols
        var lse = [Float](repeating: 0, count: n), preds = [Int?](repeating: nil, count: n)
        var conf = [Float](repeating: 0, count: n), margin = [Float](repeating: 0, count: n)
        var scratch = [Float](repeating: 0, count: k)
        cosines.storage.withUnsafeBufferPointer { c in
            scratch.withUnsafeMutableBufferPointer { e in
                for r in 0..<n where k > 0 {
                    let row = c.baseAddress! + r * k
                    var best = 0, second = -1
                    for j in 1..<k {
                        if row[j] > row[best] { second = best; best = j } else if second < 0 || row[j] > row[second] { second = j }
                    }
                    // Σ exp(scale · (x − max)): every term ≤ 1, so no overflow; the sum in
                    // float64 (a 1,000-term float32 sum would lose ~√1000 ulps).
                    let top = row[best]
                    for j in 0..<k { e[j] = scale * (row[j] - top) }
                    FastMath.expInPlace(e.baseAddress!, count: k)
                    var s = 0.0
                    for j in 0..<k { s += Double(e[j]) }
                    lse[r] = scale * top + Float(Foundation.log(s))
                    preds[r] = best
                    conf[r] = Float(1 / s)
                    margin[r] = second < 0 ? conf[r] : Float((1 - Double(e[second])) / s)
                }
            }
        }
        logSumExp = lse
        predictions = preds
        confidence = conf
        self.margin = margin
    }

    /// Scores from given probabilities (tables computed elsewhere, screen tests): the
    /// cosines are their logarithms at scale 1.
    public init(probabilities p: Matrix) {
        self.init(cosines: Matrix(rows: p.rows, cols: p.cols, storage: p.storage.map { Foundation.log(max($0, 1e-30)) }),
                  scale: 1)
    }

    public var imageCount: Int { cosines.rows }
    public var classCount: Int { cosines.cols }

    /// One image's class probabilities.
    public func probabilities(image r: Int) -> [Float] {
        let k = classCount, s = scale, l = logSumExp[r]
        return (0..<k).map { Foundation.exp(s * cosines.storage[r * k + $0] - l) }
    }

    /// Every image's probabilities, as `ScoreTable` holds them (for full metrics).
    public func table() -> ScoreTable {
        var p = Matrix(zeros: imageCount, classCount)
        let k = classCount
        for r in 0..<imageCount {
            let l = logSumExp[r]
            for c in 0..<k { p.storage[r * k + c] = Foundation.exp(scale * cosines.storage[r * k + c] - l) }
        }
        return ScoreTable(probabilities: p)
    }
}
