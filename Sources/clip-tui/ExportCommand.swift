import ArgumentParser
import Foundation
import Scoring

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write template sets, the label set, the model and their figures: clip-tui JSON, clip_benchmark's files, .txt or .py.")

    /// `--model` repeated: every model × every set is a candidate, model-major, as in `compare`.
    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @OptionGroup var templateSets: TemplateSetsOptions
    @Option(
        name: .customLong("candidate"),
        help: ArgumentHelp(
            "Write only this candidate: its number in the order given (1, 2, …) or its name (\"SET\" or \"MODEL · SET\", as compare lists it); repeat for more (default: all).",
            valueName: "n|name"))
    var chosen: [String] = []
    @OptionGroup var scoring: ScoreOptions
    @OptionGroup var weighting: WeightOptions
    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var output: ExportOptions

    func validate() throws {
        try scoring.refuseFit("export")
        try weighting.refuseFit("export")
        try templateSets.validate()
    }

    func run() throws {
        try reportingErrors {
            let files = templateSets.files
            let parsed = try files.map(PromptFiles.readTemplates)
            let models = try engine.makeModels(logitScale: scoring.logitScale)
            // The same evaluation the session exports from: every stage, per-template figures included.
            let run = try CandidateRun(
                models: models, files: files, parsed: parsed, sets: sets, temperature: scoring.resolvedTemperature,
                through: .templates, progress: progressOptions.progress, weighting: weighting)
            let picked = try chosen.isEmpty ? nil : chosen.map { try Self.candidate($0, in: run.board) }
            // Roles as the sets were given: A, B, … per set (nil for a lone set), the same for every model.
            let roles = run.candidates.map { c in parsed.count == 1 ? nil : Optional(String(UnicodeScalar(UInt8(65 + c.set % 26)))) }
            let export = PromptSetExport(
                board: run.board, sets: run.candidates.map(\.templates), models: run.candidates.map(\.model), roles: roles,
                chosen: picked.map { p in p.enumerated().filter { !p[..<$0.offset].contains($0.element) }.map(\.element) },
                images: URL(fileURLWithPath: sets.images).standardizedFileURL.path, labels: run.labels)
            try output.write(export)
        }
    }

    /// A `--candidate` as a candidate's index: a number in the order given, or a name.
    static func candidate(_ typed: String, in board: CandidateBoard) throws -> Int {
        let ids = board.candidates.map(\.id)
        if let n = Int(typed) {
            guard (1...ids.count).contains(n) else {
                throw ValidationError("--candidate \(n): there are \(ids.count) candidates (1–\(ids.count))")
            }
            return n - 1
        }
        // "MODEL · SET" as listed, or the set's name alone when only one candidate has it.
        if let i = ids.firstIndex(of: typed) { return i }
        let bySet = ids.indices.filter { ids[$0].hasSuffix(" · " + typed) }
        if bySet.count == 1 { return bySet[0] }
        let list = ids.prefix(20).enumerated().map { "\($0 + 1): \($1)" }.joined(separator: "; ")
        throw ValidationError(
            "--candidate \(typed): "
                + (bySet.count > 1 ? "several candidates use that set (name the model too): " : "no such candidate: ")
                + list + (ids.count > 20 ? " … (\(ids.count) in all)" : ""))
    }
}
