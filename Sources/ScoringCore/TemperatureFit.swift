import Foundation

/// `--temperature fit`: the T that minimises the mean NLL of the truth when the model's
/// logits are divided by it (CLIP `softmax(scale/T · cos)`, SigLIP `sigmoid((scale·cos +
/// bias)/T)`, as `ScoreRule.at(temperature:)` defines T). Temperature scaling, Guo et al.
/// 2017, "On Calibration of Modern Neural Networks", §4.2.
///
/// In β = 1/T the NLL is convex (a log-sum-exp, or a sum of softplus, of terms linear in
/// β), so one minimum: Newton's method from β = 1, kept inside a bracket [lo, hi] where the
/// derivative changes sign and bisected (geometrically) when a step leaves it, until a
/// step moves T by less than 10⁻¹⁰ of itself: far inside the 10⁻⁶ the fit is reported to.
/// With the truth separable the NLL falls for ever as T → 0: T stops at 10⁻⁴ (`atBound`).
public struct TemperatureFit: Sendable, Equatable {
    /// Fitted on every labelled image.
    public let temperature: Double
    /// Mean NLL on every labelled image at the fitted T, and at T = 1.
    public let nll: Double
    public let nllAtOne: Double
    /// Held-out mean NLL: each fold's images at the T fitted on the other folds.
    public let heldOutNLL: Double
    public let folds: Int
    public let images: Int
    /// Whether T stopped at a bound of [10⁻⁴, 10⁴] (the NLL still falling there).
    public let atBound: Bool

    static let betaRange = (low: 1e-4, high: 1e4)

    /// - Parameters:
    ///   - logits: `[images, classes]` at T = 1 (`scale · cos`, plus SigLIP's bias).
    ///   - truth: each image's class.
    public init(logits: [Double], classes k: Int, truth: [Int], sigmoid: Bool, folds: Int = 5, seed: UInt64 = 7) {
        let n = truth.count
        precondition(logits.count == n * k)
        let all = Array(0..<n)
        let (beta, bound) = Self.fitBeta(logits, classes: k, truth: truth, rows: all, sigmoid: sigmoid)
        temperature = 1 / beta
        atBound = bound
        nll = Self.meanNLL(logits, classes: k, truth: truth, rows: all, sigmoid: sigmoid, beta: beta)
        nllAtOne = Self.meanNLL(logits, classes: k, truth: truth, rows: all, sigmoid: sigmoid, beta: 1)
        let split = CrossValidationFolds(count: n, folds: folds, seed: seed)
        var total = 0.0
        for f in 0..<split.folds {
            let (train, test) = split.split(f)
            let (b, _) = Self.fitBeta(logits, classes: k, truth: truth, rows: train.isEmpty ? test : train, sigmoid: sigmoid)
            total += Self.meanNLL(logits, classes: k, truth: truth, rows: test, sigmoid: sigmoid, beta: b) * Double(test.count)
        }
        heldOutNLL = total / Double(max(1, n))
        self.folds = split.folds
        images = n
    }

    /// Mean NLL over `rows` at logits × β (T = 1/β).
    public static func meanNLL(_ z: [Double], classes k: Int, truth: [Int], rows: [Int], sigmoid: Bool, beta: Double) -> Double {
        var s = 0.0
        for x in rows { s += derivatives(z, classes: k, row: x, truth: truth[x], sigmoid: sigmoid, beta: beta).f }
        return s / Double(max(1, rows.count))
    }

    /// One image's NLL at β and its first and second derivatives in β.
    static func derivatives(
        _ z: [Double], classes k: Int, row x: Int, truth y: Int, sigmoid: Bool, beta: Double
    ) -> (f: Double, d1: Double, d2: Double) {
        let base = x * k
        if sigmoid {
            var f = 0.0, d1 = 0.0, d2 = 0.0
            for c in 0..<k {
                // The label's term is softplus(−βz), the others' softplus(βz): signed s·z.
                let s = c == y ? -z[base + c] : z[base + c]
                let p = 1 / (1 + exp(-beta * s))
                f += WeightedEnsemble.softplus(beta * s)
                d1 += s * p
                d2 += s * s * p * (1 - p)
            }
            return (f, d1, d2)
        }
        var top = -Double.infinity
        for c in 0..<k { top = max(top, beta * z[base + c]) }
        var sum = 0.0, m1 = 0.0, m2 = 0.0
        for c in 0..<k {
            let e = exp(beta * z[base + c] - top)
            sum += e
            m1 += e * z[base + c]
            m2 += e * z[base + c] * z[base + c]
        }
        let mean = m1 / sum
        return (top + log(sum) - beta * z[base + y], mean - z[base + y], m2 / sum - mean * mean)
    }

    /// β minimising the mean NLL over `rows`, and whether it is at a bound.
    static func fitBeta(_ z: [Double], classes k: Int, truth: [Int], rows: [Int], sigmoid: Bool) -> (Double, Bool) {
        func derivs(_ b: Double) -> (Double, Double) {
            var d1 = 0.0, d2 = 0.0
            for x in rows {
                let r = derivatives(z, classes: k, row: x, truth: truth[x], sigmoid: sigmoid, beta: b)
                d1 += r.d1
                d2 += r.d2
            }
            return (d1, d2)
        }
        var lo = betaRange.low, hi = betaRange.high
        if derivs(hi).0 <= 0 { return (hi, true) }
        if derivs(lo).0 >= 0 { return (lo, true) }
        var beta = 1.0
        for _ in 0..<200 {
            let (d1, d2) = derivs(beta)
            if d1 > 0 { hi = beta } else { lo = beta }
            var next = d2 > 0 ? beta - d1 / d2 : .nan
            if !(next > lo && next < hi) { next = (lo * hi).squareRoot() }
            if abs(1 / next - 1 / beta) < 1e-10 / beta { return (next, false) }
            beta = next
        }
        return (beta, false)
    }
}
