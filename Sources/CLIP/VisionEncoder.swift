import Tensors

/// CLIP's image tower (`CLIPVisionTransformer` + `visual_projection`), batched.
public final class VisionEncoder: Sendable {
    /// The shapes the weights were read with.
    public let config: CLIPVisionConfig
    /// Length of the embeddings it returns.
    public let projectionDim: Int
    /// The patch convolution as a matrix: `[3·p·p, width]`, no bias.
    let patchEmbedding: Linear
    let classEmbedding: [Float]  // [width]
    let positionEmbedding: [Float]  // [tokens, width]
    let preNorm: LayerNorm
    let layers: [TransformerLayer]
    let postNorm: LayerNorm
    let projection: Linear  // [width, projection], no bias

    /// Reads every `vision_model.*` weight and `visual_projection`, each checked against `config`.
    /// - Throws: `CLIPError` naming a missing or misshapen tensor.
    public init(reader: WeightSource, config: CLIPVisionConfig, projectionDim: Int) throws {
        self.config = config
        self.projectionDim = projectionDim
        let w = config.hiddenSize, p = config.patchSize, c = config.numChannels
        let prefix = "vision_model"
        // The conv kernel [w, c, p, p] is a [w, c·p·p] matrix over flattened patches.
        patchEmbedding = try reader.linear(
            "\(prefix).embeddings.patch_embedding", outputs: w, inputs: c * p * p,
            bias: false, shape: [w, c, p, p])
        classEmbedding = try reader.tensor("\(prefix).embeddings.class_embedding", shape: [w])
        positionEmbedding = try reader.tensor(
            "\(prefix).embeddings.position_embedding.weight",
            shape: [config.tokenCount, w])
        preNorm = try reader.layerNorm("\(prefix).pre_layrnorm", width: w, eps: config.layerNormEps)
        layers = try TransformerLayer.stack(reader: reader, prefix: prefix, count: config.numHiddenLayers, config: config)
        postNorm = try reader.layerNorm("\(prefix).post_layernorm", width: w, eps: config.layerNormEps)
        projection = try reader.linear("visual_projection", outputs: projectionDim, inputs: w, bias: false)
    }

    /// Floats per image: `[3, size, size]`, channel-major, already normalised.
    public var pixelCount: Int { config.numChannels * config.imageSize * config.imageSize }

    /// Projected, unnormalised embeddings `[images, projection]` for images given as
    /// consecutive `[3, size, size]` pixel tensors.
    ///
    /// - Parameter hiddenStates: if given, receives `[tokens, width]` of the first image after
    ///   the embeddings (index 0) and after each layer (1...), for parity checks.
    public func encode(
        pixels: [Float], batchSize: Int = 8,
        hiddenStates: ((Int, [Float]) -> Void)? = nil
    ) -> Matrix {
        precondition(pixels.count % pixelCount == 0, "pixels must hold whole images")
        let count = pixels.count / pixelCount
        // Every image is `tokenCount` rows (50 for ViT-B/32): always past where a second
        // thread pays, unless another process keeps the other core busy.
        return BLAS.withThreads(rows: count * config.tokenCount, minimumRows: 32) {
            encodeBatches(pixels, count: count, batchSize: batchSize, hiddenStates: hiddenStates)
        }
    }

    private func encodeBatches(_ pixels: [Float], count: Int, batchSize: Int, hiddenStates: ((Int, [Float]) -> Void)?) -> Matrix {
        var out = Matrix(zeros: count, projectionDim)
        var start = 0
        while start < count {
            let n = min(batchSize, count - start)
            let pooled = pixels.withUnsafeBufferPointer { px in
                forward(px.baseAddress! + start * pixelCount, images: n, hiddenStates: start == 0 ? hiddenStates : nil)
            }
            let projected = projection.apply(pooled)  // [n, projection]
            out.storage.replaceSubrange((start * projectionDim)..<((start + n) * projectionDim), with: projected.storage)
            start += n
        }
        return out
    }

