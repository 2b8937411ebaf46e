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

    /// Each row's classes that can be its first maximum of any score whose coefficients lie
    /// in per-class bounds (`clip_argmax_candidates`): for every set of coefficients that
    /// will be counted, `p[c]·m[c]` in `low[c]...high[c]` and `|q[c]·b[r][c]|·m[c]` at most
    /// `spread[c]`. A template's figures then scan a few classes per image, not all of them.
    public struct Candidates: Sendable {
        public let offsets: [Int64]
        public let indices: [Int32]
        /// Classes kept per row, on average.
        public var perRow: Double { offsets.count > 1 ? Double(indices.count) / Double(offsets.count - 1) : 0 }
    }

    public static func candidates(a: Matrix, rows: [Int32], low: [Double], high: [Double], spread: [Double]) -> Candidates {
        let k = a.cols, n = rows.count
        precondition(low.count == k && high.count == k && spread.count == k, "one bound per class")
        precondition(rows.allSatisfy { $0 >= 0 && Int($0) < a.rows }, "rows of a")
        var offsets = [Int64](repeating: 0, count: n + 1)
        // Room for every class of every row, written only as far as kept (about 9 of 1,000
        // a row): not cleared first, so that the pages never written are never touched (a
        // 4 MB clear and its page faults at every key otherwise).
        let indices = [Int32](unsafeUninitializedCapacity: max(1, n * k)) { buffer, count in
            count = Int(clip_argmax_candidates(a.storage, rows, Int64(n), Int64(k), low, high, spread, &offsets, buffer.baseAddress!))
        }
        return Candidates(offsets: offsets, indices: indices)
    }

    /// `count(a:rows:b:p:q:m:truth:)` over each row's `candidates` only: the same count
    /// when the coefficients lie in the bounds the candidates were chosen with.
    public static func count(
        a: Matrix, rows: [Int32], b: Matrix, p: [Float], q: [Float], m: [Float], truth: [Int32], among candidates: Candidates
    ) -> Int {
        let k = a.cols
        precondition(b.cols == k && p.count == k && q.count == k && m.count == k, "one figure per class")
        precondition(rows.count == truth.count && b.rows >= rows.count, "one truth and one row of b per row")
        precondition(candidates.offsets.count == rows.count + 1, "candidates of these rows")
        return Int(
            clip_argmax_hits_among(
                a.storage, rows, b.storage, p, q, m, truth, candidates.offsets, candidates.indices, Int64(rows.count), Int64(k)))
    }

    /// `count(…, among:)` read from a slab holding a superset of each row's candidates:
    /// `slab.values` are one template's products at `slab.classes`, `slab.cosines` the
    /// cosines there. The same count, read from a few contiguous KB rather than from
    /// scattered places in a 4 MB product.
    public static func count(p: [Float], q: [Float], m: [Float], truth: [Int32], slab: SlabView) -> Int {
        let k = p.count, n = truth.count, size = slab.classes.count
        precondition(q.count == k && m.count == k, "one figure per class")
        precondition(slab.held.count == n && slab.starts.count == n + 1 && slab.starts[n] == size, "a room per row")
        precondition(slab.cosines.count == size && slab.values.count == size, "one cosine and value per class held")
        precondition((0..<n).allSatisfy { slab.held[$0] >= 0 && slab.starts[$0] + Int64(slab.held[$0]) <= slab.starts[$0 + 1] }, "rows within their room")
        precondition(slab.truthAt.count == n, "the truth's place in each row")
        return Int(
            clip_argmax_hits_slab(
                p, q, m, truth, slab.starts, slab.held, slab.classes, slab.truthAt, slab.cosines, slab.values, Int64(n)))
    }

    /// What `count(…, slab:)` reads of a slab: per row where its classes start and how
    /// many it holds, the classes (ascending per row, each class below `p.count`), and the
    /// cosines and one template's products at them. `truthAt`: where each row's truth sits
    /// among its classes (`SlabView.truthPlaces`; −1: not held).
    public struct SlabView {
        public let starts: [Int64]
        public let held: [Int32]
        public let classes: [Int32]
        public let truthAt: [Int32]
        public let cosines: [Float]
        public let values: [Float]
        public init(starts: [Int64], held: [Int32], classes: [Int32], truthAt: [Int32], cosines: [Float], values: [Float]) {
            self.starts = starts
            self.held = held
            self.classes = classes
            self.truthAt = truthAt
            self.cosines = cosines
            self.values = values
        }

        /// Where `truth[r]` sits among row r's held classes (−1: not held).
        public static func truthPlaces(starts: [Int64], held: [Int32], classes: [Int32], truth: [Int32]) -> [Int32] {
            truth.indices.map { r in
                let s = Int(starts[r])
                for j in 0..<Int(held[r]) where classes[s + j] == truth[r] { return Int32(j) }
                return -1
            }
        }
    }

    /// One template's leave-one-out coefficients (p, q, m of `count`) per class, and the
    /// bounds `candidates` takes widened to hold them (`clip_loo_coefficients`): from the
    /// dots S_c·u_tc, ‖u_tc‖², ‖S_c‖, each class's prompt count and the prompts the
    /// template gives it (`names`, 0 for a class with its own sentences), at weight `wt`.
    public static func leaveOneOutCoefficients(
        dots: [Float], normSquared: [Float], sNorm: [Double], sCount: [Int64], names: [Int64], weight wt: Double,
        low: inout [Double], high: inout [Double], spread: inout [Double]
    ) -> (p: [Float], q: [Float], m: [Float]) {
        let k = dots.count
        precondition(
            [normSquared.count, sNorm.count, sCount.count, names.count, low.count, high.count, spread.count].allSatisfy { $0 == k },
            "one figure per class")
        var p = [Float](repeating: 0, count: k), q = [Float](repeating: 0, count: k), m = [Float](repeating: 0, count: k)
        clip_loo_coefficients(Int64(k), dots, normSquared, sNorm, sCount, names, wt, &p, &q, &m, &low, &high, &spread)
        return (p, q, m)
    }

    /// Whether the AVX2 kernel runs on this CPU.
    public static var usesAVX2: Bool { clip_kernels_avx2() != 0 }

    /// The portable kernel only (true), or the CPU's choice (false): for the tests.
    public static func forcePortable(_ on: Bool) { clip_kernels_force_portable(on ? 1 : 0) }
}
