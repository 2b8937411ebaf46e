import Foundation
import Tensors

/// What to evaluate: the labels and the two template sets as they are now.
public struct EvaluationRequest: Sendable, Equatable {
    /// The classes to score, in order.
    public var labels: LabelSet
    /// Template set A, as typed (lines without `{}` make no prompt).
    public var templatesA: [Template]
    /// Template set B.
    public var templatesB: [Template]
    /// Multiplies the checkpoint's logit scale (a temperature of 1 / factor): only the
    /// softmax over the kept cosines is redone when it changes.
    public var scaleFactor: Float

    /// - Parameter scaleFactor: multiplies the logit scale (1 / temperature).
    public init(labels: LabelSet, templatesA: [Template], templatesB: [Template], scaleFactor: Float = 1) {
        self.labels = labels
        self.templatesA = templatesA
        self.templatesB = templatesB
        self.scaleFactor = scaleFactor
    }
}

/// The engine of a live session: images embedded once, and for each template set an
/// ensemble and its cosines kept between edits, so that an edit costs what it changes.
/// An evaluation runs in stages, each handed out as soon as it is ready:
///
/// 1. `.scores`: both sets' cosines, predictions and probabilities, top-1 with Wilson
///    intervals, McNemar's test and the flips (an edit to A does not touch B);
/// 2. `.statistics`: full metrics and the paired bootstrap (`ABComparison`);
/// 3. `.templates`: each template's own accuracy and leave-one-out effect.
///
/// `shouldStop` is asked between prompt batches and between stages: a newer edit abandons
/// the rest, and no stale stage is handed out after it said stop.
///
/// Not thread-safe: one owner runs it (`LiveEngine` keeps it behind a mutex).
public final class LiveEvaluator {
    /// Where prompt embeddings come from (memory, disk cache, encoder).
    public let store: EmbeddingStore
    /// `[images, dimension]` unit-length image embeddings, in the order scores are reported.
    public let images: Matrix
    /// Each image's true class name, matched against the labels at each request (nil: unlabelled).
    public let truthNames: [String?]
    /// The score rule: the checkpoint's (or the lab's temperature); a request's factor multiplies its logits.
    public let baseRule: ScoreRule
    private var rule: ScoreRule

    private struct Side {
        var ensemble: EnsembleState
        var classKeys: [ClassLabel] = []
        var scores: SetScores?
        var effects = TemplateEffects()
        var effectsFor: (labels: LabelSet, templates: [Template], images: Int)?
        var lastEffects: [TemplateEffects.Row]?
    }

    private var sides: [Side]
    /// Token counts by prompt text: each distinct prompt is tokenized once.
    private var tokenCounts: [String: Int] = [:]
    private var longestPrompt: [Template: (labels: [ClassLabel], tokens: Int)] = [:]

    /// - Parameter rule: how cosines become probabilities; nil takes the provider's.
    public init(store: EmbeddingStore, images: Matrix, truthNames: [String?], rule: ScoreRule? = nil) {
        precondition(images.rows == truthNames.count, "one truth entry per image")
        self.store = store
        self.images = images
        self.truthNames = truthNames
        self.baseRule = rule ?? store.provider.scoreRule
        self.rule = baseRule
        sides = [
            Side(ensemble: EnsembleState(dimension: store.provider.dimension)),
            Side(ensemble: EnsembleState(dimension: store.provider.dimension))
        ]
    }

    public convenience init(store: EmbeddingStore, images: PromptLab.EmbeddedImages, rule: ScoreRule? = nil) {
        self.init(store: store, images: images.matrix, truthNames: images.truthNames, rule: rule)
    }

    /// At most this many prompts are encoded between two looks at `shouldStop`…
    public static let promptBatch = 64
    /// …and about this long: what a newer edit may wait for (a SigLIP prompt costs 50–100
    /// ms, so 64 of them would be seconds).
    public static let promptBatchSeconds = 0.2

    /// What a published evaluation holds so far: scores first, then statistics, then per-template figures.
    public enum Stage: Int, Sendable, Comparable {
        case scores, statistics, templates
        public static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
    }

