import Tensors
import XCTest

/// The C kernel (AVX2 where the CPU has it) against a scalar scan written here: the same
/// first maximum for every row, ties included, at widths that are and are not multiples of
/// the eight lanes.
final class ArgmaxHitsTests: XCTestCase {
    /// A small deterministic generator (the test must not depend on the platform's).
    struct Lcg {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
    }

    /// The argmax each row's scores have, by the definition: (a·p + q·b)·m, first largest.
    func reference(a: Matrix, rows: [Int32], b: Matrix, p: [Float], q: [Float], m: [Float]) -> [Int32] {
        rows.indices.map { r in
            var best = -Float.greatestFiniteMagnitude, at = 0
            for c in 0..<a.cols {
                let x = a.storage[Int(rows[r]) * a.cols + c] * p[c]
                let y = q[c] * b.storage[r * a.cols + c]
                let v = (x + y) * m[c]
                if c == 0 || v > best { best = v; at = c }
            }
            return Int32(at)
        }
    }

    func testMatchesAScalarScanTiesIncluded() {
        check()
        ArgmaxHits.forcePortable(true)
        defer { ArgmaxHits.forcePortable(false) }
        XCTAssertFalse(ArgmaxHits.usesAVX2)
        check()
    }

    func check() {
        var g = Lcg(state: 42)
        for k in [1, 7, 8, 9, 31, 1000] {
            let n = 64
            var a = Matrix(zeros: n + 3, k), b = Matrix(zeros: n, k)
            for i in a.storage.indices { a.storage[i] = g.next() }
            for i in b.storage.indices { b.storage[i] = g.next() }
            // Ties: whole rows of equal scores, and a repeated maximum in others.
            for c in 0..<k { b.storage[c] = 0.25; a.storage[c] = 0 }
            if k > 9 { b.storage[k + 3] = 9; b.storage[k + 9] = 9 }
            let p = (0..<k).map { _ in g.next() + 1 }, q = (0..<k).map { _ in g.next() }, m = (0..<k).map { _ in abs(g.next()) + 0.1 }
            var pTies = p
            pTies[0] = 0
            let rows = (0..<n).map { Int32(($0 * 7) % (n + 3)) }
            let expected = reference(a: a, rows: rows, b: b, p: pTies, q: q, m: m)
            // Each row's truth its expected argmax in even rows, another class in odd rows.
            let truth = expected.enumerated().map { $0.offset % 2 == 0 ? $0.element : ($0.element + 1) % Int32(k) }
            let hits = ArgmaxHits.count(a: a, rows: rows, b: b, p: pTies, q: q, m: m, truth: truth)
            XCTAssertEqual(hits, k == 1 ? n : n / 2, "k = \(k) (AVX2: \(ArgmaxHits.usesAVX2))")
        }
        // Exact ties (the score is b alone): the first of two maxima, in one lane (classes
        // 3 and 11) and across lanes (2 and 5, 13 and 20), before and after the tail.
        let k = 21
        let ties: [[Int]] = [[3, 11], [2, 5], [13, 20], [11, 19]]
        var b = Matrix(zeros: ties.count, k)
        for (r, pair) in ties.enumerated() { for c in pair { b.storage[r * k + c] = 1 } }
        let a = Matrix(zeros: 1, k), zeros = [Float](repeating: 0, count: k), ones = [Float](repeating: 1, count: k)
        let rows = [Int32](repeating: 0, count: ties.count)
        XCTAssertEqual(
            ArgmaxHits.count(a: a, rows: rows, b: b, p: zeros, q: ones, m: ones, truth: ties.map { Int32($0[0]) }), ties.count,
            "the first maximum wins (AVX2: \(ArgmaxHits.usesAVX2))")
    }
}
