import Tensors
import XCTest

@testable import ScoringCore

/// The leave-one-out scan read from the slab counts what a scan of every class counts, as
/// the cosines move from edit to edit: rows whose candidates stay inside what they hold,
/// rows gathered again, and a row outgrowing its room (every row laid out again).
final class CandidateSlabTests: XCTestCase {
    func testSlabCountsEqualAFullScanAcrossEdits() {
        let n = 50, k = 40
        var rng = SplitMix64(seed: 5)
        func uniform() -> Float { Float(Int(rng.next() % 2001) - 1000) / 1000 }
        let templates = (0..<3).map { Template("t\($0) {}") }
        let products = Dictionary(uniqueKeysWithValues: templates.map { t in (t, Matrix(rows: n, cols: k, storage: (0..<(n * k)).map { _ in uniform() })) })
        // Scores a·1 + q·b with |b| ≤ 1: within spread |q| of the cosine, the bounds that
        // make the candidates.
        let q = (0..<k).map { _ in uniform() * 0.1 }
        let p = [Float](repeating: 1, count: k), m = p
        let rows = (0..<n).map { Int32(($0 * 7) % n) }
        var cosines = (0..<(n * k)).map { _ in uniform() }
        // Half the rows' truth is their best class at first (held, and read), half any class.
        let truth = (0..<n).map { r -> Int32 in
            let row = Int(rows[r])
            return r % 2 == 0 ? Int32((0..<k).max { cosines[row * k + $0] < cosines[row * k + $1] }!) : Int32(rng.next() % UInt64(k))
        }
        var slab = CandidateSlab()
        var laidOut: [Int64] = []
        var relaidOut = false, keptMore = false, readRows = 0
        for step in 0..<8 {
            // Small moves keep most rows' candidates inside what they hold; step 5 spreads
            // one row's cosines flat, so its candidates outgrow the room it was given.
            cosines = cosines.map { $0 + uniform() * (step == 3 ? 0.5 : 0.01) }
            if step == 5 { for c in 0..<k { cosines[Int(rows[0]) * k + c] = 0.5 + uniform() * 0.001 } }
            let a = Matrix(rows: n, cols: k, storage: cosines)
            let candidates = ArgmaxHits.candidates(
                a: a, rows: rows, low: [Double](repeating: 1, count: k), high: [Double](repeating: 1, count: k),
                spread: q.map { Double(abs($0)) })
            slab.update(candidates: candidates, rows: rows, truth: truth, cosines: a, products: products)
            if !laidOut.isEmpty && slab.starts != laidOut { relaidOut = true }
            laidOut = slab.starts
            // Each row holds its candidates and perhaps classes it held before, ascending,
            // within its room; the values are the products' at those classes.
            for r in 0..<n {
                let held = Array(slab.classes[Int(slab.starts[r])..<(Int(slab.starts[r]) + Int(slab.held[r]))])
                let wanted = Array(candidates.indices[Int(candidates.offsets[r])..<Int(candidates.offsets[r + 1])])
                XCTAssertEqual(held, held.sorted(), "step \(step), row \(r): ascending")
                XCTAssertEqual(Set(held).count, held.count, "step \(step), row \(r): each class once")
                XCTAssertTrue(Set(wanted).isSubset(of: Set(held)), "step \(step), row \(r): its candidates")
                XCTAssertLessThanOrEqual(Int64(held.count), slab.starts[r + 1] - slab.starts[r], "step \(step), row \(r): in its room")
                if held.count > wanted.count { keptMore = true }
                // Values are read, and so kept, only where the row holds its truth.
                XCTAssertEqual(slab.truthAt[r] >= 0, held.contains(truth[r]), "step \(step), row \(r): its truth's place")
                guard slab.truthAt[r] >= 0 else { continue }
                readRows += 1
                for t in templates {
                    let values = slab.view(t).values[Int(slab.starts[r])..<(Int(slab.starts[r]) + held.count)]
                    XCTAssertEqual(Array(values), held.map { products[t]![r, Int($0)] }, "step \(step), row \(r), \(t.text)")
                }
            }
            for t in templates {
                let full = ArgmaxHits.count(a: a, rows: rows, b: products[t]!, p: p, q: q, m: m, truth: truth)
                let read = ArgmaxHits.count(p: p, q: q, m: m, truth: truth, slab: slab.view(t))
                XCTAssertEqual(read, full, "step \(step), \(t.text)")
            }
        }
        XCTAssertTrue(relaidOut, "a row outgrew its room")
        XCTAssertTrue(keptMore, "a row gathered again kept classes it held")
        XCTAssertGreaterThan(readRows, 8 * n / 4, "rows holding their truth, checked")
    }
}
