import Tensors

/// One pre-norm transformer block of CLIP (`CLIPEncoderLayer`):
/// `x += attn(ln1(x))`, `x += fc2(act(fc1(ln2(x))))`.
struct TransformerLayer: Sendable {
    let width: Int
    let heads: Int
    let norm1: LayerNorm
    /// q, k and v projections fused: `[width, 3·width]`, so one sgemm makes all three.
    let qkv: Linear
    let out: Linear
    let norm2: LayerNorm
    let fc1: Linear
    let fc2: Linear
    let activation: Activation

    var headDim: Int { width / heads }

    /// Reads `prefix.layer_norm1.weight`, `prefix.self_attn.q_proj.weight`, … .
    init(
        reader: WeightSource, prefix: String, width: Int, intermediate: Int, heads: Int,
        eps: Double, activation: Activation
    ) throws {
        self.width = width
        self.heads = heads
        self.activation = activation
        norm1 = try reader.layerNorm("\(prefix).layer_norm1", width: width, eps: eps)
        norm2 = try reader.layerNorm("\(prefix).layer_norm2", width: width, eps: eps)
        // q, k, v side by side: [width, 3·width], each block the transpose of its [out, in] weight.
        let fused = try [Float](unsafeUninitializedCapacity: 3 * width * width) { buffer, count in
            for (i, p) in ["q_proj", "k_proj", "v_proj"].enumerated() {
                try reader.readTransposed(
                    "\(prefix).self_attn.\(p).weight", shape: [width, width], rows: width, cols: width,
                    into: buffer.baseAddress! + i * width, ld: 3 * width)
            }
            count = 3 * width * width
        }
        var qkvBias: [Float] = []
        for p in ["q_proj", "k_proj", "v_proj"] {
            qkvBias += try reader.tensor("\(prefix).self_attn.\(p).bias", shape: [width])
        }
        qkv = Linear(weight: fused, outputs: 3 * width, inputs: width, bias: qkvBias)
        out = try reader.linear("\(prefix).self_attn.out_proj", outputs: width, inputs: width)
        fc1 = try reader.linear("\(prefix).mlp.fc1", outputs: intermediate, inputs: width)
        fc2 = try reader.linear("\(prefix).mlp.fc2", outputs: width, inputs: intermediate)
    }

    /// Scratch buffers for `rows` tokens, reused across layers.
    struct Workspace {
        var normed: [Float]
        var qkv: [Float]
        var attention: [Float]
        var hidden: [Float]

        init(rows: Int, width: Int, intermediate: Int) {
            normed = [Float](repeating: 0, count: rows * width)
            qkv = [Float](repeating: 0, count: rows * 3 * width)
            attention = [Float](repeating: 0, count: rows * width)
            hidden = [Float](repeating: 0, count: rows * intermediate)
        }

        /// The four buffers' storage, for one block's pass: normed, q k v, attention, hidden.
        mutating func withPointers(
            _ body: (
                _ normed: UnsafeMutablePointer<Float>, _ qkv: UnsafeMutablePointer<Float>, _ attention: UnsafeMutablePointer<Float>,
                _ hidden: UnsafeMutablePointer<Float>
            ) -> Void
        ) {
            normed.withUnsafeMutableBufferPointer { n in
                qkv.withUnsafeMutableBufferPointer { q in
                    attention.withUnsafeMutableBufferPointer { a in
                        hidden.withUnsafeMutableBufferPointer { h in body(n.baseAddress!, q.baseAddress!, a.baseAddress!, h.baseAddress!) }
                    }
                }
            }
        }
    }

    /// Runs the block on `rows` tokens in `x` (`[rows, width]`, updated in place).
    /// `attend` fills `[rows, width]` attention output from the fused `[rows, 3·width]` q, k, v.
    func forward(
        _ x: UnsafeMutablePointer<Float>, rows: Int, workspace ws: inout Workspace,
        attend: (_ qkv: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) -> Void
    ) {
        ws.withPointers { n, q, a, h in
            norm1.apply(x, rows: rows, into: n)  // [rows, W]
            qkv.apply(n, rows: rows, into: q)  // [rows, 3W]
            attend(q, a)  // [rows, W]
            finish(attention: a, into: x, rows: rows, normed: n, hidden: h)
        }
    }

