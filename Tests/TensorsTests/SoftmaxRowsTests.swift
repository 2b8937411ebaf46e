import Foundation
import Tensors
import XCTest

/// The C softmax summary (AVX2 where the CPU has it, and its portable loop) against the
/// Swift path it replaced, written out here: the same bits, since both do the same float
/// operations in the same order; and against a float64 softmax within exp's 2 ulp and the
/// sum's rounding.
final class SoftmaxRowsTests: XCTestCase {
    /// SetScores' former Swift body: FastMath's exp eight lanes at a time, libm's for the tail.
    func swiftSummary(_ c: Matrix, scale: Float) -> SoftmaxRows.Summary {
        let n = c.rows, k = c.cols
        var out = SoftmaxRows.Summary(
            best: [], logSumExp: .init(repeating: 0, count: n), confidence: .init(repeating: 0, count: n), margin: .init(repeating: 0, count: n))
        for r in 0..<n {
            let row = Array(c.storage[(r * k)..<((r + 1) * k)])
            let top = row.max()!
            let best = row.firstIndex(of: top)!
            var e = row.map { scale * ($0 - top) }
            e.withUnsafeMutableBufferPointer { FastMath.expInPlace($0.baseAddress!, count: k) }
            var lanes = SIMD8<Float>(repeating: 0), i = 0
            while i + 8 <= k { lanes += SIMD8<Float>(e[i..<(i + 8)]); i += 8 }
            var s = 0.0
            for l in 0..<8 { s += Double(lanes[l]) }
            while i < k { s += Double(e[i]); i += 1 }
            e[best] = -1
            let second = k > 1 ? Double(e.max()!) : 0
            out.best.append(best)
            out.logSumExp[r] = scale * top + Float(log(s))
            out.confidence[r] = Float(1 / s)
            out.margin[r] = Float((1 - second) / s)
        }
        return out
    }

    func testTheKernelsEqualTheSwiftPathAndAFloat64Softmax() {
        var state: UInt64 = 5
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        for k in [1, 7, 8, 13, 1000] {
            var c = Matrix(zeros: 40, k)
            for i in c.storage.indices { c.storage[i] = next() }
            if k > 8 { c.storage[3] = 0.9; c.storage[7] = 0.9 }  // a tie in row 0: the first wins
            c.storage[k] = -100  // exp's clamp, in row 1
            let reference = swiftSummary(c, scale: 100)
            for portable in [false, true] {
                SoftmaxRows.forcePortable(portable)
                defer { SoftmaxRows.forcePortable(false) }
                let got = SoftmaxRows.summarize(c, scale: 100)
                XCTAssertEqual(got.best, reference.best, "k = \(k), portable \(portable)")
                XCTAssertEqual(got.logSumExp, reference.logSumExp, "k = \(k), portable \(portable)")
                XCTAssertEqual(got.confidence, reference.confidence, "k = \(k), portable \(portable)")
                XCTAssertEqual(got.margin, reference.margin, "k = \(k), portable \(portable)")
            }
            if k > 8 { XCTAssertEqual(reference.best[0], 3) }
            // Against float64: exp within 2 ulp per term, a sum of ≤ 125 float terms per lane.
            for r in 0..<c.rows {
                let row = (0..<k).map { Double(c.storage[r * k + $0]) }
                let top = row.max()!
                let s = row.reduce(0) { $0 + Foundation.exp(100 * ($1 - top)) }
                let tolerance = Double(2 + k / 8 + 8) * Double(Float.ulpOfOne)
                XCTAssertEqual(Double(reference.confidence[r]), 1 / s, accuracy: tolerance / s, "k = \(k), row \(r)")
                XCTAssertEqual(Double(reference.logSumExp[r]), 100 * top + Foundation.log(s), accuracy: 1e-4 * max(1, abs(100 * top)))
            }
        }
    }

    /// Rows with a NaN, signed zeros and infinities: the AVX2 summary gives the portable
    /// one's bits (its maximum passes over a NaN as fmaxf does).
    func testBothKernelsAgreeOnNaNsZerosAndInfinities() {
        for k in [5, 8, 19, 64] {
            var c = Matrix(zeros: 6, k)
            for i in c.storage.indices { c.storage[i] = Float(i % 7) / 10 - 0.3 }
            c.storage[0 * k + 2] = .nan
            c.storage[1 * k] = .nan; c.storage[1 * k + k - 1] = .nan
            for j in 0..<k { c.storage[2 * k + j] = j % 2 == 0 ? 0 : -0.0 }
            c.storage[3 * k + 1] = .infinity
            c.storage[4 * k + k / 2] = -.infinity
            for j in 0..<k { c.storage[5 * k + j] = .nan }
            let fast = SoftmaxRows.summarize(c, scale: 100)
            SoftmaxRows.forcePortable(true)
            let portable = SoftmaxRows.summarize(c, scale: 100)
            SoftmaxRows.forcePortable(false)
            XCTAssertEqual(fast.best, portable.best, "k = \(k)")
            XCTAssertEqual(fast.logSumExp.map(\.bitPattern), portable.logSumExp.map(\.bitPattern), "k = \(k)")
            XCTAssertEqual(fast.confidence.map(\.bitPattern), portable.confidence.map(\.bitPattern), "k = \(k)")
            XCTAssertEqual(fast.margin.map(\.bitPattern), portable.margin.map(\.bitPattern), "k = \(k)")
        }
    }

    /// QuickGELU in C gives the Swift form's bits, AVX2 and portable, over values from −100
    /// to 100 (exp's clamps included) at lengths with and without a tail.
    func testQuickGELUEqualsTheSwiftForm() {
        var state: UInt64 = 17
        for count in [1, 7, 8, 13, 1000] {
            let values = (0..<count).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * 200
            }
            var reference = values
            reference.withUnsafeMutableBufferPointer { FastMath.quickGELUSwift($0.baseAddress!, count: count) }
            for portable in [false, true] {
                SoftmaxRows.forcePortable(portable)
                defer { SoftmaxRows.forcePortable(false) }
                var got = values
                got.withUnsafeMutableBufferPointer { FastMath.quickGELU($0.baseAddress!, count: count) }
                XCTAssertEqual(got.map(\.bitPattern), reference.map(\.bitPattern), "count \(count), portable \(portable)")
            }
            // And the definition, x·σ(1.702x): the float product 1.702·x is off by up to
            // |1.702·x|·ε/2, which exp turns into that relative error, beside exp's 2 ulp and
            // the add's and the division's rounding.
            // (Below x = −51, exp's argument −1.702·x passes its clamp at 88.3, where both forms give
            // x·e^−88.3 rather than the true, smaller value.)
            for (x, y) in zip(values, reference) where -1.702 * x < 87 {
                let exact = Double(x) / (1 + Foundation.exp(-1.702 * Double(x)))
                let relative = (abs(1.702 * Double(x)) + 8) * Double(Float.ulpOfOne)
                XCTAssertEqual(Double(y), exact, accuracy: relative * abs(exact) + 1e-38, "x = \(x)")
            }
        }
    }
}
