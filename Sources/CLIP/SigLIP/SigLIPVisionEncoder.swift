import Tensors

/// SigLIP's image tower (`SiglipVisionTransformer` with its `SiglipMultiheadAttentionPoolingHead`):
/// patch embedding with a bias and positions but no class token, pre-norm blocks, a final
/// LayerNorm on every token, then one learned probe that attends over the tokens
/// (`nn.MultiheadAttention`) and a residual MLP. The pooled state is the embedding: there is
/// no projection.
public final class SigLIPVisionEncoder: Sendable {
    /// The shapes the weights were read with.
    public let config: CLIPVisionConfig
    /// The patch convolution as a matrix: `[3·p·p, width]`, with its bias.
    let patchEmbedding: Linear
    let positionEmbedding: [Float]  // [patches, width]
    let layers: [TransformerLayer]
    let postNorm: LayerNorm
    let head: AttentionPoolingHead

    /// Reads every `vision_model.*` weight, each checked against `config`.
    /// - Throws: `CLIPError` naming a missing or misshapen tensor.
    public init(reader: WeightSource, config: CLIPVisionConfig) throws {
        self.config = config
        let w = config.hiddenSize, p = config.patchSize, c = config.numChannels
        let prefix = "vision_model"
        patchEmbedding = try reader.linear(
            "\(prefix).embeddings.patch_embedding", outputs: w, inputs: c * p * p, shape: [w, c, p, p])
        positionEmbedding = try reader.tensor("\(prefix).embeddings.position_embedding.weight", shape: [config.tokenCount - 1, w])
        layers = try TransformerLayer.stack(reader: reader, prefix: prefix, count: config.numHiddenLayers, config: config)
        postNorm = try reader.layerNorm("\(prefix).post_layernorm", width: w, eps: config.layerNormEps)
        head = try AttentionPoolingHead(reader: reader, prefix: "\(prefix).head", config: config)
    }

    /// Floats per image: `[3, size, size]`, channel-major, already normalised.
    public var pixelCount: Int { config.numChannels * config.imageSize * config.imageSize }

    /// Unnormalised embeddings `[images, width]` of consecutive `[3, size, size]` pixel tensors.
    /// - Parameter hiddenStates: if given, receives `[patches, width]` of the first image after
    ///   the embeddings (index 0) and after each layer (1...), for parity checks.
    public func encode(pixels: [Float], batchSize: Int = 8, hiddenStates: ((Int, [Float]) -> Void)? = nil) -> Matrix {
        precondition(pixels.count % pixelCount == 0, "pixels must hold whole images")
        let count = pixels.count / pixelCount, w = config.hiddenSize
        return BLAS.withThreads(rows: count * (config.tokenCount - 1), minimumRows: 32) {
            var out = Matrix(zeros: count, w)
            var start = 0
            while start < count {
                let n = min(max(1, batchSize), count - start)
                let pooled = pixels.withUnsafeBufferPointer { px in
                    forward(px.baseAddress! + start * pixelCount, images: n, hiddenStates: start == 0 ? hiddenStates : nil)
                }
                out.storage.replaceSubrange((start * w)..<((start + n) * w), with: pooled.storage)
                start += n
            }
            return out
        }
    }

    private func forward(_ pixels: UnsafePointer<Float>, images: Int, hiddenStates: ((Int, [Float]) -> Void)?) -> Matrix {
        let w = config.hiddenSize, tokens = config.tokenCount - 1, rows = images * tokens
        let columns = VisionEncoder.patchColumns(pixels, images: images, size: config.imageSize, patch: config.patchSize)
        var x = [Float](repeating: 0, count: rows * w)
        columns.withUnsafeBufferPointer { col in
            x.withUnsafeMutableBufferPointer { patchEmbedding.apply(col.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        // Positions, the same for every image. [images·patches, W]
        for b in 0..<images {
            for i in 0..<(tokens * w) { x[b * tokens * w + i] += positionEmbedding[i] }
        }
        hiddenStates?(0, Array(x[0..<(tokens * w)]))
        TransformerLayer.runUnmasked(
            layers[...], &x, groups: images, tokens: tokens, width: w, intermediate: config.intermediateSize, report: hiddenStates)
        let normed = postNorm.apply(Matrix(rows: rows, cols: w, storage: x))
        return head.pool(normed, images: images, tokens: tokens)
    }
}
