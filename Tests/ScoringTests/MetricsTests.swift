import Foundation
import Scoring
import Tensors
import XCTest

final class MetricsTests: XCTestCase {
    /// Four images, three classes, values worked out by hand.
    func testMetricsByHand() {
        let p = Matrix(
            rows: 4, cols: 3,
            storage: [
                0.7, 0.2, 0.1,  // truth 0: right, conf 0.7
                0.1, 0.6, 0.3,  // truth 2: wrong (pred 1), p(true) 0.3
                0.2, 0.3, 0.5,  // truth 2: right, conf 0.5
                0.3, 0.3, 0.4  // truth 1: wrong (pred 2), p(true) 0.3, rank 2 (tie with class 0, which comes first)
            ])
        let m = Metrics(scores: SetScores(probabilities: p), truth: [0, 2, 2, 1])
        XCTAssertEqual(m.count, 4)
        XCTAssertEqual(m.top1, 0.5)
        XCTAssertEqual(m.top5, 1)
        XCTAssertEqual(m.perClassRecall.map { $0 ?? -1 }, [1, 0, 0.5])
        XCTAssertEqual(m.meanPerClassRecall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.meanTrueProbability, (0.7 + 0.3 + 0.5 + 0.3) / 4, accuracy: 1e-6)
        XCTAssertEqual(m.nll, -(log(0.7) + log(0.3) + log(0.5) + log(0.3)) / 4, accuracy: 1e-6)
        // Bins of width 1/15: 0.7 → bin 10 (right), 0.6 → bin 9 (wrong), 0.5 → bin 7 (right), 0.4 → bin 6 (wrong).
        XCTAssertEqual(m.ece, (0.3 + 0.6 + 0.5 + 0.4) / 4, accuracy: 1e-6)
        XCTAssertEqual(m.confusions.count, 2)
        XCTAssertTrue(m.confusions.contains(Metrics.Confusion(truth: 2, predicted: 1, count: 1)))
    }

    func testTop5NeedsTheTrueClassAmongTheFirstFive() {
        let p = Matrix(rows: 1, cols: 7, storage: [0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05])
        XCTAssertEqual(Metrics(scores: SetScores(probabilities: p), truth: [4]).top5, 1)
        XCTAssertEqual(Metrics(scores: SetScores(probabilities: p), truth: [5]).top5, 0)
    }

    /// Exact binomial sums: 2·P(X ≤ 2 | n = 12) = 2·(1 + 12 + 66)/4096.
    func testMcNemarExact() {
        XCTAssertEqual(McNemarTest(onlyA: 10, onlyB: 2).pValue, 2 * 79 / 4096, accuracy: 1e-12)
        XCTAssertEqual(McNemarTest(onlyA: 3, onlyB: 3).pValue, 1)
        XCTAssertEqual(McNemarTest(onlyA: 0, onlyB: 0).pValue, 1)
        XCTAssertEqual(McNemarTest(onlyA: 0, onlyB: 5).pValue, 2 / 32, accuracy: 1e-12)
        // scipy.stats.binomtest(30, 100).pvalue = 7.85013964e-05
        XCTAssertEqual(McNemarTest(onlyA: 30, onlyB: 70).pValue, 7.85013964e-05, accuracy: 1e-12)
    }

    /// statsmodels.stats.proportion.proportion_confint(8, 10, method="wilson") = (0.4901625, 0.9433178)
    func testWilsonInterval() {
        let w = WilsonInterval(successes: 8, total: 10)
        XCTAssertEqual(w.low, 0.4901625, accuracy: 1e-6)
        XCTAssertEqual(w.high, 0.9433178, accuracy: 1e-6)
        XCTAssertEqual(WilsonInterval(successes: 0, total: 0).high, 1)
    }

    func testPairedBootstrap() {
        let a = Array(repeating: true, count: 60) + Array(repeating: false, count: 40)
        let b = Array(repeating: true, count: 80) + Array(repeating: false, count: 20)
        let boot = PairedBootstrap(correctA: a, correctB: b)
        XCTAssertEqual(boot.difference, 0.2, accuracy: 1e-12)
        // 20 discordant pairs all favour B: the difference is a binomial proportion (sd ≈ 0.04).
        XCTAssertGreaterThan(boot.low, 0.1)
        XCTAssertLessThan(boot.high, 0.3)
        XCTAssertLessThan(boot.low, boot.difference)
        XCTAssertGreaterThan(boot.high, boot.difference)
        XCTAssertEqual(PairedBootstrap(correctA: a, correctB: b), boot, "seeded")
        let same = PairedBootstrap(correctA: a, correctB: a)
        XCTAssertEqual(same.low, 0); XCTAssertEqual(same.high, 0)
    }

