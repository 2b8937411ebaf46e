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

    /// The leave-one-out figures' shape: classes whose templates' vectors cluster, unit
    /// images near a class, every template left out in turn. Scanning each row's
    /// candidates finds the full scan's first maximum for every template (two classes are
    /// the same class twice, so their tie goes to the first), and scans a fraction.
    func testCandidatesFindTheFullScansWinnerForEveryTemplate() {
        var g = Lcg(state: 9)
        let n = 200, k = 300, templates = 20, dim = 16
        func unit(_ v: [Float]) -> [Float] {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        var centers = (0..<k).map { _ in unit((0..<dim).map { _ in g.next() }) }
        centers[6] = centers[5]
        // u[t][c]: a unit vector near the class's centre (class 6 is class 5 again).
        var u = (0..<templates).map { _ in (0..<k).map { c in unit(zip(centers[c], (0..<dim).map { _ in g.next() * 0.5 }).map { $0 + $1 }) } }
        for t in 0..<templates { u[t][6] = u[t][5] }
        var sum = [[Double]](repeating: [Double](repeating: 0, count: dim), count: k)
        for t in 0..<templates { for c in 0..<k { for j in 0..<dim { sum[c][j] += Double(u[t][c][j]) } } }
        let sNorm = sum.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        var x = Matrix(zeros: n, dim)
        for r in 0..<n {
            let c = r % 2 == 0 ? 5 : (r * 7) % k
            let v = unit(zip(centers[c], (0..<dim).map { _ in g.next() * 0.8 }).map { $0 + $1 })
            x.storage.replaceSubrange((r * dim)..<((r + 1) * dim), with: v)
        }
        var cosines = Matrix(zeros: n, k)
        for r in 0..<n {
            for c in 0..<k {
                var dot = 0.0
                for j in 0..<dim { dot += Double(x.storage[r * dim + j]) * sum[c][j] }
                cosines.storage[r * k + c] = Float(dot / sNorm[c])
            }
        }
        let rows = (0..<n).map(Int32.init)
        var coefficients: [(d: Matrix, p: [Float], q: [Float], m: [Float])] = []
        var low = [Double](repeating: .infinity, count: k), high = [Double](repeating: -.infinity, count: k)
        var spread = [Double](repeating: 0, count: k)
        for t in 0..<templates {
            var d = Matrix(zeros: n, k)
            var p = [Float](repeating: 0, count: k), m = [Float](repeating: 0, count: k)
            for c in 0..<k {
                var su = 0.0, uu = 0.0
                for j in 0..<dim { su += Double(u[t][c][j]) * sum[c][j]; uu += Double(u[t][c][j] * u[t][c][j]) }
                p[c] = Float(sNorm[c])
                m[c] = Float(1 / (sNorm[c] * sNorm[c] - 2 * su + uu).squareRoot())
                for r in 0..<n {
                    var dot: Float = 0
                    for j in 0..<dim { dot += x.storage[r * dim + j] * u[t][c][j] }
                    d.storage[r * k + c] = dot
                }
                let alpha = Double(p[c]) * Double(m[c])
                low[c] = min(low[c], alpha); high[c] = max(high[c], alpha)
                spread[c] = max(spread[c], uu.squareRoot() * Double(m[c]) * 1.001)
            }
            coefficients.append((d, p, [Float](repeating: -1, count: k), m))
        }
        let candidates = ArgmaxHits.candidates(a: cosines, rows: rows, low: low, high: high, spread: spread)
        XCTAssertLessThan(candidates.perRow, Double(k) / 4, "a fraction of the classes is scanned")
        XCTAssertGreaterThanOrEqual(candidates.perRow, 1)
        var tied = 0
        for (t, f) in coefficients.enumerated() {
            let expected = reference(a: cosines, rows: rows, b: f.d, p: f.p, q: f.q, m: f.m)
            tied += expected.filter { $0 == 5 }.count
            XCTAssertEqual(
                ArgmaxHits.count(a: cosines, rows: rows, b: f.d, p: f.p, q: f.q, m: f.m, truth: expected, among: candidates), n,
                "template \(t): every row's winner among its candidates")
            XCTAssertEqual(
                ArgmaxHits.count(a: cosines, rows: rows, b: f.d, p: f.p, q: f.q, m: f.m, truth: expected), n, "template \(t): the full scan")
        }
        XCTAssertGreaterThan(tied, 0, "class 5 ties with its copy, class 6, and wins")
    }

    /// The AVX2 candidates kernel keeps exactly the classes the portable one keeps: bounds
    /// of both signs, widths around the four lanes, a row with a NaN and one with an infinity.
    func testBothCandidateKernelsKeepTheSameClasses() {
        var g = Lcg(state: 5)
        for k in [1, 3, 4, 5, 301] {
            let n = 40
            var a = Matrix(zeros: n, k)
            for i in a.storage.indices { a.storage[i] = g.next() }
            a.storage[3 * k + k / 2] = .nan
            a.storage[7 * k] = .infinity
            let low = (0..<k).map { _ in Double(g.next()) * 4 }
            let high = low.map { $0 + Double(abs(g.next())) }
            let spread = (0..<k).map { _ in Double(abs(g.next())) * 0.05 }
            let rows = (0..<n).map(Int32.init)
            let fast = ArgmaxHits.candidates(a: a, rows: rows, low: low, high: high, spread: spread)
            ArgmaxHits.forcePortable(true)
            let portable = ArgmaxHits.candidates(a: a, rows: rows, low: low, high: high, spread: spread)
            ArgmaxHits.forcePortable(false)
            XCTAssertEqual(fast.offsets, portable.offsets, "k = \(k) (AVX2: \(ArgmaxHits.usesAVX2))")
            XCTAssertEqual(fast.indices, portable.indices, "k = \(k)")
            XCTAssertEqual(Array(portable.indices[Int(portable.offsets[3])..<Int(portable.offsets[4])]), (0..<k).map(Int32.init), "NaN: all kept")
            XCTAssertEqual(Array(portable.indices[Int(portable.offsets[7])..<Int(portable.offsets[8])]), (0..<k).map(Int32.init), "∞: all kept")
            if k == 301 { XCTAssertLessThan(portable.perRow, Double(k) / 2, "the bounds rule classes out") }
        }
    }

    /// The leave-one-out coefficients and bounds, both kernels, against the loop written
    /// here as the definition (`TemplateEffects` had it in Swift): the same bits, with
    /// sentence classes, classes left without prompts, a zero ensemble, and weights ≠ 1.
    func testLeaveOneOutCoefficientsFollowTheirDefinition() {
        var g = Lcg(state: 17)
        for k in [1, 3, 4, 5, 7, 301] {
            for wt in [1.0, 0.37] {
                let dots = (0..<k).map { _ in g.next() * 3 }, normSquared = (0..<k).map { _ in abs(g.next()) * 2 }
                var sNorm = (0..<k).map { _ in Double(abs(g.next())) * 8 }
                let names: [Int64] = (0..<k).map { (c: Int) -> Int64 in c % 5 == 2 ? 0 : Int64(1 + c % 2) }
                // Every fourth class keeps only the template's own prompts (none left).
                let sCount: [Int64] = (0..<k).map { (c: Int) -> Int64 in c % 4 == 1 ? names[c] : names[c] + Int64(3 + c % 7) }
                sNorm[k / 2] = 0
                let start = (0..<k).map { _ in Double(g.next()) }
                func reference() -> (p: [Float], q: [Float], m: [Float], low: [Double], high: [Double], spread: [Double]) {
                    var p = [Float](repeating: 1, count: k), q = [Float](repeating: 0, count: k), m = p
                    var low = start, high = start.map { $0 + 0.1 }, spread = start.map { abs($0) * 0.01 }
                    for c in 0..<k {
                        guard names[c] > 0 else { low[c] = min(low[c], 1); high[c] = max(high[c], 1); continue }
                        let su = Double(dots[c]), uu = Double(normSquared[c]), s = sNorm[c], left = sCount[c] - names[c]
                        let v2 = s * s - 2 * wt * su + wt * wt * uu
                        var sc: Float = 0, w: Float = 0
                        if left > 0, v2 > 1e-12 * s * s { sc = Float(1 / v2.squareRoot()); w = Float(s) }
                        let o = Float(wt)
                        p[c] = w; q[c] = -o; m[c] = sc
                        let lambda = s > 0 ? su / s : 0
                        let md = Double(sc), along = Double(w) * md - Double(o) * lambda * md
                        let across = (max(0, uu - lambda * lambda) + 1e-4 * uu).squareRoot() + 1e-3 * uu.squareRoot()
                        low[c] = min(low[c], along); high[c] = max(high[c], along)
                        spread[c] = max(spread[c], abs(Double(o)) * md * across)
                    }
                    return (p, q, m, low, high, spread)
                }
                let want = reference()
                for portable in [false, true] {
                    ArgmaxHits.forcePortable(portable)
                    defer { ArgmaxHits.forcePortable(false) }
                    var low = start, high = start.map { $0 + 0.1 }, spread = start.map { abs($0) * 0.01 }
                    let got = ArgmaxHits.leaveOneOutCoefficients(
                        dots: dots, normSquared: normSquared, sNorm: sNorm, sCount: sCount, names: names, weight: wt, low: &low,
                        high: &high, spread: &spread)
                    let at = "k = \(k), w = \(wt), portable \(portable) (AVX2: \(ArgmaxHits.usesAVX2))"
                    XCTAssertEqual(got.p.map { $0.bitPattern }, want.p.map { $0.bitPattern }, at)
                    XCTAssertEqual(got.q.map { $0.bitPattern }, want.q.map { $0.bitPattern }, at)
                    XCTAssertEqual(got.m.map { $0.bitPattern }, want.m.map { $0.bitPattern }, at)
                    XCTAssertEqual(low.map { $0.bitPattern }, want.low.map { $0.bitPattern }, at)
                    XCTAssertEqual(high.map { $0.bitPattern }, want.high.map { $0.bitPattern }, at)
                    XCTAssertEqual(spread.map { $0.bitPattern }, want.spread.map { $0.bitPattern }, at)
                }
                if k == 301 { XCTAssertTrue(want.m.contains(0) && want.m.contains { $0 > 0 }, "some classes scored, some left without prompts") }
            }
        }
    }

    /// Row dots, both kernels, against the dot in double: within float32 rounding of the
    /// terms' magnitude (dim · 2⁻²⁴ · Σ|a·b|, an upper bound on either order's error).
    func testRowDotsMatchTheirDefinition() {
        var g = Lcg(state: 11)
        for dim in [1, 8, 15, 16, 17, 128, 131] {
            let rows = 9
            let a = (0..<(rows * dim)).map { _ in g.next() }, b = (0..<(rows * dim)).map { _ in g.next() }
            for portable in [false, true] {
                ArgmaxHits.forcePortable(portable)
                defer { ArgmaxHits.forcePortable(false) }
                let out = FastMath.rowDots(a, b, rows: rows, dimension: dim)
                for r in 0..<rows {
                    var exact = 0.0, magnitude = 0.0
                    for j in 0..<dim { exact += Double(a[r * dim + j]) * Double(b[r * dim + j]); magnitude += abs(Double(a[r * dim + j] * b[r * dim + j])) }
                    XCTAssertEqual(Double(out[r]), exact, accuracy: Double(dim) * 0x1p-24 * magnitude + 1e-30, "dim \(dim), row \(r), portable \(portable)")
                }
            }
        }
    }

    /// The slab's scan stops at the first class that beats the truth, and skips rows that do
    /// not hold it: row by row it counts what the full scan counts, with exact ties before
    /// and after the truth, rows of equal scores, NaNs and infinities, and the truth held or not.
    func testSlabScanCountsAsTheFullScanRowByRow() {
        var g = Lcg(state: 17)
        let k = 12, n = 400
        var a = Matrix(zeros: n, k), b = Matrix(zeros: n, k)
        for i in a.storage.indices {
            // Few values, so that ties are common.
            a.storage[i] = Float(Int((g.next() + 0.5) * 4)) / 4
            b.storage[i] = Float(Int((g.next() + 0.5) * 4)) / 4
        }
        for c in 0..<k { a.storage[c] = 0.5; b.storage[c] = 0.5 }  // row 0: all equal
        a.storage[1 * k + 3] = .nan
        a.storage[2 * k + 0] = .nan
        a.storage[3 * k + 7] = .infinity
        a.storage[4 * k + 5] = -.infinity
        let p = (0..<k).map { _ in Float(Int((g.next() + 0.5) * 3)) }, q = (0..<k).map { _ in Float(Int((g.next() + 0.5) * 3)) }
        let m = [Float](repeating: 1, count: k)
        // Each row holds a run of classes (ascending), all of them in every fourth row.
        var starts: [Int64] = [0], held: [Int32] = [], classes: [Int32] = [], cosines: [Float] = [], values: [Float] = []
        var truth: [Int32] = []
        for r in 0..<n {
            let first = r % 4 == 0 ? 0 : Int(g.next() * 8 + 4) % k, count = r % 4 == 0 ? k : min(k - first, 5)
            for c in first..<(first + count) {
                classes.append(Int32(c)); cosines.append(a[r, c]); values.append(b[r, c])
            }
            // Room for more than it holds, as the slab leaves.
            for _ in 0..<2 { classes.append(0); cosines.append(0); values.append(0) }
            held.append(Int32(count)); starts.append(Int64(classes.count))
            truth.append(Int32(Int(g.next() * 100 + 50) % k))
        }
        let truthAt = ArgmaxHits.SlabView.truthPlaces(starts: starts, held: held, classes: classes, truth: truth)
        var expected = 0
        for r in 0..<n {
            let s = Int(starts[r])
            let hit = reference(a: a, r: r, b: b, p: p, q: q, classes: classes[s..<(s + Int(held[r]))].map(Int.init), truth: Int(truth[r]))
            expected += hit
            // A row holding every class: the full scan's kernel agrees with the definition.
            if held[r] == Int32(k) {
                XCTAssertEqual(
                    ArgmaxHits.count(
                        a: a, rows: [Int32(r)], b: Matrix(rows: 1, cols: k, storage: Array(b.storage[(r * k)..<((r + 1) * k)])), p: p, q: q, m: m,
                        truth: [truth[r]]), hit, "row \(r)")
            }
        }
        let slab = ArgmaxHits.SlabView(starts: starts, held: held, classes: classes, truthAt: truthAt, cosines: cosines, values: values)
        XCTAssertEqual(ArgmaxHits.count(p: p, q: q, m: m, truth: truth, slab: slab), expected)
        XCTAssertGreaterThan(expected, 10)
    }

    /// Whether `truth` is the first maximum of (a·p + q·b)·1 over `classes` (ascending) of
    /// row r, with the full scan's rule: the first entry taken whatever it is, then only a
    /// larger score.
    func reference(a: Matrix, r: Int, b: Matrix, p: [Float], q: [Float], classes: [Int], truth: Int) -> Int {
        var at = -1
        var best = -Float.greatestFiniteMagnitude
        for c in classes {
            let x = a[r, c] * p[c]
            let y = q[c] * b[r, c]
            let v = (x + y) * 1
            if at < 0 || v > best { best = v; at = c }
        }
        return at == truth ? 1 : 0
    }

    /// A row with a NaN keeps every class (the scan then decides as the full one does).
    func testARowWithANaNKeepsEveryClass() {
        var a = Matrix(zeros: 2, 4)
        a.storage = [0.9, 0.1, 0.2, 0.3, 0.5, .nan, 0.1, 0.1]
        let ones = [Double](repeating: 1, count: 4), none = [Double](repeating: 0, count: 4)
        let c = ArgmaxHits.candidates(a: a, rows: [0, 1], low: ones, high: ones, spread: none)
        XCTAssertEqual(c.offsets, [0, 1, 5])
        XCTAssertEqual(c.indices, [0, 0, 1, 2, 3])
    }
}
