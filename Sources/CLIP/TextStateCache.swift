import Synchronization

/// The per-layer keys and values of token prefixes the text tower computed lately, read
/// again by later calls: a keystroke's prompts then start from the first token that changed.
///
/// CLIP's text mask is causal, so a token's keys and values depend only on the tokens up to
/// it: "a photo of a goldfish" has the same states whatever follows. After `a photo of a
/// {}.` becomes `a photo of a {} in.`, every class's prompt reuses its states up to the
/// class name, and only ` in . <end>` is computed. `PrefixTree` shares a prefix within one
/// batch; this shares it across calls.
///
/// Memory is bounded: at most `slotLimit` prefixes and `byteLimit` bytes, least recently
/// used out first (a prefix's continuations before it, so what stays is always reachable).
/// States are kept in full precision: the embeddings are the uncached path's within the
/// parity tests' bounds, and a node costs `2 · layers · width` floats (48 KiB at ViT-B/32's
/// 12 × 512; 4 KiB for the demo model's 4 × 128). Slots are allocated in chunks as used,
/// so an idle cache costs nothing.
public final class TextStateCache: Sendable {
    /// Prefixes kept at most: four templates' prompts at ImageNet's 1,000 classes (a
    /// template's prompts end in about 3,000 distinct prefixes before their end tokens).
    public static let defaultSlotLimit = 16_384
    /// Bytes of states kept at most: 256 MiB, room for one ViT-B/32 template at 1,000
    /// classes (about 147 MB) and the keystroke before it in part.
    public static let defaultByteLimit = 256 << 20

    let layers: Int
    let width: Int
    /// Floats per node: for each layer its keys then its values.
    let slotFloats: Int
    /// Nodes kept at most.
    public let capacity: Int
    let state: Mutex<Slots>

    /// What a call reused and computed, for tests and the bench.
    public struct Counts: Sendable, Equatable {
        /// Token positions read from the cache, and computed, over every call so far.
        public var reusedRows = 0
        public var computedRows = 0
        /// Prefixes held now, and dropped to make room so far.
        public var held = 0
        public var evicted = 0
    }
    public var counts: Counts { state.withLock { $0.counts } }
    /// Bytes the states held now take, and at most.
    public var bytesHeld: Int { state.withLock { $0.counts.held } * slotFloats * MemoryLayout<Float>.size }
    public var capacityBytes: Int { capacity * slotFloats * MemoryLayout<Float>.size }

    /// A cache for a tower of `layers` blocks of `width` features.
    public init(layers: Int, width: Int, slotLimit: Int = defaultSlotLimit, byteLimit: Int = defaultByteLimit) {
        self.layers = layers
        self.width = width
        slotFloats = 2 * layers * width
        capacity = max(0, min(slotLimit, byteLimit / max(1, slotFloats * MemoryLayout<Float>.size)))
        state = Mutex(Slots(slotFloats: slotFloats))
    }

    deinit { state.withLock { $0.deallocate() } }
}

/// The cache's trie and storage, used under its lock.
struct Slots: ~Copyable {
    struct Key: Hashable {
        var parent: Int32  // −1: the root
        var token: Int32
    }
    struct Node {
        var key: Key
        var depth: Int32
        var lastUse: UInt64
        var children: Int32
    }
    static let chunkSlots = 256

    let slotFloats: Int
    var nodes: [Node] = []  // by slot; a free slot's key has token −1
    var lookup: [Key: Int32] = [:]
    var free: [Int32] = []
    var chunks: [UnsafeMutablePointer<Float>] = []
    var clock: UInt64 = 0
    var counts = TextStateCache.Counts()

    init(slotFloats: Int) { self.slotFloats = slotFloats }

    mutating func deallocate() {
        for c in chunks { c.deallocate() }
        chunks = []
    }

    /// Keys then values of layer `layer` of `slot`: `[2, width]`.
    func states(_ slot: Int32, layer: Int, width: Int) -> UnsafeMutablePointer<Float> {
        let s = Int(slot)
        return chunks[s / Self.chunkSlots] + (s % Self.chunkSlots) * slotFloats + layer * 2 * width
    }

    /// The slots holding the longest cached prefix of `tokens`, at most `limit` long, each
    /// marked used now.
    mutating func walk(_ tokens: [Int], limit: Int) -> [Int32] {
        var chain: [Int32] = []
        var parent: Int32 = -1
        for token in tokens.prefix(limit) {
            guard let slot = lookup[Key(parent: parent, token: Int32(token))] else { break }
            nodes[Int(slot)].lastUse = clock
            chain.append(slot)
            parent = slot
        }
        return chain
    }

    /// Up to `count` free slots, dropping prefixes not used in this call, least recently
    /// used first and deeper first (so a prefix goes only after its continuations).
    mutating func allocate(_ count: Int, capacity: Int) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(count)
        while out.count < count, let s = free.popLast() { out.append(s) }
        while out.count < count, nodes.count < capacity {
            if nodes.count % Self.chunkSlots == 0 {
                chunks.append(.allocate(capacity: Self.chunkSlots * slotFloats))
            }
            out.append(Int32(nodes.count))
            nodes.append(Node(key: Key(parent: -1, token: -1), depth: 0, lastUse: 0, children: 0))
        }
        guard out.count < count else { return out }
        // Full: the least recently used go, an eighth of the capacity at least, so that the
        // sort of every node runs once per eighth rather than once per batch (16 sorts of
        // 16,384 nodes a keystroke cost 10-15 ms); the spare slots wait in `free`.
        let wanted = max(count - out.count, capacity / 8)
        let old = nodes.indices.filter { nodes[$0].key.token >= 0 && nodes[$0].lastUse < clock }
            .sorted { (nodes[$0].lastUse, -nodes[$0].depth) < (nodes[$1].lastUse, -nodes[$1].depth) }
        var freed: [Int32] = []
        for s in old where freed.count < wanted {
            // A continuation of a prefix kept this call is never older than it: the sort
            // puts every continuation first, so none is left unreachable.
            guard nodes[s].children == 0 else { continue }
            remove(Int32(s))
            freed.append(Int32(s))
        }
        while out.count < count, let s = freed.popLast() { out.append(s) }
        free.append(contentsOf: freed)
        return out
    }

    private mutating func remove(_ slot: Int32) {
        let key = nodes[Int(slot)].key
        lookup[key] = nil
        if key.parent >= 0 { nodes[Int(key.parent)].children -= 1 }
        nodes[Int(slot)].key.token = -1
        counts.held -= 1
        counts.evicted += 1
    }

    /// Makes `slot` findable as `token` after `parent` (−1: the root), at `depth`.
    mutating func insert(_ slot: Int32, parent: Int32, token: Int, depth: Int) {
        let key = Key(parent: parent, token: Int32(token))
        nodes[Int(slot)] = Node(key: key, depth: Int32(depth), lastUse: clock, children: 0)
        lookup[key] = slot
        if parent >= 0 { nodes[Int(parent)].children += 1 }
        counts.held += 1
    }
}
