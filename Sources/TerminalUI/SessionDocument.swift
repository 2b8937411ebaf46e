import FileWriting
import Foundation
import InputLimits
import Scoring

/// What a session keeps between runs (autosaved as JSON): the model and images it opened,
/// the label and template lines as typed, and where the user was.
public struct SessionDocument: Codable, Equatable, Sendable {
    /// The checkpoint folder (absolute) or Hub id the session opened; nil: the default model.
    public var model: String?
    /// The images folder (absolute); nil: none opened yet.
    public var images: String?
    /// Label lines: `name | synonym | …`.
    public var labels: [String]
    /// Template set A's lines as typed (blank lines are kept for the editor and left out of scoring).
    public var templatesA: [String]
    /// Template set B's lines as typed.
    public var templatesB: [String]
    /// The name shown for set A (its file's name when opened from one).
    public var nameA: String
    /// The name shown for set B.
    public var nameB: String
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

    enum CodingKeys: String, CodingKey {
        case model, images, labels, templatesA = "templates_a", templatesB = "templates_b"
        case nameA = "name_a", nameB = "name_b", selectedImage = "selected_image", temperature
        case classSentences = "class_sentences", classImageNetIndices = "class_imagenet_indices"
        case logitScale = "logit_scale", truth, folderNames = "folder_names"
    }

    /// A new document; the optional per-class data starts empty.
    public init(
        model: String?, images: String?, labels: [String], templatesA: [String], templatesB: [String],
        nameA: String = "A", nameB: String = "B"
    ) {
        self.model = model; self.images = images; self.labels = labels
        self.templatesA = templatesA; self.templatesB = templatesB
        self.nameA = nameA; self.nameB = nameB
    }

    /// The label lines as classes: a name, then synonyms after `|`, with the sentences and indices kept by name.
    public var labelSet: LabelSet {
        LabelSet(
            name: "labels",
            classes: labels.compactMap { line in
                let names = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
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

    /// Set A's non-blank lines as templates.
    public var templateSetA: TemplateSet { TemplateSet(name: nameA, templatesA.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) }
    /// Set B's non-blank lines as templates.
    public var templateSetB: TemplateSet { TemplateSet(name: nameB, templatesB.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) }

    /// The images of `folder` with the document's truth: folder names as mapped by
    /// `folderNames`, then the truth file, as the commands read them.
    public func collection(folder: String) throws -> ImageCollection {
        let labels = labelSet
        var c = try ImageCollection(root: folder, labels: labels)
        if let folderNames { try c.applyFolderNames(file: folderNames, labels: labels) }
        if let truth { try c.applyTruth(file: truth, labels: labels) }
        return c
    }

    /// What the engine evaluates for this document: its labels, A and B, its temperature.
    public var evaluationRequest: EvaluationRequest {
        EvaluationRequest(
            labels: labelSet, templatesA: templateSetA.templates, templatesB: templateSetB.templates, temperature: temperature ?? 1)
    }

    /// Reads a session file; an unreadable one is an error naming it (the caller keeps it).
    public static func read(path: String) throws -> SessionDocument {
        do { return try BoundedJSON.decode(SessionDocument.self, path: path) } catch let e as BoundedJSON.Failure {
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
