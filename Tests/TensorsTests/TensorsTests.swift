import Foundation
@testable import Tensors
import XCTest

final class TensorsTests: XCTestCase {
    func random(_ n: Int, seed: Int) -> [Float] {
        (0..<n).map { i in Float(sin(Double(i * 7 + seed * 13) * 0.37)) }
    }

    func naive(_ a: Matrix, _ b: Matrix, transA: Bool, transB: Bool) -> Matrix {
        let m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols, n = transB ? b.rows : b.cols
        var c = Matrix(zeros: m, n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    s += Double(transA ? a[p, i] : a[i, p]) * Double(transB ? b[j, p] : b[p, j])
                }
                c[i, j] = Float(s)
            }
        }
        return c
    }

    /// The sgemm wrapper against a naive loop for every transpose combination and odd shapes.
    func testMatmulMatchesNaiveLoop() {
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 1, 9), (33, 65, 2), (64, 31, 129)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a =
                        transA
                        ? Matrix(rows: k, cols: m, storage: random(k * m, seed: 1))
                        : Matrix(rows: m, cols: k, storage: random(m * k, seed: 1))
                    let b =
                        transB
                        ? Matrix(rows: n, cols: k, storage: random(n * k, seed: 2))
                        : Matrix(rows: k, cols: n, storage: random(k * n, seed: 2))
                    let c = BLAS.matmul(a, b, transA: transA, transB: transB)
                    let e = naive(a, b, transA: transA, transB: transB)
                    XCTAssertEqual(c.rows, m); XCTAssertEqual(c.cols, n)
                    for (x, y) in zip(c.storage, e.storage) {
                        XCTAssertEqual(x, y, accuracy: 1e-4, "\(m)×\(k)×\(n) tA=\(transA) tB=\(transB)")
                    }
                }
            }
        }
    }

    func testLinearTransposesTorchWeightAndAddsBias() {
        // torch weight [out=2, in=3]
        let layer = Linear(torchWeight: [1, 2, 3, 4, 5, 6], outputs: 2, inputs: 3, bias: [10, 20])
        let y = layer.apply(Matrix(rows: 2, cols: 3, storage: [1, 0, 0, 1, 1, 1]))
        XCTAssertEqual(y.storage, [11, 24, 16, 35])
        var acc: [Float] = [1, 1, 1, 1]
        let x: [Float] = [1, 0, 0, 1, 1, 1]
        x.withUnsafeBufferPointer { xp in
            acc.withUnsafeMutableBufferPointer { layer.apply(xp.baseAddress!, rows: 2, into: $0.baseAddress!, accumulate: true) }
        }
        XCTAssertEqual(acc, [12, 25, 17, 36])
    }

    func testExpIsAccurateAcrossTheRange() {
        var xs: [Float] = stride(from: -87.0, through: 88.0, by: 0.0137).map { Float($0) }
        let expected = xs.map { Foundation.exp($0) }
        xs.withUnsafeMutableBufferPointer { FastMath.expInPlace($0.baseAddress!, count: $0.count) }
        for (a, e) in zip(xs, expected) {
            XCTAssertLessThanOrEqual(abs(a - e) / e, 3e-7, "exp: \(a) vs \(e)")
        }
        var edges: [Float] = [-1000, -90, 0, 100, 0, 0, 0, 0]
        edges.withUnsafeMutableBufferPointer { FastMath.expInPlace($0.baseAddress!, count: 8) }
        XCTAssertLessThan(edges[0], 1e-37)
        XCTAssertEqual(edges[2], 1)
        XCTAssertTrue(edges[3].isFinite && edges[3] > 1e38)
    }

    func testSoftmaxSubtractsTheMaximum() {
        var x: [Float] = [1000, 1001, 1002, -5, 0, 3, 2, 1, 7]
        x.withUnsafeMutableBufferPointer { FastMath.softmax($0.baseAddress!, count: $0.count) }
        XCTAssertFalse(x.contains { $0.isNaN })
        XCTAssertEqual(x.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(x[2], 1 / (1 + exp(-1) + exp(-2)), accuracy: 1e-6)
    }

    func testRankCountsLargerEntriesAndEarlierTiesUpToItsLimit() {
        // Few distinct values, so ties are common; lengths around the 8-lane and 128-entry blocks.
        var rng = SystemRandomNumberGenerator()
        for count in [1, 7, 8, 9, 127, 128, 129, 300, 1_000] {
            let x = (0..<count).map { _ in Float(Int.random(in: 0..<6, using: &rng)) }
            for index in Set([0, count / 2, count - 1]) {
                let exact = (0..<count).filter { x[$0] > x[index] || (x[$0] == x[index] && $0 < index) }.count
                for limit in [1, 5, count + 1] {
                    let r = x.withUnsafeBufferPointer { FastMath.rank(of: index, in: $0.baseAddress!, count: count, limit: limit) }
                    if exact < limit {
                        XCTAssertEqual(r, exact, "count \(count), index \(index), limit \(limit)")
                    } else {
                        XCTAssertGreaterThanOrEqual(r, limit, "count \(count), index \(index), limit \(limit)")
                    }
                }
            }
        }
    }

    func testActivations() {
        let inputs: [Float] = [-6, -1.5, -0.3, 0, 0.2, 1, 2.5, 8, -3, 0.7]
        var q = inputs
        q.withUnsafeMutableBufferPointer { FastMath.quickGELU($0.baseAddress!, count: $0.count) }
        var g = inputs
        g.withUnsafeMutableBufferPointer { FastMath.gelu($0.baseAddress!, count: $0.count) }
        for (i, x) in inputs.enumerated() {
            XCTAssertEqual(q[i], x / (1 + exp(-1.702 * x)), accuracy: 1e-6)
            XCTAssertEqual(g[i], 0.5 * x * (1 + erf(x / Float(2).squareRoot())), accuracy: 1e-6)
        }
    }

    /// The eight-lane tanh-GELU (x·σ(2u)) against PyTorch's formula in Double on a grid:
    /// exp's 2 ulp and four roundings (≈ 6 ulp of the result), plus the rounding of the
    /// exponent 2u itself, which moves e^(−2u) by |2u|·2 ulp.
    func testTanhGELUMatchesItsDefinition() {
        let inputs = stride(from: -12.0, through: 12.0, by: 0.0137).map(Float.init) + [0, -0, 1e-20, 88, -88]
        var y = inputs
        y.withUnsafeMutableBufferPointer { FastMath.geluTanh($0.baseAddress!, count: $0.count) }
        for (x, fast) in zip(inputs, y) {
            let d = Double(x)
            let u = 0.7978845608028654 * (d + 0.044715 * d * d * d)
            // ½x(1 + tanh u) written as x / (1 + e^(−2u)): in Double, 1 + tanh u cancels to 0 below u ≈ −19.
            let reference = d / (1 + Foundation.exp(-2 * u))
            let ulp = Double(Float.ulpOfOne)
            // Past −2u = 88.3 exp is clamped: x·e^−88.3 where the reference is 0 (under 1e-38·|x|).
            let bound = (6 + 2 * min(abs(2 * u), 200)) * ulp * abs(reference) + abs(d) * 1e-38
            XCTAssertLessThanOrEqual(abs(Double(fast) - reference), bound, "x = \(x)")
        }
    }

    func testLayerNormMatchesDefinition() {
        let norm = LayerNorm(weight: [1, 2, 0.5, 1], bias: [0, 1, 0, -1], eps: 1e-5)
        let y = norm.apply(Matrix(rows: 1, cols: 4, storage: [1, 2, 3, 4]))
        let mean: Float = 2.5, variance: Float = 1.25
        let inv = 1 / (variance + 1e-5).squareRoot()
        let expected: [Float] = [(1 - mean) * inv, (2 - mean) * inv * 2 + 1, (3 - mean) * inv * 0.5, (4 - mean) * inv - 1]
        for (a, e) in zip(y.storage, expected) { XCTAssertEqual(a, e, accuracy: 1e-5) }
    }

    func testRowNormalized() {
        let m = Matrix(rows: 2, cols: 2, storage: [3, 4, 0, 0]).rowNormalized()
        XCTAssertEqual(m.storage, [0.6, 0.8, 0, 0])
    }
}

