import CKernels

/// How many rows' first largest score is their truth, for scores of the form
/// `(a[rows[r]][c] · p[c] + q[c] · b[r][c]) · m[c]`: the template effects' inner loop, run
/// over templates × images × classes after every edit (80 million scores at ImageNet
/// scale). In C, built for AVX2 and chosen at run time (`clip_kernels.h`): Swift's SIMD
/// types compile to SSE for a baseline x86-64 target, at a fifth of the speed.
public enum ArgmaxHits {
    /// - Parameters:
    ///   - a: rows of `k` (the ensemble's cosines); `rows[r]` is row r's.
    ///   - b: one row of `k` per r (a template's products).
    ///   - p, q, m: one per class.
    ///   - truth: row r's true class.
    public static func count(
        a: Matrix, rows: [Int32], b: Matrix, p: [Float], q: [Float], m: [Float], truth: [Int32]
    ) -> Int {
        let k = a.cols
        precondition(b.cols == k && p.count == k && q.count == k && m.count == k, "one figure per class")
        precondition(rows.count == truth.count && b.rows >= rows.count, "one truth and one row of b per row")
        precondition(rows.allSatisfy { $0 >= 0 && Int($0) < a.rows }, "rows of a")
        return Int(
            clip_argmax_hits(a.storage, rows, b.storage, p, q, m, truth, Int64(rows.count), Int64(k)))
    }

    /// Whether the AVX2 kernel runs on this CPU.
    public static var usesAVX2: Bool { clip_kernels_avx2() != 0 }

    /// The portable kernel only (true), or the CPU's choice (false): for the tests.
    public static func forcePortable(_ on: Bool) { clip_kernels_force_portable(on ? 1 : 0) }
}
