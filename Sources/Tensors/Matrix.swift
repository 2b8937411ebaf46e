/// A dense row-major matrix of Float: `rows × cols`, element (r, c) at `r * cols + c`.
public struct Matrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Floats per row.
    public let cols: Int
    /// `rows × cols` floats, row-major.
    public var storage: [Float]

    /// `storage` must hold `rows × cols` floats, row-major.
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "storage holds \(storage.count), shape needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A `rows × cols` matrix of zeros.
    public init(zeros rows: Int, _ cols: Int) {
        self.init(rows: rows, cols: cols, storage: [Float](repeating: 0, count: rows * cols))
    }

    /// The element at (`row`, `col`), both from 0.
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
