import Foundation
import Tensors
import XCTest

/// The C attention (AVX2 where the CPU has it, and its portable loop): the same bits from
/// both, and each output within a bound derived from float32 rounding of a float64
/// attention over the same chains (keys from the fused buffer and from elsewhere, as a
/// cached prefix's are).
final class CausalAttentionTests: XCTestCase {
    func testKernelsAgreeAndMatchFloat64() {
        var state: UInt64 = 11
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 2 * (Float(state >> 40) / Float(1 << 24) - 0.5)
        }
        // d = 8, 12 (a tail after the lanes), 32 and 5 (no full lane).
        for (width, heads) in [(16, 2), (36, 3), (128, 4), (10, 2)] {
            let rows = 9, ld = 3 * width
            let qkv = (0..<(rows * ld)).map { _ in 3 * next() }
            let elsewhere = (0..<(4 * 2 * width)).map { _ in 3 * next() }  // four "cached" key rows
            // Row r reads the cached rows 0..<(r % 5) and then the fused rows 0...r of its own.
            let queries: [Int32] = [0, 2, 3, 5, 8, 1]
            var out = [[Float]]()
            for portable in [false, true] {
                SoftmaxRows.forcePortable(portable)
                defer { SoftmaxRows.forcePortable(false) }
                var o = [Float](repeating: .nan, count: rows * width)
                var scores = [Float](repeating: 0, count: 16)
                qkv.withUnsafeBufferPointer { q in
                    elsewhere.withUnsafeBufferPointer { e in
                        var kv: [UnsafePointer<Float>?] = [], offsets: [Int64] = [0]
                        for r in queries {
                            for c in 0..<(Int(r) % 5) { kv.append(e.baseAddress! + c * 2 * width) }
                            for j in 0...Int(r) { kv.append(q.baseAddress! + j * ld + width) }
                            offsets.append(Int64(kv.count))
                        }
                        o.withUnsafeMutableBufferPointer { ob in
                            CausalAttention.apply(
                                qkv: q.baseAddress!, ld: ld, rows: queries, keysAndValues: kv, offsets: offsets, width: width,
                                heads: heads, into: ob.baseAddress!, scores: &scores)
                        }
                    }
                }
                out.append(o)
            }
            XCTAssertEqual(out[0].map(\.bitPattern), out[1].map(\.bitPattern), "width \(width): AVX2 and portable loops")
            let d = width / heads, u = Double(Float.ulpOfOne) / 2
            let scale = 1 / Double(d).squareRoot()
            for r in queries {
                var keys: [[Double]] = [], values: [[Double]] = []
                for c in 0..<(Int(r) % 5) {
                    keys.append(elsewhere[(c * 2 * width)..<(c * 2 * width + width)].map(Double.init))
                    values.append(elsewhere[(c * 2 * width + width)..<((c + 1) * 2 * width)].map(Double.init))
                }
                for j in 0...Int(r) {
                    keys.append(qkv[(j * ld + width)..<(j * ld + 2 * width)].map(Double.init))
                    values.append(qkv[(j * ld + 2 * width)..<(j * ld + 3 * width)].map(Double.init))
                }
                let n = keys.count
                for h in 0..<heads {
                    let q = (0..<d).map { Double(qkv[Int(r) * ld + h * d + $0]) }
                    let s = keys.map { k in scale * (0..<d).reduce(0) { $0 + q[$1] * k[h * d + $1] } }
                    // A score's error: the dot's rounding (γ_d of Σ|q·k|) and the scaling's.
                    let ds = keys.map { k in scale * (Double(d) + 2) * u * (0..<d).reduce(0) { $0 + abs(q[$1] * k[h * d + $1]) } }
                    let m = s.max()!
                    let e = s.map { exp($0 - m) }
                    let p = e.map { $0 / e.reduce(0, +) }
                    // A probability's relative error: twice the largest score error (its own and
                    // the normaliser's), exp's few ulp, and the n-term sum and the division.
                    let dp = 2 * (2 * ds.max()!) + Double(n + 12) * u
                    for i in 0..<d {
                        let want = (0..<n).reduce(0) { $0 + p[$1] * values[$1][h * d + i] }
                        let size = (0..<n).reduce(0) { $0 + p[$1] * abs(values[$1][h * d + i]) }
                        let got = Double(out[0][Int(r) * width + h * d + i])
                        XCTAssertLessThanOrEqual(abs(got - want), size * (dp + Double(n + 2) * u), "width \(width) row \(r) head \(h) [\(i)]")
                    }
                }
            }
            // Rows not asked for are left alone.
            XCTAssertTrue(out[0][(4 * width)..<(5 * width)].allSatisfy(\.isNaN))
        }
    }
}
