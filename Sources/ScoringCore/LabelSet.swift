/// One class: its name, synonyms averaged into the same classifier (as OpenAI does for
/// FER2013), and optionally its own full sentences used instead of templates (CuPL style).
public struct ClassLabel: Hashable, Sendable, Codable {
    /// The class name: the first name written, the one scores and truth use.
    public var name: String
    /// More names for the class; each makes prompts that join its ensemble.
    public var synonyms: [String]
    /// The class's own prompts (CuPL); when present they replace the templates.
    public var sentences: [String]
    /// The class's index in ImageNet-1k (0…999) when the file gave one (Babel-ImageNet's
    /// names in other languages): an image in an English-named or WordNet-id folder then
    /// finds this class through the index.
    public var imagenetIndex: Int?

    /// A class; `imagenetIndex` is its place in ImageNet's 1,000 classes, where known.
    public init(name: String, synonyms: [String] = [], sentences: [String] = [], imagenetIndex: Int? = nil) {
        self.name = name
        self.synonyms = synonyms
        self.sentences = sentences
        self.imagenetIndex = imagenetIndex
    }

    /// The name and its synonyms.
    public var names: [String] { synonyms.isEmpty ? [name] : [name] + synonyms }

    /// The name, then each synonym, without making an array of them (a key's loops visit
    /// 1,000 classes' names several times).
    @inline(__always)
    public func forEachName(_ body: (String) throws -> Void) rethrows {
        try body(name)
        for s in synonyms { try body(s) }
    }

    enum CodingKeys: String, CodingKey { case name, synonyms, sentences, imagenetIndex = "imagenet_index" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        synonyms = try c.decodeIfPresent([String].self, forKey: .synonyms) ?? []
        sentences = try c.decodeIfPresent([String].self, forKey: .sentences) ?? []
        imagenetIndex = try c.decodeIfPresent(Int.self, forKey: .imagenetIndex)
    }

    /// Matching key for folder names and truth files: case- and space-insensitive.
    public static func key(_ s: String) -> String {
        s.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace && $0 != "_" && $0 != "-" }
            .map(String.init).joined()
    }
}

/// The ordered classes of a zero-shot classifier.
public struct LabelSet: Hashable, Sendable, Codable {
    public var name: String
    /// The classes, in score order.
    public var classes: [ClassLabel]

    /// A named label set.
    public init(name: String, classes: [ClassLabel]) {
        self.name = name
        self.classes = classes
    }

    /// The index of the class a folder or truth entry names (by name or synonym), if any.
    public func index(matching text: String) -> Int? {
        let k = ClassLabel.key(text)
        return classes.firstIndex { c in c.names.contains { ClassLabel.key($0) == k } }
    }
}

extension ClassLabel {
    /// The class's prompts under `templates`, each with the index of the template that
    /// made it: its own sentences when it has them (CuPL; no template), else each name in
    /// each template that has a placeholder (one without would give every class the same
    /// prompt). The one expansion the engine, the plan and the prompts view all use.
    public func promptOrigins(_ templates: [Template]) -> [(prompt: String, template: Int?)] {
        if !sentences.isEmpty { return sentences.map { ($0, nil) } }
        var out: [(String, Int?)] = []
        for (i, t) in templates.enumerated() where t.hasPlaceholder {
            for n in names { out.append((t.render(n), i)) }
        }
        return out
    }

    /// The class's prompts under `templates` (see `promptOrigins`).
    public func prompts(_ templates: [Template]) -> [String] { promptOrigins(templates).map(\.prompt) }
}
