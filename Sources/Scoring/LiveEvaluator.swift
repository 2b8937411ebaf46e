import Foundation
import Tensors

/// What to evaluate: the labels and the template sets as they are now.
public struct EvaluationRequest: Sendable, Equatable {
    /// The classes to score, in order.
    public var labels: LabelSet
    /// The template sets as typed, in order (the first is the reference, A; the second B).
    /// Lines without `{}` make no prompt.
    public var sets: [[Template]]
    /// Divides the model's logits (1: the model as trained; `ScoreRule.at(temperature:)`).
    /// Only the last step is redone when it changes: the cosines are kept.
    public var temperature: Float
    /// The last stage to compute: a command that shows no per-template figure stops at
    /// `.statistics`.
    public var through: LiveEvaluator.Stage
    /// The sets whose per-template figures the last stage computes (nil: every set). A
    /// session with eight sets shows two of them: the other six cost nothing there.
    public var figuresFor: Set<Int>?
    /// Each set's template weights (`WeightedEnsemble`); nil, or a set past its end: equal
    /// weights, the plain ensemble. A template of the set missing from its weights weighs 0.
    public var weights: [[Template: Double]?]
    /// Each set's weights made inside the evaluation, from its embeddings, again after
    /// every edit (the session's weighting); a set with `weights` of its own keeps those.
    public var methods: [WeightingMethod?] = []

    /// - Parameters: `sets` in order; `temperature` divides the model's logits.
    public init(
        labels: LabelSet, sets: [[Template]], temperature: Float = 1, through: LiveEvaluator.Stage = .templates,
        figuresFor: Set<Int>? = nil, weights: [[Template: Double]?] = []
    ) {
        self.labels = labels
        self.sets = sets
        self.temperature = temperature
        self.through = through
        self.figuresFor = figuresFor
        self.weights = weights
    }

    /// Set `s`'s weights (nil: equal).
    public func weights(of s: Int) -> [Template: Double]? { s < weights.count ? weights[s] : nil }
    /// How set `s`'s weights are made when it has none given (nil: equal).
    public func method(of s: Int) -> WeightingMethod? { s < methods.count ? methods[s] : nil }

    /// A session's two sets, A and B.
    public init(labels: LabelSet, templatesA: [Template], templatesB: [Template], temperature: Float = 1) {
        self.init(labels: labels, sets: [templatesA, templatesB], temperature: temperature)
    }
}

/// How a set's template weights are made inside an evaluation, from the embeddings it has.
public enum WeightingMethod: String, Sendable, Equatable, CaseIterable, Codable {
    /// Allingham et al.'s label-free weights over the evaluator's images
    /// (`ZeroShotPromptWeights`), with the pre-training term over `zpeReference` when set;
    /// each template's score is kept, so an edit re-scores the templates it changed.
    case zpe
    /// Weights fitted to the labelled images (`WeightFitter`, on all of them: the session
    /// shows the weights, not held-out figures; `eval --weights fit` reports those).
    case fit
}

