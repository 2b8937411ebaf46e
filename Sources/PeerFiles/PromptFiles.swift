import Foundation
import InputLimits
import ScoringCore

/// Reading template and label files, by extension; `FILE#KEY` picks one entry:
///
/// - `.txt`: one entry per line; `#` starts a comment line; blank lines are skipped.
///   In label files a line is `name | synonym | synonym`.
/// - `.json`: ours (`{"name", "templates"}` / `{"name", "classes": [{"name", "synonyms",
///   "sentences"}]}`), an export, a plain list, and the peers' files (`PeerShapes`).
/// - `.py`: list and tuple assignments, lambdas included (`PythonMetadata`).
///
/// Writing is `ExportWriter`'s.
public enum PromptFiles {
    /// The template set `reference` names (`path` or `path#KEY`).
    public static func readTemplates(path: String) throws -> TemplateSet {
        try readTemplates(FileReference(path))
    }

    /// The label set `reference` names (`path` or `path#KEY`).
    public static func readLabels(path: String) throws -> LabelSet {
        try readLabels(FileReference(path))
    }

    public static func readTemplates(_ file: FileReference) throws -> TemplateSet {
        let text = try read(file.path)
        let set: TemplateSet
        switch ext(file.path) {
        case "json": set = try PeerShapes.templates(try parseJSON(text, path: file.path), file)
        case "py": set = try PeerShapes.templates(try python(text, path: file.path), file)
        default:
            if let key = file.key { throw PeerShapes.noKeys(file, key) }
            set = TemplateSet(name: file.defaultName, lines(text))
        }
        if set.templates.isEmpty { throw ScoringError.badFormat(path: file.description, line: nil, reason: "holds no templates") }
        if !set.templates.contains(where: \.hasPlaceholder) {
            throw ScoringError.badFormat(
                path: file.description, line: nil,
                reason:
                    "no template has a {} placeholder for the class name: is this a label file? (\(set.templates.count) lines, the first: \"\(set.templates[0].text)\")"
            )
        }
        return set
    }

    public static func readLabels(_ file: FileReference) throws -> LabelSet {
        let text = try read(file.path)
        let set: LabelSet
        switch ext(file.path) {
        case "json": set = try PeerShapes.labels(try parseJSON(text, path: file.path), file)
        case "py": set = try PeerShapes.labels(try python(text, path: file.path), file)
        default:
            if let key = file.key { throw PeerShapes.noKeys(file, key) }
            set = LabelSet(
                name: file.defaultName,
                classes: lines(text).map { line in
                    let names = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    return ClassLabel(name: names.first ?? line, synonyms: Array(names.dropFirst()))
                })
        }
        if set.classes.isEmpty { throw ScoringError.badFormat(path: file.description, line: nil, reason: "holds no classes") }
        if let placeholder = set.classes.first(where: { $0.names.contains { Template($0).hasPlaceholder } }) {
            throw ScoringError.badFormat(
                path: file.description, line: nil,
                reason: "the class name \"\(placeholder.name)\" has a template placeholder ({} or {c}): is this a template file?")
        }
        return set
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    // MARK: - Helpers

    private static func ext(_ path: String) -> String { URL(fileURLWithPath: path).pathExtension.lowercased() }

    /// Limits what a prompt file may be before it is parsed (a template file is small).
    public static let maxFileBytes = JSONLimits.promptData.maxBytes

    private static func read(_ path: String) throws -> String {
        let data: Data
        do { data = try BoundedFile.read(path, maxBytes: maxFileBytes) } catch BoundedFile.Failure.tooLarge(let size, _) {
            throw ScoringError.badFormat(path: path, line: nil, reason: "\(size) bytes is too large for a prompt file")
        } catch {
            throw ScoringError.cannotRead(path: path, reason: "\(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScoringError.badFormat(path: path, line: nil, reason: "not UTF-8 text")
        }
        return text
    }

    public static func lines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    private static func parseJSON(_ text: String, path: String) throws -> JSONValue {
        do { return try JSONValue.parse(text.utf8, limits: .promptData) } catch let e as JSONValue.ParseError {
            throw ScoringError.badFormat(path: path, line: nil, reason: e.description)
        }
    }

    private static func python(_ text: String, path: String) throws -> [PythonMetadata.Assignment] {
        do { return try PythonMetadata.assignments(in: text) } catch let e as PythonMetadata.ParseError {
            throw ScoringError.badFormat(path: path, line: e.line, reason: e.reason)
        }
    }
}
