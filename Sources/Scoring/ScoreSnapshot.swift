import Foundation
import Tensors

/// Which images a list shows.
public enum ImageFilter: String, CaseIterable, Sendable { case all, wrongA = "wrong under A", wrongB = "wrong under B", flipped }
/// How a list orders its images.
public enum ImageSort: String, CaseIterable, Sendable { case name, confidence, margin }

/// A search of the images by text: the images are listed by their cosine to it.
public struct ImageSearch: Equatable, Sendable {
    public var query: String
    /// One per image of the snapshot, in its order.
    public var scores: [Float]
    public init(query: String, scores: [Float]) { self.query = query; self.scores = scores }
}

/// What the engine computed for one version of a session's labels and two template sets,
/// as a front end reads it: rows of images and classes, per-template figures by template
/// text, the comparison. Built from a `LiveEvaluation` stage; every class index in it
/// refers to this snapshot's own class list, every image is named by path.
public struct ScoreSnapshot: Sendable {
    public struct ImageRow: Sendable {
        public let path: String
        public let name: String
        /// The class under this snapshot's labels (nil: none, or not among them).
        public let truth: Int?
        /// The truth as named by the folder or truth file.
        public let truthName: String?
        public let predA: Int?
        public let predB: Int?
        /// Top probability under A, and its lead over the second.
        public let confidenceA: Float
        public let marginA: Float
        public var rightA: Bool? { truth.map { $0 == predA } }
        public var rightB: Bool? { truth.map { $0 == predB } }

        public init(
            path: String, name: String, truth: Int?, truthName: String? = nil, predA: Int?, predB: Int?,
            confidenceA: Float = 0, marginA: Float = 0
        ) {
            self.path = path; self.name = name; self.truth = truth; self.truthName = truthName
            self.predA = predA; self.predB = predB; self.confidenceA = confidenceA; self.marginA = marginA
        }
    }

    /// One template line's figures, as the template pane shows them.
    public struct TemplateRow: Sendable, Equatable {
        public init(tokens: Int?, warning: String?, accuracy: Double?, leaveOneOut: Double?, weight: Double? = nil) {
            self.tokens = tokens; self.warning = warning; self.accuracy = accuracy; self.leaveOneOut = leaveOneOut
            self.weight = weight
        }

        /// The longest prompt's token count (nil while that stage is pending).
        public let tokens: Int?
        public let warning: String?
        public let accuracy: Double?
        public let leaveOneOut: Double?
        /// The template's weight in its set's ensemble (nil: equal weights).
        public let weight: Double?
    }

    /// A's and B's template weights (nil: equal weights).
    public let weights: [[Template: Double]?]
    public let generation: Int
    public let classNames: [String]
    public let images: [ImageRow]
    private let scoresA: SetScores
    private let scoresB: SetScores
    /// Top-1, Wilson intervals, McNemar (stage 1; nil without labelled images).
    public let summary: QuickComparison?
    /// Full metrics and the bootstrap interval (stage 2).
    public let comparison: ABComparison?
    /// How the model's cosines became these probabilities (CLIP's softmax, SigLIP's
    /// sigmoid), at `temperature`.
    public let rule: ScoreRule
    /// B's rule (another model's, when A and B are candidates of two models).
    public let ruleB: ScoreRule
    /// Every candidate ranked (nil: not in yet, or a snapshot built without one).
    public let board: CandidateBoard?
    /// What the model's logits were divided by (1: as trained).
    public let temperature: Float
    public var metricsA: Metrics? { comparison?.a }
    public var metricsB: Metrics? { comparison?.b }
    /// Per template of A and of B, by template.
    private let figures: [[Template: TemplateRow]]
    /// The template figures' sample, when it is not every labelled image.
    public let templateSample: (used: Int, of: Int)?
    public let seconds: Double
    /// The stage every model's evaluation has reached (A's and B's figures may be further).
    public let stage: LiveEvaluator.Stage
    /// Counts the snapshots of one request, in the order they were made (what the screen
    /// redraws on: with several models a stage of one leaves `stage` where it was).
    public var sequence = 0
    /// The evaluation this snapshot shows (exports are written from it).
    public let evaluation: LiveEvaluation?
    /// A's and B's templates in the scores, of how many (a cold open hands out scores from
    /// the templates encoded so far); nil where every template is in.
    public let partialA: (scored: Int, of: Int)?
    public let partialB: (scored: Int, of: Int)?

