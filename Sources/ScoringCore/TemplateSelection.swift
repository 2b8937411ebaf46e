import Foundation
import Tensors

/// Greedy forward selection of templates (what OpenAI did to find its 7 ImageNet
/// templates), judged by k-fold cross-validation so that the reported accuracy is that of
/// sets chosen without the images they are judged on. The set to use is then chosen on all
/// the images.
///
/// It reads the products the template effects keep (`TemplateEffects`): for a subset S,
/// class c's classifier is Σ_{t∈S} u_tc normalised, so an image scores
/// Σ_{t∈S} D_t[x, c] / ‖Σ_{t∈S} u_tc‖, with ‖·‖² from the per-class Gram matrix
/// G_c[t, u] = u_tc · u_uc. That is the ensemble the engine scores (a sum of unit prompt
/// embeddings per class), so a selected set's accuracy is what `eval` gives it.
/// Templates are distinct texts: a repeated line is one candidate.
public struct TemplateSelection: Sendable, Equatable, Codable {
    /// Chosen on all the images: the set to use.
    public var templates: [Template]
    /// Top-1 of the procedure on held-out folds (each fold's choice made on the others).
    public var heldOutAccuracy: Double
    /// What each fold chose.
    public var foldChoices: [[Template]]
    /// Folds of the cross-validation.
    public var folds: Int
    /// Labelled images the selection was judged on (a seeded sample when the products of
    /// every labelled image would not fit in memory: see `TemplateEffects`).
    public var images: Int
    /// Labelled images in all.
    public var labelled: Int
    /// Top-1 of every candidate together on the same images (no choice made, so nothing to
    /// hold out): what the held-out figure is read against. Not in the JSON of `select`,
    /// whose report gives the full set's metrics itself.
    public var allTemplatesAccuracy: Double = 0

    enum CodingKeys: String, CodingKey {
        case templates, heldOutAccuracy = "held_out_accuracy", foldChoices = "fold_choices", folds, images, labelled
    }

    public init(templates: [Template], heldOutAccuracy: Double, foldChoices: [[Template]], folds: Int, images: Int, labelled: Int) {
        self.templates = templates; self.heldOutAccuracy = heldOutAccuracy; self.foldChoices = foldChoices
        self.folds = folds; self.images = images; self.labelled = labelled
    }
}

/// How far a forward selection is: in which fold (the last, `folds + 1`, is the choice
/// on all the images), trying which candidate, with how many chosen.
public struct SelectionProgress: Sendable, Equatable {
    public var fold: Int
    public var folds: Int
    public var trial: Int
    public var candidates: Int
    public var chosen: Int

    public init(fold: Int, folds: Int, trial: Int, candidates: Int, chosen: Int) {
        self.fold = fold; self.folds = folds; self.trial = trial; self.candidates = candidates; self.chosen = chosen
    }

    /// "template 12/80, fold 2/5", or "template 12/80, the final choice on all images".
    public var description: String {
        "template \(trial)/\(candidates), " + (fold <= folds ? "fold \(fold)/\(folds)" : "the final choice on all images")
    }
}

/// A forward selection stopped by its caller (the progress closure returned false).
public struct SelectionCancelled: Error, Equatable {
    public init() {}
}

extension TemplateEffects {
    /// Forward selection among `templates` over the sample's products, which `prepare`
    /// must have made for exactly these labels and images. `cosines` are the ensemble's
    /// (a class with its own sentences keeps its score whatever the subset).
    /// - Parameter progress: called before each trial of a candidate; false stops the
    ///   selection, which then throws `SelectionCancelled`.
    public func select(
        templates: [Template], labels: LabelSet, truth: [Int?], cosines: Matrix,
        folds k: Int, seed: UInt64, maxSize: Int?, progress: ((SelectionProgress) -> Bool)? = nil
    ) throws -> TemplateSelection {
        var candidates: [Template] = []
        var seen = Set<Template>()
        for t in templates where seen.insert(t).inserted && products[t] != nil { candidates.append(t) }
        let labelledCount = truth.filter { $0 != nil }.count
        let classes = labels.classes.count
        guard !candidates.isEmpty, !sample.isEmpty, classes > 0 else {
            return TemplateSelection(templates: [], heldOutAccuracy: 0, foldChoices: [], folds: 0, images: sample.count, labelled: labelledCount)
        }
        let grid = SelectionGrid(candidates.map { products[$0]! }, labels: labels, sample: sample, truth: truth, cosines: cosines)
        var order = Array(0..<sample.count)
        var rng = SplitMix64(seed: seed)
        order.shuffle(using: &rng)
        let folds = max(1, min(k, sample.count))
        var hits = 0
        var choices: [[Template]] = []
        func report(_ fold: Int) -> (Int, Int) -> Bool {
            { trial, chosen in
                progress?(SelectionProgress(fold: fold, folds: folds, trial: trial, candidates: candidates.count, chosen: chosen)) ?? true
            }
        }
        for f in 0..<folds {
            let test = order.enumerated().filter { $0.offset % folds == f }.map(\.element)
            let train = order.enumerated().filter { $0.offset % folds != f }.map(\.element)
            let chosen = try grid.forward(on: train.isEmpty ? test : train, maxSize: maxSize, report: report(f + 1))
            choices.append(chosen.map { candidates[$0] })
            hits += grid.hits(chosen, on: test)
        }
        let everyRow = Array(0..<sample.count)
        let all = try grid.forward(on: everyRow, maxSize: maxSize, report: report(folds + 1))
        var selection = TemplateSelection(
            templates: all.map { candidates[$0] }, heldOutAccuracy: Double(hits) / Double(sample.count),
            foldChoices: choices, folds: folds, images: sample.count, labelled: labelledCount)
        selection.allTemplatesAccuracy = Double(grid.hits(Array(candidates.indices), on: everyRow)) / Double(sample.count)
        return selection
    }
}

