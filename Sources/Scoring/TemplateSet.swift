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
}
