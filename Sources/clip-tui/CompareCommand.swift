import ArgumentParser
import Foundation
import Scoring

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "A leaderboard of candidates (every model × every template set) on the same labelled images; A/B with two.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @OptionGroup var templateSets: TemplateSetsOptions
    @OptionGroup var scoring: ScoreOptions
    @OptionGroup var weighting: WeightOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Option(help: "Output: table or json.") var format: ReportFormat = .table
    @Flag(help: "Exit with status 3 when any candidate is significantly worse than the first (Holm-corrected; for CI).")
    var failIfWorse = false

    func validate() throws {
        try scoring.refuseFit("compare")
        try weighting.refuseFit("compare")
        try templateSets.validate(required: false)
        // No --templates: a webdataset's own templates are the one set (checked in `run`).
        guard max(1, engine.models.count) * max(1, templateSets.files.count) >= 2 else {
            throw ValidationError("compare needs two candidates at least: give --templates twice (or --templates-b), or --model twice")
        }
    }

    func run() throws {
        try reportingErrors {
            let files = templateSets.files.isEmpty ? [try sets.templateSource(nil)] : templateSets.files
            let parsed = try files.map { try PromptFiles.readTemplates(path: $0) }
            let models = try engine.makeModels(logitScale: scoring.logitScale)
            let run = try CandidateRun(
                models: models, files: files, parsed: parsed, sets: sets, temperature: scoring.resolvedTemperature,
                through: .statistics, progress: progressOptions.progress, weighting: weighting)
            guard run.board.evaluations.allSatisfy({ $0.result.labelledCount > 0 }) else {
                throw ScoringError.invalid("\(sets.images): no labelled images (use class subfolders or --truth)")
            }
            let candidates = run.candidates
            let report = CompareReport(run)
            switch format {
            case .json: try printJSON(report.output(models: models))
            case .table: print(report.table())
            }
            if failIfWorse, report.leaderboard.anyWorseThanReference {
                let worse = candidates.indices.filter { report.leaderboard.versusReference[$0]?.significantlyWorse == true }
                let names = worse.map { report.ids[$0] }.joined(separator: ", ")
                warn("significantly worse than the reference (\(report.ids[0])), Holm-corrected: \(names)")
                throw ExitCode(3)
            }
        }
    }
}

/// Template sets as every command names them: `--templates` (repeated in `compare` and
/// `export`: A, B, …), `--templates-b` (B, beside a single `--templates`); `--templates-a`
/// is read as `--templates`, and says so.
struct TemplateSetsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A template set (FILE or FILE#KEY); repeat for more candidates, in order.", valueName: "file[#key]"))
    var templates: [String] = []
    @Option(help: ArgumentHelp("Template set B (FILE or FILE#KEY), beside a single --templates.", valueName: "file[#key]"))
    var templatesB: String?
    @Option(help: ArgumentHelp("Old name of --templates.", visibility: .hidden)) var templatesA: String?

    /// The sets' files, in order.
    var files: [String] { (templatesA.map { [$0] } ?? []) + templates + (templatesB.map { [$0] } ?? []) }

    /// `required: false` lets a command fall back on a webdataset's own templates.
    func validate(required: Bool = true) throws {
        if templatesA != nil {
            guard templates.isEmpty else { throw ValidationError("give set A once: --templates (--templates-a is its old name)") }
            warn("--templates-a is now --templates (set A); the old name still works")
        }
        if required, (templates + (templatesA.map { [$0] } ?? [])).isEmpty {
            throw ValidationError("give a template set with --templates FILE")
        }
        if templatesB != nil, templates.count + (templatesA == nil ? 0 : 1) != 1 {
            // Also refuses --templates-b alone: B beside the dataset's templates would be
            // an A nobody named.
            throw ValidationError("--templates-b is the second set, beside a single --templates: with more, repeat --templates")
        }
    }
}
