import Tensors

/// CLIP's text tower (`CLIPTextTransformer` + `text_projection`).
///
/// Each prompt runs only up to its first end token (the mask is causal and the pooled state
/// is the end token's, so padding never changes the result), and prompts that share a
/// prefix share its computation (`PrefixTree`). All the nodes of a batch go through each
/// layer's products together.
public final class TextEncoder: Sendable {
    /// The shapes the weights were read with.
    public let config: CLIPTextConfig
    /// Length of the embeddings it returns.
    public let projectionDim: Int
    let tokenEmbedding: [Float]  // [vocab, width]
    let positionEmbedding: [Float]  // [positions, width]
    let layers: [TransformerLayer]
    let finalNorm: LayerNorm
    let projection: Linear  // [width, projection], no bias

    /// Reads every `text_model.*` weight and `text_projection`, each checked against `config`.
    /// - Throws: `CLIPError` naming a missing or misshapen tensor.
    public init(reader: WeightSource, config: CLIPTextConfig, projectionDim: Int) throws {
        self.config = config
        self.projectionDim = projectionDim
        let w = config.hiddenSize
        let prefix = "text_model"
        tokenEmbedding = try reader.tensor("\(prefix).embeddings.token_embedding.weight", shape: [config.vocabSize, w])
        positionEmbedding = try reader.tensor(
            "\(prefix).embeddings.position_embedding.weight",
            shape: [config.maxPositionEmbeddings, w])
        layers = try TransformerLayer.stack(reader: reader, prefix: prefix, count: config.numHiddenLayers, config: config)
        finalNorm = try reader.layerNorm("\(prefix).final_layer_norm", width: w, eps: config.layerNormEps)
        projection = try reader.linear("text_projection", outputs: projectionDim, inputs: w, bias: false)
    }

    /// How a batch is laid out; the defaults are what the results are defined by, the
    /// others exist to measure what they save.
    public struct Options: Sendable {
        /// Share the states of common prefixes.
        public var sharePrefixes = true
        /// Pad every sequence with end tokens to this length and run it whole, as a
        /// padded PyTorch batch does (the result is the same; only the cost differs).
        public var padTo: Int? = nil
        /// Prompts per pass; bounds the memory of one pass.
        public var batchSize = 256
        /// Prefix states kept from earlier calls and for later ones (`TextStateCache`);
        /// ignored when padding, when prefixes are not shared or when states are reported.
        public var states: TextStateCache? = nil
        /// Whether `states` keeps every computed prefix (true), or only those two prompts
        /// of a batch share (false): after an edit before the placeholder the next key
        /// changes every class's tokens from there on, and what follows the shared part
        /// would never be read again (keeping it, about a tenth of the tower's time in a
        /// profile of such keys).
        public var keepContinuations = true
        public init() {}
    }

