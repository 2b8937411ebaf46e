import ArgumentParser
import Foundation
import Scoring

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Zero-shot scores and metrics of one template set on a folder of images.")

    @OptionGroup var engine: EngineOptions
    @OptionGroup var sets: SetOptions
    @Option(
        name: .customLong("templates"),
        help: ArgumentHelp(
            "Template set: .txt, .json or .py; FILE#KEY picks one entry. Default for a webdataset folder: its zeroshot_classification_templates.txt.",
            valueName: "file[#key]"))
    var templatesOption: String?
    @OptionGroup var scoring: ScoreOptions
    @OptionGroup var weighting: WeightOptions
    @OptionGroup var progressOptions: ProgressOptions
    @Option(help: "Output: table or json.") var format: ReportFormat = .table

    /// `eval --format json` (schema: Schemas/eval.schema.json).
    struct Output: Encodable {
        let model: String
        /// How `probs` were made, at `temperature`: "softmax(100·cos) over classes" or
        /// "sigmoid(10·cos − 10) per class". `rule` is the same, under its first name.
        let score_rule: String
        let rule: String
        let temperature: Float
        let classes: [String]
        let templates: [String]
        let left_out: [String]
        let issues: [String]
        /// nil (written as null) when no image is labelled.
        let metrics: PromptSetExport.NamedMetrics?
        /// Each template's weight, and a fit's held-out figures.
        let weighting: WeightingReport
        /// `--temperature fit`'s figures (absent otherwise).
        let temperature_fit: TemperatureFitReport?
        let images: [ImageRow]

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(score_rule, forKey: .score_rule)
            try c.encode(rule, forKey: .rule)
            try c.encode(temperature, forKey: .temperature)
            try c.encode(classes, forKey: .classes)
            try c.encode(templates, forKey: .templates)
            try c.encode(left_out, forKey: .left_out)
            try c.encode(issues, forKey: .issues)
            try c.encode(metrics, forKey: .metrics)
            try c.encode(weighting, forKey: .weighting)
            try c.encodeIfPresent(temperature_fit, forKey: .temperature_fit)
            try c.encode(images, forKey: .images)
        }
        enum CodingKeys: String, CodingKey {
            case model, score_rule, rule, temperature, classes, templates, left_out, issues, metrics, weighting, temperature_fit, images
        }
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
            let model = try engine.makeModel(logitScale: scoring.logitScale)
            let templates = try sets.templateSource(templatesOption)
            let templateSet = try PromptFiles.readTemplates(path: templates)
            let (labels, images) = try sets.load(model)
            if let w = model.unreadableLabelsWarning(labels) { warn(w) }
            let plan = model.plan(labels: labels, templates: templateSet)
            for line in plan.summary(labels: try sets.labelSource, templates: templates, contextLength: model.store.provider.contextLength) { warn(line) }
            // A one-shot evaluation of what the session evaluates live; no per-template stage.
            let reporter = progressOptions.progress ? PromptProgressReporter(sets: [templateSet.name], model: nil) : nil
            let evaluator = model.evaluator(images)
            var request = EvaluationRequest(
                labels: labels, sets: [templateSet.templates], temperature: scoring.resolvedTemperature, through: .statistics)
            var e = try evaluator.evaluateOnce(
                request, progress: reporter.map { r in { r.prompts($0, $1) } }, partial: reporter.map { r in { r.partial($0) } })
            // Weights and a temperature are fitted on the embeddings just made, then the set
            // is scored again with them (no prompt is encoded twice).
            let reference = try weighting.referenceImages(model, labels: labels)
            let weights = try weighting.resolve(
                evaluator, request: request, set: 0, labels: labels, templates: templateSet, reference: reference, images: sets.images)
            for note in weights.report.notes { warn("weights: \(note)") }
            request.weights = [weights.used]
            var temperatureFit: TemperatureFit?
            if scoring.fitsTemperature {
                guard let fit = try evaluator.fitTemperature(set: 0, request: request, folds: weighting.folds, seed: weighting.foldSeed) else {
                    throw ScoringError.invalid("\(sets.images): --temperature fit needs labelled images (class subfolders or --truth)")
                }
                if fit.atBound { warn("temperature fit: the NLL still falls at T = \(fit.temperature) (the truth is separable); T stops there") }
                request.temperature = Float(fit.temperature)
                temperatureFit = fit
            }
            if weights.used != nil || temperatureFit != nil { e = try evaluator.evaluateOnce(request) }
            let result = e.sets[0]
            let names = e.classNames
            let tReport = temperatureFit.map(TemperatureFitReport.init)
            switch format {
            case .json:
                try printJSON(
                    Output(
                        model: model.name, score_rule: e.rule.description, rule: e.rule.description, temperature: e.temperature,
                        classes: names, templates: templateSet.templates.map(\.text), left_out: result.leftOut.map(\.text),
                        issues: plan.issues.map(\.description), metrics: result.metrics.map { .init($0, classes: names) },
                        weighting: weights.report, temperature_fit: tReport,
                        images: images.items.enumerated().map { i, item in
                            ImageRow(
                                path: item.path, truth: e.truth[i].map { names[$0] }, pred: result.scores.predictions[i].map { names[$0] },
                                probs: result.scores.probabilities(image: i))
                        }))
            case .table:
                print("scores: \(e.rule.description)\(e.temperature == 1 ? "" : " (temperature \(e.temperature))")")
                if let metrics = result.metrics {
                    print(Report.metricsTable(metrics, classes: names, title: templateSet.name))
                    print(Report.reliabilityDiagram(metrics.reliability, ece: metrics.ece))
                } else {
                    print(
                        Report.unlabelledTable(
                            result.scores, paths: images.items.map(\.relativePath), classes: names,
                            title: templateSet.name, images: sets.images))
                }
                if weighting.weights != .equal { print(weights.report.table()) }
                if let tReport { print(tReport.table()) }
            }
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
