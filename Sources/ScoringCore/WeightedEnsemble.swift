import Foundation
import Tensors

/// A template set's ensemble with a weight per template, over a fixed set of images: the
/// class vector is V_c = Σ_t w_t · u_tc normalised, where u_tc is the sum of template t's
/// prompts' unit embeddings for class c (one per name: a class's synonyms keep equal
/// weights within a template). A class with its own sentences (CuPL) keeps their
/// equal-weight sum s_c and no template weight applies to it. Equal weights give the plain
/// ensemble, whose class vector is the normalised sum of every prompt.
///
/// Worked in the embedding space, in float64: for weights w, V = Σ_t w_t U_t + S (one pass
/// over U, `[templates, classes × dimension]`), cos = X · (V_c / ‖V_c‖)ᵀ (one product). Its
/// size is templates × classes × dimension, whatever the number of images: 330 MB at
/// 80 × 1,000 × 512 where the per-image table x · u_tc would be 640 MB at 1,000 images and
/// 6.4 GB at 10,000.
public struct WeightedEnsemble: Sendable {
    /// Distinct templates with a placeholder, in the set's order: the weights' order.
    public let templates: [Template]
    public let imageCount: Int
    public let classCount: Int
    let dimension: Int
    private let units: [Double]  // [t][c][j]
    private let fixed: [Double]  // [c][j]
    private let images: [Double]  // [x][j]

    /// - Parameters:
    ///   - images: `[n, d]` unit image embeddings (the rows a fit is over).
    ///   - embeddings: unit embeddings of every prompt the set makes over `labels`.
    public init(templates: [Template], labels: LabelSet, images: Matrix, embeddings: [String: [Float]]) {
        let distinct = uniqued(templates.filter(\.hasPlaceholder))
        self.templates = distinct
        let d = images.cols, k = labels.classes.count
        imageCount = images.rows
        classCount = k
        dimension = d
        var u = [Double](repeating: 0, count: distinct.count * k * d), f = [Double](repeating: 0, count: k * d)
        func add(_ prompt: String, into base: Int, _ m: inout [Double]) {
            guard let e = embeddings[prompt] else { preconditionFailure("no embedding for \(prompt)") }
            for j in 0..<min(d, e.count) { m[base + j] += Double(e[j]) }
        }
        for (c, label) in labels.classes.enumerated() {
            if label.sentences.isEmpty {
                for (t, template) in distinct.enumerated() {
                    for name in label.names { add(template.render(name), into: (t * k + c) * d, &u) }
                }
            } else {
                for s in label.sentences { add(s, into: c * d, &f) }
            }
        }
        units = u
        fixed = f
        self.images = images.storage.map(Double.init)
    }

    /// Equal weights: every template 1/T.
    public var equalWeights: [Double] { [Double](repeating: 1 / Double(max(1, templates.count)), count: templates.count) }

    /// V = Σ_t w_t U_t + S `[classes, dimension]`, and ‖V_c‖ (0: a class with no prompt,
    /// whose cosines are 0).
    func classVectors(_ w: [Double]) -> (v: [Double], norms: [Double]) {
        let k = classCount, d = dimension, m = k * d
        let v = BLAS.rowCombination(units, rows: templates.count, cols: m, weights: w, adding: fixed)
        let norms = (0..<k).map { c in
            var s = 0.0
            for j in 0..<d { s += v[c * d + j] * v[c * d + j] }
            return s.squareRoot()
        }
        return (v, norms)
    }

    /// cos `[rows, classes]` of the images `rows` against the class vectors.
    func cosines(rows: [Int], v: [Double], norms: [Double]) -> [Double] {
        let k = classCount, d = dimension
        var unit = v
        for c in 0..<k { for j in 0..<d { unit[c * d + j] = norms[c] > 0 ? v[c * d + j] / norms[c] : 0 } }
        var x = [Double](repeating: 0, count: rows.count * d)
        for (r, i) in rows.enumerated() { for j in 0..<d { x[r * d + j] = images[i * d + j] } }
        return BLAS.matmulTransB(x, rows: rows.count, unit, rows: k, inner: d)
    }

