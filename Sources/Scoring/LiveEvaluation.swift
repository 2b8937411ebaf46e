/// What one evaluation found, stage by stage: class names, the truth under these labels,
/// every set's scores, and (as later stages land) metrics, the comparison of the first two
/// sets and each template's figures. Classes are indexed by this evaluation's own class
/// list, so nothing in it can point past the labels it was computed for; templates are
/// keyed by their text, never by a line's position.
public struct LiveEvaluation: Sendable {
    /// One template's figures within its set.
    public struct TemplateFigures: Sendable, Equatable {
        /// The longest prompt it makes, in tokens (over every class name).
        public let tokens: Int
        /// "no {}: left out", "cut at 77", or nil.
        public let warning: String?
        /// Its own top-1 and its leave-one-out effect (nil: no labelled image, or left out).
        public let effect: TemplateEffects.Row?
    }

    /// One template set's results.
    public struct SetResult: Sendable {
        /// Cosines, predictions, confidence, probabilities (stage 1).
        public let scores: SetScores
        /// Lines without `{}`, which make no prompt (stage 1), each once.
        public let leftOut: [Template]
        /// Full metrics (stage 2; nil without labelled images).
        public internal(set) var metrics: Metrics?
        /// Every distinct template's figures, by template (stage 3).
        public internal(set) var templates: [Template: TemplateFigures] = [:]
        /// Distinct templates (with a placeholder) in the scores: fewer than
        /// `templateCount` while a cold open is still encoding the rest.
        public let scoredTemplates: Int
        /// Distinct templates with a placeholder in the set.
        public let templateCount: Int
        /// Whether the scores are from part of the set's templates (`scoredTemplates` of
        /// `templateCount`), on the way to the full ensemble.
        public var isPartial: Bool { scoredTemplates < templateCount }
        /// The template weights the scores were made with (nil: equal, the plain ensemble).
        public internal(set) var weights: [Template: Double]? = nil
    }

    public let classNames: [String]
    /// Each image's class under these labels (nil: no truth, or a class not among them).
    public let truth: [Int?]
    /// The names the truth came from (shown for images whose class is not a label now).
    public let truthNames: [String?]
    /// The rule the probabilities were made with: the model's at `temperature`.
    public let rule: ScoreRule
    /// What the model's logits were divided by (1: as trained).
    public let temperature: Float
    /// Every set's results, in the request's order.
    public internal(set) var sets: [SetResult]
    /// Top-1 of the first two sets, McNemar and the flips; nil without labelled images or
    /// with one set.
    public let summary: QuickComparison?
    /// Seconds from the request to the first stage.
    public let seconds: Double
    /// Of `seconds`, those the first stage spent getting its prompts' embeddings (the text
    /// tower's part of a keystroke; the rest is the stages' own arithmetic).
    public internal(set) var encodeSeconds = 0.0
    /// Milliseconds each step of the evaluation took so far, by step (`StepTimes`): the
    /// bench's breakdown of a keystroke.
    public internal(set) var steps: [String: Double] = [:]
    /// The last stage that is in.
    public internal(set) var completed: LiveEvaluator.Stage = .scores
    /// Full metrics of the first two sets and the paired bootstrap (stage 2).
    public internal(set) var comparison: ABComparison?
    /// How many labelled images the template effects were computed on.
    public internal(set) var effectSample: Int?
    /// Classes the first shown set's leave-one-out figures scanned per image (of all of
    /// them; fewer where bounds rule the rest out): for the bench.
    public internal(set) var effectClassesScanned: Double?

    init(
        classNames: [String], truth: [Int?], truthNames: [String?], rule: ScoreRule, temperature: Float, sets: [SetResult],
        seconds: Double
    ) {
        self.classNames = classNames; self.truth = truth; self.truthNames = truthNames
        self.rule = rule; self.temperature = temperature
        self.sets = sets; self.seconds = seconds
        summary = sets.count >= 2 ? QuickComparison(a: sets[0].scores, b: sets[1].scores, truth: truth) : nil
    }

    /// Whether some set's scores are from part of its templates (a cold open on the way).
    public var isPartial: Bool { sets.contains(where: \.isPartial) }

    /// Labelled images under these labels.
    public var labelledCount: Int { truth.filter { $0 != nil }.count }
}
