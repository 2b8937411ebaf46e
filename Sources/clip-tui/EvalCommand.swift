import ArgumentParser
import Foundation
import Scoring

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Zero-shot scores and metrics of one template set on a folder of images.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(help: ArgumentHelp("Template set: .txt, .json or .py; FILE#KEY picks one entry.", valueName: "file[#key]")) var templates: String
    @Option(help: "Softmax temperature (default: the checkpoint's logit scale); for a sigmoid model (SigLIP), divides its logits.") var temperature: Float?
    @Option(help: "Output: table or json.") var format: ReportFormat = .table

    struct Output: Encodable {
        let model: String
        /// How `probs` were made: "softmax(100·cos) over classes" or "sigmoid(10·cos − 10) per class".
        let rule: String
        let classes: [String]
        let templates: [String]
        let issues: [String]
        /// nil (written as null) when no image is labelled.
        let metrics: Metrics?
        let images: [ImageRow]

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(rule, forKey: .rule)
            try c.encode(classes, forKey: .classes)
            try c.encode(templates, forKey: .templates)
            try c.encode(issues, forKey: .issues)
            try c.encode(metrics, forKey: .metrics)
            try c.encode(images, forKey: .images)
        }
        enum CodingKeys: String, CodingKey { case model, rule, classes, templates, issues, metrics, images }
    }

    struct ImageRow: Encodable {
        let path: String
        let truth: String?
        let pred: String?
        let probs: [Float]

        /// `truth` is always present: null for an unlabelled image, as the README says.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(truth, forKey: .truth)
            try c.encode(pred, forKey: .pred)
            try c.encode(probs, forKey: .probs)
        }
        enum CodingKeys: String, CodingKey { case path, truth, pred, probs }
    }

    func run() throws {
        try reportingErrors {
            let lab = try engine.makeLab(temperature: temperature)
            let templateSet = try PromptFiles.readTemplates(path: templates)
            let (labels, images) = try sets.load(lab)
            let (scores, plan) = try lab.score(images, labels: labels, templates: templateSet)
            for line in plan.summary(labels: sets.labels, templates: templates, contextLength: lab.store.provider.contextLength) { warn(line) }
            let truth = images.truth(labels)
            let labelled = truth.contains { $0 != nil }
            let metrics = labelled ? Metrics(table: scores, truth: truth) : nil
            let names = labels.classes.map(\.name)
            switch format {
            case .json:
                let preds = scores.predictions
                try printJSON(
                    Output(
                        model: lab.modelName, rule: lab.rule.description, classes: names, templates: templateSet.templates.map(\.text),
                        issues: plan.issues.map(\.description), metrics: metrics,
                        images: images.items.enumerated().map { i, item in
                            ImageRow(
                                path: item.path, truth: truth[i].map { names[$0] }, pred: preds[i].map { names[$0] },
                                probs: scores.probabilities.row(i))
                        }))
            case .table:
                print("scores: \(lab.rule.description)")
                if let metrics {
                    print(Report.metricsTable(metrics, classes: names, title: templateSet.name))
                } else {
                    print(
                        Report.unlabelledTable(
                            scores, paths: images.items.map(\.relativePath), classes: names,
                            title: templateSet.name, images: sets.images))
                }
            }
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
