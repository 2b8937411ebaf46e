import FileWriting
import Foundation
import InputLimits
import ScoringCore

/// clip-tui's own export (schema `clip-tui.prompt-set/3`, README "Export"): the template
/// sets with their role (A, B) and figures, the label set, the model, the images folder,
/// and the comparison. Version 3 adds candidates: an entry may carry its own model (when
/// the file holds several) and its difference to the best; files of versions 1 and 2 read
/// as before (every field they lack is optional). Everything is named: classes by name and images by path, never by a
/// position in a list the reader does not have. Read back with `FILE#A`, `FILE#B` or a
/// set's name (`PeerShapes`).
public struct PromptSetExport: Codable, Sendable {
    public static let schemaName = "clip-tui.prompt-set/3"

    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        public var fingerprint: String
        /// How the figures' probabilities were made, at `temperature` ("softmax(100·cos)
        /// over classes", "sigmoid(10·cos − 10) per class"); absent in exports written
        /// before SigLIP.
        public var scoreRule: String?
        /// What the model's logits were divided by (1: as trained); absent in exports
        /// written before temperatures had one meaning.
        public var temperature: Float?
        enum CodingKeys: String, CodingKey { case name, fingerprint, scoreRule = "score_rule", temperature }
        public init(name: String, fingerprint: String, scoreRule: String? = nil, temperature: Float? = nil) {
            self.name = name; self.fingerprint = fingerprint; self.scoreRule = scoreRule; self.temperature = temperature
        }
    }

    /// A class's figure, by name.
    public struct ClassFigure: Codable, Sendable, Equatable {
        public var `class`: String
        public var value: Double?
        public init(class name: String, value: Double?) { self.class = name; self.value = value }
    }

    public struct NamedConfusion: Codable, Sendable, Equatable {
        public var truth: String
        public var predicted: String
        public var count: Int
    }

    /// `Metrics` with class names in place of indices.
    public struct NamedMetrics: Codable, Sendable, Equatable {
        public var count: Int
        public var top1: Double
        public var top5: Double
        public var meanPerClassRecall: Double
        public var meanTrueProbability: Double
        public var nll: Double
        public var ece: Double
        public var perClassRecall: [ClassFigure]
        public var confusions: [NamedConfusion]
        /// The bins the ECE is read off: a reliability diagram's data (absent in files
        /// written before it was reported).
        public var reliability: [Metrics.ReliabilityBin]?

        enum CodingKeys: String, CodingKey {
            case count, top1, top5, meanPerClassRecall = "mean_per_class_recall", meanTrueProbability = "mean_true_probability"
            case nll, ece, perClassRecall = "per_class_recall", confusions, reliability
        }

        public init(_ m: Metrics, classes: [String]) {
            count = m.count; top1 = m.top1; top5 = m.top5; meanPerClassRecall = m.meanPerClassRecall
            meanTrueProbability = m.meanTrueProbability; nll = m.nll; ece = m.ece
            // Classes with labelled images only: a class without any has no recall.
            perClassRecall = zip(classes, m.perClassRecall).compactMap { name, r in r.map { ClassFigure(class: name, value: $0) } }
            confusions = m.confusions.map { NamedConfusion(truth: classes[$0.truth], predicted: classes[$0.predicted], count: $0.count) }
            reliability = m.reliability
        }
    }

    /// One template's figures within its set: top-1 alone and the change when it is left out.
    public struct TemplateFigure: Codable, Sendable, Equatable {
        public var template: Template
        public var top1Alone: Double
        public var leaveOneOut: Double
        enum CodingKeys: String, CodingKey { case template, top1Alone = "top1_alone", leaveOneOut = "leave_one_out" }
        public init(template: Template, top1Alone: Double, leaveOneOut: Double) {
            self.template = template; self.top1Alone = top1Alone; self.leaveOneOut = leaveOneOut
        }
    }

    /// One template's weight in its set's ensemble (`--weights`): exported, and read back
    /// by `--weights FILE`.
    public struct TemplateWeight: Codable, Sendable, Equatable {
        public var template: Template
        public var weight: Double
        public init(template: Template, weight: Double) { self.template = template; self.weight = weight }
    }

    public struct Entry: Codable, Sendable {
        public var name: String
        /// "A", "B", … as the sets were given; nil for a set of its own.
        public var role: String?
        public var templates: [Template]
        public var metrics: NamedMetrics?
        /// A figure for every distinct template with `{}`, in the set's order.
        public var perTemplate: [TemplateFigure]?
        /// Lines without `{}`: they make no prompt and were left out of the ensemble.
        public var leftOut: [Template]?
        /// The candidate's name on the leaderboard ("model · set"; version 3).
        public var candidate: String?
        /// This candidate's model, when the file holds several (version 3; else the file's).
        public var model: Model?
        /// Top-1 against the best candidate of the file, McNemar's p Holm-corrected (version 3;
        /// nil for the best).
        public var versusBest: Leaderboard.Paired?
        /// Each distinct template's weight, in the set's order, when the set was scored with
        /// weights (nil: equal weights, the plain ensemble).
        public var weights: [TemplateWeight]?

        enum CodingKeys: String, CodingKey {
            case name, role, templates, metrics, perTemplate = "per_template", leftOut = "left_out", candidate, model
            case versusBest = "versus_best", weights
        }

        public init(
            name: String, role: String?, templates: [Template], metrics: NamedMetrics?, perTemplate: [TemplateFigure]? = nil,
            leftOut: [Template]? = nil
        ) {
            self.name = name; self.role = role; self.templates = templates; self.metrics = metrics; self.perTemplate = perTemplate
            self.leftOut = leftOut
        }
    }

    /// `ABComparison` by name: which set is A and which B, classes by name, images by path.
    public struct Comparison: Codable, Sendable {
        public var a: String
        public var b: String
        public var top1IntervalA: WilsonInterval
        public var top1IntervalB: WilsonInterval
        public var difference: PairedBootstrap
        public var mcnemar: McNemarTest
        public var perClassDifference: [ClassFigure]
        public var rightOnlyUnderA: [String]
        public var rightOnlyUnderB: [String]

        enum CodingKeys: String, CodingKey {
            case a, b, top1IntervalA = "top1_interval_a", top1IntervalB = "top1_interval_b", difference, mcnemar
            case perClassDifference = "per_class_difference", rightOnlyUnderA = "right_only_under_a", rightOnlyUnderB = "right_only_under_b"
        }

        public init(_ c: ABComparison, nameA: String, nameB: String, classes: [String], imagePaths: [String]) {
            a = nameA; b = nameB
            top1IntervalA = c.intervalA; top1IntervalB = c.intervalB; difference = c.difference; mcnemar = c.mcnemar
            perClassDifference = zip(classes, c.perClassDifference).compactMap { name, d in d.map { ClassFigure(class: name, value: $0) } }
            rightOnlyUnderA = c.rightOnlyUnderA.map { imagePaths[$0] }
            rightOnlyUnderB = c.rightOnlyUnderB.map { imagePaths[$0] }
        }
    }

    public var schema = PromptSetExport.schemaName
    public var created: String
    public var model: Model?
    /// The images folder the figures come from.
    public var images: String?
    public var labels: LabelSet
    public var templateSets: [Entry]
    public var comparison: Comparison?
    public var selection: TemplateSelection?
    /// How the entries' `versus_best` p-values were corrected ("holm"), where they are given.
    public var correction: String?

    enum CodingKeys: String, CodingKey {
        case schema, created, model, images, labels, templateSets = "template_sets", comparison, selection, correction
    }

    public init(
        model: Model?, images: String? = nil, labels: LabelSet, templateSets: [Entry], comparison: Comparison? = nil,
        selection: TemplateSelection? = nil, date: Date = Date()
    ) {
        created = ISO8601DateFormatter().string(from: date)
        self.model = model
        self.images = images
        self.labels = labels
        self.templateSets = templateSets
        self.comparison = comparison
        self.selection = selection
    }

    /// Reads an export; a `selection` written before selections named their templates
    /// (indices into the set) is dropped rather than refused: the sets and figures are what
    /// an old file is opened for.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        created = try c.decode(String.self, forKey: .created)
        model = try c.decodeIfPresent(Model.self, forKey: .model)
        images = try c.decodeIfPresent(String.self, forKey: .images)
        labels = try c.decode(LabelSet.self, forKey: .labels)
        templateSets = try c.decode([Entry].self, forKey: .templateSets)
        comparison = try c.decodeIfPresent(Comparison.self, forKey: .comparison)
        selection = try? c.decodeIfPresent(TemplateSelection.self, forKey: .selection)
        correction = try c.decodeIfPresent(String.self, forKey: .correction)
    }

    /// Written to a temporary name and renamed: never half-written.
    public func write(to path: String) throws {
        try AtomicFile.write(try PromptFiles.encoder().encode(self), to: path)
    }

    public static func read(path: String) throws -> PromptSetExport {
        do { return try BoundedJSON.decode(PromptSetExport.self, path: path, limits: .promptData) } catch let e as BoundedJSON.Failure {
            switch e.kind {
            case .unreadable: throw ScoringError.cannotRead(path: path, reason: e.reason)
            case .limit: throw ScoringError.badFormat(path: path, line: nil, reason: e.reason)
            case .invalid: throw ScoringError.badFormat(path: path, line: nil, reason: "not a \(schemaName) file: \(e.reason)")
            }
        }
    }

}
