/// The part of an A/B comparison that costs one pass over the predictions: each set's top-1
/// with its Wilson interval, McNemar's exact test, the flips.
public struct QuickComparison: Sendable, Equatable {
    public let labelled: Int
    public let top1A: Double
    public let top1B: Double
    public let intervalA: WilsonInterval
    public let intervalB: WilsonInterval
    public let mcnemar: McNemarTest

    /// nil when no image has a class among the labels.
    public init?(a: SetScores, b: SetScores, truth: [Int?]) {
        var n = 0, hitsA = 0, hitsB = 0, onlyA = 0, onlyB = 0
        for (i, t) in truth.enumerated() {
            guard let t else { continue }
            n += 1
            let ra = a.predictions[i] == t, rb = b.predictions[i] == t
            if ra { hitsA += 1 }
            if rb { hitsB += 1 }
            if ra && !rb { onlyA += 1 }
            if rb && !ra { onlyB += 1 }
        }
        guard n > 0, a.classCount > 0 else { return nil }
        labelled = n
        top1A = Double(hitsA) / Double(n)
        top1B = Double(hitsB) / Double(n)
        intervalA = WilsonInterval(successes: hitsA, total: n)
        intervalB = WilsonInterval(successes: hitsB, total: n)
        mcnemar = McNemarTest(onlyA: onlyA, onlyB: onlyB)
    }
}
