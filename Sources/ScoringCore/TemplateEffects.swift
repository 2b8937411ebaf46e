import Foundation
import Tensors

/// Each template's own accuracy and what leaving it out of the ensemble changes, from
/// products kept between edits rather than by re-scoring the ensemble once per template.
///
/// For template t and class c let u_tc be the sum of t's prompts' unit embeddings for the
/// class's names, and S_c the ensemble's sum (`EnsembleState`). Then
/// - t alone scores image x as x·u_tc / ‖u_tc‖;
/// - the ensemble without t scores x·(S_c − u_tc) / ‖S_c − u_tc‖, where x·S_c is the
///   ensemble's cosine times ‖S_c‖ and ‖S_c − u_tc‖² = ‖S_c‖² − 2 S_c·u_tc + ‖u_tc‖².
/// So one product D_t = X · U_tᵀ per template serves both, and it stays valid until the
/// template, the labels or the images change: an edit recomputes one D_t. Classes with
/// their own sentences ignore templates (u_tc = 0).
///
/// The products take images × classes × templates floats (10,000 × 1,000 × 80 is 3.2 GB):
/// over `memoryBudget` they are computed on a seeded sample of the labelled images, and
/// the result says so.
public struct TemplateEffects: Sendable {
    /// Bytes the products may take.
    static let memoryBudget = 512 << 20

    public struct Product: Sendable {
        public var d: Matrix  // [sample, classes]
        public var normSquared: [Float]  // ‖u_tc‖² per class
        public var units: Matrix  // U_t [classes, dimension]
        /// The template alone: right on this many of the sample (it depends on the template,
        /// the labels and the sample only, so an edit of another template keeps it).
        var aloneHits: Int?
    }

    public private(set) var products: [Template: Product] = [:]
    private var classKeys: [ClassLabel] = []
    /// The labelled images the products are over (all of them, or a seeded sample).
    public private(set) var sample: [Int] = []
    /// Classes scanned per image for the leave-one-out figures at the last `compute` (of
    /// all of them), for the bench.
    public private(set) var lastCandidatesPerImage = 0.0
    /// The scan's classes per row and every template's products at them, kept between
    /// edits (valid for `sample` × `classKeys` and the products held).
    private var slab = CandidateSlab()
    /// The steps of the last `compute` that ran to its end, timed (for the bench).
    public private(set) var lastSteps = StepTimes()

    /// No products yet.
    public init() {}

    public struct Row: Sendable, Equatable {
        public var accuracy: Double
        public var leaveOneOut: Double
    }

    /// A weighted set's ensemble for `compute`: its class vectors V_c = Σ_t w_t u_tc + s_c
    /// (not normalised, `[classes, dimension]`) and the weights. Leaving template t out of
    /// it leaves V_c − w_t u_tc: the same algebra as the plain ensemble's, with t's
    /// prompts scaled by w_t (a template of weight 0 changes nothing when left out).
    public struct Weighted: Sendable {
        public let vectors: [Double]
        public let weights: [Template: Double]
        public init(vectors: [Double], weights: [Template: Double]) { self.vectors = vectors; self.weights = weights }
    }

