/// Two template sets on the same labelled images.
public struct ABComparison: Sendable, Codable {
    /// Template set A's metrics on the labelled images.
    public let a: Metrics
    /// Template set B's metrics on the same images.
    public let b: Metrics
    /// Wilson 95% interval of A's top-1.
    public let intervalA: WilsonInterval
    /// Wilson 95% interval of B's top-1.
    public let intervalB: WilsonInterval
    /// Top-1 of B minus top-1 of A, with a paired bootstrap 95% interval.
    public let difference: PairedBootstrap
    /// Exact McNemar test on the images where exactly one set is right.
    public let mcnemar: McNemarTest
    /// Per class: recall of B minus recall of A (nil where the class has no labelled image).
    public let perClassDifference: [Double?]
    /// Images (indices into the scored list) right under A only and under B only.
    public let rightOnlyUnderA: [Int]
    /// Images right under B only.
    public let rightOnlyUnderB: [Int]

    enum CodingKeys: String, CodingKey {
        case a, b, intervalA = "top1_interval_a", intervalB = "top1_interval_b", difference, mcnemar
        case perClassDifference = "per_class_difference", rightOnlyUnderA = "right_only_under_a"
        case rightOnlyUnderB = "right_only_under_b"
    }

    /// Compares two sets' scores over the same images; `truth` holds each image's class
    /// index (nil: unlabelled).
    public init(a scoresA: SetScores, b scoresB: SetScores, truth: [Int?]) {
        self.init(
            a: Metrics(scores: scoresA, truth: truth), b: Metrics(scores: scoresB, truth: truth),
            predictionsA: scoresA.predictions, predictionsB: scoresB.predictions, truth: truth)
    }

    /// The same from metrics already computed (the engine's statistics stage has them).
    public init(a metricsA: Metrics, b metricsB: Metrics, predictionsA predA: [Int?], predictionsB predB: [Int?], truth: [Int?]) {
        a = metricsA
        b = metricsB
        var correctA: [Bool] = [], correctB: [Bool] = []
        var onlyA: [Int] = [], onlyB: [Int] = []
        for (i, t) in truth.enumerated() {
            guard let t else { continue }
            let ra = predA[i] == t, rb = predB[i] == t
            correctA.append(ra); correctB.append(rb)
            if ra && !rb { onlyA.append(i) }
            if rb && !ra { onlyB.append(i) }
        }
        intervalA = WilsonInterval(successes: correctA.filter { $0 }.count, total: correctA.count)
        intervalB = WilsonInterval(successes: correctB.filter { $0 }.count, total: correctB.count)
        difference = PairedBootstrap(correctA: correctA, correctB: correctB)
        mcnemar = McNemarTest(onlyA: onlyA.count, onlyB: onlyB.count)
        perClassDifference = zip(a.perClassRecall, b.perClassRecall).map { ra, rb in
            guard let ra, let rb else { return nil }
            return rb - ra
        }
        rightOnlyUnderA = onlyA
        rightOnlyUnderB = onlyB
    }

    /// B is worse with confidence: the interval of B − A lies below zero and McNemar's test
    /// rejects equality at `alpha`.
    public func bIsSignificantlyWorse(alpha: Double = 0.05) -> Bool {
        difference.high < 0 && mcnemar.pValue < alpha
    }
}
