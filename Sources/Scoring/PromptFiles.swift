import Foundation
import InputLimits

/// Reading and writing template and label files, by extension:
///
/// - `.txt`: one entry per line; `#` starts a comment line; blank lines are skipped.
///   In label files a line is `name | synonym | synonym`.
/// - `.json`: ours (`{"name", "templates"}` / `{"name", "classes": [{"name", "synonyms",
///   "sentences"}]}`), a prompt-set export, a plain list, CLIP_benchmark's files
///   (`{"dataset": [...]}` with `{c}`), or CuPL's `{"class": ["sentence", …]}`.
/// - `.py`: OpenAI's Python lists (`templates = [...]`, `classes = [...]`).
public enum PromptFiles {
    public static func readTemplates(path: String) throws -> TemplateSet {
        let (text, name) = try read(path)
        switch ext(path) {
        case "json":
            let json = try parseJSON(text, path: path)
            if let object = json as? [String: Any] {
                if let sets = object["template_sets"] as? [[String: Any]], let first = sets.first {
                    return TemplateSet(name: first["name"] as? String ?? name, try strings(first["templates"], path, "templates"))
                }
                if let list = object["templates"] {
                    return TemplateSet(name: object["name"] as? String ?? name, try strings(list, path, "templates"))
                }
                // CLIP_benchmark: {"dataset": [templates]}
                let lists = object.filter { $0.value is [Any] }
                if lists.count == 1, let (key, list) = lists.first {
                    return TemplateSet(name: key, try strings(list, path, key))
                }
                throw ScoringError.badFormat(path: path, line: nil,
                    reason: "expected \"templates\": [...] or one list of templates, found keys \(object.keys.sorted())")
            }
            return TemplateSet(name: name, try strings(json, path, "templates"))
        case "py":
            let items = try pythonList(text, named: "templates", path: path)
            return TemplateSet(name: name, try items.map { item -> String in
                guard case let .string(s) = item else { throw ScoringError.badFormat(path: path, line: nil, reason: "templates must be strings") }
                return s
            })
        default:
            return TemplateSet(name: name, lines(text))
        }
    }

    public static func readLabels(path: String) throws -> LabelSet {
        let (text, name) = try read(path)
        switch ext(path) {
        case "json":
            let json = try parseJSON(text, path: path)
            if let object = json as? [String: Any] {
                if let labels = object["labels"] as? [String: Any] { return try labelSet(labels, name, path) }
                if object["classes"] != nil { return try labelSet(object, name, path) }
                let lists = object.filter { $0.value is [Any] }
                // CLIP_benchmark class names: {"dataset": [names]}
                if lists.count == 1, let (key, list) = lists.first, (list as? [Any])?.allSatisfy({ $0 is String }) == true,
                   object.count == 1 {
                    return LabelSet(name: key, classes: try strings(list, path, key).map { ClassLabel(name: $0) })
                }
                // CuPL: {"class name": ["sentence", ...]}, in file order is lost by JSON; sort by name.
                if !object.isEmpty, object.values.allSatisfy({ $0 is [String] }) {
                    return LabelSet(name: name, classes: object.keys.sorted().map {
                        ClassLabel(name: $0, sentences: object[$0] as! [String])
                    })
                }
                throw ScoringError.badFormat(path: path, line: nil, reason: "expected \"classes\": [...], a list of names, or {class: [sentences]}")
            }
            return LabelSet(name: name, classes: try classList(json, path))
        case "py":
            let items = try pythonList(text, named: "classes", path: path)
            return LabelSet(name: name, classes: try items.map { item -> ClassLabel in
                switch item {
                case let .string(s): return ClassLabel(name: s)
                case let .list(names):
                    let all = names.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
                    guard let first = all.first, all.count == names.count else {
                        throw ScoringError.badFormat(path: path, line: nil, reason: "a class must be a name or a list of names")
                    }
                    return ClassLabel(name: first, synonyms: Array(all.dropFirst()))
                }
            })
        default:
            return LabelSet(name: name, classes: lines(text).map { line in
                let names = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                return ClassLabel(name: names.first ?? line, synonyms: Array(names.dropFirst()))
            })
        }
    }

