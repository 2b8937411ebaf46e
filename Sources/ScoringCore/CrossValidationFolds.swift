/// Which fold each of `count` items falls in, k-fold, seeded: the items are ordered by a
/// SplitMix64 key each (ties by position) and dealt out round-robin. Written so that a
/// few lines of Python give the same folds (`scripts/weights_reference.py`), which a
/// shuffle's algorithm would not.
public struct CrossValidationFolds: Sendable, Equatable {
    /// The fold of each item, `0..<folds`.
    public let fold: [Int]
    /// Folds used: `k`, or fewer when there are fewer items.
    public let folds: Int

    public init(count: Int, folds k: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let keys = (0..<count).map { _ in rng.next() }
        let order = (0..<count).sorted { (keys[$0], $0) < (keys[$1], $1) }
        folds = max(1, min(k, count))
        var fold = [Int](repeating: 0, count: count)
        for (rank, item) in order.enumerated() { fold[item] = rank % folds }
        self.fold = fold
    }

    /// Items outside fold `f` (what a fold's fit sees) and inside it (what it is judged on).
    public func split(_ f: Int) -> (train: [Int], test: [Int]) {
        var train: [Int] = [], test: [Int] = []
        for (i, g) in fold.enumerated() { if g == f { test.append(i) } else { train.append(i) } }
        return (train, test)
    }
}