    /// Projected, unnormalised embeddings `[sequences, projection]` of token id sequences
    /// (start token … end token, as `Tokenizer.tokenize` makes them).
    ///
    /// - Parameter endToken: the id whose first occurrence is pooled; transformers pools the
    ///   first `eos_token_id` (or, in legacy configs with id 2, the highest id: the same token).
    public func encode(
        _ sequences: [[Int]], endToken: Int, options: Options = Options(),
        hiddenStates: ((Int, [Float]) -> Void)? = nil
    ) throws -> Matrix {
        for (i, s) in sequences.enumerated() {
            guard !s.isEmpty else { throw CLIPError.badInput("text \(i): no tokens") }
            guard s.count <= config.maxPositionEmbeddings else {
                throw CLIPError.badInput("text \(i): \(s.count) tokens, the model takes \(config.maxPositionEmbeddings)")
            }
            if let bad = s.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw CLIPError.badInput("text \(i): token id \(bad) is outside the vocabulary of \(config.vocabSize)")
            }
        }
        // A second thread pays from about 32 token rows when the other core is free, and
        // never when another process keeps it busy (`clip-tui bench`, `text_threads`).
        let rows = sequences.map { ids in options.padTo ?? ((ids.firstIndex(of: endToken) ?? (ids.count - 1)) + 1) }.reduce(0, +)
        return try BLAS.withThreads(rows: rows, minimumRows: 32) {
            try encodeBatches(sequences, endToken: endToken, options: options, hiddenStates: hiddenStates)
        }
    }

    private func encodeBatches(
        _ sequences: [[Int]], endToken: Int, options: Options,
        hiddenStates: ((Int, [Float]) -> Void)?
    ) throws -> Matrix {
        var out = Matrix(zeros: sequences.count, projectionDim)
        var start = 0
        while start < sequences.count {
            let end = min(sequences.count, start + max(1, options.batchSize))
            let batch = sequences[start..<end].map { ids -> [Int] in
                if let pad = options.padTo {
                    return ids + Array(repeating: endToken, count: max(0, min(pad, config.maxPositionEmbeddings) - ids.count))
                }
                // Nothing after the first end token can reach the pooled state.
                if let e = ids.firstIndex(of: endToken) { return Array(ids[...e]) }
                return ids
            }
            let pooledAt = batch.map { ids -> Int in ids.firstIndex(of: endToken) ?? (ids.count - 1) }
            let report = start == 0 ? hiddenStates : nil
            let pooled: Matrix  // [n, W]
            if let cache = options.states, options.sharePrefixes, options.padTo == nil, report == nil,
                cache.layers == layers.count, cache.width == config.hiddenSize, cache.capacity > 0
            {
                pooled = cache.state.withLock { slots in
                    forward(
                        batch, pooledAt: pooledAt, share: true, slots: &slots, capacity: cache.capacity,
                        keepContinuations: options.keepContinuations, hiddenStates: nil)
                }
            } else {
                var none = Slots(slotFloats: 0)
                pooled = forward(
                    batch, pooledAt: pooledAt, share: options.sharePrefixes, slots: &none, capacity: 0, hiddenStates: report)
            }
            let projected = projection.apply(pooled)  // [n, projection]
            out.storage.replaceSubrange((start * projectionDim)..<(end * projectionDim), with: projected.storage)
            start = end
        }
        return out
    }

    /// The pooled states `[sequences, W]` of one batch. With a `capacity`, each sequence
    /// starts after its longest prefix in `slots` (its last token is always computed), and
    /// the states of the nodes computed here, pooled ones aside, are kept there.
    private func forward(
        _ sequences: [[Int]], pooledAt: [Int], share: Bool, slots: inout Slots, capacity: Int, keepContinuations: Bool = true,
        hiddenStates: ((Int, [Float]) -> Void)?
    ) -> Matrix {
        let w = config.hiddenSize
        slots.clock += 1
        let reused = capacity > 0 ? sequences.map { slots.walk($0, limit: $0.count - 1) } : []
        let tree = PrefixTree(sequences: sequences, share: share, reused: reused)
        let rows = tree.count
        // Nodes whose states later calls may read: all but the pooled ones (nothing follows
        // an end token), and without `keepContinuations` only those on two sequences' paths
        // (a shared node's parent is shared too). Parents come first, so the nodes given a
        // slot are closed under their parents even when room runs out.
        var slotOf = [Int32](repeating: -1, count: capacity > 0 ? rows : 0)
        if capacity > 0 {
            let pooledNodes = Set(tree.pooled)
            var through = [Int32](repeating: keepContinuations ? 2 : 0, count: rows)
            if !keepContinuations { for p in tree.pooled { for a in tree.ancestors[p] where a >= 0 { through[Int(a)] += 1 } } }
            let keep = (0..<rows).filter { !pooledNodes.contains($0) && through[$0] >= 2 }
            for (n, s) in zip(keep, slots.allocate(keep.count, capacity: capacity)) { slotOf[n] = s }
            slots.counts.reusedRows += reused.reduce(0) { $0 + $1.count }
            slots.counts.computedRows += rows
        }
        // Token + position embeddings for every node. [nodes, W]
        var x = [Float](repeating: 0, count: rows * w)
        x.withUnsafeMutableBufferPointer { xb in
            tokenEmbedding.withUnsafeBufferPointer { tok in
                positionEmbedding.withUnsafeBufferPointer { pos in
                    for n in 0..<rows {
                        let dst = xb.baseAddress! + n * w
                        let t = tok.baseAddress! + tree.tokens[n] * w, p = pos.baseAddress! + tree.positions[n] * w
                        for i in 0..<w { dst[i] = t[i] + p[i] }
                    }
                }
            }
        }
        // The nodes of the first sequence, for the per-layer parity check.
        let firstPath = tree.ancestors[tree.pooled[0]].map(Int.init)
        func report(_ index: Int) {
            guard let hiddenStates else { return }
            var states: [Float] = []
            for n in firstPath { states += x[(n * w)..<((n + 1) * w)] }
            hiddenStates(index, states)
        }
        report(0)
        // Each sequence's pooled node. The pooled position may precede the sequence's last
        // node (tokens after an end token that is not last): walk back along the chain.
        // Two equal sequences share one.
        let pooledNode = tree.pooled.indices.map { Int(tree.ancestors[tree.pooled[$0]][pooledAt[$0]]) }
        var pooledRows: [Int32] = [], seen = Set<Int>()
        for node in pooledNode where seen.insert(node).inserted { pooledRows.append(Int32(node)) }
        var ws = TransformerLayer.Workspace(rows: rows, width: w, intermediate: config.intermediateSize)
        var scores = [Float](repeating: 0, count: config.maxPositionEmbeddings)
        // The last layer's states at the pooled nodes: all a later call or the pool reads of
        // it are every node's keys and values and the pooled nodes' outputs (a parity check
        // that reports every layer's states runs it whole).
        var last = [Float](repeating: 0, count: pooledRows.count * w)
        for (index, layer) in layers.enumerated() {
            let pooledOnly = index == layers.count - 1 && hiddenStates == nil
            func attend(_ qkv: UnsafePointer<Float>, _ att: UnsafeMutablePointer<Float>) {
                scores.withUnsafeMutableBufferPointer { s in
                    Self.causalAttention(
                        qkv: qkv, into: att, tree: tree, rows: pooledOnly ? pooledRows : nil, width: w, heads: layer.heads,
                        cached: { UnsafePointer(slots.states($0, layer: index, width: w)) }, scores: s.baseAddress!)
                }
                // Keys and values sit side by side in a q, k, v row, as in a slot.
                for (n, slot) in slotOf.enumerated() where slot >= 0 {
                    slots.states(slot, layer: index, width: w).update(from: qkv + n * 3 * w + w, count: 2 * w)
                }
            }
            x.withUnsafeMutableBufferPointer { xb in
                if pooledOnly {
                    last.withUnsafeMutableBufferPointer { lb in
                        layer.forward(
                            UnsafePointer(xb.baseAddress!), rows: rows, only: pooledRows, into: lb.baseAddress!, workspace: &ws,
                            attend: attend)
                    }
                } else {
                    layer.forward(xb.baseAddress!, rows: rows, workspace: &ws, attend: attend)
                }
            }
            if pooledOnly {
                // The other rows keep the layer before's states: nothing reads them again.
                for (i, r) in pooledRows.enumerated() { x.replaceSubrange((Int(r) * w)..<((Int(r) + 1) * w), with: last[(i * w)..<((i + 1) * w)]) }
            }
            report(index + 1)
        }
        for n in slotOf.indices where slotOf[n] >= 0 {
            let p = tree.parents[n]
            // A node whose parent kept no state is unreachable (its parent pooled: only an
            // end token is, and nothing follows one): its slot goes back, as do its children's.
            if p >= 0 && slotOf[p] < 0 {
                slots.free.append(slotOf[n])
                slotOf[n] = -1
                continue
            }
            let parent: Int32 = p >= 0 ? slotOf[p] : p == -1 ? -1 : Int32(-p - 2)
            slots.insert(slotOf[n], parent: parent, token: tree.tokens[n], depth: tree.positions[n])
        }
        // Final norm on the pooled nodes only. [sequences, W]
        var pooled = [Float](repeating: 0, count: sequences.count * w)
        for (i, node) in pooledNode.enumerated() {
            pooled.replaceSubrange((i * w)..<((i + 1) * w), with: x[(node * w)..<((node + 1) * w)])
        }
        return finalNorm.apply(Matrix(rows: sequences.count, cols: w, storage: pooled))
    }

    /// Each node of `rows` (all: nil) attends to the chain from the root to itself: the
    /// causal mask of one sequence. A cached prefix's keys and values (slot s, as −(s + 1)
    /// in a chain) come from `cached`, laid out as in a q, k, v row: keys, then values
    /// `width` later. In C (`clip_causal_attention`): a chain is about ten tokens, and calls
    /// per token and head made this a sixth of the demo model's text tower.
    static func causalAttention(
        qkv: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, tree: PrefixTree, rows: [Int32]? = nil,
        width: Int, heads: Int, cached: (Int32) -> UnsafePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        let ld = 3 * width
        let queries = rows ?? (0..<Int32(tree.count)).map { $0 }
        var offsets = [Int64](repeating: 0, count: queries.count + 1)
        var kv: [UnsafePointer<Float>?] = []
        kv.reserveCapacity(queries.count * 12)
        for (r, n) in queries.enumerated() {
            for a in tree.ancestors[Int(n)] { kv.append(a >= 0 ? qkv + Int(a) * ld + width : cached(-a - 1)) }
            offsets[r + 1] = Int64(kv.count)
        }
        CausalAttention.apply(
            qkv: qkv, ld: ld, rows: queries, keysAndValues: kv, offsets: offsets, width: width, heads: heads, into: out, scores: scores)
    }
}
