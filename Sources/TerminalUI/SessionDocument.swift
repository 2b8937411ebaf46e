import FileWriting
import Foundation
import InputLimits
import Scoring

/// What a session keeps between runs (autosaved as JSON): the model and images it opened,
/// the label and template lines as typed, and where the user was.
public struct SessionDocument: Codable, Equatable, Sendable {
    /// A template set as typed: its name (its file's, when opened from one) and its lines
    /// (blank lines are kept for the editor and left out of scoring).
    public struct SetLines: Codable, Equatable, Sendable {
        public var name: String
        public var lines: [String]
        /// How the set's templates are weighted (`w` cycles it; nil: equal weights).
        public var weighting: WeightingMethod?
        public init(name: String, lines: [String], weighting: WeightingMethod? = nil) {
            self.name = name; self.lines = lines; self.weighting = weighting
        }
    }

    /// The checkpoint folder (absolute) or Hub id the session opened first; nil: the default model.
    public var model: String?
    /// Further models (absolute folders or Hub ids): every model × every set is a candidate.
    public var otherModels: [String] = []
    /// The images folder (absolute); nil: none opened yet.
    public var images: String?
    /// Label lines: `name | synonym | …`.
    public var labels: [String]
    /// Every template set, in order (two at least: a session shows two side by side).
    public var sets: [SetLines]
    /// The candidates shown as A and B (indices into `candidates`, model-major); the
    /// Templates A and B panes edit their sets.
    public var candidateA = 0
    public var candidateB = 1
    /// The image under the cursor when the session was saved, by name.
    public var selectedImage: String?
    /// What the model's logits are divided by (nil: 1, the model as trained), as
    /// `--temperature` means it everywhere (`ScoreRule.at(temperature:)`).
    public var temperature: Float?
    /// An absolute logit scale in place of the checkpoint's (`--logit-scale`; nil: the checkpoint's).
    public var logitScale: Float?
    /// The truth file the images were opened with (`--truth`: CSV or JSON, paths relative to them).
    public var truth: String?
    /// The folder-name mapping the images were opened with (`--folder-names`).
    public var folderNames: String?
    /// What a label line cannot hold, by class name: CuPL's sentences and Babel-ImageNet's
    /// ImageNet index, from the label file the session was opened with. They stay with the
    /// class while its line keeps the name, and go when the name is edited away.
    public var classSentences: [String: [String]]?
    /// Each class's ImageNet index, where the label file gave one.
    public var classImageNetIndices: [String: Int]?
    /// Images standing for the model's pre-training data (`--reference`, absolute): ZPE's
    /// pre-training term; nil: the term is left out.
    public var zpeReference: String?
    /// The preview shown or hidden by the user (`v`); nil: shown where the screen is wide
    /// enough (`Layout.previewWidth`).
    public var showPreview: Bool?

    enum CodingKeys: String, CodingKey {
        case model, otherModels = "other_models", images, labels, sets = "template_sets", pair
        case selectedImage = "selected_image", temperature
        case classSentences = "class_sentences", classImageNetIndices = "class_imagenet_indices"
        case logitScale = "logit_scale", truth, folderNames = "folder_names", preview, zpeReference = "zpe_reference"
        // Files written before candidates: two sets, A and B.
        case templatesA = "templates_a", templatesB = "templates_b", nameA = "name_a", nameB = "name_b"
    }