final class CPUBudgetTests: XCTestCase {
    func testQuotasAndCPUListsParse() {
        XCTAssertEqual(CPUBudget.quota(cpuMax: "150000 100000\n"), 1.5)
        XCTAssertNil(CPUBudget.quota(cpuMax: "max 100000\n"))
        XCTAssertEqual(CPUBudget.quota(cfsQuota: "200000\n", period: "100000\n"), 2)
        XCTAssertNil(CPUBudget.quota(cfsQuota: "-1\n", period: "100000\n"))
        XCTAssertEqual(CPUBudget.cpuList("0-3,8,10-11\n"), 7)
        XCTAssertEqual(CPUBudget.cpuList("0"), 1)
        XCTAssertNil(CPUBudget.cpuList("3-1"))
        XCTAssertGreaterThanOrEqual(CPUBudget.available(), 1)
        XCTAssertLessThanOrEqual(CPUBudget.available(), ProcessInfo.processInfo.activeProcessorCount)
    }

    func testThreadsFollowTheSizeOfTheWork() {
        let saved = BLAS.threadLimit
        defer { BLAS.threadLimit = saved }
        BLAS.threadLimit = 2
        XCTAssertEqual(BLAS.withThreads(rows: 8, minimumRows: 32) { BLAS.threads }, 1, "small products stay on one thread")
        BLAS.threadLimit = 1
        XCTAssertEqual(BLAS.withThreads(rows: 10_000, minimumRows: 32) { BLAS.threads }, 1, "never above the limit")
    }
}
