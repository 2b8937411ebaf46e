/// One class: its name, synonyms averaged into the same classifier (as OpenAI does for
/// FER2013), and optionally its own full sentences used instead of templates (CuPL style).
public struct ClassLabel: Hashable, Sendable, Codable {
    public var name: String
    public var synonyms: [String]
    public var sentences: [String]

    public init(name: String, synonyms: [String] = [], sentences: [String] = []) {
        self.name = name
        self.synonyms = synonyms
        self.sentences = sentences
    }

    /// The name and its synonyms.
    public var names: [String] { [name] + synonyms }

    enum CodingKeys: String, CodingKey { case name, synonyms, sentences }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        synonyms = try c.decodeIfPresent([String].self, forKey: .synonyms) ?? []
        sentences = try c.decodeIfPresent([String].self, forKey: .sentences) ?? []
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
    public var classes: [ClassLabel]

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
