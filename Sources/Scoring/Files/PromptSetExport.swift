import Foundation
import InputLimits

/// The JSON that `clip-tui export` writes (schema `clip-tui.prompt-set/1`, README "Export"):
/// the best template set(s), the label set, the model, metrics, the comparison, the date.
public struct PromptSetExport: Codable, Sendable {
    public static let schemaName = "clip-tui.prompt-set/1"

    public struct Model: Codable, Sendable {
        public var name: String
        public var fingerprint: String
        public init(name: String, fingerprint: String) { self.name = name; self.fingerprint = fingerprint }
    }

    public struct Entry: Codable, Sendable {
        public var name: String
        public var templates: [Template]
        public var metrics: Metrics?
        public init(name: String, templates: [Template], metrics: Metrics?) {
            self.name = name; self.templates = templates; self.metrics = metrics
        }
    }

    public var schema = PromptSetExport.schemaName
    public var created: String
    public var model: Model?
    public var labels: LabelSet
    public var templateSets: [Entry]
    public var comparison: ABComparison?
    public var selection: TemplateAnalysis.Selection?

    enum CodingKeys: String, CodingKey {
        case schema, created, model, labels, templateSets = "template_sets", comparison, selection
    }

    public init(model: Model?, labels: LabelSet, templateSets: [Entry], comparison: ABComparison? = nil,
                selection: TemplateAnalysis.Selection? = nil, date: Date = Date()) {
        created = ISO8601DateFormatter().string(from: date)
        self.model = model
        self.labels = labels
        self.templateSets = templateSets
        self.comparison = comparison
        self.selection = selection
    }

    /// Written to a temporary name and renamed: never half-written.
    public func write(to path: String) throws {
        try AtomicFile.write(try PromptFiles.encoder().encode(self), to: path)
    }

    public static func read(path: String) throws -> PromptSetExport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScoringError.cannotRead(path: path, reason: "no such file")
        }
        if let problem = JSONLimits.documents.violation(in: data) { throw ScoringError.badFormat(path: path, line: nil, reason: problem) }
        do { return try JSONDecoder().decode(PromptSetExport.self, from: data) } catch {
            throw ScoringError.badFormat(path: path, line: nil, reason: "not a \(schemaName) file: \(error)")
        }
    }
}
