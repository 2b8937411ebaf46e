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
    var templateFiles: [String] = []
    @Option(help: ArgumentHelp("Template set B (FILE or FILE#KEY), after one --templates.", valueName: "file[#key]")) var templatesB: String?
    @OptionGroup var scoring: ScoreOptions
    @OptionGroup var output: ExportOptions

    func validate() throws {
        guard !templateFiles.isEmpty else { throw ValidationError("give at least one --templates") }
        if templatesB != nil && templateFiles.count != 1 { throw ValidationError("--templates-b is the second set: give it beside one --templates") }
    }

    func run() throws {
        try reportingErrors {
            let model = try engine.makeModel(logitScale: scoring.logitScale)
            let files = templateFiles + (templatesB.map { [$0] } ?? [])
            let templateSets = try files.map(PromptFiles.readTemplates)
            let (labels, images) = try sets.load(model)
            let roles = templateSets.count == 1 ? [nil] : templateSets.indices.map { i in Optional(String(UnicodeScalar(UInt8(65 + i % 26)))) }
            // The same evaluation the session exports from: every stage, per-template figures included.
            let e = try model.evaluator(images).evaluateOnce(
                EvaluationRequest(labels: labels, sets: templateSets.map(\.templates), temperature: scoring.resolvedTemperature))
            let export = PromptSetExport(
                evaluation: e, sets: templateSets, roles: roles, model: model,
                images: URL(fileURLWithPath: sets.images).standardizedFileURL.path, labels: labels,
                imagePaths: images.items.map(\.path))
            try output.write(export)
        }
    }
}