    /// A new document with sets A and B; the optional per-class data starts empty.
    public init(
        model: String?, images: String?, labels: [String], templatesA: [String], templatesB: [String],
        nameA: String = "A", nameB: String = "B"
    ) {
        self.model = model; self.images = images; self.labels = labels
        sets = [SetLines(name: nameA, lines: templatesA), SetLines(name: nameB, lines: templatesB)]
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        otherModels = try c.decodeIfPresent([String].self, forKey: .otherModels) ?? []
        images = try c.decodeIfPresent(String.self, forKey: .images)
        labels = try c.decode([String].self, forKey: .labels)
        if let sets = try c.decodeIfPresent([SetLines].self, forKey: .sets) {
            guard sets.count >= 2 else {
                throw DecodingError.dataCorruptedError(forKey: .sets, in: c, debugDescription: "a session holds two template sets at least")
            }
            self.sets = sets
        } else {
            sets = [
                SetLines(name: try c.decodeIfPresent(String.self, forKey: .nameA) ?? "A", lines: try c.decode([String].self, forKey: .templatesA)),
                SetLines(name: try c.decodeIfPresent(String.self, forKey: .nameB) ?? "B", lines: try c.decode([String].self, forKey: .templatesB))
            ]
        }
        let count = (1 + otherModels.count) * sets.count
        if let pair = try c.decodeIfPresent([Int].self, forKey: .pair) {
            guard pair.count == 2, pair.allSatisfy({ (0..<count).contains($0) }), pair[0] != pair[1] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .pair, in: c, debugDescription: "pair \(pair): two different candidates of 0–\(count - 1)")
            }
            (candidateA, candidateB) = (pair[0], pair[1])
        }
        selectedImage = try c.decodeIfPresent(String.self, forKey: .selectedImage)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature)
        logitScale = try c.decodeIfPresent(Float.self, forKey: .logitScale)
        truth = try c.decodeIfPresent(String.self, forKey: .truth)
        folderNames = try c.decodeIfPresent(String.self, forKey: .folderNames)
        zpeReference = try c.decodeIfPresent(String.self, forKey: .zpeReference)
        classSentences = try c.decodeIfPresent([String: [String]].self, forKey: .classSentences)
        classImageNetIndices = try c.decodeIfPresent([String: Int].self, forKey: .classImageNetIndices)
        switch try c.decodeIfPresent(String.self, forKey: .preview) {
        case nil: showPreview = nil
        case "shown": showPreview = true
        case "hidden": showPreview = false
        case let other?:
            throw DecodingError.dataCorruptedError(forKey: .preview, in: c, debugDescription: "preview '\(other)': shown or hidden")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(model, forKey: .model)
        if !otherModels.isEmpty { try c.encode(otherModels, forKey: .otherModels) }
        try c.encodeIfPresent(images, forKey: .images)
        try c.encode(labels, forKey: .labels)
        try c.encode(sets, forKey: .sets)
        try c.encode([candidateA, candidateB], forKey: .pair)
        try c.encodeIfPresent(selectedImage, forKey: .selectedImage)
        try c.encodeIfPresent(temperature, forKey: .temperature)
        try c.encodeIfPresent(logitScale, forKey: .logitScale)
        try c.encodeIfPresent(truth, forKey: .truth)
        try c.encodeIfPresent(folderNames, forKey: .folderNames)
        try c.encodeIfPresent(zpeReference, forKey: .zpeReference)
        try c.encodeIfPresent(classSentences, forKey: .classSentences)
        try c.encodeIfPresent(classImageNetIndices, forKey: .classImageNetIndices)
        try c.encodeIfPresent(showPreview.map { $0 ? "shown" : "hidden" }, forKey: .preview)
    }

    // MARK: Candidates

    /// Every model, in order: the first (nil: the default), then the others.
    public var models: [String?] { [model] + otherModels.map(Optional.some) }
    /// Every model × every set, model-major.
    public var candidateCount: Int { models.count * sets.count }
    /// A candidate's model (an index into `models`) and set (into `sets`).
    public func candidate(_ c: Int) -> (model: Int, set: Int) { (c / sets.count, c % sets.count) }
    /// The candidate of a model and a set.
    public func candidate(model m: Int, set s: Int) -> Int { m * sets.count + s }
    /// The sets the Templates A and B panes edit.
    public var setA: Int { candidate(candidateA).set }
    public var setB: Int { candidate(candidateB).set }

    /// Adds a set: a candidate with every model. A and B stay on what they were.
    public mutating func addSet(_ set: SetLines) {
        let a = candidate(candidateA), b = candidate(candidateB)
        sets.append(set)
        candidateA = candidate(model: a.model, set: a.set)
        candidateB = candidate(model: b.model, set: b.set)
    }

    /// Removes a set that neither A nor B shows (false: it is one of theirs, or one of the last two).
    public mutating func removeSet(_ s: Int) -> Bool {
        guard sets.count > 2, s != setA, s != setB, sets.indices.contains(s) else { return false }
        let a = candidate(candidateA), b = candidate(candidateB)
        sets.remove(at: s)
        candidateA = candidate(model: a.model, set: a.set - (a.set > s ? 1 : 0))
        candidateB = candidate(model: b.model, set: b.set - (b.set > s ? 1 : 0))
        return true
    }

    /// Adds a model: a candidate with every set (candidates are model-major, so A and B keep their numbers).
    public mutating func addModel(_ name: String) { otherModels.append(name) }

    /// Set A's lines as typed (the set of candidate A).
    public var templatesA: [String] {
        get { sets[setA].lines }
        set { sets[setA].lines = newValue }
    }
    /// Set B's lines as typed (the set of candidate B).
    public var templatesB: [String] {
        get { sets[setB].lines }
        set { sets[setB].lines = newValue }
    }
    /// The name shown for set A (its file's name when opened from one).
    public var nameA: String {
        get { sets[setA].name }
        set { sets[setA].name = newValue }
    }
    /// The name shown for set B.
    public var nameB: String {
        get { sets[setB].name }
        set { sets[setB].name = newValue }
    }

    /// The label lines as classes: a name, then synonyms after `|`, with the sentences and indices kept by name.
    public var labelSet: LabelSet {
        LabelSet(
            name: "labels",
            classes: labels.compactMap { line in
                // Made at every keystroke: a line that is one plain name (no `|`, nothing to
                // trim, as 1,000 ImageNet names are) skips the split and Foundation's trim.
                let scalars = line.unicodeScalars
                let plain =
                    scalars.first.map { !CharacterSet.whitespaces.contains($0) } == true
                    && !CharacterSet.whitespaces.contains(scalars.last!) && !line.contains("|")
                let names =
                    plain ? [line] : line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard let first = names.first else { return nil }
                return ClassLabel(
                    name: first, synonyms: Array(names.dropFirst()), sentences: classSentences?[first] ?? [],
                    imagenetIndex: classImageNetIndices?[first])
            })
    }

    /// Takes a label set's lines, sentences and indices (a file opened by name).
    public mutating func setLabels(_ set: LabelSet) {
        labels = set.classes.map { $0.names.joined(separator: " | ") }
        let sentences = set.classes.filter { !$0.sentences.isEmpty }.map { ($0.name, $0.sentences) }
        classSentences = sentences.isEmpty ? nil : Dictionary(sentences, uniquingKeysWith: { first, _ in first })
        let indices = set.classes.compactMap { c in c.imagenetIndex.map { (c.name, $0) } }
        classImageNetIndices = indices.isEmpty ? nil : Dictionary(indices, uniquingKeysWith: { first, _ in first })
    }

    /// A set's non-blank lines as templates.
    public func templateSet(_ s: Int) -> TemplateSet {
        TemplateSet(name: sets[s].name, sets[s].lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
    }
    /// Set A's non-blank lines as templates.
    public var templateSetA: TemplateSet { templateSet(setA) }
    /// Set B's non-blank lines as templates.
    public var templateSetB: TemplateSet { templateSet(setB) }

    /// The images of `folder` with the document's truth: folder names as mapped by
    /// `folderNames`, then the truth file, as the commands read them.
    public func collection(folder: String) throws -> ImageCollection {
        let labels = labelSet
        var c = try ImageCollection(root: folder, labels: labels)
        if let folderNames { try c.applyFolderNames(file: folderNames, labels: labels) }
        if let truth { try c.applyTruth(file: truth, labels: labels) }
        return c
    }

    /// What the engine evaluates for model `m` of this document: its labels, every set,
    /// its temperature; per-template figures only for the sets A and B show on that model.
    public func evaluationRequest(model m: Int = 0) -> EvaluationRequest {
        let shown = [candidateA, candidateB].map(candidate).filter { $0.model == m }.map(\.set)
        var request = EvaluationRequest(
            labels: labelSet, sets: sets.indices.map { templateSet($0).templates }, temperature: temperature ?? 1,
            figuresFor: Set(shown))
        request.methods = sets.map(\.weighting)
        return request
    }

    /// Reads a session file; an unreadable one is an error naming it (the caller keeps it).
    public static func read(path: String) throws -> SessionDocument {
        do { return try BoundedJSON.decode(SessionDocument.self, path: path, limits: .promptData) } catch let e as BoundedJSON.Failure {
            switch e.kind {
            case .unreadable: throw ScoringError.cannotRead(path: path, reason: e.reason)
            case .limit: throw ScoringError.badFormat(path: path, line: nil, reason: e.reason)
            case .invalid: throw ScoringError.badFormat(path: path, line: nil, reason: "not a clip-tui session: \(e.reason)")
            }
        }
    }


    /// Written to a temporary name and renamed: a crash leaves the previous complete file.
    public func write(path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try e.encode(self), to: path)
    }
}
