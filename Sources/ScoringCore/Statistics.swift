import Foundation

/// McNemar's exact test on paired right/wrong outcomes: under "A and B are equally
/// accurate", the discordant pairs split as a fair coin.
public struct McNemarTest: Sendable, Equatable, Codable {
    /// Images A got right and B wrong.
    public let onlyA: Int
    /// Images B got right and A wrong.
    public let onlyB: Int
    /// Two-sided exact p-value: min(1, 2 · P(X ≤ min(onlyA, onlyB))), X ~ Binomial(onlyA + onlyB, ½).
    public let pValue: Double

    enum CodingKeys: String, CodingKey { case onlyA = "only_a", onlyB = "only_b", pValue = "p_value" }

    public init(onlyA: Int, onlyB: Int) {
        self.onlyA = onlyA
        self.onlyB = onlyB
        let n = onlyA + onlyB
        guard n > 0 else { pValue = 1; return }
        let k = min(onlyA, onlyB)
        // Sum of C(n, i) / 2^n for i ≤ k, in logs so that large n does not overflow.
        var total = 0.0
        for i in 0...k {
            total += exp(Self.logChoose(n, i) - Double(n) * log(2))
        }
        pValue = min(1, 2 * total)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}

/// Wilson's score interval for a proportion (95% by default).
public struct WilsonInterval: Sendable, Equatable, Codable {
    public let low: Double
    public let high: Double

    public init(successes: Int, total: Int, z: Double = 1.959963984540054) {
        guard total > 0 else { low = 0; high = 1; return }
        let n = Double(total), p = Double(successes) / n
        let denominator = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denominator
        let half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()) / denominator
        low = max(0, centre - half)
        high = min(1, centre + half)
    }
}

/// A percentile interval for the accuracy difference B − A by resampling images with
/// replacement, pairs kept together. Seeded, so the same inputs give the same interval.
public struct PairedBootstrap: Sendable, Equatable, Codable {
    public let difference: Double
    public let low: Double
    public let high: Double
    public let resamples: Int

    public init(correctA: [Bool], correctB: [Bool], resamples: Int = 2000, level: Double = 0.95, seed: UInt64 = 42) {
        precondition(correctA.count == correctB.count)
        let n = correctA.count
        let delta = zip(correctA, correctB).map { (a, b) -> Int in (b ? 1 : 0) - (a ? 1 : 0) }
        difference = n > 0 ? Double(delta.reduce(0, +)) / Double(n) : 0
        self.resamples = resamples
        guard n > 0, resamples > 0 else { low = difference; high = difference; return }
        var rng = SplitMix64(seed: seed)
        var stats: [Double] = []
        stats.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var s = 0
            for _ in 0..<n { s += delta[Int(rng.next() % UInt64(n))] }
            stats.append(Double(s) / Double(n))
        }
        stats.sort()
        let alpha = (1 - level) / 2
        low = stats[min(resamples - 1, Int((alpha * Double(resamples)).rounded(.down)))]
        high = stats[min(resamples - 1, Int(((1 - alpha) * Double(resamples)).rounded(.up)) - 1)]
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