    /// The block after its attention, on `rows` rows: y += attn · Wo + bo, then
    /// y += fc2(act(fc1(ln2(y)))). `normed` and `hidden` are scratch (`normed` may be
    /// where `attention` is: it is read first).
    private func finish(
        attention a: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int, normed n: UnsafeMutablePointer<Float>,
        hidden h: UnsafeMutablePointer<Float>
    ) {
        out.apply(a, rows: rows, into: y, accumulate: true)
        norm2.apply(y, rows: rows, into: n)  // [rows, W]
        fc1.apply(n, rows: rows, into: h)  // [rows, 4W]
        activation.apply(h, count: rows * fc1.outputs)
        fc2.apply(h, rows: rows, into: y, accumulate: true)
    }
}

extension TransformerLayer {
    /// The block's output at rows `only` of `x` (`[rows, width]`, read only) into `y`
    /// (`[only.count, width]`): every row's q, k and v are made (later tokens' attention
    /// reads them, and `attend` may keep them), but the attention, its projection and the
    /// MLP only at `only`, which `attend` must fill. The last layer of a causal tower needs
    /// no more: only the pooled token's state leaves it.
    func forward(
        _ x: UnsafePointer<Float>, rows: Int, only: [Int32], into y: UnsafeMutablePointer<Float>, workspace ws: inout Workspace,
        attend: (_ qkv: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) -> Void
    ) {
        let m = only.count, w = width
        ws.withPointers { n, q, a, h in
            norm1.apply(x, rows: rows, into: n)  // [rows, W]
            qkv.apply(n, rows: rows, into: q)  // [rows, 3W]
            attend(q, a)  // rows `only` of [rows, W]
            // The rows wanted, packed: x into y, their attention into `normed`.
            for (i, r) in only.enumerated() {
                (y + i * w).update(from: x + Int(r) * w, count: w)
                (n + i * w).update(from: a + Int(r) * w, count: w)
            }
            finish(attention: n, into: y, rows: m, normed: n, hidden: h)
        }
    }
}

extension Activation {
    /// Applies the activation in place to `count` floats.
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .quickGELU: FastMath.quickGELU(x, count: count)
        case .gelu: FastMath.gelu(x, count: count)
        case .geluTanh: FastMath.geluTanh(x, count: count)
        }
    }
}

extension TransformerLayer {
    /// `count` blocks under `prefix.encoder.layers.N`, shaped by a tower's config.
    static func stack(reader: WeightSource, prefix: String, count: Int, config: CLIPVisionConfig) throws -> [TransformerLayer] {
        try stack(
            reader: reader, prefix: prefix, count: count, width: config.hiddenSize, intermediate: config.intermediateSize,
            heads: config.numAttentionHeads, eps: config.layerNormEps, activation: config.hiddenAct)
    }

    /// The same for a text tower.
    static func stack(reader: WeightSource, prefix: String, count: Int, config: CLIPTextConfig) throws -> [TransformerLayer] {
        try stack(
            reader: reader, prefix: prefix, count: count, width: config.hiddenSize, intermediate: config.intermediateSize,
            heads: config.numAttentionHeads, eps: config.layerNormEps, activation: config.hiddenAct)
    }

    private static func stack(
        reader: WeightSource, prefix: String, count: Int, width: Int, intermediate: Int, heads: Int, eps: Double,
        activation: Activation
    ) throws -> [TransformerLayer] {
        try (0..<count).map {
            try TransformerLayer(
                reader: reader, prefix: "\(prefix).encoder.layers.\($0)", width: width, intermediate: intermediate, heads: heads,
                eps: eps, activation: activation)
        }
    }

