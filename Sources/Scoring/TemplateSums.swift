import Foundation
import Tensors

/// A weighted set's per-template class sums, kept between keys: u_tc = Σ_names e(t, name)
/// for each template t and class c without its own sentences, and each sentence class's
/// equal sum s_c. The weighted class vector is V_c = Σ_t w_t u_tc + s_c, normalised.
///
/// Kept in float32 (each u_tc is a sum of float32 embeddings, exact for a one-name class);
/// the weighted pass adds in float64. Its size is templates × classes × dimension × 4
/// bytes: 41 MB at 80 × 1,000 × 128, 164 MB at 80 × 1,000 × 512; only the set's current
/// templates are kept (`keep(only:)`).
struct TemplateSums {
    let classes: [ClassLabel]
    let dimension: Int
    private(set) var byTemplate: [Template: [Float]] = [:]
    private let fixed: [Double]  // [c][j]
    /// The last weights' class vectors: stage 1 makes them, the template figures read them.
    private var last: (weights: [(Template, Double)], vectors: [Double])?

    init(classes: [ClassLabel], dimension d: Int, sentences: [String: [Float]]) {
        self.classes = classes
        dimension = d
        var f = [Double](repeating: 0, count: classes.count * d)
        for (c, label) in classes.enumerated() {
            for s in label.sentences {
                guard let e = sentences[s] else { continue }
                for j in 0..<min(d, e.count) { f[c * d + j] += Double(e[j]) }
            }
        }
        fixed = f
    }

    /// Template t's sums from its prompts' embeddings.
    mutating func add(_ t: Template, _ vectors: [String: [Float]]) {
        let d = dimension
        var u = [Float](repeating: 0, count: classes.count * d)
        for (c, label) in classes.enumerated() where label.sentences.isEmpty {
            for name in label.names {
                guard let e = vectors[t.render(name)] else { continue }
                for j in 0..<min(d, e.count) { u[c * d + j] += e[j] }
            }
        }
        byTemplate[t] = u
        last = nil
    }

    /// Drops the sums of templates no longer in the set.
    mutating func keep(only templates: Set<Template>) {
        for t in byTemplate.keys where !templates.contains(t) { byTemplate[t] = nil }
    }

    /// V_c / ‖V_c‖ `[classes, dimension]` for these weights (a class with no prompt: 0).
    mutating func unitClassVectors(_ weights: [(Template, Double)]) -> Matrix {
        let d = dimension, k = classes.count
        let v = classVectors(weights)
        var out = Matrix(zeros: k, d)
        for c in 0..<k {
            var norm = 0.0
            for j in 0..<d { norm += v[c * d + j] * v[c * d + j] }
            norm = norm.squareRoot()
            if norm > 0 { for j in 0..<d { out.storage[c * d + j] = Float(v[c * d + j] / norm) } }
        }
        return out
    }

    /// V_c = Σ_t w_t u_tc + s_c `[classes, dimension]`, in float64, not normalised.
    mutating func classVectors(_ weights: [(Template, Double)]) -> [Double] {
        if let last, last.weights.elementsEqual(weights, by: { $0.0 == $1.0 && $0.1 == $1.1 }) { return last.vectors }
        let d = dimension, k = classes.count
        var v = fixed
        for (t, w) in weights where w != 0 {
            guard let u = byTemplate[t] else { continue }
            v.withUnsafeMutableBufferPointer { v in
                u.withUnsafeBufferPointer { u in
                    for i in 0..<(k * d) { v[i] += w * Double(u[i]) }
                }
            }
        }
        last = (weights, v)
        return v
    }
}
