/// An ordered list of templates whose normalised text embeddings are averaged per class.
public struct TemplateSet: Hashable, Sendable, Codable {
    public var name: String
    public var templates: [Template]

    public init(name: String, templates: [Template]) {
        self.name = name
        self.templates = templates
    }

    public init(name: String, _ texts: [String]) {
        self.init(name: name, templates: texts.map(Template.init))
    }

    /// The templates that make prompts: each distinct one with a `{}`, in file order
    /// (a repeat counts twice in the ensemble, but has one figure).
    public var scoredTemplates: [Template] { uniqued(templates.filter(\.hasPlaceholder)) }
}

/// Order-keeping de-duplication.
public func uniqued<T: Hashable>(_ items: [T]) -> [T] {
    var seen = Set<T>()
    return items.filter { seen.insert($0).inserted }
}
