import Tensors

/// The leave-one-out scan's classes per sample row, with every template's products at
/// them side by side, kept from one edit to the next.
///
/// An edit moves every template's leave-one-out figure, and the scan read each template's
/// product (4 MB at 1,000 × 1,000) at scattered classes per row: 80 templates × 1,000 rows
/// × about 9 classes, most of them in the tenth of the rows that keep 20–130 classes. Here
/// row r holds a superset of its candidates in its own room (`starts[r]`, twice what it
/// first needed), and keeps it while the candidates stay inside it, which they mostly do
/// from one key to the next (10–150 rows of 1,000 move; a row that moves keeps what it
/// held where its room allows):
/// an edit gathers its new template's values, and every template's only at the rows that
/// moved; and only at rows that hold their truth, the only ones the scan reads. A superset
/// holds the first maximum too, so the count is the scan's. A row whose candidates outgrow
/// its room lays every row out again.
struct CandidateSlab {
    /// Where each row's room starts, and how many classes it holds now (ascending).
    private(set) var starts: [Int64] = []
    private(set) var held: [Int32] = []
    private var room: [Int32] = []
    private(set) var classes: [Int32] = []
    /// Each template's products at `classes`, laid out as `classes` (at rows that hold their
    /// truth; the others' are left as they were).
    private var values: [Template: [Float]] = [:]
    /// The scores' cosines at `classes`, made at each `update`.
    private(set) var cosines: [Float] = []
    /// Where each row's truth sits among its classes (−1: not held), made at each `update`.
    private(set) var truthAt: [Int32] = []
    /// Rows whose values hold every template's products at their classes. Only rows that
    /// hold their truth are read (the scan asks whether the truth is first), so only they
    /// are gathered: at ImageNet scale about half the rows.
    private var gathered: [Bool] = []
    private var gatheredFor: [Int32] = []

    /// Nothing held: the products' rows or columns moved (a label edit, another sample).
    mutating func reset() { self = CandidateSlab() }

    /// Forgets `t`'s values (its product was made again).
    mutating func forget(_ t: Template) { values[t] = nil }

    /// Makes every row hold a superset of its `candidates`, gathering again the rows whose
    /// classes change from every template's product (all of them when a row outgrows its
    /// room), gathers the templates not held yet, drops those not in `products`, and takes
    /// the cosines at the held classes. `rows[r]` is row r's row of `cosines`; row r of a
    /// product is its; `truth[r]` its class.
    mutating func update(
        candidates: ArgmaxHits.Candidates, rows: [Int32], truth: [Int32], cosines a: Matrix, products: [Template: Matrix]
    ) {
        let n = rows.count, k = a.cols
        let count = { (r: Int) in Int(candidates.offsets[r + 1] - candidates.offsets[r]) }
        if held.count != n || (0..<n).contains(where: { count($0) > Int(room[$0]) }) {
            // Laid out again: each row room for twice its candidates (8 at least).
            room = (0..<n).map { Int32(max(8, 2 * count($0))) }
            starts = [Int64](repeating: 0, count: n + 1)
            for r in 0..<n { starts[r + 1] = starts[r] + Int64(room[r]) }
            held = [Int32](repeating: -1, count: n)
            classes = [Int32](repeating: 0, count: Int(starts[n]))
            values = [:]
        }
        if gathered.count != n || gatheredFor != truth {
            gathered = [Bool](repeating: false, count: n)
            gatheredFor = truth
        }
        values = values.filter { products[$0.key] != nil }
        candidates.indices.withUnsafeBufferPointer { idx in
            classes.withUnsafeMutableBufferPointer { cls in
                for r in 0..<n {
                    let lo = Int(candidates.offsets[r]), hi = Int(candidates.offsets[r + 1])
                    let row = cls.baseAddress! + Int(starts[r])
                    if held[r] >= 0, Self.contains(row, count: Int(held[r]), idx.baseAddress! + lo, count: hi - lo) { continue }
                    // The classes it held stay where there is room for them and the new ones:
                    // a row's candidates come and go from key to key, and a class kept is
                    // one the next key need not gather again.
                    let union = held[r] >= 0 ? Self.unionCount(row, count: Int(held[r]), idx.baseAddress! + lo, count: hi - lo) : Int.max
                    if union <= Int(room[r]) {
                        held[r] = Int32(Self.merge(into: row, count: Int(held[r]), idx.baseAddress! + lo, count: hi - lo))
                    } else {
                        for i in lo..<hi { row[i - lo] = idx[i] }
                        held[r] = Int32(hi - lo)
                    }
                    gathered[r] = false
                }
            }
        }
        truthAt = ArgmaxHits.SlabView.truthPlaces(starts: starts, held: held, classes: classes, truth: truth)
        // Rows read: those holding their truth. A template new here is gathered at all of
        // them; the others at the rows read whose classes changed.
        let read = (0..<n).filter { truthAt[$0] >= 0 }, stale = read.filter { !gathered[$0] }
        for (t, d) in products {
            if values[t] == nil {
                var v = [Float](repeating: 0, count: classes.count)
                scatter(d, rows: read, into: &v, k: k)
                values[t] = v
            } else if !stale.isEmpty {
                var v = values.removeValue(forKey: t)!  // the only reference: changed in place
                scatter(d, rows: stale, into: &v, k: k)
                values[t] = v
            }
        }
        gathered = [Bool](repeating: false, count: n)
        for r in read { gathered[r] = true }
        cosines = gather(a, rowsOf: rows, k: k)
    }

