/// The token sequences of a batch, merged where they share a prefix.
///
/// The text transformer's mask is causal, so the state at position t depends only on
/// tokens 0...t: sequences that begin alike ("a photo of a" for every label) share those
/// states. Each distinct prefix is one node, computed once. A sequence may also begin with
/// prefixes computed by an earlier call (`TextStateCache`): those are read, not nodes.
struct PrefixTree {
    /// Token id and position of each node; nodes come after their parents.
    private(set) var tokens: [Int] = []
    private(set) var positions: [Int] = []
    /// The chain from the root to each node, itself last: what its attention reads. A
    /// cached prefix's slot s appears as −(s + 1).
    private(set) var ancestors: [[Int32]] = []
    /// Each node's parent: a node (≥ 0), the root (−1), or cached slot s as −(s + 2).
    private(set) var parents: [Int] = []
    /// For each sequence, the node whose state is pooled.
    private(set) var pooled: [Int] = []

    private var children: [Int: [Int: Int]] = [:]  // parent (as in `parents`) → token → node

    /// - Parameter reused: for each sequence (or none), the cached slots of its first tokens;
    ///   nodes start after them. At least the last token of each sequence is a node.
    init(sequences: [[Int]], share: Bool, reused: [[Int32]] = []) {
        for (i, sequence) in sequences.enumerated() {
            let past = i < reused.count ? reused[i] : []
            precondition(past.count < sequence.count, "the pooled token is always computed")
            var parent = past.last.map { -Int($0) - 2 } ?? -1
            let base = past.map { -$0 - 1 }
            var chain: [Int32]? = nil  // the current parent's chain, when it is a node
            for position in past.count..<sequence.count {
                let token = sequence[position]
                if share, let existing = children[parent]?[token] {
                    parent = existing
                    chain = nil
                    continue
                }
                let node = tokens.count
                tokens.append(token)
                positions.append(position)
                let before = parent >= 0 ? (chain ?? ancestors[parent]) : base
                let mine = before + [Int32(node)]
                ancestors.append(mine)
                parents.append(parent)
                if share { children[parent, default: [:]][token] = node }
                parent = node
                chain = mine
            }
            pooled.append(parent)
        }
    }

    var count: Int { tokens.count }
}