    /// Every image's cosines under `w`, `[images, classes]`.
    public func cosines(_ w: [Double]) -> [Double] {
        let (v, norms) = classVectors(w)
        return cosines(rows: Array(0..<imageCount), v: v, norms: norms)
    }

    /// One image's loss under a rule: −log p(truth) for a softmax, the one-hot label's
    /// −Σ log under a sigmoid per class (as `Metrics.nll` counts it); and ∂loss/∂z per class.
    static func loss(_ z: ArraySlice<Double>, truth y: Int, sigmoid: Bool, gradient: inout [Double]) -> Double {
        let k = z.count, b = z.startIndex
        if sigmoid {
            var l = 0.0
            for c in 0..<k {
                let s = 1 / (1 + exp(-z[b + c]))
                l += c == y ? softplus(-z[b + c]) : softplus(z[b + c])
                gradient[c] = s - (c == y ? 1 : 0)
            }
            return l
        }
        let top = z.max() ?? 0
        var sum = 0.0
        for c in 0..<k {
            let e = exp(z[b + c] - top)
            gradient[c] = e
            sum += e
        }
        for c in 0..<k { gradient[c] = gradient[c] / sum - (c == y ? 1 : 0) }
        return top + log(sum) - z[b + y]
    }

    static func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }

    /// Mean loss over `rows` (image indices; `truth` has every image's class) under `w`,
    /// and its gradient in w. With r = ∂loss/∂z · scale / |rows| and cos = x · V_c / ‖V_c‖,
    ///
    ///     ∂loss/∂V_c = Σ_x r[x, c] (x / ‖V_c‖ − cos[x, c] V_c / ‖V_c‖²) =: H_c,
    ///     ∂loss/∂w_t = Σ_c u_tc · H_c   (one pass over U).
    public func objective(
        _ w: [Double], rows: [Int], truth: [Int], scale: Double, bias: Double?
    ) -> (loss: Double, gradient: [Double]) {
        let k = classCount, d = dimension, tc = templates.count
        let (v, norms) = classVectors(w)
        var z = cosines(rows: rows, v: v, norms: norms)  // cos, then z
        let cos = z
        for i in z.indices { z[i] = scale * z[i] + (bias ?? 0) }
        var loss = 0.0
        let m = Double(max(1, rows.count))
        var r = [Double](repeating: 0, count: rows.count * k), dz = [Double](repeating: 0, count: k)
        for (i, x) in rows.enumerated() {
            loss += Self.loss(z[(i * k)..<((i + 1) * k)], truth: truth[x], sigmoid: bias != nil, gradient: &dz)
            for c in 0..<k { r[i * k + c] = dz[c] * scale / m }
        }
        guard tc > 0, k > 0, d > 0 else { return (loss / m, [Double](repeating: 0, count: tc)) }
        // M = rᵀ X `[k, d]`; A_c = Σ_x r[x, c] cos[x, c], both row by row.
        var x = [Double](repeating: 0, count: rows.count * d), a = [Double](repeating: 0, count: k)
        for (i, row) in rows.enumerated() {
            for j in 0..<d { x[i * d + j] = images[row * d + j] }
            for c in 0..<k { a[c] += r[i * k + c] * cos[i * k + c] }
        }
        let mm = BLAS.matmulTransA(r, x, rows: rows.count, colsA: k, colsB: d)
        var h = [Double](repeating: 0, count: k * d)
        for c in 0..<k where norms[c] > 0 {
            let n = norms[c], n2 = n * n
            for j in 0..<d { h[c * d + j] = mm[c * d + j] / n - a[c] * v[c * d + j] / n2 }
        }
        return (loss / m, BLAS.rowDots(units, rows: tc, cols: k * d, h))
    }
}
