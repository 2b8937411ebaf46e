import ArgumentParser
import Foundation
import Scoring

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "A/B: two template sets on the same labelled images.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @OptionGroup var pair: TemplatePairOptions
    @OptionGroup var scoring: ScoreOptions
    @Option(help: "Output: table or json.") var format: ReportFormat = .table
    @Flag(help: "Exit with status 3 when B is significantly worse than A (for CI).") var failIfWorse = false

    func validate() throws { try pair.validate(needB: true) }

    /// `compare --format json` (schema: Schemas/compare.schema.json): classes by name,
    /// images by path, proportions as fractions.
    struct Output: Encodable {
        let model: String
        let score_rule: String
        let temperature: Float
        let classes: [String]
        let templates_a: [String]
        let templates_b: [String]
        let comparison: NamedComparison
        let right_only_under_a: [String]
        let right_only_under_b: [String]
        let b_significantly_worse: Bool
    }

    /// `ABComparison` in the shared vocabulary: both sets' metrics by name, the paired
    /// figures, per-class differences by class name, images by path.
    struct NamedComparison: Encodable {
        let a: PromptSetExport.NamedMetrics
        let b: PromptSetExport.NamedMetrics
        let top1_interval_a: WilsonInterval
        let top1_interval_b: WilsonInterval
        let difference: PairedBootstrap
        let mcnemar: McNemarTest
        let per_class_difference: [PromptSetExport.ClassFigure]
        let right_only_under_a: [String]
        let right_only_under_b: [String]

        init(_ c: ABComparison, classes: [String], paths: [String]) {
            a = .init(c.a, classes: classes)
            b = .init(c.b, classes: classes)
            top1_interval_a = c.intervalA
            top1_interval_b = c.intervalB
            difference = c.difference
            mcnemar = c.mcnemar
            per_class_difference = zip(classes, c.perClassDifference).compactMap { name, d in d.map { .init(class: name, value: $0) } }
            right_only_under_a = c.rightOnlyUnderA.map { paths[$0] }
            right_only_under_b = c.rightOnlyUnderB.map { paths[$0] }
        }
    }

    func run() throws {
        try reportingErrors {
            let model = try engine.makeModel(logitScale: scoring.logitScale)
            let (fileA, fileB) = (pair.fileA!, pair.fileB!)
            let a = try PromptFiles.readTemplates(path: fileA)
            let b = try PromptFiles.readTemplates(path: fileB)
            let (labels, images) = try sets.load(model)
            guard images.truth(labels).contains(where: { $0 != nil }) else {
                throw ScoringError.invalid("\(sets.images): no labelled images (use class subfolders or --truth)")
            }
            for (file, set) in [(fileA, a), (fileB, b)] {
                for line in model.plan(labels: labels, templates: set).summary(
                    labels: sets.labels, templates: file, contextLength: model.store.provider.contextLength)
                {
                    warn(line)
                }
            }
            let e = try model.evaluator(images).evaluateOnce(
                EvaluationRequest(
                    labels: labels, sets: [a.templates, b.templates], temperature: scoring.resolvedTemperature, through: .statistics))
            let c = e.comparison!  // labelled images and two sets: the statistics stage made it
            let paths = images.items.map(\.path)
            let worse = c.bIsSignificantlyWorse()
            switch format {
            case .json:
                let named = NamedComparison(c, classes: e.classNames, paths: paths)
                try printJSON(
                    Output(
                        model: model.name, score_rule: e.rule.description, temperature: e.temperature, classes: e.classNames,
                        templates_a: a.templates.map(\.text), templates_b: b.templates.map(\.text),
                        comparison: named, right_only_under_a: named.right_only_under_a,
                        right_only_under_b: named.right_only_under_b, b_significantly_worse: worse))
            case .table:
                print(Report.comparisonTable(c, classes: e.classNames, nameA: a.name, nameB: b.name, paths: paths))
            }
            if failIfWorse && worse {
                warn("B (\(fileB)) is significantly worse than A (\(fileA))")
                throw ExitCode(3)
            }
        }
    }
}

/// Template sets A and B as every command names them: `--templates` (A) and
/// `--templates-b` (B); `--templates-a` is read as `--templates`, and says so.
struct TemplatePairOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Template set A (FILE or FILE#KEY).", valueName: "file[#key]")) var templates: String?
    @Option(help: ArgumentHelp("Template set B (FILE or FILE#KEY).", valueName: "file[#key]")) var templatesB: String?
    @Option(help: ArgumentHelp("Old name of --templates.", visibility: .hidden)) var templatesA: String?

    /// Set A's file, from whichever name gave it.
    var fileA: String? { templates ?? templatesA }
    var fileB: String? { templatesB }

    func validate(needB: Bool) throws {
        if templates != nil && templatesA != nil { throw ValidationError("give set A once: --templates (--templates-a is its old name)") }
        if templatesA != nil { warn("--templates-a is now --templates (set A); the old name still works") }
        guard fileA != nil else { throw ValidationError("give set A with --templates FILE") }
        if needB && fileB == nil { throw ValidationError("give set B with --templates-b FILE") }
    }
}