    /// Runs the stages of `request`, handing each result to `publish`. Returns false when
    /// stopped before the last stage. `progress` gets (prompts encoded, prompts to encode).
    @discardableResult
    public func evaluate(
        _ request: EvaluationRequest, progress: ((Int, Int) -> Void)? = nil,
        shouldStop: () -> Bool = { false },
        publish: (LiveEvaluation) -> Void
    ) throws -> Bool {
        let start = DispatchTime.now()
        let labels = request.labels
        // Templates without a placeholder are left out of the ensembles (as in `PromptPlan`).
        let usedA = request.templatesA.filter(\.hasPlaceholder), usedB = request.templatesB.filter(\.hasPlaceholder)
        let truth = labels.truthIndices(truthNames)
        rule = baseRule.scaled(by: request.scaleFactor)
        // Prompts of both sets that are not embedded yet, encoded together (a label edit
        // needs the same class in A and B).
        var a = sides[0], b = sides[1]
        let changeA = a.ensemble.change(to: labels, templates: usedA)
        let changeB = b.ensemble.change(to: labels, templates: usedB)
        let needed = a.ensemble.promptsNeeded(changeA, templates: usedA)
            .union(b.ensemble.promptsNeeded(changeB, templates: usedB))
        guard
            let embeddings = try store.textEmbeddings(
                needed, batchSize: Self.promptBatch, batchSeconds: Self.promptBatchSeconds, progress: progress,
                shouldStop: shouldStop)
        else { return false }
        if shouldStop() { return false }
        update(&a, changeA, labels: labels, templates: usedA, embeddings: embeddings)
        update(&b, changeB, labels: labels, templates: usedB, embeddings: embeddings)
        sides = [a, b]
        let scoresA = a.scores!, scoresB = b.scores!
        var result = LiveEvaluation(
            classNames: labels.classes.map(\.name), truth: truth, truthNames: truthNames,
            a: scoresA, b: scoresB, summary: .init(a: scoresA, b: scoresB, truth: truth),
            seconds: seconds(since: start))
        publish(result)

        if shouldStop() { return false }
        if result.summary != nil {
            result.comparison = ABComparison(a: scoresA.table(), b: scoresB.table(), truth: truth)
        }
        result.completed = .statistics
        publish(result)

        if shouldStop() { return false }
        // Token counts take a tokenization per new prompt (87,000 at ImageNet scale on
        // opening): asked to stop between templates like the products below.
        guard let tokensA = tokens(request.templatesA, labels: labels, shouldStop: shouldStop),
            let tokensB = tokens(request.templatesB, labels: labels, shouldStop: shouldStop)
        else { return false }
        result.templateTokensA = tokensA
        result.templateTokensB = tokensB
        if result.summary != nil {
            for s in 0..<2 {
                let templates = s == 0 ? usedA : usedB
                let all = s == 0 ? request.templatesA : request.templatesB
                // Rows follow the request's templates; one left out has none.
                func aligned(_ rows: [TemplateEffects.Row]) -> [TemplateEffects.Row?] {
                    var next = rows[...]
                    return all.map { $0.hasPlaceholder ? next.popFirst() : nil }
                }
                var side = sides[s]
                if let f = side.effectsFor, f.labels == labels, f.templates == templates, f.images == images.rows,
                    let last = side.lastEffects
                {
                    if s == 0 { result.effectsA = aligned(last) } else { result.effectsB = aligned(last) }
                    continue
                }
                let rows = side.effects.compute(
                    templates: templates, labels: labels, truth: truth, images: images,
                    ensemble: side.ensemble, scores: side.scores!,
                    embedding: { self.store.memoryEmbedding($0) }, shouldStop: shouldStop)
                guard let rows else { sides[s] = side; return false }
                side.effectsFor = (labels, templates, images.rows)
                side.lastEffects = rows
                result.effectSample = side.effects.sample.count
                sides[s] = side
                if s == 0 { result.effectsA = aligned(rows) } else { result.effectsB = aligned(rows) }
            }
            result.effectSample = result.effectSample ?? sides[0].effects.sample.count
        }
        result.completed = .templates
        publish(result)
        return true
    }

    /// Each image's cosine to a text (its unit embedding, through the same encoder and
    /// cache as the prompts): what a search of the images by text ranks them by.
    public func similarities(to text: String) throws -> [Float] {
        guard let v = try store.textEmbeddings(Set([text]))?[text], images.rows > 0 else { return [] }
        return BLAS.matmul(images, Matrix(rows: 1, cols: v.count, storage: v), transB: true).storage  // [n, 1]
    }

