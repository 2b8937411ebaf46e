/// The token sequences of a batch, merged where they share a prefix.
///
/// The text transformer's mask is causal, so the state at position t depends only on
/// tokens 0...t: sequences that begin alike ("a photo of a" for every label) share those
/// states. Each distinct prefix is one node, computed once.
struct PrefixTree {
    /// Token id and position of each node; nodes come after their parents.
    private(set) var tokens: [Int] = []
    private(set) var positions: [Int] = []
    /// The chain from the root to each node, itself last: what its attention reads.
    private(set) var ancestors: [[Int32]] = []
    /// For each sequence, the node whose state is pooled.
    private(set) var pooled: [Int] = []

    private var children: [Int: [Int: Int]] = [:]  // parent node (−1 = root) → token → node

    init(sequences: [[Int]], share: Bool) {
        for sequence in sequences {
            var parent = -1
            for (position, token) in sequence.enumerated() {
                if share, let existing = children[parent]?[token] {
                    parent = existing
                    continue
                }
                let node = tokens.count
                tokens.append(token)
                positions.append(position)
                ancestors.append((parent >= 0 ? ancestors[parent] : []) + [Int32(node)])
                if share { children[parent, default: [:]][token] = node }
                parent = node
            }
            pooled.append(parent)
        }
    }

    var count: Int { tokens.count }
}
