import Foundation
import Tensors
import XCTest

/// The C LayerNorm (AVX2 where the CPU has it, and its portable loop) against a float64
/// LayerNorm, within the bound its float32 steps allow: the mean and 1/σ rounded to float,
/// then (x − mean) · inv · γ + β, each step rounding once.
final class LayerNormTests: XCTestCase {
    func testKernelsMatchFloat64WithinTheirRounding() {
        var state: UInt64 = 3
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let u = Double(Float.ulpOfOne) / 2
        for width in [1, 5, 8, 13, 128, 768] {
            let rows = 7
            // Rows far from zero (an offset of 300) make the variance's cancellation real.
            let x = (0..<(rows * width)).map { i in 300 * Float(i % 2) + 4 * next() }
            let g = (0..<width).map { _ in 2 * next() }, b = (0..<width).map { _ in next() }
            let norm = LayerNorm(weight: g, bias: b, eps: 1e-5)
            var outs: [[Float]] = []
            for portable in [false, true] {
                SoftmaxRows.forcePortable(portable)
                defer { SoftmaxRows.forcePortable(false) }
                var y = [Float](repeating: .nan, count: rows * width)
                x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { norm.apply(xb.baseAddress!, rows: rows, into: $0.baseAddress!) } }
                outs.append(y)
            }
            for (kernel, y) in zip(["AVX2", "portable"], outs) {
                for r in 0..<rows {
                    let row = x[(r * width)..<((r + 1) * width)].map(Double.init)
                    let mean = row.reduce(0, +) / Double(width)
                    let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
                    let inv = 1 / (variance + 1e-5).squareRoot()
                    for i in 0..<width {
                        let centred = row[i] - mean
                        let want = centred * inv * Double(g[i]) + Double(b[i])
                        // The mean's rounding (u·|mean|) and x − mean's, inv's, the two products'
                        // and the sum's (u each), with room for the double sums below them.
                        let bound = inv * abs(Double(g[i])) * (abs(centred) * 4 * u + abs(mean) * 2 * u) + (abs(want) + abs(Double(b[i]))) * 2 * u
                        XCTAssertLessThanOrEqual(abs(Double(y[r * width + i]) - want), bound, "\(kernel), width \(width), row \(r) [\(i)]")
                    }
                }
            }
        }
    }
}
