import ArgumentParser
import Foundation
import Scoring

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Zero-shot scores and metrics of one template set on a folder of images.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(help: "Template file (.txt, .json, .py).") var templates: String
    @Option(help: "Softmax temperature (default: the checkpoint's logit scale).") var temperature: Float?
    @Option(help: "Output: table or json.") var format: ReportFormat = .table

    struct Output: Encodable {
        let model: String
        let classes: [String]
        let templates: [String]
        let issues: [String]
        let metrics: Metrics
        let images: [ImageRow]
    }

    struct ImageRow: Encodable {
        let path: String
        let truth: String?
        let pred: String?
        let probs: [Float]
    }

    func run() throws {
        try reportingErrors {
            let lab = try engine.makeLab(temperature: temperature)
            let templateSet = try PromptFiles.readTemplates(path: templates)
            let (labels, images) = try sets.load(lab)
            let (scores, plan) = try lab.score(images, labels: labels, templates: templateSet)
            for issue in plan.issues { warn("\(templates): \(issue)") }
            let truth = images.truth(labels)
            let metrics = Metrics(probabilities: scores.probabilities, truth: truth)
            let names = labels.classes.map(\.name)
            switch format {
            case .json:
                let preds = scores.predictions
                try printJSON(Output(
                    model: lab.modelName, classes: names, templates: templateSet.templates.map(\.text),
                    issues: plan.issues.map(\.description), metrics: metrics,
                    images: images.items.enumerated().map { i, item in
                        ImageRow(path: item.path, truth: truth[i].map { names[$0] }, pred: preds[i].map { names[$0] },
                                 probs: scores.probabilities.row(i))
                    }))
            case .table:
                print(Report.metricsTable(metrics, classes: names, title: templateSet.name))
            }
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