    /// What `ArgmaxHits.count(…, slab:)` reads for template `t`.
    func view(_ t: Template) -> ArgmaxHits.SlabView {
        ArgmaxHits.SlabView(starts: starts, held: held, classes: classes, truthAt: truthAt, cosines: cosines, values: values[t]!)
    }

    /// Classes in the ascending `a` or `b`.
    private static func unionCount(_ a: UnsafePointer<Int32>, count m: Int, _ b: UnsafePointer<Int32>, count s: Int) -> Int {
        var i = 0, j = 0, n = 0
        while i < m || j < s {
            if j == s || (i < m && a[i] < b[j]) { i += 1 } else if i == m || b[j] < a[i] { j += 1 } else { i += 1; j += 1 }
            n += 1
        }
        return n
    }

    /// `a` (ascending, `m` held, room for their union) becomes its union with `b`, ascending;
    /// returns the union's count. Merged from the back, in place.
    private static func merge(into a: UnsafeMutablePointer<Int32>, count m: Int, _ b: UnsafePointer<Int32>, count s: Int) -> Int {
        let total = unionCount(a, count: m, b, count: s)
        var i = m - 1, j = s - 1, out = total - 1
        while j >= 0 {
            if i >= 0 && a[i] > b[j] {
                a[out] = a[i]; i -= 1
            } else if i >= 0 && a[i] == b[j] {
                a[out] = a[i]; i -= 1; j -= 1
            } else {
                a[out] = b[j]; j -= 1
            }
            out -= 1
        }
        return total
    }

    /// Whether the ascending `small` lies in the ascending `large`.
    private static func contains(_ large: UnsafePointer<Int32>, count m: Int, _ small: UnsafePointer<Int32>, count s: Int) -> Bool {
        var i = 0
        for j in 0..<s {
            while i < m && large[i] < small[j] { i += 1 }
            if i == m || large[i] != small[j] { return false }
            i += 1
        }
        return true
    }

    /// `matrix` at each row's held classes (`rowsOf[r]` is row r's row; nil: r).
    private func gather(_ matrix: Matrix, rowsOf: [Int32]?, k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: classes.count)
        matrix.storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in held.indices {
                    let row = src.baseAddress! + Int(rowsOf?[r] ?? Int32(r)) * k, s = Int(starts[r])
                    for j in 0..<Int(held[r]) { dst[s + j] = row[Int(classes[s + j])] }
                }
            }
        }
        return out
    }

    /// `matrix` at the held classes of `rows` into `v`.
    private func scatter(_ matrix: Matrix, rows: [Int], into v: inout [Float], k: Int) {
        matrix.storage.withUnsafeBufferPointer { src in
            v.withUnsafeMutableBufferPointer { dst in
                for r in rows {
                    let row = src.baseAddress! + r * k, s = Int(starts[r])
                    for j in 0..<Int(held[r]) { dst[s + j] = row[Int(classes[s + j])] }
                }
            }
        }
    }
}
