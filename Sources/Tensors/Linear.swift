/// A dense layer `y = x · W + b`, with W kept as `[in, out]` row-major: the layout that
/// makes the product a plain no-transpose sgemm, chosen once at load time.
public struct Linear: Sendable {
    /// Features in.
    public let inputs: Int
    /// Features out.
    public let outputs: Int
    /// `[inputs, outputs]`.
    public let weight: [Float]
    /// `outputs` values added to every row, or none.
    public let bias: [Float]?

    /// From a weight already in `[in, out]` layout.
    public init(weight: [Float], outputs: Int, inputs: Int, bias: [Float]?) {
        precondition(weight.count == outputs * inputs)
        precondition(bias == nil || bias!.count == outputs)
        self.inputs = inputs
        self.outputs = outputs
        self.weight = weight
        self.bias = bias
    }

    /// From PyTorch's `[out, in]` weight.
    public init(torchWeight: [Float], outputs: Int, inputs: Int, bias: [Float]?) {
        self.init(
            weight: Matrix(rows: outputs, cols: inputs, storage: torchWeight).transposed().storage,
            outputs: outputs, inputs: inputs, bias: bias)
    }

    /// `rows` input rows (stride `inputs`) → output rows (stride `ldOutput`, at least `outputs`).
    /// With `accumulate`, adds to what `output` holds (a residual connection) instead of overwriting.
    public func apply(
        _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
        ldOutput: Int? = nil, accumulate: Bool = false
    ) {
        let ldc = ldOutput ?? outputs
        if let bias {
            // The bias goes in first so sgemm adds the product to it (beta = 1).
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    let y = output + r * ldc
                    if accumulate {
                        for j in 0..<outputs { y[j] += b[j] }
                    } else {
                        y.update(from: b.baseAddress!, count: outputs)
                    }
                }
            }
        }
        let beta: Float = (bias != nil || accumulate) ? 1 : 0
        weight.withUnsafeBufferPointer { w in
            BLAS.gemm(
                m: rows, n: outputs, k: inputs, a: input, lda: inputs, b: w.baseAddress!, ldb: outputs,
                beta: beta, c: output, ldc: ldc)
        }
    }

    /// `x` `[rows, inputs]` → `[rows, outputs]`.
    public func apply(_ x: Matrix) -> Matrix {
        precondition(x.cols == inputs)
        var out = Matrix(zeros: x.rows, outputs)
        x.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                apply(src.baseAddress!, rows: x.rows, into: dst.baseAddress!)
            }
        }
        return out
    }
}