    /// The post-normed class tokens `[images, width]`.
    private func forward(_ pixels: UnsafePointer<Float>, images: Int, hiddenStates: ((Int, [Float]) -> Void)?) -> Matrix {
        let w = config.hiddenSize, p = config.patchSize, size = config.imageSize
        let grid = size / p, patches = grid * grid, tokens = config.tokenCount
        let rows = images * tokens

        let columns = Self.patchColumns(pixels, images: images, size: size, patch: p)
        var embedded = [Float](repeating: 0, count: images * patches * w)
        columns.withUnsafeBufferPointer { col in
            embedded.withUnsafeMutableBufferPointer { e in
                patchEmbedding.apply(col.baseAddress!, rows: images * patches, into: e.baseAddress!)  // [images·patches, W]
            }
        }

        // Tokens: class token then patches, plus positions; then pre-norm. [images·tokens, W]
        var raw = [Float](repeating: 0, count: rows * w)
        raw.withUnsafeMutableBufferPointer { xb in
            embedded.withUnsafeBufferPointer { e in
                positionEmbedding.withUnsafeBufferPointer { pos in
                    classEmbedding.withUnsafeBufferPointer { cls in
                        for b in 0..<images {
                            for t in 0..<tokens {
                                let dst = xb.baseAddress! + (b * tokens + t) * w
                                let src = t == 0 ? cls.baseAddress! : e.baseAddress! + (b * patches + t - 1) * w
                                for i in 0..<w { dst[i] = src[i] + pos[t * w + i] }
                            }
                        }
                    }
                }
            }
        }
        var x = [Float](repeating: 0, count: rows * w)
        raw.withUnsafeBufferPointer { r in
            x.withUnsafeMutableBufferPointer { preNorm.apply(r.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        hiddenStates?(0, Array(x[0..<(tokens * w)]))

        // Only the class token is pooled (about 7% of an image's cost saved at 12 layers).
        let classTokens = TransformerLayer.runPooled(
            layers, &x, groups: images, tokens: tokens, position: 0, width: w, intermediate: config.intermediateSize,
            report: hiddenStates)
        // Post-norm on the class tokens only. [images, W]
        return postNorm.apply(Matrix(rows: images, cols: w, storage: classTokens))
    }

    /// im2col: `[images·patches, 3·p·p]` in the conv weight's (channel, y, x) order, so that
    /// the patch convolution is one matrix product.
    static func patchColumns(_ pixels: UnsafePointer<Float>, images: Int, size: Int, patch p: Int) -> [Float] {
        let grid = size / p, patches = grid * grid, patchLength = 3 * p * p, pixelCount = 3 * size * size
        var columns = [Float](repeating: 0, count: images * patches * patchLength)
        columns.withUnsafeMutableBufferPointer { col in
            for b in 0..<images {
                let image = pixels + b * pixelCount
                for py in 0..<grid {
                    for px in 0..<grid {
                        var dst = col.baseAddress! + ((b * patches) + py * grid + px) * patchLength
                        for ch in 0..<3 {
                            for ky in 0..<p {
                                let src = image + ch * size * size + (py * p + ky) * size + px * p
                                dst.update(from: src, count: p)
                                dst += p
                            }
                        }
                    }
                }
            }
        }
        return columns
    }

    /// Full (unmasked) multi-head attention per image: softmax(QKᵀ/√d)·V for each head.
    static func attention(
        qkv: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, images: Int,
        tokens: Int, width: Int, heads: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let d = width / heads
        let scale = 1 / Float(d).squareRoot()
        let ld = 3 * width
        for b in 0..<images {
            let base = qkv + b * tokens * ld
            for h in 0..<heads {
                let q = base + h * d, k = base + width + h * d, v = base + 2 * width + h * d
                // [tokens, d] · [tokens, d]ᵀ → [tokens, tokens]
                BLAS.gemm(
                    transB: true, m: tokens, n: tokens, k: d, alpha: scale, a: q, lda: ld, b: k, ldb: ld,
                    c: scores, ldc: tokens)
                for t in 0..<tokens { FastMath.softmax(scores + t * tokens, count: tokens) }
                // [tokens, tokens] · [tokens, d] → [tokens, d] at column h·d of the output
                BLAS.gemm(
                    m: tokens, n: d, k: tokens, a: scores, lda: tokens, b: v, ldb: ld,
                    c: out + b * tokens * width + h * d, ldc: width)
            }
        }
    }
}