/// The one engine of clip-tui: the session evaluates with it live, and every command
/// (`eval`, `compare`, `select`, `export`) is a one-shot evaluation of the same request.
/// Images are embedded once; for each template set an ensemble and its cosines are kept
/// between edits, so that an edit costs what it changes. An evaluation runs in stages,
/// each handed out as soon as it is ready:
///
/// 1. `.scores`: every set's cosines, predictions and probabilities; with two or more
///    sets, top-1 with Wilson intervals, McNemar's test and the flips of the first two;
/// 2. `.statistics`: full metrics of every set and the paired comparison of the first two;
/// 3. `.templates`: each template's longest prompt, its warning, its own accuracy and its
///    leave-one-out effect, by template text.
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
    /// The rule at temperature 1: the checkpoint's (or a `--logit-scale`'s).
    public let baseRule: ScoreRule
    private var rule: ScoreRule

    private struct Side {
        var ensemble: EnsembleState
        var classKeys: [ClassLabel] = []
        var scores: SetScores?
        var effects = TemplateEffects()
        var effectsFor: (labels: LabelSet, templates: [Template], images: Int, weights: [Template: Double]?)?
        var lastEffects: [Template: TemplateEffects.Row]?
        /// The metrics of `scores` under a truth: kept while neither moves (a keystroke in
        /// one set leaves the other sets' metrics as they were).
        var metrics: (truth: [Int?], value: Metrics)?
        /// The template weights `scores` were made with (nil: equal).
        var weights: [Template: Double]?
        /// ZPE's score of each template under these classes (kept across edits).
        var zpeScores: (classes: [ClassLabel], scores: [Template: Double])?
        /// A weighted set's per-template class sums (`TemplateSums`), kept across edits.
        var templateSums: TemplateSums?
        /// The ensemble's classifiers as the last cosines were made from them (a template
        /// key's), for the template figures; nil when the cosines were made otherwise.
        var classTable: (labels: [ClassLabel], table: EnsembleState.ClassTable)?
    }

    private var sides: [Side] = []
    /// Images standing for the pre-training data: ZPE's pre-training term when a set is
    /// weighted by `.zpe` (nil: the term is left out). Setting it re-scores every template.
    public var zpeReference: Matrix? {
        didSet { for s in sides.indices { sides[s].zpeScores = nil } }
    }
    /// The truth of the last labels asked for: matching 1,000 classes' names, WordNet ids
    /// and English names took 10-15 ms, at every keystroke.
    private var lastTruth: (labels: LabelSet, truth: [Int?])?

    /// Each image's class under `labels`, by name (nil: unlabelled, or no such class).
    private func truth(_ labels: LabelSet) -> [Int?] {
        if let last = lastTruth, last.labels == labels { return last.truth }
        let truth = labels.truthIndices(truthNames)
        lastTruth = (labels, truth)
        return truth
    }
    /// Each template's longest prompt under `longestFor` (the labels of the last request),
    /// and the name that makes it (nil: no names).
    private var longestPrompt: [Template: (tokens: Int, name: String?)] = [:]
    private var longestFor: [ClassLabel] = []
    /// The steps of the evaluation under way, timed; each published result carries them.
    private var steps = StepTimes()
    /// The embeddings stage 1 of the evaluation under way got from the store (a key's added
    /// and removed templates' prompts): the template figures read the added template's
    /// from here rather than asking the store again (2,000 string hashes at ImageNet scale).
    private var stageEmbeddings: [String: [Float]] = [:]

    /// - Parameter rule: how cosines become probabilities at temperature 1; nil takes the provider's.
    public init(store: EmbeddingStore, images: Matrix, truthNames: [String?], rule: ScoreRule? = nil) {
        precondition(images.rows == truthNames.count, "one truth entry per image")
        self.store = store
        self.images = images
        self.truthNames = truthNames
        self.baseRule = rule ?? store.provider.scoreRule
        self.rule = baseRule
    }

    public convenience init(store: EmbeddingStore, images: EmbeddedImages, rule: ScoreRule? = nil) {
        self.init(store: store, images: images.matrix, truthNames: images.truthNames, rule: rule)
    }

    /// At most this many prompts are encoded between two looks at `shouldStop`…
    public static let promptBatch = 64
    /// …and about this long: what a newer edit may wait for (a SigLIP prompt costs 50–100
    /// ms, so 64 of them would be seconds). Not shorter: a ViT-B/32 text tower at 0.2 s
    /// batches (20–30 prompts, each batch computing its shared prefix and packing the
    /// weights again) took 1.35× as long per template as in batches of 64, and the last key
    /// of a burst waited 17 s for a template encoded in 7.7 s.
    public static let promptBatchSeconds = 0.5
    /// A cold open's batches are larger: a ViT-B/32 text tower encodes 1,000 prompts in
    /// 3.5–4.3 s in batches of up to 1,000 against 6.0–7.4 s in batches of 0.2 s (2 threads,
    /// a template's prompts sharing their prefix). A key typed meanwhile waits for the batch
    /// under way: about a second, once per session.
    public static let coldOpenBatch = 512
    public static let coldOpenBatchSeconds = 1.0

    /// What a published evaluation holds so far: scores first, then statistics, then per-template figures.
    public enum Stage: Int, Sendable, Comparable {
        case scores, statistics, templates
        public static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
    }

    /// Runs `request` to its last stage and returns that stage's result: what a command does.
    /// `partial` gets the scores a cold open hands out from the templates encoded so far.
    public func evaluateOnce(
        _ request: EvaluationRequest, progress: ((Int, Int) -> Void)? = nil, partial: ((LiveEvaluation) -> Void)? = nil
    ) throws -> LiveEvaluation {
        var last: LiveEvaluation?
        try evaluate(request, progress: progress) { e in
            if e.isPartial { partial?(e) }
            last = e
        }
        return last!  // never stopped: every stage through `request.through` is published
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
        steps = StepTimes()
        stageEmbeddings = [:]
        defer { stageEmbeddings = [:] }
        let labels = request.labels
        // Templates without a placeholder are left out of the ensembles (as in `PromptPlan`).
        let used = request.sets.map { $0.filter(\.hasPlaceholder) }
        let truth = self.truth(labels)
        rule = baseRule.at(temperature: request.temperature)
        // The store's memory holds every prompt these sets make, and room for the edits.
        let perTemplate = labels.classes.reduce(0) { $0 + ($1.sentences.isEmpty ? $1.names.count : 0) }
        let templateCount = Set(request.sets.joined()).count, working = templateCount * perTemplate
        store.reserveTextCapacity(working + labels.classes.reduce(0) { $0 + $1.sentences.count })
        if longestPrompt.count > 4 * templateCount + 1_024 { longestPrompt.removeAll() }
        while sides.count < request.sets.count { sides.append(Side(ensemble: EnsembleState(dimension: store.provider.dimension))) }
        if sides.count > request.sets.count { sides.removeLast(sides.count - request.sets.count) }
        // A cold open encodes every set's prompts (79,840 at ImageNet × 80 templates, minutes
        // with a real model): template by template, with scores from the templates so far
        // handed out on the way.
        // (A keystroke adds one template: nothing to hand out before it is in.)
        let (needed, added, changes) = promptsNeeded(used, labels: labels)
        var neededNow: (prompts: Set<String>, changes: [EnsembleState.Change])? = (needed, changes)
        if added >= 2, needed.count >= Self.progressiveMinimum, case let toEncode = store.missingTexts(needed),
            toEncode.count >= Self.progressiveMinimum
        {
            guard
                try encodeProgressively(
                    request, used: used, labels: labels, truth: truth, toEncode: toEncode, start: start, progress: progress,
                    shouldStop: shouldStop, publish: publish)
            else { return false }
            neededNow = nil  // the sides moved on the way
        }
        guard
            var result = try scores(
                request, used: used, labels: labels, truth: truth, start: start, progress: progress, shouldStop: shouldStop,
                needed: neededNow)
        else { return false }
        publish(result)
        steps.lap("publish")
        if request.through == .scores { return true }

        if shouldStop() { return false }
        let labelled = truth.contains { $0 != nil } && !labels.classes.isEmpty
        if labelled {
            for s in result.sets.indices {
                if let kept = sides[s].metrics, kept.truth == truth {
                    result.sets[s].metrics = kept.value
                } else {
                    let m = Metrics(scores: result.sets[s].scores, truth: truth)
                    sides[s].metrics = (truth, m)
                    result.sets[s].metrics = m
                }
            }
            steps.lap("metrics")
            if result.sets.count >= 2, let a = result.sets[0].metrics, let b = result.sets[1].metrics {
                result.comparison = ABComparison(
                    a: a, b: b, predictionsA: result.sets[0].scores.predictions, predictionsB: result.sets[1].scores.predictions,
                    truth: truth)
                steps.lap("comparison")
            }
        }
        result.completed = .statistics
        result.steps = steps.milliseconds
        publish(result)
        steps.lap("publish")
        if request.through == .statistics { return true }

        if shouldStop() { return false }
        let context = store.provider.contextLength
        for s in request.sets.indices where request.figuresFor?.contains(s) ?? true {
            // Token counts take a tokenization per new prompt (87,000 at ImageNet scale on
            // opening): asked to stop between templates like the products below.
            guard let tokens = tokens(uniqued(request.sets[s]), labels: labels, shouldStop: shouldStop) else { return false }
            steps.lap("tokens")
            var effects: [Template: TemplateEffects.Row]?
            if labelled {
                effects = self.effects(s, templates: used[s], labels: labels, truth: truth, shouldStop: shouldStop)
                guard effects != nil else { return false }
                steps.lap("effects")
            }
            var figures: [Template: LiveEvaluation.TemplateFigures] = [:]
            for (t, n) in tokens {
                let warning = !t.hasPlaceholder ? "no {}: left out" : (n > context ? "cut at \(context)" : nil)
                figures[t] = .init(tokens: n, warning: warning, effect: effects?[t])
            }
            result.sets[s].templates = figures
        }
        if labelled {
            let shown = request.sets.indices.first { request.figuresFor?.contains($0) ?? true }
            result.effectSample = shown.map { sides[$0].effects.sample.count }
            result.effectClassesScanned = shown.map { sides[$0].effects.lastCandidatesPerImage }
        }
        result.completed = .templates
        result.steps = steps.milliseconds
        publish(result)
        return true
    }

    /// Prompts that a cold open encodes template by template, at least: below this, one
    /// pass is as quick as the first template alone.
    public static let progressiveMinimum = 512
    /// Scores from the templates encoded so far are handed out at most this often (each
    /// costs an ensemble update and a product, 10–30 ms at 1,000 × 1,000); tests make it 0.
    public var partialInterval = 0.5

    /// The prompts the sides need to reach `used` from where they are, how many distinct
    /// templates they add, and each side's change.
    private func promptsNeeded(
        _ used: [[Template]], labels: LabelSet
    ) -> (prompts: Set<String>, addedTemplates: Int, changes: [EnsembleState.Change]) {
        var needed = Set<String>(), added = Set<Template>()
        let changes = used.indices.map { sides[$0].ensemble.change(to: labels, templates: used[$0]) }
        for s in used.indices {
            // A key changes one set: its prompts taken as they are, not hashed again into an empty set.
            let side = sides[s].ensemble.promptsNeeded(changes[s], templates: used[s])
            if needed.isEmpty { needed = side } else { needed.formUnion(side) }
            added.formUnion(changes[s].added.keys)
        }
        return (needed, added.count, changes)
    }

    /// Stage 1 of `used` (each set's templates with a placeholder; a cold open passes the
    /// templates encoded so far): the sides move to it. Nil when stopped. `needed`: the
    /// prompts the move needs and each side's change, when the caller has them already
    /// (`promptsNeeded`, from these sides).
    private func scores(
        _ request: EvaluationRequest, used: [[Template]], labels: LabelSet, truth: [Int?], start: DispatchTime,
        progress: ((Int, Int) -> Void)?, shouldStop: () -> Bool,
        needed known: (prompts: Set<String>, changes: [EnsembleState.Change])? = nil
    ) throws -> LiveEvaluation? {
        // Prompts of every set that are not embedded yet, encoded together (a label edit
        // needs the same class in every set).
        let (needed, changes) =
            known
            ?? {
                let plan = promptsNeeded(used, labels: labels); return (plan.prompts, plan.changes)
            }()
        var next = sides
        steps.lap("plan")
        let encodeStart = DispatchTime.now()
        guard
            let embeddings = try store.textEmbeddings(
                needed, batchSize: Self.promptBatch, batchSeconds: Self.promptBatchSeconds, reusingStates: true,
                keepingContinuations: !changes.contains(where: Self.editsBeforePlaceholder), progress: progress,
                shouldStop: shouldStop)
        else { return nil }
        let encodeSeconds = seconds(since: encodeStart)
        steps.lap("encode")
        stageEmbeddings = embeddings
        if shouldStop() { return nil }
        for s in used.indices {
            var weights = request.weights(of: s)
            if weights == nil, let method = request.method(of: s) {
                guard let made = try madeWeights(method, side: &next[s], labels: labels, truth: truth, templates: used[s], shouldStop: shouldStop)
                else { return nil }
                weights = made
            }
            if let weights {
                // Weighted: every class's vector from its prompts, weighted per template. The
                // equal-weight sums still follow the edit (a later unweighted request reads
                // them); their cosines are not made.
                _ = next[s].ensemble.apply(changes[s], labels: labels, templates: used[s], embeddings: embeddings)
                next[s].classTable = nil
                guard
                    let w = try weightedCosines(
                        labels: labels, templates: used[s], weights: weights, sums: &next[s].templateSums, shouldStop: shouldStop)
                else { return nil }
                next[s].scores = SetScores(cosines: w, rule: rule)
                next[s].metrics = nil
                next[s].classKeys = labels.classes
            } else {
                // Nothing below stops, so the side is taken out of both arrays, updated in
                // place and put back: shared with `sides`, its 1,000 class sums were copied
                // at every key (0.5 ms). A stop in a later set leaves this one updated and
                // whole, and the others as they were.
                var side = next[s]
                next[s] = Side(ensemble: EnsembleState(dimension: 0))
                sides[s] = next[s]
                // Leaving weights: no column of the weighted cosines can be kept.
                side.templateSums = nil
                update(&side, changes[s], labels: labels, templates: used[s], embeddings: embeddings, everyClass: side.weights != nil)
                side.weights = nil
                next[s] = side
                sides[s] = side
                continue
            }
            next[s].weights = weights
        }
        sides = next
        var result = LiveEvaluation(
            classNames: labels.classes.map(\.name), truth: truth, truthNames: truthNames, rule: rule,
            temperature: request.temperature,
            sets: request.sets.indices.map { s in
                LiveEvaluation.SetResult(
                    scores: sides[s].scores!, leftOut: uniqued(request.sets[s].filter { !$0.hasPlaceholder }),
                    scoredTemplates: Set(used[s]).count, templateCount: Set(request.sets[s].filter(\.hasPlaceholder)).count,
                    weights: sides[s].weights)
            },
            seconds: seconds(since: start))
        result.encodeSeconds = encodeSeconds
        steps.lap("summary")
        result.steps = steps.milliseconds
        return result
    }

    /// Whether `change` edits a template before its placeholder: it adds a template whose
    /// text before `{}` no removed template has (a key typed there; not a template added
    /// alone, nor one edited after the class name). The next key there changes every class's
    /// tokens from that point on again, so the tower keeps only the prefix prompts share.
    static func editsBeforePlaceholder(_ change: EnsembleState.Change) -> Bool {
        guard !change.removed.isEmpty else { return false }
        let before = Set(change.removed.keys.map(\.beforePlaceholder))
        return change.added.keys.contains { !before.contains($0.beforePlaceholder) }
    }

    /// Encodes `toEncode` template-major (every class's prompts of one template, then the
    /// next; the shown sets first, taking turns), handing out stage 1 of the templates
    /// encoded so far at most every `partialInterval`, the first as soon as a shown set has
    /// one. False when stopped. The sides end at some subset of `used`: the caller's stage
    /// 1 then adds the rest from memory.
    private func encodeProgressively(
        _ request: EvaluationRequest, used: [[Template]], labels: LabelSet, truth: [Int?], toEncode: Set<String>,
        start: DispatchTime, progress: ((Int, Int) -> Void)?, shouldStop: () -> Bool, publish: (LiveEvaluation) -> Void
    ) throws -> Bool {
        let shown = request.figuresFor.map { Array($0).sorted() } ?? Array(used.indices)
        var order: [Template] = []
        var seen = Set<Template>()
        for group in [shown, used.indices.filter { !shown.contains($0) }] {
            let longest = group.map { used[$0].count }.max() ?? 0
            for i in 0..<longest { for s in group where i < used[s].count && seen.insert(used[s][i]).inserted { order.append(used[s][i]) } }
        }
        // Each prompt to encode goes with the first template in that order that makes it;
        // the rest (a class's own sentences, a removed template's prompts) come first.
        var byTemplate: [Template: [String]] = [:], first: [String] = []
        var assigned = Set<String>()
        let names = labels.classes.filter(\.sentences.isEmpty).flatMap(\.names)
        for t in order {
            for name in names {
                let p = t.render(name)
                if toEncode.contains(p), assigned.insert(p).inserted { byTemplate[t, default: []].append(p) }
            }
        }
        for p in toEncode where !assigned.contains(p) { first.append(p) }
        var done = 0
        func encode(_ prompts: [String]) throws -> Bool {
            guard !prompts.isEmpty else { return true }
            let offset = done
            guard
                try store.textEmbeddings(
                    Set(prompts), batchSize: Self.coldOpenBatch, batchSeconds: Self.coldOpenBatchSeconds,
                    progress: { d, _ in progress?(offset + d, toEncode.count) }, shouldStop: shouldStop) != nil
            else { return false }
            done += prompts.count
            return true
        }
        guard try encode(first) else { return false }
        var ready = Set<Template>()
        var lastPublished: DispatchTime?
        for (i, t) in order.enumerated() {
            guard try encode(byTemplate[t] ?? []) else { return false }
            ready.insert(t)
            let more = order[(i + 1)...].contains { byTemplate[$0] != nil }
            guard more else { break }
            if let last = lastPublished, seconds(since: last) < partialInterval { continue }
            guard shown.contains(where: { s in used[s].contains(where: ready.contains) }) else { continue }
            guard
                let partial = try scores(
                    request, used: used.map { $0.filter(ready.contains) }, labels: labels, truth: truth, start: start,
                    progress: nil, shouldStop: shouldStop)
            else { return false }
            publish(partial)
            lastPublished = DispatchTime.now()
        }
        return true
    }

    /// Set `s`'s template effects, kept while its labels, templates and images stay.
    private func effects(
        _ s: Int, templates: [Template], labels: LabelSet, truth: [Int?], shouldStop: () -> Bool
    ) -> [Template: TemplateEffects.Row]? {
        var side = sides[s]
        // `side` holds the only reference to the products, so that a label edit changes them
        // in place (a copy of 80 × 4 MB otherwise).
        sides[s].effects = TemplateEffects()
        defer { sides[s] = side }
        if let f = side.effectsFor, f.labels == labels, f.templates == templates, f.images == images.rows, f.weights == side.weights,
            let last = side.lastEffects
        {
            return last
        }
        // A weighted set's figures are its weighted ensemble's: leaving a template out
        // leaves the others at their weights.
        var weighted: TemplateEffects.Weighted?
        if let w = side.weights, side.templateSums != nil {
            // The vectors stage 1 scored with (kept by `TemplateSums`), not made again.
            weighted = .init(vectors: side.templateSums!.classVectors(uniqued(templates.filter(\.hasPlaceholder)).map { ($0, w[$0] ?? 0) }), weights: w)
        }
        guard
            let rows = side.effects.compute(
                templates: templates, labels: labels, truth: truth, images: images,
                ensemble: side.ensemble, classTable: side.classTable.flatMap { $0.labels == labels.classes ? $0.table : nil },
                scores: side.scores!, weighted: weighted,
                held: { self.stageEmbeddings[$0] }, embeddings: { try? self.store.textEmbeddings($0, shouldStop: shouldStop) },
                shouldStop: shouldStop)
        else { return nil }
        side.effectsFor = (labels, templates, images.rows, side.weights)
        side.lastEffects = rows
        steps.add(side.effects.lastSteps, prefix: "effects")
        return rows
    }

    /// Forward selection among set `s`'s templates (after an evaluation of `request`),
    /// cross-validated over `folds`; nil without labelled images.
    /// - Parameter progress: as `TemplateEffects.select` takes it (false: stop, which throws
    ///   `SelectionCancelled`); the products are made first, with the same way to stop.
    public func selection(
        set s: Int, request: EvaluationRequest, folds: Int = 5, seed: UInt64 = 7, maxSize: Int? = nil,
        progress: ((SelectionProgress) -> Bool)? = nil
    ) throws -> TemplateSelection? {
        var scoresOnly = request
        scoresOnly.through = .scores
        _ = try evaluateOnce(scoresOnly)
        let labels = request.labels, truth = self.truth(labels)
        guard truth.contains(where: { $0 != nil }), !labels.classes.isEmpty else { return nil }
        let templates = request.sets[s].filter(\.hasPlaceholder)
        var side = sides[s]
        sides[s].effects = TemplateEffects()  // changed in place, as in `effects`
        defer { sides[s] = side }
        _ = side.effects.prepare(
            templates: templates, labels: labels, truth: truth, images: images,
            embeddings: { try? self.store.textEmbeddings($0) },
            shouldStop: { progress.map { !$0(SelectionProgress(fold: 0, folds: folds, trial: 0, candidates: templates.count, chosen: 0)) } ?? false })
        if let progress, !progress(SelectionProgress(fold: 0, folds: folds, trial: 0, candidates: templates.count, chosen: 0)) {
            throw SelectionCancelled()
        }
        return try side.effects.select(
            templates: templates, labels: labels, truth: truth, cosines: side.scores!.cosines, folds: folds, seed: seed,
            maxSize: maxSize, progress: progress)
    }

    /// `--weights fit` for set `s` of `request`: weights fitted on the labelled images, with
    /// their k-fold held-out figures against equal weights (`WeightFit`), at the request's
    /// temperature. Nil without labelled images, or when stopped.
    public func fitWeights(
        set s: Int, request: EvaluationRequest, folds: Int = 5, seed: UInt64 = 7, shouldStop: () -> Bool = { false }
    ) throws -> WeightFit? {
        let labels = request.labels, truth = self.truth(labels)
        let labelled = truth.indices.filter { truth[$0] != nil }
        guard !labelled.isEmpty, !labels.classes.isEmpty else { return nil }
        guard
            let ensemble = try labelledEnsemble(
                labels: labels, templates: request.sets[s].filter(\.hasPlaceholder), labelled: labelled, shouldStop: shouldStop)
        else { return nil }
        let rule = baseRule.at(temperature: request.temperature)
        return WeightFit(
            ensemble, truth: labelled.map { truth[$0]! }, scale: Double(rule.scale), bias: rule.bias.map(Double.init), folds: folds,
            seed: seed, shouldStop: shouldStop)
    }

    /// The weighted ensemble of `templates` over the `labelled` images' rows, in their
    /// order: what a weight fit works on. Nil when stopped.
    private func labelledEnsemble(labels: LabelSet, templates: [Template], labelled: [Int], shouldStop: () -> Bool) throws -> WeightedEnsemble? {
        let prompts = Set(labels.classes.flatMap { $0.prompts(templates) })
        guard let vectors = try store.textEmbeddings(prompts, shouldStop: shouldStop) else { return nil }
        let d = images.cols
        var rows = Matrix(zeros: labelled.count, d)
        for (r, i) in labelled.enumerated() { rows.storage.replaceSubrange((r * d)..<((r + 1) * d), with: images.storage[(i * d)..<((i + 1) * d)]) }
        return WeightedEnsemble(templates: templates, labels: labels, images: rows, embeddings: vectors)
    }

    /// `--weights zpe` for set `s` of `request`: Allingham et al.'s label-free weights over
    /// every image (`ZeroShotPromptWeights`), with the pre-training term taken over
    /// `reference` (unit image embeddings) when given. ZPE scores the model's own logits,
    /// so the request's temperature plays no part. Nil when stopped or nothing to score.
    public func zpeWeights(
        set s: Int, request: EvaluationRequest, reference: Matrix?, shouldStop: () -> Bool = { false }
    ) throws -> ZeroShotPromptWeights? {
        let labels = request.labels
        let templates = request.sets[s].filter(\.hasPlaceholder)
        let prompts = Set(labels.classes.flatMap { $0.prompts(templates) })
        guard let vectors = try store.textEmbeddings(prompts, shouldStop: shouldStop) else { return nil }
        return ZeroShotPromptWeights(
            templates: templates, labels: labels, images: images, reference: reference, embeddings: vectors,
            scale: Double(baseRule.scale), shouldStop: shouldStop)
    }

    /// A set's weights by `method`, from the store's embeddings of its prompts (all encoded
    /// by now). Nil when stopped; equal weights (an empty dictionary is never returned)
    /// when there is nothing to weigh by: no template, or for a fit no labelled image.
    private func madeWeights(
        _ method: WeightingMethod, side: inout Side, labels: LabelSet, truth: [Int?], templates: [Template], shouldStop: () -> Bool
    ) throws -> [Template: Double]? {
        let distinct = uniqued(templates.filter(\.hasPlaceholder))
        let equal = Dictionary(uniqueKeysWithValues: distinct.map { ($0, 1 / Double(max(1, distinct.count))) })
        guard !distinct.isEmpty else { return equal }
        switch method {
        case .zpe:
            guard
                let scorer = ZeroShotPromptWeights.Scorer(
                    labels: labels, images: images, reference: zpeReference, scale: Double(baseRule.scale))
            else { return equal }
            var kept = side.zpeScores?.classes == labels.classes ? side.zpeScores!.scores : [:]
            let missing = distinct.filter { kept[$0] == nil }
            if !missing.isEmpty {
                let prompts = Set(scorer.classes.flatMap { c in missing.flatMap { t in c.names.map(t.render) } })
                guard let vectors = try store.textEmbeddings(prompts, shouldStop: shouldStop) else { return nil }
                for t in missing {
                    if shouldStop() { return nil }
                    kept[t] = scorer.score(t, embeddings: vectors)
                }
            }
            // Only the set's templates are kept: an edited-away template's score goes.
            let current = Set(distinct)
            side.zpeScores = (labels.classes, kept.filter { current.contains($0.key) })
            return ZeroShotPromptWeights(
                templates: distinct, scores: distinct.map { kept[$0]! }, referenceImages: scorer.referenceImages,
                classesScored: scorer.classes.count
            ).byTemplate
        case .fit:
            let labelled = truth.indices.filter { truth[$0] != nil }
            guard !labelled.isEmpty else { return equal }
            guard
                let ensemble = try labelledEnsemble(labels: labels, templates: distinct, labelled: labelled, shouldStop: shouldStop),
                let fit = WeightFitter.fit(
                    ensemble, rows: Array(labelled.indices), truth: labelled.map { truth[$0]! }, scale: Double(rule.scale),
                    bias: rule.bias.map(Double.init), shouldStop: shouldStop)
            else { return nil }
            return Dictionary(uniqueKeysWithValues: zip(ensemble.templates, fit.weights))
        }
    }

    /// `--temperature fit` for set `s` of `request` (its weights included): the T dividing
    /// the model's logits that minimises the NLL of the labelled images. Nil without them.
    public func fitTemperature(set s: Int, request: EvaluationRequest, folds: Int = 5, seed: UInt64 = 7) throws -> TemperatureFit? {
        var scoresOnly = request
        scoresOnly.through = .scores
        let e = try evaluateOnce(scoresOnly)
        let labelled = e.truth.indices.filter { e.truth[$0] != nil }
        let k = e.classNames.count
        guard !labelled.isEmpty, k > 0 else { return nil }
        let cos = e.sets[s].scores.cosines.storage
        let scale = Double(baseRule.scale), bias = Double(baseRule.bias ?? 0)
        var logits = [Double](repeating: 0, count: labelled.count * k)
        for (r, i) in labelled.enumerated() { for c in 0..<k { logits[r * k + c] = scale * Double(cos[i * k + c]) + bias } }
        return TemperatureFit(
            logits: logits, classes: k, truth: labelled.map { e.truth[$0]! }, sigmoid: baseRule.isSigmoid, folds: folds, seed: seed)
    }

    /// Cosines `[images, classes]` of the ensemble weighted per template: class c's vector is
    /// Σ_t w_t Σ_names e(t, name) normalised (a class with its own sentences: their equal
    /// sum). The per-template sums are kept in `sums` between keys: a key that changes one
    /// template rebuilds that template's sums only, then one weighted pass over the rest.
    /// Nil when stopped.
    private func weightedCosines(
        labels: LabelSet, templates: [Template], weights: [Template: Double], sums: inout TemplateSums?, shouldStop: () -> Bool
    ) throws -> Matrix? {
        let d = images.cols, k = labels.classes.count
        let distinct = uniqued(templates.filter(\.hasPlaceholder))
        if sums?.classes != labels.classes || sums?.dimension != d {
            let sentences = Set(labels.classes.flatMap(\.sentences))
            guard let vectors = try store.textEmbeddings(sentences, shouldStop: shouldStop) else { return nil }
            sums = TemplateSums(classes: labels.classes, dimension: d, sentences: vectors)
        }
        let missing = distinct.filter { sums!.byTemplate[$0] == nil }
        if !missing.isEmpty {
            let prompts = Set(labels.classes.filter { $0.sentences.isEmpty }.flatMap { $0.prompts(missing) })
            guard let vectors = try store.textEmbeddings(prompts, shouldStop: shouldStop) else { return nil }
            for t in missing { sums!.add(t, vectors) }
        }
        sums!.keep(only: Set(distinct))
        if shouldStop() { return nil }
        let w = sums!.unitClassVectors(distinct.map { ($0, weights[$0] ?? 0) })
        guard images.rows > 0, k > 0 else { return Matrix(zeros: images.rows, k) }
        return BLAS.withThreads(rows: images.rows, minimumRows: 32) { BLAS.matmul(images, w, transB: true) }
    }

    /// Each image's cosine to a text (its unit embedding, through the same encoder and
    /// cache as the prompts): what a search of the images by text ranks them by.
    public func similarities(to text: String) throws -> [Float] {
        guard let v = try store.textEmbeddings(Set([text]))?[text], images.rows > 0 else { return [] }
        return BLAS.matmul(images, Matrix(rows: 1, cols: v.count, storage: v), transB: true).storage  // [n, 1]
    }

    /// `everyClass`: the weights changed, so no column of the old cosines can be kept.
    private func update(
        _ side: inout Side, _ change: EnsembleState.Change, labels: LabelSet, templates: [Template],
        embeddings: [String: [Float]], everyClass: Bool = false
    ) {
        var moved = side.ensemble.apply(change, labels: labels, templates: templates, embeddings: embeddings)
        if !moved.isEmpty { side.classTable = nil }
        steps.lap("ensemble")
        if everyClass { moved = .every }
        if let old = side.scores, moved.isEmpty, side.classKeys == labels.classes {
            // Only the rule moved (a temperature): the cosines are kept, the last step redone.
            if old.rule != rule {
                side.scores = SetScores(cosines: old.cosines, rule: rule)
                side.metrics = nil
            }
            return
        }
        let product = cosines(&side, labels: labels, moved: moved)
        steps.lap("cosines")
        side.scores = SetScores(cosines: product, rule: rule)
        steps.lap("probabilities")
        side.metrics = nil
        side.classKeys = labels.classes
    }

    /// The new cosine matrix: columns of classes that did not move are copied from the old
    /// one, the others computed in one product.
    private func cosines(_ side: inout Side, labels: LabelSet, moved: EnsembleState.Moved) -> Matrix {
        let n = images.rows, k = labels.classes.count, d = images.cols
        // Every class moved (a template edit): one product straight into the result, each
        // class's sum looked up once, no column of the old one read; the table is kept for
        // the template figures.
        let all: Bool
        switch moved {
        case .every: all = true
        case let .these(set): all = set.count == side.ensemble.classCount
        }
        if all, side.ensemble.classCount > 0 {
            let table = side.ensemble.classTable(labels.classes)
            side.classTable = (labels.classes, table)
            steps.lap("cosines.vectors")
            return n == 0 ? Matrix(zeros: n, k) : BLAS.withThreads(rows: n, minimumRows: 32) { BLAS.matmul(images, table.unit, transB: true) }
        }
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
    /// by prompt text. A label edit moves what is kept: a template whose longest name is
    /// still there compares it with the new names only (recounting 87 templates × 1,000
    /// names took 70 ms per key).
    private func tokens(_ templates: [Template], labels: LabelSet, shouldStop: () -> Bool) -> [Template: Int]? {
        // Not kept by prompt here: the prompts counted are the ones a key just encoded, whose
        // ids the tokenizer keeps (its recent texts), and a table of 100,000s of counts cost
        // a key 0.5 ms in lookups and inserts that missed the cache.
        func count(_ p: String) -> Int { store.provider.tokenize(p).untruncatedCount }
        if labels.classes != longestFor {
            let old = Set(longestFor.flatMap(\.names)), new = labels.classes.flatMap(\.names)
            let current = Set(new)
            let added = Array(Set(new.filter { !old.contains($0) }))
            for (t, known) in longestPrompt {
                // Gone, or counted without names: counted again below.
                guard let name = known.name, current.contains(name) else {
                    longestPrompt[t] = nil
                    continue
                }
                var best = known
                for name in added {
                    let n = count(t.render(name))
                    if n > best.tokens { best = (n, name) }
                }
                longestPrompt[t] = best
            }
            longestFor = labels.classes
        }
        var out: [Template: Int] = [:]
        let names = labels.classes.flatMap(\.names)
        for t in templates {
            if let known = longestPrompt[t] { out[t] = known.tokens; continue }
            if shouldStop() { return nil }
            var best: (tokens: Int, name: String?) = names.isEmpty ? (count(t.render("")), nil) : (0, nil)
            for name in names {
                let n = count(t.render(name))
                if best.name == nil || n > best.tokens { best = (n, name) }
            }
            longestPrompt[t] = best
            out[t] = best.tokens
        }
        return out
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
