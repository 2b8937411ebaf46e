import Foundation
import Tensors

/// `SiglipMultiheadAttentionPoolingHead`: a learned probe attends over an image's tokens
/// (`nn.MultiheadAttention`, its q, k, v packed in `in_proj_weight`), then
/// `x + mlp(layernorm(x))`. One vector per image.
struct AttentionPoolingHead: Sendable {
    let width: Int
    let heads: Int
    /// The probe's query, `probe · Wqᵀ + bq`: the same for every image, so computed once. [W]
    let query: [Float]
    /// k and v side by side: `[W, 2W]`.
    let keyValue: Linear
    let out: Linear
    let norm: LayerNorm
    let fc1: Linear
    let fc2: Linear
    let activation: Activation

    /// Reads `prefix.probe`, `prefix.attention.in_proj_*`, `prefix.attention.out_proj`,
    /// `prefix.layernorm` and `prefix.mlp`.
    init(reader: WeightSource, prefix: String, config: CLIPVisionConfig) throws {
        let w = config.hiddenSize
        width = w
        heads = config.numAttentionHeads
        activation = config.hiddenAct
        let probe = try reader.tensor("\(prefix).probe", shape: [1, 1, w])
        let inProj = try reader.tensor("\(prefix).attention.in_proj_weight", shape: [3 * w, w])  // [q; k; v] rows, [out, in]
        let inBias = try reader.tensor("\(prefix).attention.in_proj_bias", shape: [3 * w])
        query = (0..<w).map { j in
            var s = Double(inBias[j])
            for i in 0..<w { s += Double(probe[i]) * Double(inProj[j * w + i]) }
            return Float(s)
        }
        keyValue = Linear(torchWeight: Array(inProj[(w * w)...]), outputs: 2 * w, inputs: w, bias: Array(inBias[w...]))
        out = try reader.linear("\(prefix).attention.out_proj", outputs: w, inputs: w)
        norm = try reader.layerNorm("\(prefix).layernorm", width: w, eps: config.layerNormEps)
        fc1 = try reader.linear("\(prefix).mlp.fc1", outputs: config.intermediateSize, inputs: w)
        fc2 = try reader.linear("\(prefix).mlp.fc2", outputs: w, inputs: config.intermediateSize)
    }

    /// `[images·tokens, W]` post-normed tokens → `[images, W]` pooled embeddings.
    func pool(_ x: Matrix, images: Int, tokens: Int) -> Matrix {
        let w = width, d = w / heads
        let scale = 1 / Float(d).squareRoot()
        let kv = keyValue.apply(x)  // [images·tokens, 2W]
        var attended = Matrix(zeros: images, w)
        var scores = [Float](repeating: 0, count: tokens)
        kv.storage.withUnsafeBufferPointer { kvb in
            query.withUnsafeBufferPointer { q in
                attended.storage.withUnsafeMutableBufferPointer { o in
                    scores.withUnsafeMutableBufferPointer { s in
                        for b in 0..<images {
                            let base = kvb.baseAddress! + b * tokens * 2 * w
                            for h in 0..<heads {
                                for t in 0..<tokens {
                                    s[t] = scale * FastMath.dot(q.baseAddress! + h * d, base + t * 2 * w + h * d, count: d)
                                }
                                FastMath.softmax(s.baseAddress!, count: tokens)
                                let dst = o.baseAddress! + b * w + h * d
                                for t in 0..<tokens { FastMath.axpy(s[t], base + t * 2 * w + w + h * d, dst, count: d) }
                            }
                        }
                    }
                }
            }
        }
        var y = out.apply(attended)  // [images, W]
        var hidden = fc1.apply(norm.apply(y))  // [images, intermediate]
        hidden.storage.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
        let mlp = fc2.apply(hidden)
        for i in y.storage.indices { y.storage[i] += mlp.storage[i] }
        return y
    }
}