    /// A snapshot from given rows and probabilities (screen tests); `templates` by text.
    public init(
        testGeneration generation: Int, classNames: [String], images: [ImageRow],
        probabilitiesA: [[Float]], probabilitiesB: [[Float]],
        templatesA: [String: TemplateRow], templatesB: [String: TemplateRow], comparison: ABComparison? = nil,
        rule: ScoreRule = .softmax(scale: 100), partialA: (scored: Int, of: Int)? = nil, partialB: (scored: Int, of: Int)? = nil,
        weightsA: [String: Double]? = nil
    ) {
        let k = classNames.count
        self.rule = rule
        ruleB = rule
        board = nil
        temperature = 1
        self.generation = generation; self.classNames = classNames; self.images = images
        scoresA = SetScores(probabilities: Matrix(rows: images.count, cols: k, storage: probabilitiesA.flatMap { $0 }))
        scoresB = SetScores(probabilities: Matrix(rows: images.count, cols: k, storage: probabilitiesB.flatMap { $0 }))
        // A cold open's snapshot (partial sets) carries its top-1 figures; the others none.
        summary =
            partialA != nil || partialB != nil ? QuickComparison(a: scoresA, b: scoresB, truth: images.map(\.truth)) : nil
        self.comparison = comparison
        figures = [templatesA, templatesB].map { rows in Dictionary(rows.map { (Template($0.key), $0.value) }, uniquingKeysWith: { a, _ in a }) }
        weights = [weightsA.map { Dictionary($0.map { (Template($0.key), $0.value) }, uniquingKeysWith: { a, _ in a }) }, nil]
        templateSample = nil; seconds = 0; stage = .templates
        evaluation = nil
        self.partialA = partialA; self.partialB = partialB
    }

    /// The session's view of an evaluation stage of its two sets. `items` are the
    /// evaluated images, in order.
    public init(_ e: LiveEvaluation, generation: Int, items: [ImageCollection.Item]) {
        precondition(e.sets.count >= 2, "a session shows two sets")
        self.init(a: (e, 0), b: (e, 1), sameModel: true, generation: generation, items: items)
    }

    /// The session's view of candidates A and B: each a set of an evaluation (the same
    /// one, or two models' evaluations of the same `items`, row for row). `board` ranks
    /// every candidate (nil before it is in). `sameModel`: `a` and `b` are one evaluation.
    public init(
        a: (evaluation: LiveEvaluation, set: Int), b: (evaluation: LiveEvaluation, set: Int), sameModel: Bool, generation: Int,
        items: [ImageCollection.Item], board: CandidateBoard? = nil, stage: LiveEvaluator.Stage? = nil
    ) {
        let ea = a.evaluation, eb = b.evaluation
        precondition(ea.truth.count == items.count && eb.truth.count == items.count, "both evaluations of the same images")
        self.generation = generation
        evaluation = ea
        classNames = ea.classNames
        let sa = ea.sets[a.set].scores, sb = eb.sets[b.set].scores
        images = items.indices.map { i in
            ImageRow(
                path: items[i].path, name: items[i].relativePath, truth: ea.truth[i], truthName: ea.truthNames[i],
                predA: sa.predictions[i], predB: sb.predictions[i],
                confidenceA: sa.confidence[i], marginA: sa.margin[i])
        }
        scoresA = sa; scoresB = sb
        rule = ea.rule
        ruleB = eb.rule
        temperature = ea.temperature
        // The evaluator compares its first two sets itself: that comparison is reused.
        let sameEvaluation = sameModel && a.set == 0 && b.set == 1
        summary = sameEvaluation ? ea.summary : QuickComparison(a: sa, b: sb, truth: ea.truth)
        if sameEvaluation, let c = ea.comparison {
            comparison = c
        } else if let ma = ea.sets[a.set].metrics, let mb = eb.sets[b.set].metrics {
            comparison = ABComparison(a: ma, b: mb, predictionsA: sa.predictions, predictionsB: sb.predictions, truth: ea.truth)
        } else {
            comparison = nil
        }
        seconds = max(ea.seconds, eb.seconds)
        let ra = ea.sets[a.set], rb = eb.sets[b.set]
        partialA = ra.isPartial ? (ra.scoredTemplates, ra.templateCount) : nil
        partialB = rb.isPartial ? (rb.scoredTemplates, rb.templateCount) : nil
        self.stage = stage ?? min(ea.completed, eb.completed)
        let labelled = ea.labelledCount
        templateSample = ea.effectSample.flatMap { $0 < labelled ? ($0, labelled) : nil }
        figures = [(ea, a.set), (eb, b.set)].map { e, s in
            let set = e.sets[s]
            var rows: [Template: TemplateRow] = [:]
            for t in set.leftOut { rows[t] = TemplateRow(tokens: nil, warning: "no {}: left out", accuracy: nil, leaveOneOut: nil) }
            for (t, f) in set.templates {
                rows[t] = TemplateRow(tokens: f.tokens, warning: f.warning, accuracy: f.effect?.accuracy, leaveOneOut: f.effect?.leaveOneOut)
            }
            return rows
        }
        weights = [ra.weights, rb.weights]
        self.board = board
    }

