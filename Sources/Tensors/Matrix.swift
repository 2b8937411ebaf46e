/// A dense row-major matrix of Float: `rows × cols`, element (r, c) at `r * cols + c`.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public var storage: [Float]

    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "storage holds \(storage.count), shape needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    public init(zeros rows: Int, _ cols: Int) {
        self.init(rows: rows, cols: cols, storage: [Float](repeating: 0, count: rows * cols))
    }

    public subscript(row: Int, col: Int) -> Float {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// One row as an array.
    public func row(_ r: Int) -> [Float] { Array(storage[(r * cols)..<((r + 1) * cols)]) }

    /// The transpose, `cols × rows`.
    public func transposed() -> Matrix {
        let storage = [Float](unsafeUninitializedCapacity: rows * cols) { dst, count in
            self.storage.withUnsafeBufferPointer { src in
                BLAS.transpose(src.baseAddress!, rows: rows, cols: cols, lda: cols, into: dst.baseAddress!, ldb: rows)
            }
            count = rows * cols
        }
        return Matrix(rows: cols, cols: rows, storage: storage)
    }
}
