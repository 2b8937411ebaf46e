import ArgumentParser
import Foundation
import Scoring

struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Each template's effect and a greedy forward selection, judged on held-out folds.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(
        help: ArgumentHelp(
            "Template set to choose from (FILE or FILE#KEY). Default for a webdataset folder: its zeroshot_classification_templates.txt.",
            valueName: "file[#key]"))
    var templates: String?
    @OptionGroup var scoring: ScoreOptions
    @Option(help: "Cross-validation folds.") var folds: Int = 5
    @Option(help: "At most this many templates.") var maxTemplates: Int?
    @Option(help: "Random-word templates for the WaffleCLIP control (0: none).") var randomControl: Int = 16
    @Option(help: "Write the chosen templates here (a file, or a folder for clip-benchmark's files).") var out: String?
    // `--format` is this command's report format (table or json), as in every command.
    @Option(help: ArgumentHelp("Format of --out: clip-tui, clip-benchmark, txt or python (default: from its name).", valueName: "format"))
    var outFormat: ExportFormat?
    @Option(help: "The dataset name clip_benchmark looks up (clip-benchmark format; default: the name of a .cb.json file).")
    var dataset: String?
    @Option(help: "Output: table or json.") var format: ReportFormat = .table

    func validate() throws {
        try scoring.refuseFit("select")
        guard folds >= 1 else { throw ValidationError("--folds must be at least 1") }
        if let m = maxTemplates, m < 1 { throw ValidationError("--max-templates must be at least 1") }
        guard randomControl >= 0 else { throw ValidationError("--random-control cannot be negative") }
    }

    /// `select --format json` (schema: Schemas/select.schema.json).
    struct Output: Encodable {
        let model: String
        let score_rule: String
        let temperature: Float
        let templates: [String]
        let left_out: [String]
        /// Every distinct template with `{}`: its own top-1 and its leave-one-out effect.
        let per_template: [PromptSetExport.TemplateFigure]
        let metrics: PromptSetExport.NamedMetrics
        let full_accuracy: Double
        let selection: TemplateSelection
        let chosen: [String]
        let random_words_accuracy: Double?
    }

    func run() throws {
        try reportingErrors {
            let model = try engine.makeModel(logitScale: scoring.logitScale)
            let set = try PromptFiles.readTemplates(path: try sets.templateSource(templates))
            let (labels, images) = try sets.load(model)
            guard images.truth(labels).contains(where: { $0 != nil }) else {
                throw ScoringError.invalid("\(sets.images): no labelled images (use class subfolders or --truth)")
            }
            let random = randomControl > 0 ? RandomWordTemplates.make(count: randomControl, words: RandomWordTemplates.words) : nil
            let evaluator = model.evaluator(images)
            let request = EvaluationRequest(
                labels: labels, sets: [set.templates] + (random.map { [$0.templates] } ?? []), temperature: scoring.resolvedTemperature)
            let e = try evaluator.evaluateOnce(request)
            let reporter = SelectionReporter()
            let selection = try evaluator.selection(set: 0, request: request, folds: folds, maxSize: maxTemplates, progress: reporter.update)!
            reporter.finish()
            let result = e.sets[0], metrics = result.metrics!
            let figures: [PromptSetExport.TemplateFigure] = set.scoredTemplates.compactMap { t in
                result.templates[t]?.effect.map { .init(template: t, top1Alone: $0.accuracy, leaveOneOut: $0.leaveOneOut) }
            }
            let control = e.sets.count > 1 ? e.sets[1].metrics?.top1 : nil
            if selection.images < selection.labelled {
                warn("template figures and the selection are on a seeded sample of \(selection.images) of the \(selection.labelled) labelled images (memory)")
            }
            if let out {
                let chosen = TemplateSet(name: set.name + "-selected", templates: selection.templates)
                let chosenEvaluation = try evaluator.evaluateOnce(
                    EvaluationRequest(labels: labels, sets: [chosen.templates], temperature: scoring.resolvedTemperature))
                let export = PromptSetExport(
                    evaluation: chosenEvaluation, sets: [chosen], roles: [nil], model: model,
                    images: URL(fileURLWithPath: sets.images).standardizedFileURL.path, labels: labels,
                    imagePaths: images.items.map(\.path), selection: selection)
                try ExportOptions.write(export, out: out, format: outFormat, dataset: dataset)
            }
            switch format {
            case .json:
                try printJSON(
                    Output(
                        model: model.name, score_rule: e.rule.description, temperature: e.temperature,
                        templates: set.templates.map(\.text), left_out: result.leftOut.map(\.text), per_template: figures,
                        metrics: .init(metrics, classes: e.classNames), full_accuracy: metrics.top1,
                        selection: selection, chosen: selection.templates.map(\.text), random_words_accuracy: control))
            case .table:
                print("template                                   alone   leave-one-out")
                for f in figures {
                    print(
                        f.template.text.padding(toLength: 42, withPad: " ", startingAt: 0),
                        Report.percent(f.top1Alone).padding(toLength: 7, withPad: " ", startingAt: 0),
                        String(format: "%+.1f", 100 * f.leaveOneOut))
                }
                for t in result.leftOut { print("\(t.text): no {}, left out") }
                print("all \(set.templates.count) templates: \(Report.percent(metrics.top1))")
                print(
                    "forward selection (\(selection.folds)-fold held-out accuracy \(Report.percent(selection.heldOutAccuracy))): \(selection.templates.count) templates"
                )
                for t in selection.templates { print("  \(t.text)") }
                if let control { print("random-words control (\(randomControl) templates): \(Report.percent(control))") }
            }
        }
    }
}

/// The forward selection's progress on stderr (it takes a minute at ImageNet scale): a line
/// rewritten in place on a terminal, else a line per fold.
final class SelectionReporter {
    let start = Date()
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastFold = -1, lastWrite = Date.distantPast

    func update(_ p: SelectionProgress) -> Bool {
        let text: String
        if p.fold == 0 {
            text = "selecting: each template's products with every class…"
        } else {
            text = "selecting: " + p.description + " (\(p.chosen) chosen)"
        }
        if isTerminal {
            // Four times a second at most: a trial takes well under a millisecond at the demo's scale.
            guard Date().timeIntervalSince(lastWrite) > 0.25 || p.fold != lastFold else { return true }
            lastWrite = Date()
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        } else if p.fold != lastFold {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
        lastFold = p.fold
        return true
    }

    func finish() {
        let done = String(format: "selecting: done in %.1f s", Date().timeIntervalSince(start))
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + done + "\n").utf8))
    }
}
