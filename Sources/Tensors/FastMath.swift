import CKernels
import Foundation

/// Vectorised exp, sigmoid-style activations and softmax over Float buffers.
///
/// `exp` is the Cephes single-precision scheme (range reduction by ln 2, degree-5
/// polynomial, exponent by bit shift): within 2 ulp of libm on [-87, 88], and eight lanes at
/// a time, where a call to `expf` per element would cost a fifth of the vision encoder.
public enum FastMath {
    /// `e^x` for eight lanes at once, within 2 ulp of libm on [-87, 88] (see above).
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits, which
        // avoids SIMD float → int conversions (not vectorised by Swift's generic path).
        let magic = SIMD8<Float>(repeating: 12582912)
        // Clamp with masks: `clamped(lowerBound:upperBound:)` is not specialised here.
        let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
        var x = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
        let shifted = x * 1.44269504088896341 + magic
        let fx = shifted - magic  // round(x / ln 2)
        x = x - fx * 0.693359375 + fx * 2.12194440e-4  // x − fx·ln 2, in two parts
        let z = x * x
        var y = SIMD8<Float>(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        // 2^fx: the integer sits in the low bits of `shifted`; move it to the exponent field.
        let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    /// `x[i] = exp(x[i])`.
    public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeMutableRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: exp(v), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] = Foundation.exp(x[i]); i += 1 }
    }

    /// OpenAI's QuickGELU: `x · σ(1.702 x)`, in C with AVX2 where the CPU has it
    /// (`clip_quick_gelu`: the same operations and bits as `quickGELUSwift`, which Swift
    /// compiles to SSE for a baseline x86-64 target; 4–5% of a text tower's time there).
    public static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
        clip_quick_gelu(x, Int64(count))
    }

    /// The Swift form of `quickGELU`, for the tests.
    public static func quickGELUSwift(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeMutableRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let e = exp(v * -1.702)
            UnsafeMutableRawPointer(x + i).storeBytes(of: v / (1 + e), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] = x[i] / (1 + Foundation.exp(-1.702 * x[i])); i += 1 }
    }

    /// Exact GELU: `x · Φ(x) = x/2 · (1 + erf(x/√2))`, as `torch.nn.functional.gelu`.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + Foundation.erf(v * 0.70710678118654752))
        }
    }

    /// Softmax of one row in place, subtracting the maximum first; eight lanes at a time.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let raw = UnsafeMutableRawPointer(x)
        var m = -Float.infinity
        var i = 0
        if count >= 8 {
            var mv = SIMD8<Float>(repeating: -.infinity)
            while i + 8 <= count {
                mv = pointwiseMax(mv, raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self))
                i += 8
            }
            m = mv.max()
        }
        while i < count { m = max(m, x[i]); i += 1 }
        var sumv = SIMD8<Float>(repeating: 0)
        let mv = SIMD8<Float>(repeating: m)
        i = 0
        while i + 8 <= count {
            let e = exp(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - mv)
            raw.storeBytes(of: e, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            sumv += e
            i += 8
        }
        var sum = sumv.sum()
        while i < count { x[i] = Foundation.exp(x[i] - m); sum += x[i]; i += 1 }
        let inv = 1 / sum
        i = 0
        let iv = SIMD8<Float>(repeating: inv)
        while i + 8 <= count {
            raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * iv, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] *= inv; i += 1 }
    }

    /// Dot product of two float runs.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            acc +=
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// The rank of `x[index]` among `x[0..<count]`: how many entries are larger, or equal
    /// and before it (ties go to the lower index, as an argmax takes the first maximum),
    /// counted only up to `limit` (`limit` or more: at least that many). A top-5 check asks
    /// for 5 and stops, eight lanes at a time, where a scalar loop with that tie rule took
    /// 4–5 ms over 1,000 images × 1,000 classes.
    public static func rank(of index: Int, in x: UnsafePointer<Float>, count: Int, limit: Int) -> Int {
        // Before `index` an equal entry ranks above; after it, only a larger one.
        let before = entries(in: x, from: 0, to: index, above: x[index], orEqual: true, limit: limit)
        if before >= limit { return before }
        return before + entries(in: x, from: index + 1, to: count, above: x[index], orEqual: false, limit: limit - before)
    }

    /// How many of `x[from..<to]` are above `v` (or equal, with `orEqual`), counted up to
    /// `limit` at least: the count stops soon after it gets there.
    @inline(__always)
    private static func entries(in x: UnsafePointer<Float>, from: Int, to: Int, above v: Float, orEqual: Bool, limit: Int) -> Int {
        let raw = UnsafeRawPointer(x), vv = SIMD8<Float>(repeating: v)
        let one = SIMD8<Int32>(repeating: 1), zero = SIMD8<Int32>(repeating: 0)
        var found = 0, i = from
        while i + 8 <= to {
            // Up to 16 blocks of eight lanes between two looks at the limit.
            var acc = zero
            let blockEnd = min(to, i + 128)
            while i + 8 <= blockEnd {
                let w = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                acc &+= zero.replacing(with: one, where: orEqual ? w .>= vv : w .> vv)
                i += 8
            }
            found += Int(acc.wrappedSum())
            if found >= limit { return found }
        }
        while i < to {
            if orEqual ? x[i] >= v : x[i] > v { found += 1 }
            i += 1
        }
        return found
    }

    /// `out[r] = a[r]·b[r]` for each of `rows` rows of `dimension` floats (`clip_row_dots`:
    /// AVX2 and FMA where the CPU has them and `ArgmaxHits.forcePortable` is off).
    public static func rowDots(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, dimension: Int, into out: UnsafeMutablePointer<Float>) {
        clip_row_dots(a, b, Int64(rows), Int64(dimension), out)
    }

    /// The same over arrays (`a` and `b` hold `rows × dimension` floats).
    public static func rowDots(_ a: [Float], _ b: [Float], rows: Int, dimension: Int) -> [Float] {
        precondition(a.count >= rows * dimension && b.count >= rows * dimension)
        guard rows > 0, dimension > 0 else { return [Float](repeating: 0, count: rows) }
        return [Float](unsafeUninitializedCapacity: rows) { out, count in
            a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in rowDots(x.baseAddress!, y.baseAddress!, rows: rows, dimension: dimension, into: out.baseAddress!) }
            }
            count = rows
        }
    }

    /// `y += alpha · x`.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let a = SIMD8<Float>(repeating: alpha)
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let w = UnsafeMutableRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: w + a * v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }
}

extension FastMath {
    /// GELU with the tanh approximation (`gelu_pytorch_tanh`).
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        // ½x(1 + tanh u) = x·σ(2u) = x / (1 + e^(−2u)), u = √(2/π)(x + 0.044715x³): eight lanes
        // through `exp` instead of a libm tanh per element (a tenth of SigLIP's image tower).
        var i = 0
        while i + 8 <= count {
            let v = UnsafeMutableRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let e = exp(v * (v * v * -0.0713548162726 - 1.5957691216057308))
            UnsafeMutableRawPointer(x + i).storeBytes(of: v / (1 + e), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
            i += 1
        }
    }
}