    /// Effects of `templates`, by template (a repeated template has one row), or nil when
    /// `shouldStop` said stop between templates. `scores` are the set's as scored: the
    /// plain ensemble's, or with `weighted`, the weighted ensemble's. `classTable`: the
    /// ensemble's `classTable` of these labels, when the caller made it already.
    public mutating func compute(
        templates: [Template], labels: LabelSet, truth: [Int?], images: Matrix,
        ensemble: EnsembleState, classTable: EnsembleState.ClassTable? = nil, scores: SetScores, weighted: Weighted? = nil,
        held: (String) -> [Float]? = { _ in nil }, embeddings: (Set<String>) -> [String: [Float]]?, shouldStop: () -> Bool
    ) -> [Template: Row]? {
        var steps = StepTimes()
        guard
            prepare(
                templates: templates, labels: labels, truth: truth, images: images, held: held, embeddings: embeddings,
                shouldStop: shouldStop, steps: &steps)
        else { return nil }
        let k = labels.classes.count, dim = images.cols
        guard !sample.isEmpty, k > 0, !templates.isEmpty else {
            return Dictionary(templates.map { ($0, Row(accuracy: 0, leaveOneOut: 0)) }, uniquingKeysWith: { a, _ in a })
        }
        let used = Set(templates)
        if shouldStop() { return nil }
        // The ensemble per class: ‖S_c‖, and S_c as float32 for the S·u products (the plain
        // ensemble's from the table its cosines were made with, when the caller has it).
        var sNorm = [Double](repeating: 0, count: k), sCount = [Int](repeating: 0, count: k)
        let table = weighted == nil ? classTable : nil
        var sFloat = table?.sums ?? Matrix(zeros: k, dim)
        if let table {
            sNorm = table.norms
            sCount = table.counts
        }
        for (c, label) in labels.classes.enumerated() where table == nil {
            if let weighted {
                let v = weighted.vectors[(c * dim)..<((c + 1) * dim)]
                sNorm[c] = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                sCount[c] = label.sentences.isEmpty ? label.names.count * used.count : label.sentences.count
                for j in 0..<dim { sFloat.storage[c * dim + j] = Float(v[v.startIndex + j]) }
                continue
            }
            guard let s = ensemble.sum(label) else { continue }
            sNorm[c] = s.vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            sCount[c] = s.count
            for j in 0..<dim { sFloat.storage[c * dim + j] = Float(s.vector[j]) }
        }
        let truthOfSample = sample.map { truth[$0]! }
        var fullHits = 0
        for (r, i) in sample.enumerated() where scores.predictions[i] == truthOfSample[r] { fullHits += 1 }
        let full = Double(fullHits) / Double(sample.count)
        var rows: [Template: Row] = [:]
        let sampleRows = sample.map(Int32.init), sampleTruth = truthOfSample.map(Int32.init)
        let ones = [Float](repeating: 1, count: k)
        steps.lap("sums")
        // Prompts a template adds to each class: one per name, none for a sentence class.
        let names = labels.classes.map { $0.sentences.isEmpty ? $0.names.count : 0 }
        // Each template's leave-one-out coefficients, and their bounds per class over every
        // template, so that an image's leave-one-out winner is looked for among a few
        // classes. Write u_tc = λ·Ŝ_c + u⊥ with λ = u_tc·S_c/‖S_c‖; then x·u_tc = λ·cos + x·u⊥,
        // and with |x·u⊥| ≤ ‖u⊥‖ (images are unit) the score (cos·‖S‖ − o·x·u)·s lies within
        // o·s·‖u⊥‖ of cos·(‖S‖ − o·λ)·s. A class whose highest such score is below another's
        // lowest cannot win for any template. CLIP's templates of one class point nearly the
        // same way, so ‖u⊥‖ is a fraction of ‖u‖ and few classes stay; the scan then reads
        // those of each product, and finds the same winners as a scan of every class.
        let order = Array(used)
        var coefficients: [(p: [Float], q: [Float], m: [Float])] = []
        var low = [Double](repeating: .infinity, count: k), high = [Double](repeating: -.infinity, count: k)
        var spread = [Double](repeating: 0, count: k)
        let prompts = sCount.map(Int64.init), given = names.map(Int64.init)
        for t in order {
            if shouldStop() { return nil }
            let p = products[t]!
            // Weighted: t's prompts enter the class vector scaled by w_t.
            let wt = weighted.map { $0.weights[t] ?? 0 } ?? 1
            // Per class, the leave-one-out score is (cos·‖S‖ − w_t·D) / ‖S − w_t·u‖ (w_t = 1
            // for the plain ensemble); a class with its own sentences keeps its cosine, and a
            // class left without prompts scores 0. The coefficients and the bounds above are
            // made in C (`clip_loo_coefficients`) from S_c·u_tc for every class, one pass
            // over both matrices (a sentence class has u = 0, and its dot is not read).
            let dots = FastMath.rowDots(p.units.storage, sFloat.storage, rows: k, dimension: dim)
            steps.lap("coefficients.dots")
            coefficients.append(
                ArgmaxHits.leaveOneOutCoefficients(
                    dots: dots, normSquared: p.normSquared, sNorm: sNorm, sCount: prompts, names: given, weight: wt, low: &low,
                    high: &high, spread: &spread))
            steps.lap("coefficients.bounds")
        }
        if shouldStop() { return nil }
        // Where most classes stay (templates pointing every way, as random vectors do), a
        // full scan of each product reads memory in order and is quicker.
        var candidates: ArgmaxHits.Candidates? = ArgmaxHits.candidates(
            a: scores.cosines, rows: sampleRows, low: low, high: high, spread: spread)
        if candidates!.perRow > Double(k) / 8 { candidates = nil }
        lastCandidatesPerImage = candidates?.perRow ?? Double(k)
        steps.lap("candidates")
        if let candidates {
            slab.update(
                candidates: candidates, rows: sampleRows, truth: sampleTruth, cosines: scores.cosines,
                products: Dictionary(uniqueKeysWithValues: order.map { ($0, products[$0]!.d) }))
        }
        steps.lap("slab")
        for (i, t) in order.enumerated() {
            if shouldStop() { return nil }
            let p = products[t]!
            let (w, q, sc) = coefficients[i]
            let looHits =
                candidates == nil
                ? ArgmaxHits.count(a: scores.cosines, rows: sampleRows, b: p.d, p: w, q: q, m: sc, truth: sampleTruth)
                : ArgmaxHits.count(p: w, q: q, m: sc, truth: sampleTruth, slab: slab.view(t))
            // The template alone: D·a + cos·b (a class with its own sentences keeps its
            // cosine, b = 1), counted once per template and kept while labels and sample stay.
            let aloneHits: Int
            if let kept = p.aloneHits {
                aloneHits = kept
            } else {
                var a = [Float](repeating: 0, count: k), b = [Float](repeating: 0, count: k)
                for c in 0..<k {
                    if names[c] > 0 { a[c] = p.normSquared[c] > 0 ? 1 / p.normSquared[c].squareRoot() : 0 } else { b[c] = 1 }
                }
                aloneHits = ArgmaxHits.count(a: scores.cosines, rows: sampleRows, b: p.d, p: b, q: a, m: ones, truth: sampleTruth)
                products[t]?.aloneHits = aloneHits
            }
            let n = Double(sample.count)
            rows[t] = Row(
                accuracy: Double(aloneHits) / n,
                leaveOneOut: templates.count > 1 ? Double(looHits) / n - full : -full)
        }
        steps.lap("scan")
        lastSteps = steps
        return rows
    }

