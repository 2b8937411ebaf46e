/// Row operations on embedding matrices.
extension Matrix {
    /// Each row divided by its L2 norm (rows of zeros stay zero).
    public func rowNormalized() -> Matrix {
        var out = self
        out.storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                let row = p.baseAddress! + r * cols
                var sq: Double = 0
                for i in 0..<cols { sq += Double(row[i]) * Double(row[i]) }
                guard sq > 0 else { continue }
                let inv = Float(1 / sq.squareRoot())
                for i in 0..<cols { row[i] *= inv }
            }
        }
        return out
    }
}
