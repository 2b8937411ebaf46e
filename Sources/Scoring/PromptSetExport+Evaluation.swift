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
        var entries: [Entry] = []
        for (i, set) in sets.enumerated() {
            let result = e.sets[i]
            var figures: [TemplateFigure] = []
            if result.metrics != nil {
                // Every distinct template with `{}`, whatever else the file holds.
                for t in set.scoredTemplates {
                    guard let effect = result.templates[t]?.effect else { continue }
                    figures.append(.init(template: t, top1Alone: effect.accuracy, leaveOneOut: effect.leaveOneOut))
                }
            }
            entries.append(
                Entry(
                    name: set.name, role: roles[i], templates: set.templates,
                    metrics: result.metrics.map { NamedMetrics($0, classes: classes) },
                    perTemplate: figures.isEmpty ? nil : figures,
                    leftOut: result.leftOut.isEmpty ? nil : result.leftOut))
        }
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
}