    /// The sample and the products of `templates` (those not kept from before); false
    /// when `shouldStop` said stop, or `embeddings` gave nothing.
    /// - Parameter embeddings: the unit embeddings of a set of prompts, all of them (more
    ///   may come along), asked for once (the store reads back from its disk cache, or
    ///   encodes again, what its bounded memory let go); nil: stop.
    public mutating func prepare(
        templates: [Template], labels: LabelSet, truth: [Int?], images: Matrix,
        embeddings: (Set<String>) -> [String: [Float]]?, shouldStop: () -> Bool
    ) -> Bool {
        var steps = StepTimes()
        return prepare(
            templates: templates, labels: labels, truth: truth, images: images, held: { _ in nil }, embeddings: embeddings,
            shouldStop: shouldStop, steps: &steps)
    }

    /// - Parameter held: a prompt's unit embedding where the caller has it at hand (nil:
    ///   asked of `embeddings`).
    private mutating func prepare(
        templates: [Template], labels: LabelSet, truth: [Int?], images: Matrix, held: (String) -> [Float]?,
        embeddings: (Set<String>) -> [String: [Float]]?, shouldStop: () -> Bool, steps: inout StepTimes
    ) -> Bool {
        defer { steps.lap("products") }
        let k = labels.classes.count, dim = images.cols
        let labelled = truth.indices.filter { truth[$0] != nil }
        let unique = Set(templates).count
        let fit = Self.memoryBudget / max(1, 4 * k * max(1, unique))
        var nextSample = labelled
        if labelled.count > fit {
            var rng = SplitMix64(seed: 3)
            nextSample = Array(labelled.shuffled(using: &rng).prefix(max(1, fit))).sorted()
        }
        let used = Set(templates)
        products = products.filter { used.contains($0.key) }
        if nextSample != sample || labels.classes != classKeys {
            slab.reset()
            // A label edit (a class renamed, added or removed; images gaining or losing
            // their truth): the products are kept where their class and image still are,
            // and only the new columns and rows computed. Recomputing all of them cost a
            // second at ImageNet × 80.
            if !products.isEmpty, !nextSample.isEmpty, k > 0,
                !remap(to: nextSample, labels: labels, images: images, embeddings: embeddings)
            {
                products = [:]
            }
            sample = nextSample
            classKeys = labels.classes
        }
        guard !sample.isEmpty, k > 0, !templates.isEmpty else { return true }
        let missing = Array(used.filter { products[$0] == nil })
        guard !missing.isEmpty else { return true }
        let x = rows(sample, of: images)  // the sample's rows, once
        // u_tc from the vectors the caller holds (a key's stage 1 has its prompts at hand:
        // one render and one lookup per prompt); the store is asked once for the rest, and
        // their classes summed again from the start, in the same order.
        let classNames = labels.classes.map { $0.sentences.isEmpty ? $0.names : [] }
        var units = [Matrix](repeating: Matrix(zeros: 0, 0), count: missing.count)
        var pending: [(template: Int, c: Int)] = []
        for (i, t) in missing.enumerated() {
            units[i] = Matrix(zeros: k, dim)
            units[i].storage.withUnsafeMutableBufferPointer { u in
                for (c, names) in classNames.enumerated() where !names.isEmpty {
                    let row = u.baseAddress! + c * dim
                    for name in names {
                        guard let e = held(t.render(name)) else {
                            pending.append((i, c))
                            row.update(repeating: 0, count: dim)
                            break
                        }
                        for j in 0..<dim { row[j] += e[j] }
                    }
                }
            }
        }
        steps.lap("products.units")
        if !pending.isEmpty {
            let prompts = Set(pending.flatMap { p in classNames[p.c].map(missing[p.template].render) })
            guard let vectors = embeddings(prompts) else { return false }
            for p in pending {
                let row = Self.unitSum(labels.classes[p.c], missing[p.template], vectors, dimension: dim)
                units[p.template].storage.replaceSubrange((p.c * dim)..<((p.c + 1) * dim), with: row)
            }
            steps.lap("products.lookup")
        }
        for (i, t) in missing.enumerated() {
            if shouldStop() { return false }
            let units = units[i]
            var norms = [Float](repeating: 0, count: k)
            units.storage.withUnsafeBufferPointer { u in
                for c in 0..<k where !classNames[c].isEmpty {
                    var n: Float = 0
                    for j in 0..<dim { n += u[c * dim + j] * u[c * dim + j] }
                    norms[c] = n
                }
            }
            let d = BLAS.withThreads(rows: x.rows, minimumRows: 32) { BLAS.matmul(x, units, transB: true) }
            steps.lap("products.matmul")
            products[t] = Product(d: d, normSquared: norms, units: units)
            slab.forget(t)
        }
        return true
    }