    /// The figures of a template line of set A (0) or B (1), found by its text: nil for a
    /// blank line, and a pending row for a line this evaluation has not seen (typed since).
    public func templateRow(set: Int, line: String) -> TemplateRow? {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let t = Template(line)
        let row = figures[set][t] ?? TemplateRow(tokens: nil, warning: nil, accuracy: nil, leaveOneOut: nil)
        guard let w = weights[set], t.hasPlaceholder else { return row }
        return TemplateRow(tokens: row.tokens, warning: row.warning, accuracy: row.accuracy, leaveOneOut: row.leaveOneOut, weight: w[t] ?? 0)
    }

    /// One image's class probabilities under A and B.
    public func probabilities(_ image: Int) -> (a: [Float], b: [Float]) {
        (scoresA.probabilities(image: image), scoresB.probabilities(image: image))
    }

    /// One class's row in an image's Scores pane.
    public struct ClassScore: Sendable, Equatable {
        public let name: String
        public let isTruth: Bool
        public let probabilityA: Float
        public let probabilityB: Float
        /// B − A.
        public var difference: Float { probabilityB - probabilityA }
    }

    /// Every class of one image, the most probable under either set first.
    public func classScores(_ image: Int) -> [ClassScore] {
        let (a, b) = probabilities(image)
        let truth = images[image].truth
        return classNames.indices.sorted { max(a[$0], b[$0]) > max(a[$1], b[$1]) }
            .map { ClassScore(name: classNames[$0], isTruth: truth == $0, probabilityA: a[$0], probabilityB: b[$0]) }
    }

    /// One class in the per-class view.
    public struct ClassRow: Sendable, Equatable {
        public let name: String
        public let images: Int
        public let recallA: Double?
        public let recallB: Double?
        public var difference: Double? { recallA.flatMap { a in recallB.map { $0 - a } } }
    }

    /// Every class with labelled images, by B − A recall, largest gain first (nil before
    /// the statistics stage is in).
    public var classRows: [ClassRow]? {
        guard let c = comparison else { return nil }
        var counts = [Int](repeating: 0, count: classNames.count)
        for row in images { if let t = row.truth, t < counts.count { counts[t] += 1 } }
        return classNames.indices.filter { counts[$0] > 0 }
            .map { ClassRow(name: classNames[$0], images: counts[$0], recallA: c.a.perClassRecall[$0], recallB: c.b.perClassRecall[$0]) }
            .sorted { ($0.difference ?? 0, $1.name) > ($1.difference ?? 0, $0.name) }
    }

    /// The most frequent mistakes under A and under B, by name: (truth, predicted, count).
    public func confusedPairs(_ set: Character, limit: Int = 5) -> [(String, String, Int)] {
        guard let m = set == "A" ? comparison?.a : comparison?.b else { return [] }
        return m.confusions.prefix(limit).map { (classNames[$0.truth], classNames[$0.predicted], $0.count) }
    }

    /// Image indices for a filter and an order (and a class, and a search by text).
    public func visibleImages(
        filter: ImageFilter, sort: ImageSort, search: ImageSearch? = nil,
        classFilter: String? = nil
    ) -> [Int] {
        var list = images.indices.filter { i in
            let r = images[i]
            if let classFilter, r.truth.map({ classNames[$0] }) != classFilter { return false }
            switch filter {
            case .all: return true
            case .wrongA: return r.rightA == false
            case .wrongB: return r.rightB == false
            case .flipped: return r.rightA != nil && r.rightA != r.rightB
            }
        }
        if let search, search.scores.count == images.count {
            return list.sorted { search.scores[$0] > search.scores[$1] }
        }
        switch sort {
        case .name: break
        case .confidence: list.sort { images[$0].confidenceA > images[$1].confidenceA }
        case .margin: list.sort { images[$0].marginA < images[$1].marginA }
        }
        return list
    }
}

/// A small RGB picture for the half-block preview (two pixel rows per text row).
public struct PreviewImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width; self.height = height; self.pixels = pixels
    }
}