/// The numbers a subset's scores follow from: each candidate's products on the sample,
/// the per-class Gram matrices, and the scores of classes no template reaches.
private struct SelectionGrid {
    let d: [Matrix]  // per candidate: [sample, classes]
    let gram: [[Float]]  // per class: [candidates × candidates]
    let fixed: [Bool]  // a class with its own sentences: its score is the ensemble's
    let cosines: Matrix  // [sample, classes] of the ensemble
    let truth: [Int]  // per sample row
    let classes: Int

    init(_ products: [TemplateEffects.Product], labels: LabelSet, sample: [Int], truth: [Int?], cosines all: Matrix) {
        let k = labels.classes.count, m = products.count, dim = products[0].units.cols
        d = products.map(\.d)
        fixed = labels.classes.map { !$0.sentences.isEmpty }
        classes = k
        self.truth = sample.map { truth[$0]! }
        var rows = Matrix(zeros: sample.count, k)
        for (r, i) in sample.enumerated() {
            rows.storage.replaceSubrange((r * k)..<((r + 1) * k), with: all.storage[(i * k)..<((i + 1) * k)])
        }
        cosines = rows
        // G_c = U_c U_cᵀ with U_c the candidates' class-c rows stacked.
        var gram: [[Float]] = []
        gram.reserveCapacity(k)
        var stacked = Matrix(zeros: m, dim)
        for c in 0..<k {
            for (t, p) in products.enumerated() {
                stacked.storage.replaceSubrange((t * dim)..<((t + 1) * dim), with: p.units.storage[(c * dim)..<((c + 1) * dim)])
            }
            gram.append(BLAS.matmul(stacked, stacked, transB: true).storage)
        }
        self.gram = gram
    }

    /// Correct top-1 predictions of the subset `chosen` on sample rows `rows`.
    func hits(_ chosen: [Int], on rows: [Int]) -> Int {
        guard !chosen.isEmpty else { return 0 }
        let m = d.count
        let scale = (0..<classes).map { c -> Float in
            var s: Float = 0
            for t in chosen { for u in chosen { s += gram[c][t * m + u] } }
            return s > 0 ? 1 / s.squareRoot() : 0
        }
        var hits = 0
        for r in rows {
            var best = 0, top = -Float.infinity
            for c in 0..<classes {
                var s: Float
                if fixed[c] {
                    s = cosines.storage[r * classes + c]
                } else {
                    s = 0
                    for t in chosen { s += d[t].storage[r * classes + c] }
                    s *= scale[c]
                }
                if s > top { top = s; best = c }
            }
            if best == truth[r] { hits += 1 }
        }
        return hits
    }

    /// Start empty; add the candidate that most improves top-1 on `rows`; stop when none
    /// improves it or `maxSize` is reached. Running sums make each trial one pass.
    /// `report(trial, chosen)` before each trial; false stops with `SelectionCancelled`.
    func forward(on rows: [Int], maxSize: Int?, report: (Int, Int) -> Bool) throws -> [Int] {
        let m = d.count, k = classes
        let limit = min(maxSize ?? m, m)
        var chosen: [Int] = []
        var best = -1
        // Σ_{t∈S} D_t on these rows, and Σ_{t,u∈S} G_c[t, u] per class.
        var sum = [Float](repeating: 0, count: rows.count * k)
        var norm2 = [Float](repeating: 0, count: k)
        while chosen.count < limit {
            var pick: (t: Int, hits: Int)?
            for t in 0..<m where !chosen.contains(t) {
                guard report(t + 1, chosen.count) else { throw SelectionCancelled() }
                let scale = (0..<k).map { c -> Float in
                    var s = norm2[c] + gram[c][t * m + t]
                    for u in chosen { s += 2 * gram[c][t * m + u] }
                    return s > 0 ? 1 / s.squareRoot() : 0
                }
                var hits = 0
                for (j, r) in rows.enumerated() {
                    var bestClass = 0, top = -Float.infinity
                    for c in 0..<k {
                        let s = fixed[c] ? cosines.storage[r * k + c] : (sum[j * k + c] + d[t].storage[r * k + c]) * scale[c]
                        if s > top { top = s; bestClass = c }
                    }
                    if bestClass == truth[r] { hits += 1 }
                }
                if pick == nil || hits > pick!.hits { pick = (t, hits) }
            }
            guard let (t, hits) = pick, hits > best else { break }
            for c in 0..<k {
                norm2[c] += gram[c][t * m + t]
                for u in chosen { norm2[c] += 2 * gram[c][t * m + u] }
            }
            for (j, r) in rows.enumerated() {
                for c in 0..<k { sum[j * k + c] += d[t].storage[r * k + c] }
            }
            chosen.append(t)
            best = hits
        }
        return chosen
    }
}
