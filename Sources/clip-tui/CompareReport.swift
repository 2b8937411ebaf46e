import Foundation
import Scoring

/// One candidate of `compare` and `export`: a model and a template set, evaluated with the
/// model's other sets in one request.
struct Candidate {
    let model: ScoringModel
    /// Which evaluation (one per model) holds it, and which of its sets it is.
    let evaluation: Int
    let set: Int
    let file: String
    let templates: TemplateSet
}

/// Every model × every set, evaluated: each model embeds the images once and evaluates
/// all the sets in one request (model-major, as `compare` and `export` list them).
struct CandidateRun {
    let models: [ScoringModel]
    let candidates: [Candidate]
    let images: [EmbeddedImages]
    /// The labels as read (the same for every model).
    let labels: LabelSet
    let board: CandidateBoard
    /// Per candidate: its template weights' report (nil: equal weights, no `--weights`).
    let weightings: [WeightingReport?]

    /// - Parameters: `files` are the sets' files (for names and warnings), `parsed` the sets;
    ///   `weighting` weights every set alike (`--weights`; nil or equal: the plain ensemble).
    init(
        models: [ScoringModel], files: [String], parsed: [TemplateSet], sets: SetOptions, temperature: Float,
        through: LiveEvaluator.Stage, progress: Bool = false, weighting: WeightOptions? = nil
    ) throws {
        var weightings: [WeightingReport?] = []
        var candidates: [Candidate] = [], images: [EmbeddedImages] = [], evaluations: [CandidateBoard.ModelEvaluation] = []
        var read: LabelSet?
        for model in models {
            let (labels, embedded) = try sets.load(model)
            read = labels
            if let w = model.unreadableLabelsWarning(labels) { warn(w) }
            for (file, set) in zip(files, parsed) {
                for line in model.plan(labels: labels, templates: set).summary(
                    labels: try sets.labelSource, templates: file, contextLength: model.store.provider.contextLength)
                {
                    warn(line)
                }
            }
            let reporter = progress ? PromptProgressReporter(sets: parsed.map(\.name), model: models.count > 1 ? model.name : nil) : nil
            let evaluator = model.evaluator(embedded)
            var request = EvaluationRequest(labels: labels, sets: parsed.map(\.templates), temperature: temperature, through: through)
            var e = try evaluator.evaluateOnce(
                request, progress: reporter.map { r in { r.prompts($0, $1) } }, partial: reporter.map { r in { r.partial($0) } })
            if let weighting, weighting.weights != .equal {
                // Weighted on the embeddings just made, then scored again (nothing encoded twice).
                let reference = try weighting.referenceImages(model, labels: labels)
                var used: [[Template: Double]?] = []
                for (s, set) in parsed.enumerated() {
                    let w = try weighting.resolve(
                        evaluator, request: request, set: s, labels: labels, templates: set, reference: reference, images: sets.images)
                    for note in w.report.notes { warn("weights of \(set.name): \(note)") }
                    used.append(w.used)
                    weightings.append(w.report)
                }
                request.weights = used
                e = try evaluator.evaluateOnce(request)
            } else {
                weightings += parsed.map { _ in nil }
            }
            for (s, (file, set)) in zip(files, parsed).enumerated() {
                candidates.append(Candidate(model: model, evaluation: evaluations.count, set: s, file: file, templates: set))
            }
            images.append(embedded)
            evaluations.append(.init(paths: embedded.items.map(\.path), result: e))
        }
        self.models = models
        self.weightings = weightings
        self.labels = read!  // one model at least
        self.candidates = candidates
        self.images = images
        board = CandidateBoard(models: models.map(\.name), sets: parsed.map(\.name), evaluations: evaluations, showModel: true)
    }
}

/// What `compare` reports: the candidates' metrics, the leaderboard over the images every
/// model embedded, and with exactly two candidates today's A/B fields.
struct CompareReport {
    let candidates: [Candidate]
    let board: CandidateBoard
    var ids: [String] { board.candidates.map(\.id) }
    var paths: [String] { board.paths }
    var truth: [Int?] { board.truth }
    var leaderboard: Leaderboard { board.leaderboard }
    var classes: [String] { board.classes }

    let weightings: [WeightingReport?]

    init(_ run: CandidateRun) {
        candidates = run.candidates
        board = run.board
        weightings = run.weightings
    }

    func result(_ i: Int) -> (set: LiveEvaluation.SetResult, evaluation: LiveEvaluation) { board.result(i) }

    /// The first two candidates as A and B, when they are the only ones.
    var pair: ABComparison? { candidates.count == 2 ? board.comparison(0, 1) : nil }

    // MARK: JSON (Schemas/compare.schema.json)

    struct Output: Encodable {
        let classes: [String]
        /// Labelled images the candidates are paired on.
        let labelled: Int
        let correction = "holm"
        let candidates: [CandidateOutput]
        let leaderboard: [Row]
        let any_significantly_worse: Bool
        // Two candidates: today's A/B fields, for CI scripts.
        let model: String?
        let score_rule: String?
        let temperature: Float?
        let templates_a: [String]?
        let templates_b: [String]?
        let comparison: NamedComparison?
        let right_only_under_a: [String]?
        let right_only_under_b: [String]?
        let b_significantly_worse: Bool?
    }

