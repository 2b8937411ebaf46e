import ArgumentParser
import Foundation
import Scoring

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write template sets, the label set, the model and their metrics to one JSON file.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(name: .customLong("templates"), help: "A template set; repeat for more (A, B, …).") var templateFiles: [String]
    @Option(help: "Output file (clip-tui.prompt-set/1 JSON).") var out: String

    func run() throws {
        try reportingErrors {
            guard !templateFiles.isEmpty else { throw ValidationError("give at least one --templates") }
            let lab = try engine.makeLab()
            let templateSets = try templateFiles.map(PromptFiles.readTemplates)
            let (labels, images) = try sets.load(lab)
            var entries: [PromptSetExport.Entry] = []
            var tables: [ScoreTable] = []
            for set in templateSets {
                let (scores, _) = try lab.score(images, labels: labels, templates: set)
                tables.append(scores)
                let m = images.truth(labels).contains { $0 != nil } ? Metrics(probabilities: scores.probabilities, truth: images.truth(labels)) : nil
                entries.append(.init(name: set.name, templates: set.templates, metrics: m))
            }
            // Best first, by top-1 where known.
            entries.sort { ($0.metrics?.top1 ?? 0) > ($1.metrics?.top1 ?? 0) }
            let comparison = tables.count == 2 && images.truth(labels).contains { $0 != nil }
                ? ABComparison(a: tables[0], b: tables[1], truth: images.truth(labels)) : nil
            let export = PromptSetExport(
                model: .init(name: lab.modelName, fingerprint: lab.store.provider.fingerprint),
                labels: labels, templateSets: entries, comparison: comparison)
            try export.write(to: out)
            FileHandle.standardError.write(Data("wrote \(out)\n".utf8))
        }
    }
}
