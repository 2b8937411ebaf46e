import CKernels

/// What a softmax over each row of cosines leaves for the screen and the metrics: the
/// first largest class, the row's log-sum-exp, the top probability and its lead over the
/// second. In C (`clip_softmax_rows`): Cephes' exp eight lanes at a time, AVX2 where the CPU
/// has it, the same operations as `FastMath.exp`, which Swift compiles to SSE for a
/// baseline x86-64 target (70 ms for 10,000 images × 1,000 classes on one core).
public enum SoftmaxRows {
    public struct Summary {
        public var best: [Int]
        public var logSumExp: [Float]
        public var confidence: [Float]
        public var margin: [Float]
        public init(best: [Int], logSumExp: [Float], confidence: [Float], margin: [Float]) {
            self.best = best; self.logSumExp = logSumExp; self.confidence = confidence; self.margin = margin
        }
    }

    /// Rows of `cosines` at `scale` (`[images, classes]`, at least one class).
    public static func summarize(_ cosines: Matrix, scale: Float) -> Summary {
        let n = cosines.rows, k = cosines.cols
        precondition(k > 0, "a class at least")
        var best = [Int64](repeating: 0, count: n)
        var summary = Summary(
            best: [], logSumExp: [Float](repeating: 0, count: n), confidence: [Float](repeating: 0, count: n),
            margin: [Float](repeating: 0, count: n))
        var scratch = [Float](repeating: 0, count: k)
        clip_softmax_rows(
            cosines.storage, Int64(n), Int64(k), scale, &scratch, &best, &summary.logSumExp, &summary.confidence, &summary.margin)
        summary.best = best.map { Int($0) }
        return summary
    }

    /// The portable loops only (true), or the CPU's choice (false), for the softmax and
    /// every kernel that shares its switch (QuickGELU, attention, LayerNorm): for the tests.
    public static func forcePortable(_ on: Bool) { clip_softmax_force_portable(on ? 1 : 0) }
}
