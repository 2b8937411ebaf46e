import Foundation

/// Template weights fitted to labelled images: non-negative, summing to 1, maximising the
/// log-likelihood of the truth (minimising the mean NLL) of the weighted ensemble.
///
/// The weights are w = softmax(θ), which keeps them positive and summing to 1 with θ free,
/// and θ is found by L-BFGS (10 pairs of memory; Nocedal & Wright, *Numerical
/// Optimization*, Algorithm 7.4 and 7.5) from θ = 0, the equal weights, each step cut in
/// half until the loss falls by at least 10⁻⁴ of its linear prediction (Armijo), and a
/// pair kept only when its curvature sᵀy is positive. The gradient in θ is
/// w ⊙ (g − w · g), whose 1-norm Σ_t w_t |g_t − w · g| is zero exactly at a stationary point
/// on the simplex. It stops when that is below `tolerance`; when an accepted step lowers
/// the loss by less than 10⁻¹² of it (float64's noise); when no step lowers it; or after
/// `maxIterations`. (Exponentiated gradient, tried first, needed its 300 iterations at
/// 1,000 classes × 80 templates and still stopped short.)
/// `scripts/weights_reference.py` runs the same steps in numpy; the tests compare the two.
///
/// The loss is not convex in w (the class vector is normalised), so this is a local
/// optimum reached from the equal weights; it never ends worse than where it started.
public enum WeightFitter {
    public static let tolerance = 1e-7
    public static let maxIterations = 300
    static let memory = 10

