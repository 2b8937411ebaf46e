/// `torch.nn.LayerNorm` over the last dimension: (x − mean) / √(var + eps) · γ + β.
public struct LayerNorm: Sendable {
    /// Per-feature gain, `width` values.
    public let weight: [Float]
    /// Per-feature offset, `width` values.
    public let bias: [Float]
    /// Added to the variance before the square root.
    public let eps: Float

    /// `weight` and `bias` of equal length.
    public init(weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count)
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// Features per row.
    public var width: Int { weight.count }

    /// Normalises `rows` rows of `input` (stride `width`) into `output`.
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let n = width
        weight.withUnsafeBufferPointer { g in
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let x = input + r * n
                    let y = output + r * n
                    // Two passes in Double keep the variance exact for wide rows.
                    var sum = 0.0
                    for i in 0..<n { sum += Double(x[i]) }
                    let mean = sum / Double(n)
                    var sq = 0.0
                    for i in 0..<n { let d = Double(x[i]) - mean; sq += d * d }
                    let inv = Float(1 / (sq / Double(n) + Double(eps)).squareRoot())
                    let m = Float(mean)
                    for i in 0..<n { y[i] = (x[i] - m) * inv * g[i] + b[i] }
                }
            }
        }
    }

    /// Each row of `m` (`[rows, width]`) normalised to mean 0 and variance 1, then scaled and
    /// shifted: a new `[rows, width]` matrix.
    public func apply(_ m: Matrix) -> Matrix {
        precondition(m.cols == width)
        var out = Matrix(zeros: m.rows, m.cols)
        m.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                apply(src.baseAddress!, rows: m.rows, into: dst.baseAddress!)
            }
        }
        return out
    }
}
