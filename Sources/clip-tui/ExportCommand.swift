import ArgumentParser
import Foundation
import Scoring

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write template sets, the label set, the model and their figures: clip-tui JSON, clip_benchmark's files, .txt or .py.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(name: .customLong("templates"), help: ArgumentHelp("A template set (FILE or FILE#KEY); repeat for more (A, B, …).", valueName: "file[#key]"))
    var templateFiles: [String]
    @OptionGroup var output: ExportOptions

    func run() throws {
        try reportingErrors {
            guard !templateFiles.isEmpty else { throw ValidationError("give at least one --templates") }
            let lab = try engine.makeLab()
            let templateSets = try templateFiles.map(PromptFiles.readTemplates)
            let (labels, images) = try sets.load(lab)
            let truth = images.truth(labels)
            let labelled = truth.contains { $0 != nil }
            let classes = labels.classes.map(\.name)
            let roles = templateSets.count == 1 ? [nil] : templateSets.indices.map { i in Optional(String(UnicodeScalar(UInt8(65 + i % 26)))) }
            var entries: [PromptSetExport.Entry] = []
            var tables: [ScoreTable] = []
            for (set, role) in zip(templateSets, roles) {
                let (scores, _) = try lab.score(images, labels: labels, templates: set)
                tables.append(scores)
                var metrics: PromptSetExport.NamedMetrics?
                var figures: [PromptSetExport.TemplateFigure]?
                if labelled {
                    metrics = .init(Metrics(table: scores, truth: truth), classes: classes)
                    figures = try lab.analysis(images, labels: labels, templates: set).effects().map {
                        .init(template: set.templates[$0.template], top1Alone: $0.accuracy, leaveOneOut: $0.leaveOneOut)
                    }
                }
                entries.append(.init(name: set.name, role: role, templates: set.templates, metrics: metrics, perTemplate: figures))
            }
            let comparison =
                tables.count == 2 && labelled
                ? PromptSetExport.Comparison(
                    ABComparison(a: tables[0], b: tables[1], truth: truth), nameA: templateSets[0].name,
                    nameB: templateSets[1].name, classes: classes, imagePaths: images.items.map(\.path)) : nil
            // Best first, by top-1 where known; roles say which was A and which B.
            entries.sort { ($0.metrics?.top1 ?? 0) > ($1.metrics?.top1 ?? 0) }
            let export = PromptSetExport(
                model: .init(name: lab.modelName, fingerprint: lab.store.provider.fingerprint, scoreRule: lab.rule.description),
                images: URL(fileURLWithPath: sets.images).standardizedFileURL.path,
                labels: labels, templateSets: entries, comparison: comparison)
            try output.write(export)
        }
    }
}