    /// u_tc: the sum of template `t`'s prompts' unit embeddings for the class's names.
    private static func unitSum(_ label: ClassLabel, _ t: Template, _ vectors: [String: [Float]], dimension dim: Int) -> [Float] {
        var row = [Float](repeating: 0, count: dim)
        for prompt in label.prompts([t]) {
            guard let e = vectors[prompt] else { continue }
            for j in 0..<dim { row[j] += e[j] }
        }
        return row
    }

    /// The rows `indices` of `images`, in order.
    private func rows(_ indices: [Int], of images: Matrix) -> Matrix {
        let dim = images.cols
        var x = Matrix(zeros: indices.count, dim)
        for (r, i) in indices.enumerated() {
            x.storage.replaceSubrange((r * dim)..<((r + 1) * dim), with: images.storage[(i * dim)..<((i + 1) * dim)])
        }
        return x
    }

    /// Moves every product to `newSample` × `labels`: entries whose image and class were
    /// there before are copied, the rest computed (new classes' units from `embeddings`).
    /// False when `embeddings` gave nothing (the caller starts over).
    private mutating func remap(
        to newSample: [Int], labels: LabelSet, images: Matrix, embeddings: (Set<String>) -> [String: [Float]]?
    ) -> Bool {
        let k = labels.classes.count, dim = images.cols, n = newSample.count
        var oldColumn: [ClassLabel: Int] = [:]
        for (c, key) in classKeys.enumerated() where oldColumn[key] == nil { oldColumn[key] = c }
        var oldRow: [Int: Int] = [:]
        for (r, i) in sample.enumerated() { oldRow[i] = r }
        // A class still at its index comes from there (a repeated class has two columns).
        let columnSource = labels.classes.indices.map { c in
            c < classKeys.count && classKeys[c] == labels.classes[c] ? c : oldColumn[labels.classes[c]]
        }
        let rowSource = newSample.map { oldRow[$0] }
        let newColumns = columnSource.indices.filter { columnSource[$0] == nil }
        let newRows = rowSource.indices.filter { rowSource[$0] == nil }
        // New classes' prompts, for every kept template, asked for at once.
        let templates = Array(products.keys)
        let newLabels = newColumns.map { labels.classes[$0] }.filter(\.sentences.isEmpty)
        var vectors: [String: [Float]] = [:]
        if !newLabels.isEmpty {
            guard let v = embeddings(Set(newLabels.flatMap { $0.prompts(templates) })) else { return false }
            vectors = v
        }
        // Where each column comes from (−1: new); in place when every kept column keeps its index.
        let gather = columnSource.map { $0 ?? -1 }
        let columnsInPlace = k == classKeys.count && gather.indices.allSatisfy { gather[$0] < 0 || gather[$0] == $0 }
        // Rows only dropped, the rest in order (each moves up, never down).
        let closeUp = columnsInPlace && newRows.isEmpty && rowSource.indices.allSatisfy { rowSource[$0]! >= $0 }
        let x = newColumns.isEmpty ? Matrix(zeros: 0, dim) : rows(newSample, of: images)
        let xNew = rows(newRows.map { newSample[$0] }, of: images)
        for t in templates {
            var old = products.removeValue(forKey: t)!
            // The units likewise: kept in place where the columns are.
            var units = columnsInPlace ? old.units : Matrix(zeros: k, dim)
            var norms = columnsInPlace ? old.normSquared : [Float](repeating: 0, count: k)
            if columnsInPlace { old.units = Matrix(zeros: 0, 0) }  // the only reference left
            for c in 0..<k {
                if let o = columnSource[c] {
                    if columnsInPlace { continue }
                    units.storage.replaceSubrange((c * dim)..<((c + 1) * dim), with: old.units.storage[(o * dim)..<((o + 1) * dim)])
                    norms[c] = old.normSquared[o]
                } else if labels.classes[c].sentences.isEmpty {
                    let row = Self.unitSum(labels.classes[c], t, vectors, dimension: dim)
                    norms[c] = row.reduce(0) { $0 + $1 * $1 }
                    units.storage.replaceSubrange((c * dim)..<((c + 1) * dim), with: row)
                } else {
                    // A class with its own sentences ignores templates (u = 0).
                    norms[c] = 0
                    units.storage.replaceSubrange((c * dim)..<((c + 1) * dim), with: repeatElement(0, count: dim))
                }
            }
            // Kept entries, row by row; new columns and rows from small products. Where the
            // columns stay in place and no row is new (a rename: its images lose their
            // truth), the rows close up in the old storage, nothing else copied.
            let oldK = old.d.cols
            var d: [Float]
            if closeUp {
                d = old.d.storage
                old.d.storage = []  // the only reference left: changed in place
                d.withUnsafeMutableBufferPointer { buffer in
                    let base = buffer.baseAddress!
                    for r in 0..<n where rowSource[r]! != r { (base + r * k).update(from: base + rowSource[r]! * k, count: k) }
                }
                d.removeLast(d.count - n * k)
            } else {
                var fresh = [Float](repeating: 0, count: n * k)
                old.d.storage.withUnsafeBufferPointer { src in
                    fresh.withUnsafeMutableBufferPointer { dst in
                        for r in 0..<n {
                            guard let or = rowSource[r] else { continue }
                            let from = src.baseAddress! + or * oldK, to = dst.baseAddress! + r * k
                            if columnsInPlace {
                                to.update(from: from, count: k)
                            } else {
                                for c in 0..<k where gather[c] >= 0 { to[c] = from[gather[c]] }
                            }
                        }
                    }
                }
                d = fresh
            }
            if !newColumns.isEmpty {
                var u = Matrix(zeros: newColumns.count, dim)
                for (m, c) in newColumns.enumerated() {
                    u.storage.replaceSubrange((m * dim)..<((m + 1) * dim), with: units.storage[(c * dim)..<((c + 1) * dim)])
                }
                let fresh = BLAS.matmul(x, u, transB: true)  // [n, new columns]
                for r in 0..<n { for (m, c) in newColumns.enumerated() { d[r * k + c] = fresh.storage[r * newColumns.count + m] } }
            }
            if !newRows.isEmpty {
                let fresh = BLAS.matmul(xNew, units, transB: true)  // [new rows, k]
                for (m, r) in newRows.enumerated() { d.replaceSubrange((r * k)..<((r + 1) * k), with: fresh.storage[(m * k)..<((m + 1) * k)]) }
            }
            // The template alone's hits depend on the labels and the sample: counted again.
            products[t] = Product(d: Matrix(rows: n, cols: k, storage: d), normSquared: norms, units: units)
        }
        return true
    }
}
