import CBLAS
import Synchronization

/// The one place that calls OpenBLAS.
public enum BLAS {
    /// Threads OpenBLAS uses for the next products (what `withThreads` sets per call).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// Threads OpenBLAS uses now for one product.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    private static let limit = Atomic<Int>(1)

    /// The most threads a product may use; the commands set it from `--threads`, their
    /// environment, or the cores the process may use (`CPUBudget.available`). Products below
    /// the size where a second thread pays stay on one (`withThreads`).
    public static var threadLimit: Int {
        get { limit.load(ordering: .relaxed) }
        set { limit.store(max(1, newValue), ordering: .relaxed); setThreads(newValue) }
    }

    /// Runs `body` with the threads that pay for work of `rows` rows: one below
    /// `minimumRows` (threads cost more than they give there), else the limit less the
    /// cores other processes keep busy (a thread on a busy core holds the others back).
    public static func withThreads<T>(rows: Int, minimumRows: Int, _ body: () throws -> T) rethrows -> T {
        let cap = threadLimit
        var n = 1
        if cap > 1, rows >= minimumRows {
            n = max(1, min(cap, cap - Int(CPUBudget.coresBusyElsewhere().rounded())))
        }
        if n != threads { setThreads(n) }
        return try body()
    }

    /// C = alpha · op(A) · op(B) + beta · C on raw row-major buffers with leading dimensions.
    ///
    /// - Parameters: `m × k` for op(A), `k × n` for op(B), `m × n` for C.
    @inlinable
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Writes the transpose of a `rows × cols` row-major block (row stride `lda`) to `b`
    /// (`cols × rows`, row stride `ldb`): OpenBLAS's `somatcopy`, several times faster than a
    /// loop when strides are powers of two apart (cache-set conflicts).
    public static func transpose(
        _ a: UnsafePointer<Float>, rows: Int, cols: Int, lda: Int,
        into b: UnsafeMutablePointer<Float>, ldb: Int
    ) {
        guard rows > 0, cols > 0 else { return }
        cblas_somatcopy(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), 1, a, Int32(lda), b, Int32(ldb))
    }

    /// `op(a) · op(b)` as a new matrix.
    public static func matmul(_ a: Matrix, _ b: Matrix, transA: Bool = false, transB: Bool = false) -> Matrix {
        let m = transA ? a.cols : a.rows
        let k = transA ? a.rows : a.cols
        let kb = transB ? b.cols : b.rows
        let n = transB ? b.rows : b.cols
        precondition(k == kb, "matmul: inner dimensions \(k) and \(kb) differ")
        // Not zero-filled first: with beta = 0 sgemm writes every element of C without
        // reading it (OpenBLAS clears C itself), and a 40 MB memset is a tenth of an edit's
        // time at 10,000 × 1,000.
        let storage = [Float](unsafeUninitializedCapacity: m * n) { pc, count in
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    if m > 0, n > 0, k > 0 {
                        gemm(
                            transA: transA, transB: transB, m: m, n: n, k: k, a: pa.baseAddress!, lda: a.cols,
                            b: pb.baseAddress!, ldb: b.cols, c: pc.baseAddress!, ldc: n)
                    } else if m * n > 0 {
                        pc.baseAddress!.initialize(repeating: 0, count: m * n)
                    }
                }
            }
            count = m * n
        }
        return Matrix(rows: m, cols: n, storage: storage)
    }

    /// `a · bᵀ` in float64, `a` `[m, k]` and `b` `[n, k]` row-major: for fits whose results
    /// are compared with a float64 reference to 1e-6 (float32 products would move them by
    /// 1e-7 of every cosine before an optimiser amplifies it).
    public static func matmulTransB(_ a: [Double], rows m: Int, _ b: [Double], rows n: Int, inner k: Int) -> [Double] {
        precondition(a.count == m * k && b.count == n * k, "matmulTransB: shapes [\(m), \(k)] and [\(n), \(k)] do not fit")
        return dgemm(a, b, m: m, n: n, k: k, transA: false, transB: true)
    }

    /// `aᵀ · b` in float64, `a` `[r, m]` and `b` `[r, n]` row-major: a sum over rows (a
    /// gradient's), without transposing either.
    public static func matmulTransA(_ a: [Double], _ b: [Double], rows r: Int, colsA m: Int, colsB n: Int) -> [Double] {
        precondition(a.count == r * m && b.count == r * n, "matmulTransA: shapes [\(r), \(m)] and [\(r), \(n)] do not fit")
        return dgemm(a, b, m: m, n: n, k: r, transA: true, transB: false)
    }

    /// `op(a) · op(b)` `[m, n]` in float64, both row-major as stored.
    private static func dgemm(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(
                        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                        pa.baseAddress!, Int32(transA ? m : k), pb.baseAddress!, Int32(transB ? k : n), 0, pc.baseAddress!, Int32(n))
                }
            }
        }
        return c
    }

    /// `c + aᵀ · x` in float64, `a` `[rows, cols]` row-major, `x` `rows` long: a weighted
    /// sum of `a`'s rows, in one pass over it.
    public static func rowCombination(_ a: [Double], rows: Int, cols: Int, weights x: [Double], adding c: [Double]) -> [Double] {
        precondition(a.count == rows * cols && x.count == rows && c.count == cols, "rowCombination: shapes do not fit")
        var y = c
        guard rows > 0, cols > 0 else { return y }
        a.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(cols), 1, pa.baseAddress!, Int32(cols), px.baseAddress!, 1, 1, py.baseAddress!, 1)
                }
            }
        }
        return y
    }

    /// `a · x` in float64, `a` `[rows, cols]` row-major: each row's dot product with `x`.
    public static func rowDots(_ a: [Double], rows: Int, cols: Int, _ x: [Double]) -> [Double] {
        precondition(a.count == rows * cols && x.count == cols, "rowDots: shapes do not fit")
        var y = [Double](repeating: 0, count: rows)
        guard rows > 0, cols > 0 else { return y }
        a.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(rows), Int32(cols), 1, pa.baseAddress!, Int32(cols), px.baseAddress!, 1, 0, py.baseAddress!, 1)
                }
            }
        }
        return y
    }
}
