import CKernels

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

    /// Normalises `rows` rows of `input` (stride `width`) into `output`. In C
    /// (`clip_layer_norm`): the mean and variance in double, two passes, four lanes with
    /// AVX2 (the scalar double loop was a fifth of a keystroke's text tower outside sgemm).
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        clip_layer_norm(input, Int64(rows), Int64(width), weight, bias, eps, output)
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