    static func softmax(_ theta: [Double]) -> [Double] {
        let top = theta.max() ?? 0
        let e = theta.map { exp($0 - top) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// The weights fitted on `rows`, the iterations taken, and whether it reached a
    /// stationary point (or a stall) before `maxIterations`.
    public static func fit(
        _ e: WeightedEnsemble, rows: [Int], truth: [Int], scale: Double, bias: Double?, shouldStop: () -> Bool = { false }
    ) -> (weights: [Double], iterations: Int, converged: Bool)? {
        var theta = [Double](repeating: 0, count: e.templates.count)
        var w = softmax(theta)
        guard w.count > 1, !rows.isEmpty else { return (w, 0, true) }
        var (f, g) = e.objective(w, rows: rows, truth: truth, scale: scale, bias: bias)
        func thetaGradient(_ w: [Double], _ g: [Double]) -> [Double] {
            let mean = dot(w, g)
            return zip(w, g).map { $0 * ($1 - mean) }
        }
        var gt = thetaGradient(w, g)
        var pairs: [(s: [Double], y: [Double], rho: Double)] = []
        for iteration in 0..<maxIterations {
            if shouldStop() { return nil }
            if gt.reduce(0, { $0 + abs($1) }) < tolerance { return (w, iteration, true) }
            // Two-loop recursion: direction = −H·gt.
            var q = gt
            var alphas = [Double](repeating: 0, count: pairs.count)
            for i in pairs.indices.reversed() {
                alphas[i] = pairs[i].rho * dot(pairs[i].s, q)
                for j in q.indices { q[j] -= alphas[i] * pairs[i].y[j] }
            }
            let gamma = pairs.last.map { dot($0.s, $0.y) / dot($0.y, $0.y) } ?? 1
            var r = q.map { gamma * $0 }
            for i in pairs.indices {
                let b = pairs[i].rho * dot(pairs[i].y, r)
                for j in r.indices { r[j] += pairs[i].s[j] * (alphas[i] - b) }
            }
            var direction = r.map { -$0 }
            var slope = dot(gt, direction)
            if !(slope < 0) {
                pairs.removeAll()
                direction = gt.map { -$0 }
                slope = dot(gt, direction)
            }
            var step = 1.0
            var accepted: (theta: [Double], w: [Double], f: Double, g: [Double])?
            for _ in 0..<50 {
                let next = zip(theta, direction).map { $0 + step * $1 }
                let wn = softmax(next)
                let (fn, gn) = e.objective(wn, rows: rows, truth: truth, scale: scale, bias: bias)
                if fn <= f + 1e-4 * step * slope {
                    accepted = (next, wn, fn, gn)
                    break
                }
                step /= 2
            }
            guard let a = accepted else { return (w, iteration, true) }
            let stalled = f - a.f < 1e-12 * max(1, abs(f))
            let gtNext = thetaGradient(a.w, a.g)
            let s = zip(a.theta, theta).map { $0 - $1 }, y = zip(gtNext, gt).map { $0 - $1 }
            let sy = dot(s, y)
            if sy > 1e-12 * dot(y, y) {
                pairs.append((s, y, 1 / sy))
                if pairs.count > memory { pairs.removeFirst() }
            }
            theta = a.theta; w = a.w; f = a.f; g = a.g; gt = gtNext
            if stalled { return (w, iteration + 1, true) }
        }
        return (w, maxIterations, false)
    }
}

/// `--weights fit`: the weights fitted on every labelled image (what is used and
/// exported), and how such a fit does on images it did not see: k-fold, each fold's
/// images scored by weights fitted on the other folds, against equal weights on the same
/// images. No figure here is measured on the images its weights were fitted on.
public struct WeightFit: Sendable {
    public let templates: [Template]
    /// Fitted on every labelled image, in `templates` order.
    public let weights: [Double]
    public let folds: Int
    public let seed: UInt64
    /// Labelled images the fit and the held-out figures are over.
    public let images: Int
    /// Held-out top-1 and mean NLL of the fitted weights, and of equal weights on the same images.
    public let heldOutTop1: Double
    public let heldOutNLL: Double
    public let equalTop1: Double
    public let equalNLL: Double
    /// Fitted minus equal, per image, paired: mean ± 1.96 standard errors.
    public let top1Difference: PairedInterval
    public let nllDifference: PairedInterval
    /// Each fold's weights (`folds` rows).
    public let foldWeights: [[Double]]
    /// The most iterations a fit took, and whether every fit stopped at a stationary point
    /// (false: one stopped at `WeightFitter.maxIterations`, short of it).
    public let iterations: Int
    public let converged: Bool

    /// The weight of each template.
    public var byTemplate: [Template: Double] { Dictionary(zip(templates, weights), uniquingKeysWith: { a, _ in a }) }

    /// - Parameters: `truth` is every image's class (the ensemble's images are the labelled ones).
    public init?(
        _ e: WeightedEnsemble, truth: [Int], scale: Double, bias: Double?, folds k: Int = 5, seed: UInt64 = 7,
        shouldStop: () -> Bool = { false }
    ) {
        let n = e.imageCount
        let split = CrossValidationFolds(count: n, folds: k, seed: seed)
        var fitted = [(correct: Double, nll: Double)](repeating: (0, 0), count: n)
        var foldWeights: [[Double]] = []
        var iterations = 0, converged = true
        for f in 0..<split.folds {
            let (train, test) = split.split(f)
            guard let w = WeightFitter.fit(e, rows: train.isEmpty ? test : train, truth: truth, scale: scale, bias: bias, shouldStop: shouldStop)
            else { return nil }
            foldWeights.append(w.weights)
            iterations = max(iterations, w.iterations)
            converged = converged && w.converged
            for (x, s) in zip(test, Self.score(e, w.weights, images: test, truth: truth, scale: scale, bias: bias)) { fitted[x] = s }
        }
        guard let all = WeightFitter.fit(e, rows: Array(0..<n), truth: truth, scale: scale, bias: bias, shouldStop: shouldStop) else {
            return nil
        }
        let equal = Self.score(e, e.equalWeights, images: Array(0..<n), truth: truth, scale: scale, bias: bias)
        templates = e.templates
        weights = all.weights
        self.iterations = max(iterations, all.iterations)
        self.converged = converged && all.converged
        self.folds = split.folds
        self.seed = seed
        images = n
        self.foldWeights = foldWeights
        let m = Double(max(1, n))
        heldOutTop1 = fitted.reduce(0) { $0 + $1.correct } / m
        heldOutNLL = fitted.reduce(0) { $0 + $1.nll } / m
        equalTop1 = equal.reduce(0) { $0 + $1.correct } / m
        equalNLL = equal.reduce(0) { $0 + $1.nll } / m
        top1Difference = PairedInterval(zip(fitted, equal).map { $0.correct - $1.correct })
        nllDifference = PairedInterval(zip(fitted, equal).map { $0.nll - $1.nll })
    }

    /// Whether each of `images` is right (first largest cosine) and its loss, under `w`.
    static func score(
        _ e: WeightedEnsemble, _ w: [Double], images: [Int], truth: [Int], scale: Double, bias: Double?
    ) -> [(correct: Double, nll: Double)] {
        let k = e.classCount
        let (v, norms) = e.classVectors(w)
        let cos = e.cosines(rows: images, v: v, norms: norms)
        var g = [Double](repeating: 0, count: k)
        return images.enumerated().map { i, x in
            let row = cos[(i * k)..<((i + 1) * k)]
            var best = row.startIndex
            for c in row.indices where row[c] > row[best] { best = c }
            let z = row.map { scale * $0 + (bias ?? 0) }
            return (best - row.startIndex == truth[x] ? 1 : 0, WeightedEnsemble.loss(z[...], truth: truth[x], sigmoid: bias != nil, gradient: &g))
        }
    }
}

/// A paired difference's mean with a normal 95% interval (mean ± 1.96 · sd / √n, sd with
/// n − 1): what fitted weights gain over equal ones on the same images.
public struct PairedInterval: Sendable, Equatable, Codable {
    public let mean: Double
    public let low: Double
    public let high: Double

    public init(_ d: [Double]) {
        let n = Double(d.count)
        let mean = d.isEmpty ? 0 : d.reduce(0, +) / n
        let variance = d.count > 1 ? d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        let half = 1.959963984540054 * (variance / max(1, n)).squareRoot()
        self.mean = mean
        low = mean - half
        high = mean + half
    }
}