    /// The draws kept per image count give the sums drawing afresh gives, resample by
    /// resample (integers: equal, not close), so every interval is as before.
    func testKeptDrawsEqualDrawingAfresh() {
        var rng = SplitMix64(seed: 3)
        for n in [1, 2, 7, 100, 1000] {
            let delta = (0..<n).map { _ in Int(rng.next() % 3) - 1 }
            let correctA = delta.map { $0 < 0 }, correctB = delta.map { $0 > 0 }
            let direct = PairedBootstrap.directSums(n: n, resamples: 2000, seed: 42, delta: delta).map { Double($0) / Double(n) }.sorted()
            let boot = PairedBootstrap(correctA: correctA, correctB: correctB)
            XCTAssertEqual(boot.low, direct[50], "n \(n)")  // the 2.5% and 97.5% order statistics of 2,000
            XCTAssertEqual(boot.high, direct[1949], "n \(n)")
            // Twice through the kept draws: the same.
            XCTAssertEqual(PairedBootstrap(correctA: correctA, correctB: correctB), boot)
        }
    }

    func testABComparisonAndSignificance() {
        // 40 images of 2 classes: A is right on all, B wrong on 15 of class 1.
        let truth: [Int?] = (0..<40).map { $0 % 2 }
        let pa = Matrix(rows: 40, cols: 2, storage: truth.flatMap { $0 == 0 ? [Float(0.9), 0.1] : [0.1, 0.9] })
        let pb = Matrix(
            rows: 40, cols: 2,
            storage: truth.enumerated().flatMap { i, t -> [Float] in
                t == 1 && i < 30 ? [0.8, 0.2] : (t == 0 ? [0.9, 0.1] : [0.1, 0.9])
            })
        let c = ABComparison(a: SetScores(probabilities: pa), b: SetScores(probabilities: pb), truth: truth)
        XCTAssertEqual(c.mcnemar.onlyA, 15)
        XCTAssertEqual(c.mcnemar.onlyB, 0)
        XCTAssertEqual(c.difference.difference, -15.0 / 40, accuracy: 1e-12)
        XCTAssertTrue(c.bIsSignificantlyWorse())
        XCTAssertEqual(c.perClassDifference[1]!, -0.75, accuracy: 1e-12)
        XCTAssertEqual(c.rightOnlyUnderA.count, 15)
        XCTAssertFalse(ABComparison(a: SetScores(probabilities: pa), b: SetScores(probabilities: pa), truth: truth).bIsSignificantlyWorse())
    }

    /// Holm's step-down adjustment, worked by hand (statsmodels' multipletests(method="holm")
    /// gives the same): sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, made non-decreasing.
    func testHolmCorrection() {
        let adjusted = HolmCorrection.adjust([0.01, 0.04, 0.03, 0.005])
        for (a, e) in zip(adjusted, [0.03, 0.06, 0.06, 0.02]) { XCTAssertEqual(a, e, accuracy: 1e-12) }
        XCTAssertEqual(HolmCorrection.adjust([0.3]), [0.3], "one comparison: unchanged")
        XCTAssertEqual(HolmCorrection.adjust([0.6, 0.5]), [1, 1], "capped at 1")
    }

    /// Ranked by top-1; each against the best and against the reference; with two
    /// candidates the pair is exactly A/B's (the same bootstrap and McNemar).
    func testLeaderboard() {
        let ref = Array(repeating: true, count: 30) + Array(repeating: false, count: 10)
        let worse = Array(repeating: true, count: 10) + Array(repeating: false, count: 30)
        let best = Array(repeating: true, count: 38) + Array(repeating: false, count: 2)
        let board = Leaderboard(correct: [ref, worse, best])
        XCTAssertEqual(board.order, [2, 0, 1])
        XCTAssertNil(board.versusBest[2])
        XCTAssertNil(board.versusReference[0])
        XCTAssertEqual(board.versusReference[1]?.difference.difference ?? 0, -0.5, accuracy: 1e-12)
        XCTAssertEqual(board.versusReference[1]?.mcnemar.onlyA, 20)
        XCTAssertEqual(board.versusReference[1]?.mcnemar.onlyB, 0)
        XCTAssertTrue(board.versusReference[1]?.significantlyWorse ?? false)
        XCTAssertFalse(board.versusReference[2]?.significantlyWorse ?? true)
        XCTAssertTrue(board.anyWorseThanReference)
        let ps = [board.versusReference[1]!.mcnemar.pValue, board.versusReference[2]!.mcnemar.pValue]
        XCTAssertEqual([board.versusReference[1]!.pHolm, board.versusReference[2]!.pHolm], HolmCorrection.adjust(ps))
        let pair = Leaderboard(correct: [ref, best])
        let truth: [Int?] = Array(repeating: 0, count: 40)
        let ab = ABComparison(
            a: SetScores(probabilities: Matrix(rows: 40, cols: 2, storage: ref.flatMap { $0 ? [Float(0.9), 0.1] : [0.1, 0.9] })),
            b: SetScores(probabilities: Matrix(rows: 40, cols: 2, storage: best.flatMap { $0 ? [Float(0.9), 0.1] : [0.1, 0.9] })),
            truth: truth)
        XCTAssertEqual(pair.versusReference[1]?.difference, ab.difference)
        XCTAssertEqual(pair.versusReference[1]?.mcnemar, ab.mcnemar)
        XCTAssertEqual(pair.versusReference[1]?.pHolm, ab.mcnemar.pValue)
    }
}
