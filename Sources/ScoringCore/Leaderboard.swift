import Foundation

/// Holm's step-down correction of p-values for several comparisons (Holm 1979): the i-th
/// smallest of m p-values is multiplied by m − i + 1, and the adjusted values are made
/// non-decreasing in that order; each is at most 1. It controls the family-wise error
/// rate without assuming independence.
public enum HolmCorrection {
    /// The adjusted p-values, in the order given.
    public static func adjust(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }
}

/// Any number of candidates (a model and a template set each) on the same labelled
/// images: ranked by top-1, each paired against the best and against the reference (the
/// first), with McNemar's p-values Holm-corrected within each family of comparisons.
public struct Leaderboard: Sendable {
    /// One candidate paired with another on the same images.
    public struct Paired: Sendable, Equatable, Codable {
        /// This candidate's top-1 minus the other's, with a paired bootstrap interval.
        public let difference: PairedBootstrap
        /// McNemar's exact test on the images only one of the two gets right (`only_a`: the
        /// other candidate, `only_b`: this one).
        public let mcnemar: McNemarTest
        /// McNemar's p after Holm's correction over the family's comparisons.
        public let pHolm: Double
        /// Worse with confidence: the whole interval below 0 and the corrected p < alpha.
        public let significantlyWorse: Bool

        enum CodingKeys: String, CodingKey {
            case difference, mcnemar, pHolm = "p_holm", significantlyWorse = "significantly_worse"
        }
    }

    /// Candidates by decreasing top-1 (ties keep the given order).
    public let order: [Int]
    /// Per candidate: top-1 over the labelled images, and its Wilson 95% interval.
    public let top1: [Double]
    public let intervals: [WilsonInterval]
    /// Per candidate, against the best (nil for the best itself).
    public let versusBest: [Paired?]
    /// Per candidate, against the reference, candidate 0 (nil for the reference; all nil
    /// when not asked for).
    public let versusReference: [Paired?]

    /// - Parameter correct: per candidate, right or wrong on each labelled image, the
    ///   images in the same order for every candidate.
    ///   `againstReference`: also pair every candidate with the first (`--fail-if-worse`);
    ///   a session's leaderboard ranks against the best only, and saves the bootstraps.
    public init(correct: [[Bool]], alpha: Double = 0.05, againstReference: Bool = true) {
        precondition(Set(correct.map(\.count)).count <= 1, "the same images for every candidate")
        let n = correct.first?.count ?? 0
        let top1 = correct.map { c in n > 0 ? Double(c.filter { $0 }.count) / Double(n) : 0 }
        let order = correct.indices.sorted { (-top1[$0], $0) < (-top1[$1], $1) }
        self.top1 = top1
        self.order = order
        intervals = correct.map { c in WilsonInterval(successes: c.filter { $0 }.count, total: n) }
        versusBest = correct.isEmpty ? [] : Self.family(correct, against: order[0], alpha: alpha)
        versusReference =
            correct.isEmpty ? [] : againstReference ? Self.family(correct, against: 0, alpha: alpha) : correct.map { _ in nil }
    }

    /// Every candidate but `other` paired against it, p-values corrected over the family.
    private static func family(_ correct: [[Bool]], against other: Int, alpha: Double) -> [Paired?] {
        let others = correct.indices.filter { $0 != other }
        let tests = others.map { i -> (PairedBootstrap, McNemarTest) in
            var onlyThis = 0, onlyOther = 0
            for (a, b) in zip(correct[i], correct[other]) {
                if a && !b { onlyThis += 1 }
                if b && !a { onlyOther += 1 }
            }
            // As in A/B, with A the other (the best, the reference) and B this candidate:
            // the difference is B − A, McNemar's only_a the other's, only_b this one's.
            return (PairedBootstrap(correctA: correct[other], correctB: correct[i]), McNemarTest(onlyA: onlyOther, onlyB: onlyThis))
        }
        let adjusted = HolmCorrection.adjust(tests.map(\.1.pValue))
        var out = [Paired?](repeating: nil, count: correct.count)
        for (k, i) in others.enumerated() {
            let (d, m) = tests[k]
            out[i] = Paired(difference: d, mcnemar: m, pHolm: adjusted[k], significantlyWorse: d.high < 0 && adjusted[k] < alpha)
        }
        return out
    }

    /// Whether any candidate is significantly worse than the reference (`--fail-if-worse`).
    public var anyWorseThanReference: Bool { versusReference.contains { $0?.significantlyWorse == true } }
}