    private func update(
        _ side: inout Side, _ change: EnsembleState.Change, labels: LabelSet, templates: [Template],
        embeddings: [String: [Float]]
    ) {
        let moved = side.ensemble.apply(change, labels: labels, templates: templates, embeddings: embeddings)
        if let old = side.scores, moved.isEmpty, side.classKeys == labels.classes {
            // Only the scale moved: the cosines are kept, the softmax redone.
            if old.rule != rule { side.scores = SetScores(cosines: old.cosines, rule: rule) }
            return
        }
        side.scores = SetScores(cosines: cosines(side, labels: labels, moved: moved), rule: rule)
        side.classKeys = labels.classes
    }

    /// The new cosine matrix: columns of classes that did not move are copied from the old
    /// one, the others computed in one product.
    private func cosines(_ side: Side, labels: LabelSet, moved: Set<ClassLabel>) -> Matrix {
        let n = images.rows, k = labels.classes.count, d = images.cols
        var oldColumn: [ClassLabel: Int] = [:]
        if let old = side.scores { for (c, key) in side.classKeys.enumerated() where c < old.classCount { oldColumn[key] = oldColumn[key] ?? c } }
        var compute: [ClassLabel] = []
        var seen = Set<ClassLabel>()
        for label in labels.classes where (moved.contains(label) || oldColumn[label] == nil) && seen.insert(label).inserted {
            compute.append(label)
        }
        // Every class moved (a template edit): one product straight into the result, a
        // repeated class's row repeated, nothing copied.
        let everyClass = compute.count == Set(labels.classes).count
        let rows = everyClass ? labels.classes : compute
        var w = Matrix(zeros: rows.count, d)
        var unit: [ClassLabel: [Float]] = [:]
        for (r, label) in rows.enumerated() {
            let v = unit[label] ?? side.ensemble.unitVector(label)
            unit[label] = v
            w.storage.replaceSubrange((r * d)..<((r + 1) * d), with: v)
        }
        let fresh =
            rows.isEmpty || n == 0
            ? Matrix(zeros: n, rows.count)
            : BLAS.withThreads(rows: n, minimumRows: 32) { BLAS.matmul(images, w, transB: true) }  // [n, m]
        if everyClass { return fresh }
        let freshColumn = Dictionary(uniqueKeysWithValues: compute.enumerated().map { ($1, $0) })
        // Where each column comes from: ≥ 0 a fresh column, < 0 an old one (−1 − index).
        let source = labels.classes.map { label in freshColumn[label] ?? (-1 - (oldColumn[label] ?? 0)) }
        let old = side.scores?.cosines ?? Matrix(zeros: n, 1)
        let oldK = old.cols, m = compute.count
        // Row by row: both sources and the result are read and written contiguously (a
        // column at a time would stride through 40 MB at 10,000 × 1,000).
        let storage = [Float](unsafeUninitializedCapacity: n * k) { o, count in
            fresh.storage.withUnsafeBufferPointer { f in
                old.storage.withUnsafeBufferPointer { p in
                    for r in 0..<n {
                        let dst = o.baseAddress! + r * k, fr = f.baseAddress! + r * m, pr = p.baseAddress! + r * oldK
                        for c in 0..<k { let s = source[c]; dst[c] = s >= 0 ? fr[s] : pr[-1 - s] }
                    }
                }
            }
            count = n * k
        }
        return Matrix(rows: n, cols: k, storage: storage)
    }

    /// Each template's longest prompt in tokens (over every class name), from counts kept
    /// by prompt text.
    private func tokens(_ templates: [Template], labels: LabelSet, shouldStop: () -> Bool) -> [Int]? {
        var out: [Int] = []
        let names = labels.classes.flatMap(\.names)
        for t in templates {
            if let known = longestPrompt[t], known.labels == labels.classes { out.append(known.tokens); continue }
            if shouldStop() { return nil }
            let longest =
                (names.isEmpty ? [t.render("")] : names.map { t.render($0) }).map { p in
                    if let n = tokenCounts[p] { return n }
                    let n = store.provider.tokenize(p).untruncatedCount
                    tokenCounts[p] = n
                    return n
                }.max() ?? 0
            longestPrompt[t] = (labels.classes, longest)
            out.append(longest)
        }
        return out
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
