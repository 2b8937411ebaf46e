import ArgumentParser
import Foundation
import Scoring

struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Each template's effect and a greedy forward selection, judged on held-out folds.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(help: ArgumentHelp("Template set to choose from (FILE or FILE#KEY).", valueName: "file[#key]")) var templates: String
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

    struct Output: Encodable {
        let templates: [String]
        let effects: [TemplateAnalysis.TemplateEffect]
        let full_accuracy: Double
        let selection: TemplateAnalysis.Selection
        let chosen: [String]
        let random_words_accuracy: Double?
    }

    func run() throws {
        try reportingErrors {
            let lab = try engine.makeLab()
            let set = try PromptFiles.readTemplates(path: templates)
            let (labels, images) = try sets.load(lab)
            guard images.truth(labels).contains(where: { $0 != nil }) else {
                throw ScoringError.invalid("\(sets.images): no labelled images (use class subfolders or --truth)")
            }
            let analysis = try lab.analysis(images, labels: labels, templates: set)
            let effects = analysis.effects()
            let full = analysis.accuracy(Array(0..<set.templates.count))
            let selection = analysis.crossValidatedSelection(folds: folds, maxSize: maxTemplates)
            let chosen = selection.templates.map { set.templates[$0] }
            var control: Double?
            if randomControl > 0 {
                let random = RandomWordTemplates.make(count: randomControl, words: RandomWordTemplates.words)
                let (scores, _) = try lab.score(images, labels: labels, templates: random)
                control = Metrics(table: scores, truth: images.truth(labels)).top1
            }
            if let out {
                let export = PromptSetExport(
                    model: .init(name: lab.modelName, fingerprint: lab.store.provider.fingerprint, scoreRule: lab.rule.description),
                    images: URL(fileURLWithPath: sets.images).standardizedFileURL.path, labels: labels,
                    templateSets: [.init(name: set.name + "-selected", role: nil, templates: chosen, metrics: nil)],
                    selection: selection)
                try ExportOptions.write(export, out: out, format: outFormat, dataset: dataset)
            }
            switch format {
            case .json:
                try printJSON(
                    Output(
                        templates: set.templates.map(\.text), effects: effects, full_accuracy: full,
                        selection: selection, chosen: chosen.map(\.text), random_words_accuracy: control))
            case .table:
                print("template                                   alone   leave-one-out")
                for e in effects {
                    let t = set.templates[e.template].text
                    print(
                        t.padding(toLength: 42, withPad: " ", startingAt: 0), Report.percent(e.accuracy).padding(toLength: 7, withPad: " ", startingAt: 0),
                        String(format: "%+.1f", 100 * e.leaveOneOut))
                }
                print("all \(set.templates.count) templates: \(Report.percent(full))")
                print("forward selection (\(selection.folds)-fold held-out accuracy \(Report.percent(selection.heldOutAccuracy))): \(chosen.count) templates")
                for t in chosen { print("  \(t.text)") }
                if let control { print("random-words control (\(randomControl) templates): \(Report.percent(control))") }
            }
        }
    }
}