    /// Writes a template set as text (`.txt`), CLIP_benchmark JSON (`.cb.json`: `{c}`), or ours (`.json`).
    public static func writeTemplates(_ set: TemplateSet, path: String) throws {
        let data: Data
        if path.hasSuffix(".cb.json") {
            data = try JSONSerialization.data(withJSONObject: [set.name: set.templates.map(\.benchmarkText)],
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } else if ext(path) == "json" {
            data = try encoder().encode(set)
        } else {
            data = Data((set.templates.map { $0.text.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n") + "\n").utf8)
        }
        try AtomicFile.write(data, to: path)
    }

    public static func writeLabels(_ set: LabelSet, path: String) throws {
        if ext(path) == "json" {
            try AtomicFile.write(try encoder().encode(set), to: path)
        } else {
            let text = set.classes.map { $0.names.joined(separator: " | ") }.joined(separator: "\n") + "\n"
            try AtomicFile.write(Data(text.utf8), to: path)
        }
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    // MARK: - Helpers

    private static func ext(_ path: String) -> String { (path as NSString).pathExtension.lowercased() }

    /// Limits what a prompt file may be before it is parsed (a template file is small).
    public static let maxFileBytes = 16 << 20

    private static func read(_ path: String) throws -> (String, String) {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try BoundedFile.read(path, maxBytes: maxFileBytes) } catch BoundedFile.Failure.tooLarge(let size, _) {
            throw ScoringError.badFormat(path: path, line: nil, reason: "\(size) bytes is too large for a prompt file")
        } catch {
            throw ScoringError.cannotRead(path: path, reason: "\(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScoringError.badFormat(path: path, line: nil, reason: "not UTF-8 text")
        }
        var name = url.deletingPathExtension().lastPathComponent
        if name.hasSuffix(".cb") { name = String(name.dropLast(3)) }
        return (text, name)
    }

    static func lines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    private static func parseJSON(_ text: String, path: String) throws -> Any {
        if let problem = JSONLimits.documents.violation(in: text.utf8) {
            throw ScoringError.badFormat(path: path, line: nil, reason: problem)
        }
        do { return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) } catch {
            let reason = (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)"
            throw ScoringError.badFormat(path: path, line: nil, reason: "not valid JSON: \(reason)")
        }
    }

    private static func strings(_ value: Any?, _ path: String, _ key: String) throws -> [String] {
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
            throw ScoringError.badFormat(path: path, line: nil, reason: "\"\(key)\" must be a list of strings")
        }
        return list as! [String]
    }

    private static func labelSet(_ object: [String: Any], _ name: String, _ path: String) throws -> LabelSet {
        LabelSet(name: object["name"] as? String ?? name, classes: try classList(object["classes"] ?? [], path))
    }

    private static func classList(_ value: Any, _ path: String) throws -> [ClassLabel] {
        guard let list = value as? [Any] else {
            throw ScoringError.badFormat(path: path, line: nil, reason: "\"classes\" must be a list")
        }
        return try list.enumerated().map { i, item in
            if let s = item as? String { return ClassLabel(name: s) }
            if let names = item as? [String], let first = names.first {
                return ClassLabel(name: first, synonyms: Array(names.dropFirst()))
            }
            if let object = item as? [String: Any], let n = object["name"] as? String {
                let syn = object["synonyms"] as? [String] ?? []
                let sen = object["sentences"] as? [String] ?? []
                if object["synonyms"] != nil && object["synonyms"] as? [String] == nil
                    || object["sentences"] != nil && object["sentences"] as? [String] == nil {
                    throw ScoringError.badFormat(path: path, line: nil, reason: "class \(i) '\(n)': synonyms and sentences must be lists of strings")
                }
                return ClassLabel(name: n, synonyms: syn, sentences: sen)
            }
            throw ScoringError.badFormat(path: path, line: nil, reason: "class \(i) must be a name, a list of names or {\"name\": …}")
        }
    }

    private static func pythonList(_ text: String, named name: String, path: String) throws -> [PythonListLiteral.Value] {
        do { return try PythonListLiteral.list(named: name, in: text) } catch let e as PythonListLiteral.ParseError {
            throw ScoringError.badFormat(path: path, line: e.line, reason: e.reason)
        }
    }
}
