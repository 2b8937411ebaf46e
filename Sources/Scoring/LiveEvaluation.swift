/// What one evaluation of a live session found, stage by stage: class names, the truth
/// under these labels, both sets' scores, and (as later stages land) the full comparison
/// and each template's effects. Everything is indexed by this evaluation's own class list,
/// so nothing in it can point past the labels it was computed for.
public struct LiveEvaluation: Sendable {
    public let classNames: [String]
    /// Each image's class under these labels (nil: no truth, or a class not among them).
    public let truth: [Int?]
    /// The names the truth came from (shown for images whose class is not a label now).
    public let truthNames: [String?]
    public let a: SetScores
    public let b: SetScores
    /// Top-1 of both sets, McNemar and the flips; nil without labelled images.
    public let summary: QuickComparison?
    /// Seconds from the request to the first stage.
    public let seconds: Double
    /// The last stage that is in.
    public internal(set) var completed: LiveEvaluator.Stage = .scores
    /// Full metrics and the paired bootstrap (stage 2).
    public internal(set) var comparison: ABComparison?
    /// Per template of A and B, in order: the longest prompt's tokens (stage 3).
    public internal(set) var templateTokensA: [Int]?
    public internal(set) var templateTokensB: [Int]?
    /// Per template of the request: accuracy alone and leave-one-out effect (stage 3, with
    /// labelled images); nil for a template left out (no placeholder).
    public internal(set) var effectsA: [TemplateEffects.Row?]?
    public internal(set) var effectsB: [TemplateEffects.Row?]?
    /// How many labelled images the template effects were computed on.
    public internal(set) var effectSample: Int?

    init(
        classNames: [String], truth: [Int?], truthNames: [String?], a: SetScores, b: SetScores,
        summary: QuickComparison?, seconds: Double
    ) {
        self.classNames = classNames; self.truth = truth; self.truthNames = truthNames
        self.a = a; self.b = b; self.summary = summary; self.seconds = seconds
    }
}

/// The part of an A/B comparison that costs one pass over the predictions: each set's top-1
/// with its Wilson interval, McNemar's exact test, the flips.
public struct QuickComparison: Sendable, Equatable {
    public let labelled: Int
    public let top1A: Double
    public let top1B: Double
    public let intervalA: WilsonInterval
    public let intervalB: WilsonInterval
    public let mcnemar: McNemarTest

    /// nil when no image has a class among the labels.
    init?(a: SetScores, b: SetScores, truth: [Int?]) {
        var n = 0, hitsA = 0, hitsB = 0, onlyA = 0, onlyB = 0
        for (i, t) in truth.enumerated() {
            guard let t else { continue }
            n += 1
            let ra = a.predictions[i] == t, rb = b.predictions[i] == t
            if ra { hitsA += 1 }
            if rb { hitsB += 1 }
            if ra && !rb { onlyA += 1 }
            if rb && !ra { onlyB += 1 }
        }
        guard n > 0, a.classCount > 0 else { return nil }
        labelled = n
        top1A = Double(hitsA) / Double(n)
        top1B = Double(hitsB) / Double(n)
        intervalA = WilsonInterval(successes: hitsA, total: n)
        intervalB = WilsonInterval(successes: hitsB, total: n)
        mcnemar = McNemarTest(onlyA: onlyA, onlyB: onlyB)
    }
}
