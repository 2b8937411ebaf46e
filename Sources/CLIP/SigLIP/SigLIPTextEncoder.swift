import Tensors

/// SigLIP's text tower (`SiglipTextTransformer` with its `head`).
///
/// Unlike CLIP's, every prompt is padded to the full context (64) and every token attends
/// to every other, padding included, with no mask, as SigLIP was trained (big_vision)
/// and as transformers runs it when given no attention mask; the pooled state is the last
/// position's. So neither CLIP's stop at the end token nor its shared prefixes apply: each
/// prompt costs the whole context.
public final class SigLIPTextEncoder: Sendable {
    /// The shapes the weights were read with.
    public let config: CLIPTextConfig
    /// Length of the embeddings it returns (`projection_size`).
    public let projectionSize: Int
    let tokenEmbedding: [Float]  // [vocab, width]
    let positionEmbedding: [Float]  // [positions, width]
    let layers: [TransformerLayer]
    let finalNorm: LayerNorm
    let head: Linear  // [width, projection], with bias

    /// Reads every `text_model.*` weight, each checked against `config`.
    /// - Throws: `CLIPError` naming a missing or misshapen tensor.
    public init(reader: WeightSource, config: CLIPTextConfig, projectionSize: Int) throws {
        self.config = config
        self.projectionSize = projectionSize
        let w = config.hiddenSize
        let prefix = "text_model"
        tokenEmbedding = try reader.tensor("\(prefix).embeddings.token_embedding.weight", shape: [config.vocabSize, w])
        positionEmbedding = try reader.tensor("\(prefix).embeddings.position_embedding.weight", shape: [config.maxPositionEmbeddings, w])
        layers = try TransformerLayer.stack(reader: reader, prefix: prefix, count: config.numHiddenLayers, config: config)
        finalNorm = try reader.layerNorm("\(prefix).final_layer_norm", width: w, eps: config.layerNormEps)
        head = try reader.linear("\(prefix).head", outputs: projectionSize, inputs: w)
    }

    /// Unnormalised embeddings `[sequences, projection]` of token id sequences (the
    /// tokenizer's, end token included), each padded with `padToken` to the context length.
    /// - Parameters:
    ///   - batchSize: prompts per pass; bounds the memory of one pass.
    ///   - hiddenStates: if given, receives `[positions, width]` of the first sequence after the
    ///     embeddings (index 0) and after each layer (1...), for parity checks.
    public func encode(
        _ sequences: [[Int]], padToken: Int, batchSize: Int = 32, hiddenStates: ((Int, [Float]) -> Void)? = nil
    ) throws -> Matrix {
        let length = config.maxPositionEmbeddings
        for (i, s) in sequences.enumerated() {
            guard s.count <= length else { throw CLIPError.badInput("text \(i): \(s.count) tokens, the model takes \(length)") }
            if let bad = (s + [padToken]).first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw CLIPError.badInput("text \(i): token id \(bad) is outside the vocabulary of \(config.vocabSize)")
            }
        }
        return BLAS.withThreads(rows: sequences.count * length, minimumRows: 32) {
            var out = Matrix(zeros: sequences.count, projectionSize)
            var start = 0
            while start < sequences.count {
                let end = min(sequences.count, start + max(1, batchSize))
                let batch = sequences[start..<end].map { $0 + Array(repeating: padToken, count: length - $0.count) }
                let pooled = forward(batch, hiddenStates: start == 0 ? hiddenStates : nil)
                out.storage.replaceSubrange((start * projectionSize)..<(end * projectionSize), with: head.apply(pooled).storage)
                start = end
            }
            return out
        }
    }

    /// The final-normed last positions `[sequences, W]`.
    private func forward(_ sequences: [[Int]], hiddenStates: ((Int, [Float]) -> Void)?) -> Matrix {
        let w = config.hiddenSize, length = config.maxPositionEmbeddings, rows = sequences.count * length
        var x = [Float](repeating: 0, count: rows * w)
        x.withUnsafeMutableBufferPointer { xb in
            tokenEmbedding.withUnsafeBufferPointer { tok in
                positionEmbedding.withUnsafeBufferPointer { pos in
                    for (s, ids) in sequences.enumerated() {
                        for (t, id) in ids.enumerated() {
                            let dst = xb.baseAddress! + (s * length + t) * w
                            let e = tok.baseAddress! + id * w, p = pos.baseAddress! + t * w
                            for i in 0..<w { dst[i] = e[i] + p[i] }
                        }
                    }
                }
            }
        }
        hiddenStates?(0, Array(x[0..<(length * w)]))
        // Only the last position is pooled (about 6% of a prompt's cost saved at 12 layers).
        let last = TransformerLayer.runPooled(
            layers, &x, groups: sequences.count, tokens: length, position: length - 1, width: w,
            intermediate: config.intermediateSize, report: hiddenStates)
        return finalNorm.apply(Matrix(rows: sequences.count, cols: w, storage: last))
    }
}
