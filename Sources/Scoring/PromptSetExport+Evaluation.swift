import Foundation

extension PromptSetExport {
    /// The export of an evaluation: the one builder behind `export`, `select --out` and the
    /// session's `e`, so that the same request gives the same file wherever it was made.
    ///
    /// - Parameters:
    ///   - sets: the evaluated template sets, in the evaluation's order.
    ///   - roles: "A", "B", … per set (nil: a set of its own).
    ///   - imagePaths: the evaluated images' paths, in the evaluation's order.
    public init(
        evaluation e: LiveEvaluation, sets: [TemplateSet], roles: [String?], model: ScoringModel, images: String?,
        labels: LabelSet, imagePaths: [String], selection: TemplateSelection? = nil
    ) {
        precondition(sets.count == e.sets.count && roles.count == sets.count, "one template set and role per evaluated set")
        let classes = e.classNames
        var entries = sets.indices.map { i in Self.entry(e.sets[i], set: sets[i], role: roles[i], classes: classes) }
        // Best first, by top-1 where known; roles say which was A and which B.
        entries.sort { ($0.metrics?.top1 ?? 0) > ($1.metrics?.top1 ?? 0) }
        let comparison = e.comparison.map {
            Comparison($0, nameA: sets[0].name, nameB: sets[1].name, classes: classes, imagePaths: imagePaths)
        }
        self.init(
            model: .init(
                name: model.name, fingerprint: model.store.provider.fingerprint, scoreRule: e.rule.description,
                temperature: e.temperature),
            images: images, labels: labels, templateSets: entries, comparison: comparison, selection: selection)
    }

    /// The export of candidates on a board (`export` with several models or sets, the
    /// session's `e`): the chosen candidates best first, each with its model where there is
    /// more than one, and its paired difference to the best with McNemar's p Holm-corrected
    /// over the board. With A and B among them, their comparison on the paired images.
    ///
    /// - Parameters:
    ///   - sets, models: per candidate of `board`.
    ///   - chosen: the candidates to write (nil: all), in any order.
    ///   - roles: per candidate, "A", "B" or nil.
    public init(
        board: CandidateBoard, sets: [TemplateSet], models: [ScoringModel], roles: [String?], chosen: [Int]? = nil,
        images: String?, labels: LabelSet
    ) {
        precondition(sets.count == board.candidates.count && models.count == sets.count && roles.count == sets.count)
        let classes = board.classes
        let picked = chosen ?? Array(board.candidates.indices)
        let manyModels = Set(picked.map { models[$0].name }).count > 1
        func modelEntry(_ i: Int) -> Model {
            let e = board.result(i).evaluation
            return Model(
                name: models[i].name, fingerprint: models[i].store.provider.fingerprint, scoreRule: e.rule.description,
                temperature: e.temperature)
        }
        let ranked = board.leaderboard(of: picked)
        var entries = picked.enumerated().map { at, i in
            var entry = Self.entry(board.result(i).set, set: sets[i], role: roles[i], classes: classes)
            entry.candidate = board.candidates[i].id
            if manyModels { entry.model = modelEntry(i) }
            if board.labelledCount > 0, picked.count > 1 { entry.versusBest = ranked.versusBest[at] }
            return entry
        }
        entries.sort { ($0.metrics?.top1 ?? 0) > ($1.metrics?.top1 ?? 0) }
        var comparison: Comparison?
        if let a = roles.firstIndex(of: "A"), let b = roles.firstIndex(of: "B"), picked.contains(a), picked.contains(b),
            let c = board.comparison(a, b)
        {
            comparison = Comparison(c, nameA: sets[a].name, nameB: sets[b].name, classes: classes, imagePaths: board.paths)
        }
        self.init(
            model: modelEntry(picked.first ?? 0), images: images, labels: labels, templateSets: entries, comparison: comparison)
        if picked.count > 1, board.labelledCount > 0 { correction = "holm" }
    }

    /// One set's entry: its metrics by class name, a figure for every distinct template
    /// with `{}` (whatever else the file holds), the lines left out.
    private static func entry(_ result: LiveEvaluation.SetResult, set: TemplateSet, role: String?, classes: [String]) -> Entry {
        var figures: [TemplateFigure] = []
        if result.metrics != nil {
            for t in set.scoredTemplates {
                guard let effect = result.templates[t]?.effect else { continue }
                figures.append(.init(template: t, top1Alone: effect.accuracy, leaveOneOut: effect.leaveOneOut))
            }
        }
        var entry = Entry(
            name: set.name, role: role, templates: set.templates, metrics: result.metrics.map { NamedMetrics($0, classes: classes) },
            perTemplate: figures.isEmpty ? nil : figures, leftOut: result.leftOut.isEmpty ? nil : result.leftOut)
        if let w = result.weights {
            let total = set.scoredTemplates.reduce(0) { $0 + (w[$1] ?? 0) }
            entry.weights = set.scoredTemplates.map { .init(template: $0, weight: total > 0 ? (w[$0] ?? 0) / total : 0) }
        }
        return entry
    }
}