    /// The block's output at `position` of each of `groups` sequences of `tokens` rows in
    /// `x` (`[groups·tokens, width]`), every token attending to every token of its group:
    /// `[groups, width]`. Every position's keys and values are computed; the query,
    /// attention output and MLP only at `position` (all a pool of that position reads).
    func outputs(at position: Int, of x: [Float], groups: Int, tokens: Int) -> [Float] {
        let rows = groups * tokens, w = width, d = headDim, ld = 3 * w
        var normed = [Float](repeating: 0, count: rows * w)
        var fused = [Float](repeating: 0, count: rows * ld)
        var y = [Float](repeating: 0, count: groups * w)
        var attended = [Float](repeating: 0, count: groups * w)
        var hidden = [Float](repeating: 0, count: groups * fc1.outputs)
        var scores = [Float](repeating: 0, count: tokens)
        for g in 0..<groups {
            let row = (g * tokens + position) * w
            y.replaceSubrange((g * w)..<((g + 1) * w), with: x[row..<(row + w)])
        }
        x.withUnsafeBufferPointer { xb in
            normed.withUnsafeMutableBufferPointer { n in
                fused.withUnsafeMutableBufferPointer { q in
                    norm1.apply(xb.baseAddress!, rows: rows, into: n.baseAddress!)
                    qkv.apply(n.baseAddress!, rows: rows, into: q.baseAddress!)
                }
            }
        }
        let scale = 1 / Float(d).squareRoot()
        fused.withUnsafeBufferPointer { qb in
            attended.withUnsafeMutableBufferPointer { ab in
                scores.withUnsafeMutableBufferPointer { sb in
                    let s = sb.baseAddress!
                    for g in 0..<groups {
                        let base = qb.baseAddress! + g * tokens * ld
                        let query = base + position * ld
                        for h in 0..<heads {
                            for t in 0..<tokens { s[t] = scale * FastMath.dot(query + h * d, base + t * ld + w + h * d, count: d) }
                            FastMath.softmax(s, count: tokens)
                            let o = ab.baseAddress! + g * w + h * d
                            for t in 0..<tokens { FastMath.axpy(s[t], base + t * ld + 2 * w + h * d, o, count: d) }
                        }
                    }
                }
            }
        }
        y.withUnsafeMutableBufferPointer { yb in
            attended.withUnsafeMutableBufferPointer { ab in
                hidden.withUnsafeMutableBufferPointer { hb in
                    let y = yb.baseAddress!, a = ab.baseAddress!, h = hb.baseAddress!
                    out.apply(a, rows: groups, into: y, accumulate: true)
                    norm2.apply(y, rows: groups, into: a)  // the attention output is spent: reuse it
                    fc1.apply(a, rows: groups, into: h)
                    activation.apply(h, count: groups * fc1.outputs)
                    fc2.apply(h, rows: groups, into: y, accumulate: true)
                }
            }
        }
        return y
    }

    /// Runs `layers` as `runUnmasked` does and returns the states at `position` of each
    /// group (`[groups, width]`), what a pool of that position reads: the last layer computes
    /// every token's keys and values but the rest at `position` alone (`outputs(at:)`). With
    /// `report` (a parity check that wants every layer's states whole) it runs whole.
    static func runPooled(
        _ layers: [TransformerLayer], _ x: inout [Float], groups: Int, tokens: Int, position: Int, width: Int, intermediate: Int,
        report: ((Int, [Float]) -> Void)?
    ) -> [Float] {
        let whole = report != nil || layers.isEmpty
        runUnmasked(
            whole ? layers[...] : layers.dropLast(), &x, groups: groups, tokens: tokens, width: width, intermediate: intermediate,
            report: report)
        guard whole else { return layers[layers.count - 1].outputs(at: position, of: x, groups: groups, tokens: tokens) }
        var pooled = [Float](repeating: 0, count: groups * width)
        for g in 0..<groups {
            let row = (g * tokens + position) * width
            pooled.replaceSubrange((g * width)..<((g + 1) * width), with: x[row..<(row + width)])
        }
        return pooled
    }

    /// Runs `layers` over `groups` sequences of `tokens` rows each in `x` (`[groups·tokens,
    /// width]`, updated in place), every token attending to every token of its group (no
    /// mask: ViT images, SigLIP's padded prompts). `report` gets the first group's rows
    /// after each layer (1...), for parity checks.
    static func runUnmasked(
        _ layers: ArraySlice<TransformerLayer>, _ x: inout [Float], groups: Int, tokens: Int, width: Int, intermediate: Int,
        report: ((Int, [Float]) -> Void)?
    ) {
        let rows = groups * tokens
        var ws = Workspace(rows: rows, width: width, intermediate: intermediate)
        var scores = [Float](repeating: 0, count: tokens * tokens)
        for (index, layer) in layers.enumerated() {
            x.withUnsafeMutableBufferPointer { xb in
                layer.forward(xb.baseAddress!, rows: rows, workspace: &ws) { qkv, att in
                    scores.withUnsafeMutableBufferPointer { s in
                        VisionEncoder.attention(
                            qkv: qkv, into: att, images: groups, tokens: tokens, width: width, heads: layer.heads, scores: s.baseAddress!)
                    }
                }
            }
            report?(index + 1, Array(x[0..<(tokens * width)]))
        }
    }
}

extension WeightSource {
    /// `prefix.weight` and `prefix.bias` as a LayerNorm over `width` features.
    func layerNorm(_ prefix: String, width: Int, eps: Double) throws -> LayerNorm {
        LayerNorm(
            weight: try tensor("\(prefix).weight", shape: [width]), bias: try tensor("\(prefix).bias", shape: [width]), eps: Float(eps))
    }
}
