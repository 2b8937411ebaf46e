import Foundation
import Tensors

/// An open_clip state dict (`open_clip_model.safetensors`) seen under the Hugging Face names
/// the encoders ask for, so that one encoder serves both layouts:
/// - renames (`visual.conv1` → `vision_model.embeddings.patch_embedding`, `ln_1` →
///   `layer_norm1`, `mlp.c_fc` → `mlp.fc1`, …);
/// - `attn.in_proj_weight` `[3w, w]` (and its bias) split into the q, k and v projections;
/// - `visual.proj` and `text_projection`, stored `[width, embed]` for `x @ proj`, which is
///   already the `[in, out]` layout the encoders keep.
/// Every stored tensor must be read (`finish`), as for Hugging Face checkpoints.
final class OpenCLIPWeights: CheckpointWeights {
    private let inner: CheckpointReader
    private let textPrefix: String
    /// `in_proj` tensors read once and sliced three times.
    private var packed: [String: [Float]] = [:]

    private enum Source {
        case renamed(String)
        /// Rows `part·n ..< (part+1)·n` of a packed q/k/v tensor.
        case slice(String, part: Int)
        /// A `[in, out]` parameter standing for a `torch.nn.Linear` weight `[out, in]`.
        case projection(String)
    }

    init(_ inner: CheckpointReader, textPrefix: String) {
        self.inner = inner
        self.textPrefix = textPrefix
    }

    private func source(_ key: String) -> Source {
        let t = textPrefix
        switch key {
        case "vision_model.embeddings.patch_embedding.weight": return .renamed("visual.conv1.weight")
        case "vision_model.embeddings.class_embedding": return .renamed("visual.class_embedding")
        case "vision_model.embeddings.position_embedding.weight": return .renamed("visual.positional_embedding")
        case "text_model.embeddings.token_embedding.weight": return .renamed(t + "token_embedding.weight")
        case "text_model.embeddings.position_embedding.weight": return .renamed(t + "positional_embedding")
        case "visual_projection.weight": return .projection("visual.proj")
        case "text_projection.weight": return .projection(t + "text_projection")
        default: break
        }
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return .renamed(key) }
        let (tower, rest) = (parts[0], parts[1])
        let root = tower == "vision_model" ? "visual." : (tower == "text_model" ? t : "")
        if rest.hasPrefix("pre_layrnorm.") { return .renamed(root + "ln_pre." + rest.dropFirst("pre_layrnorm.".count)) }
        if rest.hasPrefix("post_layernorm.") { return .renamed(root + "ln_post." + rest.dropFirst("post_layernorm.".count)) }
        if rest.hasPrefix("final_layer_norm.") { return .renamed(root + "ln_final." + rest.dropFirst("final_layer_norm.".count)) }
        // encoder.layers.N.NAME.PARAM
        let pieces = rest.split(separator: ".").map(String.init)
        guard pieces.count >= 4, pieces[0] == "encoder", pieces[1] == "layers" else { return .renamed(key) }
        let block = root + "transformer.resblocks.\(pieces[2])."
        let param = pieces.last!
        switch pieces[3...].dropLast().joined(separator: ".") {
        case "layer_norm1": return .renamed(block + "ln_1." + param)
        case "layer_norm2": return .renamed(block + "ln_2." + param)
        case "mlp.fc1": return .renamed(block + "mlp.c_fc." + param)
        case "mlp.fc2": return .renamed(block + "mlp.c_proj." + param)
        case "self_attn.out_proj": return .renamed(block + "attn.out_proj." + param)
        case "self_attn.q_proj": return .slice(block + "attn.in_proj_" + param, part: 0)
        case "self_attn.k_proj": return .slice(block + "attn.in_proj_" + param, part: 1)
        case "self_attn.v_proj": return .slice(block + "attn.in_proj_" + param, part: 2)
        default: return .renamed(key)
        }
    }

    /// Part `part` of a packed tensor whose slices have `shape` (`[n, w]` or `[n]`).
    private func slice(_ key: String, part: Int, shape: [Int]) throws -> [Float] {
        let n = shape.reduce(1, *)
        if packed[key] == nil { packed[key] = try inner.tensor(key, shape: [3 * shape[0]] + shape.dropFirst()) }
        return Array(packed[key]![(part * n)..<((part + 1) * n)])
    }

    func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        switch source(key) {
        case let .renamed(k): return try inner.tensor(k, shape: shape)
        case let .slice(k, part): return try slice(k, part: part, shape: shape)
        case let .projection(k):
            // Asked for as `[out, in]`: the stored `[in, out]`, transposed.
            let stored = try inner.tensor(k, shape: [shape[1], shape[0]])
            return Matrix(rows: shape[1], cols: shape[0], storage: stored).transposed().storage
        }
    }

    func readTransposed(_ key: String, shape: [Int], rows: Int, cols: Int, into dest: UnsafeMutablePointer<Float>, ld: Int) throws {
        switch source(key) {
        case let .renamed(k): try inner.readTransposed(k, shape: shape, rows: rows, cols: cols, into: dest, ld: ld)
        case let .slice(k, part):
            let values = try slice(k, part: part, shape: shape)
            values.withUnsafeBufferPointer { BLAS.transpose($0.baseAddress!, rows: rows, cols: cols, lda: cols, into: dest, ldb: ld) }
        case let .projection(k):
            // Stored `[cols, rows]` = `[in, out]`: the transposed layout already, row by row.
            let stored = try inner.tensor(k, shape: [cols, rows])
            for r in 0..<cols {
                for c in 0..<rows { dest[r * ld + c] = stored[r * rows + c] }
            }
        }
    }

    /// A scalar under its open_clip name (`logit_scale` is the same in both layouts).
    func scalar(_ key: String) throws -> Float { try inner.scalar(key) }

    /// Reports stored tensors that nothing read, and lets the packed copies go.
    func finish() throws {
        packed = [:]
        try inner.finish()
    }
}
