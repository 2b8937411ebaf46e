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
            let weights = try self.weights(evaluator, request: request, labels: labels, templates: templateSet)
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

    /// The weights `--weights` asks for (nil: equal) and their report.
    private func weights(
        _ evaluator: LiveEvaluator, request: EvaluationRequest, labels: LabelSet, templates set: TemplateSet
    ) throws -> (used: [Template: Double]?, report: WeightingReport) {
        var distinct: [Template] = []
        var seen = Set<Template>()
        for t in set.templates where t.hasPlaceholder && seen.insert(t).inserted { distinct.append(t) }
        var notes: [String] = []
        let own = labels.classes.filter { !$0.sentences.isEmpty }.count, synonyms = labels.classes.filter { $0.synonyms.count > 0 }.count
        if weighting.weights != .equal, own + synonyms > 0 {
            notes.append(
                "\(own) class\(own == 1 ? "" : "es") with \(own == 1 ? "its" : "their") own sentences and \(synonyms) with synonyms keep equal weights over those"
            )
        }
        switch weighting.weights {
        case .equal, .zpe:
            let w = 1 / Double(max(1, distinct.count))
            return (nil, WeightingReport(method: "equal", templates: distinct, weights: distinct.map { _ in w }, notes: notes, fit: nil))
        case .fit:
            guard let fit = try evaluator.fitWeights(set: 0, request: request, folds: weighting.folds, seed: weighting.foldSeed) else {
                throw ScoringError.invalid("\(sets.images): --weights fit needs labelled images (class subfolders or --truth)")
            }
            let byTemplate = fit.byTemplate
            return (
                byTemplate,
                WeightingReport(method: "fit", templates: distinct, weights: distinct.map { byTemplate[$0] ?? 0 }, notes: notes, fit: fit)
            )
        case .file(let path):
            let read = try TemplateWeightsFile.read(path: path)
            let missing = distinct.filter { read[$0] == nil }, unused = read.keys.filter { !seen.contains($0) }
            if !missing.isEmpty {
                notes.append(
                    "\(missing.count) template\(missing.count == 1 ? "" : "s") not in \(path) weigh 0: \(missing.map { "\"\($0.text)\"" }.joined(separator: ", "))"
                )
            }
            if !unused.isEmpty { notes.append("\(unused.count) weighted template\(unused.count == 1 ? "" : "s") of \(path) not in the set (ignored)") }
            let total = distinct.reduce(0) { $0 + (read[$1] ?? 0) }
            guard total > 0 else { throw ScoringError.invalid("\(path): no template of \(set.name) has a weight above 0") }
            let used = Dictionary(uniqueKeysWithValues: distinct.map { ($0, (read[$0] ?? 0) / total) })
            return (used, WeightingReport(method: path, templates: distinct, weights: distinct.map { used[$0]! }, notes: notes, fit: nil))
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
