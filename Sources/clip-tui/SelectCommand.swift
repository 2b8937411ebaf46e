import ArgumentParser
import Foundation
import Scoring

struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Each template's effect and a greedy forward selection, judged on held-out folds.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(help: "Template set to choose from.") var templates: String
    @Option(help: "Cross-validation folds.") var folds: Int = 5
    @Option(help: "At most this many templates.") var maxTemplates: Int?
    @Option(help: "Random-word templates for the WaffleCLIP control (0: none).") var randomControl: Int = 16
    @Option(help: "Write the chosen templates here (.txt or .json).") var out: String?
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
                control = Metrics(probabilities: scores.probabilities, truth: images.truth(labels)).top1
            }
            if let out { try PromptFiles.writeTemplates(TemplateSet(name: set.name + "-selected", templates: chosen), path: out) }
            switch format {
            case .json:
                try printJSON(Output(templates: set.templates.map(\.text), effects: effects, full_accuracy: full,
                                     selection: selection, chosen: chosen.map(\.text), random_words_accuracy: control))
            case .table:
                print("template                                   alone   leave-one-out")
                for e in effects {
                    let t = set.templates[e.template].text
                    print(t.padding(toLength: 42, withPad: " ", startingAt: 0), Report.percent(e.accuracy).padding(toLength: 7, withPad: " ", startingAt: 0),
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