    struct CandidateOutput: Encodable {
        let id: String
        let model: String
        let score_rule: String
        let temperature: Float
        let set: SetOutput
        let metrics: PromptSetExport.NamedMetrics
        let top1_interval: WilsonInterval
        /// Against the first candidate (null for the first).
        let versus_reference: Leaderboard.Paired?
        /// Its template weights (absent: equal weights).
        let weighting: WeightingReport?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id); try c.encode(model, forKey: .model)
            try c.encode(score_rule, forKey: .score_rule); try c.encode(temperature, forKey: .temperature)
            try c.encode(set, forKey: .set); try c.encode(metrics, forKey: .metrics)
            try c.encode(top1_interval, forKey: .top1_interval); try c.encode(versus_reference, forKey: .versus_reference)
            try c.encodeIfPresent(weighting, forKey: .weighting)
        }
        enum CodingKeys: String, CodingKey {
            case id, model, score_rule, temperature, set, metrics, top1_interval, versus_reference, weighting
        }
    }

    struct SetOutput: Encodable {
        let file: String
        let name: String
        let templates: [String]
    }

    struct Row: Encodable {
        let rank: Int
        let id: String
        let top1: Double
        let top1_interval: WilsonInterval
        let score_rule: String
        /// Against the best (null for the best).
        let versus_best: Leaderboard.Paired?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rank, forKey: .rank); try c.encode(id, forKey: .id); try c.encode(top1, forKey: .top1)
            try c.encode(top1_interval, forKey: .top1_interval); try c.encode(score_rule, forKey: .score_rule)
            try c.encode(versus_best, forKey: .versus_best)
        }
        enum CodingKeys: String, CodingKey { case rank, id, top1, top1_interval, score_rule, versus_best }
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

    func output(models: [ScoringModel]) -> Output {
        let outs = candidates.indices.map { i -> CandidateOutput in
            let (set, e) = result(i)
            let c = candidates[i]
            return CandidateOutput(
                id: ids[i], model: c.model.name, score_rule: e.rule.description, temperature: e.temperature,
                set: SetOutput(file: c.file, name: c.templates.name, templates: c.templates.templates.map(\.text)),
                metrics: .init(set.metrics!, classes: classes), top1_interval: Self.interval(set.metrics!),
                versus_reference: leaderboard.versusReference[i], weighting: weightings[i])
        }
        let rows = leaderboard.order.enumerated().map { rank, i in
            Row(
                rank: rank + 1, id: ids[i], top1: leaderboard.top1[i], top1_interval: leaderboard.intervals[i],
                score_rule: result(i).evaluation.rule.description, versus_best: leaderboard.versusBest[i])
        }
        let named = pair.map { NamedComparison($0, classes: classes, paths: paths) }
        let two = candidates.count == 2
        return Output(
            classes: classes, labelled: truth.filter { $0 != nil }.count, candidates: outs, leaderboard: rows,
            any_significantly_worse: leaderboard.anyWorseThanReference,
            model: two ? candidates[0].model.name : nil, score_rule: two ? result(0).evaluation.rule.description : nil,
            temperature: two ? result(0).evaluation.temperature : nil,
            templates_a: two ? candidates[0].templates.templates.map(\.text) : nil,
            templates_b: two ? candidates[1].templates.templates.map(\.text) : nil, comparison: named,
            right_only_under_a: named?.right_only_under_a, right_only_under_b: named?.right_only_under_b,
            b_significantly_worse: two ? leaderboard.versusReference[1]?.significantlyWorse : nil)
    }

    /// Top-1's Wilson interval over the candidate's own labelled images.
    static func interval(_ m: Metrics) -> WilsonInterval {
        WilsonInterval(successes: Int((m.top1 * Double(m.count)).rounded()), total: m.count)
    }

    // MARK: Table

    /// The leaderboard, best first; with two candidates, the A/B details after it.
    func table() -> String {
        let labelled = truth.filter { $0 != nil }.count
        let comparisons = max(0, candidates.count - 1)
        var lines = [
            "\(candidates.count) candidates on \(labelled) labelled images; each against the best: top-1 difference with a paired bootstrap 95% interval, McNemar's p Holm-corrected over \(comparisons) comparison\(comparisons == 1 ? "" : "s")"
        ]
        let width = min(48, ids.map(\.count).max() ?? 10)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }
        lines.append(
            pad("rank", 5) + pad("candidate", width + 2) + pad("rule", 20) + pad("top-1  [95% Wilson]", 23) + pad("mpcr", 7)
                + pad("NLL", 7) + pad("ECE", 7) + "vs best  [95% bootstrap]     p (Holm)")
        for (rank, i) in leaderboard.order.enumerated() {
            let m = result(i).set.metrics!
            let w = leaderboard.intervals[i]
            var line =
                pad("\(rank + 1)", 5) + pad(ids[i], width + 2) + pad(result(i).evaluation.rule.shortDescription, 20)
                + pad(String(format: "%5.1f%% [%4.1f, %4.1f]", 100 * leaderboard.top1[i], 100 * w.low, 100 * w.high), 23)
                + pad(Report.percent(m.meanPerClassRecall), 7) + pad(String(format: "%.3f", m.nll), 7) + pad(String(format: "%.3f", m.ece), 7)
            if let v = leaderboard.versusBest[i] {
                line += String(
                    format: "%+5.1f  [%+5.1f, %+5.1f]  %8.4g%@", 100 * v.difference.difference, 100 * v.difference.low,
                    100 * v.difference.high, v.pHolm, v.significantlyWorse ? "  worse" : "")
            } else {
                line += "best"
            }
            lines.append(line)
        }
        if let c = pair {
            lines.append("")
            lines.append(Report.comparisonTable(c, classes: classes, nameA: ids[0], nameB: ids[1], paths: paths))
        }
        for (i, w) in weightings.enumerated() {
            guard let w else { continue }
            lines.append("")
            lines.append("\(ids[i]) " + w.table())
        }
        return lines.joined(separator: "\n")
    }
}
