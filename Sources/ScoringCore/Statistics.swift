import Foundation
import Synchronization

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
        // Every resample's sum of deltas, from the images where A and B differ only: the
        // draws depend on n and the seed alone, so they are made once (`BootstrapDraws`)
        // and every pair of the same image count reads them. The sums are integers, the
        // same as drawing afresh, in a fraction of the time (a leaderboard pairs many).
        let sums = BootstrapDraws.sums(n: n, resamples: resamples, seed: seed, delta: delta)
        var stats = sums.map { Double($0) / Double(n) }
        stats.sort()
        let alpha = (1 - level) / 2
        low = stats[min(resamples - 1, Int((alpha * Double(resamples)).rounded(.down)))]
        high = stats[min(resamples - 1, Int(((1 - alpha) * Double(resamples)).rounded(.up)) - 1)]
    }

    /// The resamples drawn one by one: what `BootstrapDraws` must equal (tests).
    public static func directSums(n: Int, resamples: Int, seed: UInt64, delta: [Int]) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<resamples).map { _ in
            var s = 0
            for _ in 0..<n { s += delta[Int(rng.next() % UInt64(n))] }
            return s
        }
    }
}

/// How often each image is drawn in each resample of a seeded bootstrap, kept for the last
/// image counts used: `[image][resample]` counts, so that a pair's resample sums are a few
/// rows added (the images where its two candidates differ).
enum BootstrapDraws {
    private struct Key: Hashable { var n: Int, resamples: Int, seed: UInt64 }
    private final class Draws: Sendable {
        let counts: [UInt16]
        init(counts: [UInt16]) { self.counts = counts }
    }
    private static let cache = Mutex<[Key: Draws]>([:])
    /// Draws kept at most (each n × resamples × 2 bytes: 4 MB at 1,000 images).
    private static let kept = 4

    static func sums(n: Int, resamples: Int, seed: UInt64, delta: [Int]) -> [Int] {
        // Beyond 65,535 images a count could (in principle) overflow 16 bits: drawn directly.
        guard n < 65_536, n * resamples <= 64_000_000 else {
            return PairedBootstrap.directSums(n: n, resamples: resamples, seed: seed, delta: delta)
        }
        let draws = draws(Key(n: n, resamples: resamples, seed: seed))
        var sums = [Int](repeating: 0, count: resamples)
        draws.counts.withUnsafeBufferPointer { c in
            sums.withUnsafeMutableBufferPointer { out in
                for i in 0..<n where delta[i] != 0 {
                    let row = c.baseAddress! + i * resamples, d = delta[i]
                    for r in 0..<resamples { out[r] += d * Int(row[r]) }
                }
            }
        }
        return sums
    }

    private static func draws(_ key: Key) -> Draws {
        if let d = cache.withLock({ $0[key] }) { return d }
        // The same sequence as `directSums`: resample by resample, image by image.
        var counts = [UInt16](repeating: 0, count: key.n * key.resamples)
        var rng = SplitMix64(seed: key.seed)
        let n = UInt64(key.n)
        for r in 0..<key.resamples {
            for _ in 0..<key.n { counts[Int(rng.next() % n) * key.resamples + r] += 1 }
        }
        let d = Draws(counts: counts)
        cache.withLock { c in
            if c.count >= kept { c.removeAll() }
            c[key] = d
        }
        return d
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
