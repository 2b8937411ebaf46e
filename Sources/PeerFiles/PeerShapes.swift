import InputLimits
import ScoringCore

/// Recognises what a JSON or Python file holds by its structure, never by its name, so that
/// no file is silently read as something else:
///
/// | shape | example | as templates | as labels |
/// |---|---|---|---|
/// | templates by key (`{c}`/`{}`) | CLIP_benchmark `*_zeroshot_classification_templates.json`, `nllb_dist13b_prompts.json` | `#KEY` | error |
/// | names by key | `*_classnames.json` | error | `#KEY` |
/// | sentences by class | CuPL's inner object | error | the classes, file order |
/// | CuPL by key | `cupl_prompts.json` | error | `#KEY` |
/// | `[[indices], [names]]` by key | `babel_imagenet.json` | error | `#KEY`, with ImageNet indices |
/// | clip-tui export | `clip-tui export` | `#A`, `#B` or a set's name | its labels |
///
/// A file with one entry needs no key; one with several and no key is refused with its
/// keys listed.
enum PeerShapes {
    enum Kind: Equatable {
        case templates([String])
        case names([String])
        case sentencesByClass([(String, [String])])
        case indexedNames([Int], [String])
        case other(String)

        static func == (a: Kind, b: Kind) -> Bool { a.word == b.word }

        var word: String {
            switch self {
            case .templates: return "templates"
            case .names: return "class names"
            case .sentencesByClass: return "class sentences (CuPL)"
            case .indexedNames: return "ImageNet indices and class names (Babel-ImageNet)"
            case let .other(what): return what
            }
        }
    }

    // MARK: - JSON

    static func templates(_ json: JSONValue, _ file: FileReference) throws -> TemplateSet {
        if let sets = try exportSets(json, file) {
            if let key = file.key {
                guard
                    let set = sets.first(where: { $0.role == key || $0.name == key })
                        ?? sets.first(where: {
                            $0.role?.lowercased() == key.lowercased() || $0.name.lowercased() == key.lowercased()
                        })
                else {
                    throw missingKey(file, key, sets.map { $0.role ?? $0.name })
                }
                return TemplateSet(name: set.name, set.templates)
            }
            guard sets.count == 1 else { throw needsKey(file, "template sets", sets.map { $0.role ?? $0.name }) }
            return TemplateSet(name: sets[0].name, sets[0].templates)
        }
        if file.key == nil, let list = json["templates"] {
            guard let strings = list.strings else { throw bad(file, "\"templates\" must be a list of strings") }
            return TemplateSet(name: json["name"]?.string ?? file.defaultName, strings)
        }
        if case .array = json {
            guard file.key == nil else { throw noKeys(file, file.key!) }
            guard let strings = json.strings else { throw bad(file, "a list of templates must hold only strings") }
            return TemplateSet(name: file.defaultName, strings)
        }
        if file.key == nil, case .sentencesByClass = try kind(of: json) {
            throw wrongKind(file, nil, .sentencesByClass([]), wanted: "templates")
        }
        let (key, kind) = try entry(json, file, wanted: "templates")
        guard case let .templates(list) = kind else { throw wrongKind(file, key, kind, wanted: "templates") }
        return TemplateSet(name: key ?? file.defaultName, list)
    }

    static func labels(_ json: JSONValue, _ file: FileReference) throws -> LabelSet {
        if try exportSets(json, file) != nil, let labels = json["labels"] {
            return try LabelSet(name: labels["name"]?.string ?? file.defaultName, classes: classList(labels["classes"] ?? .array([]), file))
        }
        if file.key == nil {
            if let labels = json["labels"], case .object = labels {
                return try LabelSet(name: labels["name"]?.string ?? file.defaultName, classes: classList(labels["classes"] ?? .array([]), file))
            }
            if let classes = json["classes"] {
                return try LabelSet(name: json["name"]?.string ?? file.defaultName, classes: classList(classes, file))
            }
        }
        if case .array = json {
            guard file.key == nil else { throw noKeys(file, file.key!) }
            return try LabelSet(name: file.defaultName, classes: classList(json, file))
        }
        // CuPL's inner object: the keys are the classes, so it is one entry, not several.
        if file.key == nil, case let .sentencesByClass(pairs) = try kind(of: json) {
            return LabelSet(name: file.defaultName, classes: pairs.map { ClassLabel(name: $0.0, sentences: $0.1) })
        }
        let (key, kind) = try entry(json, file, wanted: "class names")
        let name = key ?? file.defaultName
        switch kind {
        case let .names(names): return LabelSet(name: name, classes: names.map { ClassLabel(name: $0) })
        case let .sentencesByClass(pairs): return LabelSet(name: name, classes: pairs.map { ClassLabel(name: $0.0, sentences: $0.1) })
        case let .indexedNames(indices, names):
            return LabelSet(name: name, classes: zip(indices, names).map { ClassLabel(name: $1, imagenetIndex: $0) })
        default: throw wrongKind(file, key, kind, wanted: "class names")
        }
    }

    /// The entry the key names, or the only entry; several and no key is an error.
    private static func entry(_ json: JSONValue, _ file: FileReference, wanted: String) throws -> (String?, Kind) {
        guard let members = json.members else { throw bad(file, "expected \(wanted), found \(json.kind)") }
        if let key = file.key {
            guard let member = members.first(where: { $0.key == key }) ?? members.first(where: { $0.key.lowercased() == key.lowercased() }) else {
                throw missingKey(file, key, members.map(\.key))
            }
            return (member.key, try kind(of: member.value, asEntry: true))
        }
        guard !members.isEmpty else { throw bad(file, "an empty object") }
        let kinds = try members.map { try kind(of: $0.value, asEntry: true) }
        if members.count == 1 { return (members[0].key, kinds[0]) }
        let first = kinds[0]
        guard kinds.allSatisfy({ $0 == first }) else {
            throw bad(file, "entries of different kinds (\(Set(kinds.map(\.word)).sorted().joined(separator: ", ")))")
        }
        let isTemplates = first == .templates([])
        if isTemplates != (wanted == "templates") { throw wrongKind(file, nil, first, wanted: wanted, by: "key") }
        throw needsKey(file, first.word, members.map(\.key))
    }

    /// What one value holds. `asEntry`: the value under a dataset or language key.
    private static func kind(of value: JSONValue, asEntry: Bool = false) throws -> Kind {
        switch value {
        case .array(let items):
            if let strings = value.strings {
                return strings.contains(where: { Template($0).hasPlaceholder }) ? .templates(strings) : .names(strings)
            }
            // Babel-ImageNet: [[indices], [names]]
            if items.count == 2, let indices = items[0].array, let names = items[1].strings, indices.count == names.count {
                var out: [Int] = []
                for i in indices {
                    guard case let .number(n) = i, n >= 0, n < 1000, n == n.rounded() else { return .other("a list of two lists") }
                    out.append(Int(n))
                }
                return .indexedNames(out, names)
            }
            return .other("a list of \(Set(items.map(\.kind)).sorted().joined(separator: " and "))")
        case .object(let members):
            var pairs: [(String, [String])] = []
            for m in members {
                guard let sentences = m.value.strings else {
                    return .other("an object whose values are \(Set(members.map(\.value.kind)).sorted().joined(separator: " and "))")
                }
                pairs.append((m.key, sentences))
            }
            // As a whole file: CuPL's {class: [sentences]} has sentences as values, while a
            // names-by-dataset file has short names; a file of templates has placeholders.
            if !asEntry {
                if pairs.contains(where: { $0.1.contains { Template($0).hasPlaceholder } }) { return .other("templates by key") }
                if !looksLikeSentences(pairs.flatMap(\.1)) { return .other("names by key") }
            }
            return .sentencesByClass(pairs)
        default:
            return .other(value.kind)
        }
    }

    /// Sentences (CuPL) rather than names: most have two words or more and end as a
    /// sentence ends (a name seldom ends with a full stop).
    static func looksLikeSentences(_ texts: [String]) -> Bool {
        guard !texts.isEmpty else { return false }
        let sentences = texts.filter { t in
            let trimmed = t.trimmingCharacters(in: .whitespaces)
            return trimmed.split(separator: " ").count >= 2 && [".", "!", "?", "。"].contains(trimmed.last.map(String.init) ?? "")
        }
        return sentences.count * 2 > texts.count
    }

    /// An export's sets (`template_sets`), or nil if `json` is not an export.
    private static func exportSets(_ json: JSONValue, _ file: FileReference) throws -> [(name: String, role: String?, templates: [String])]? {
        guard let list = json["template_sets"]?.array else { return nil }
        return try list.map { entry -> (name: String, role: String?, templates: [String]) in
            guard let templates = entry["templates"]?.strings else { throw bad(file, "a template set without a list of templates") }
            return (entry["name"]?.string ?? "set", entry["role"]?.string, templates)
        }
    }

    private static func classList(_ value: JSONValue, _ file: FileReference) throws -> [ClassLabel] {
        guard let list = value.array else { throw bad(file, "\"classes\" must be a list") }
        return try list.enumerated().map { i, item in
            if let s = item.string { return ClassLabel(name: s) }
            if let names = item.strings, let first = names.first {
                return ClassLabel(name: first, synonyms: Array(names.dropFirst()))
            }
            if case .object = item, let n = item["name"]?.string {
                for field in ["synonyms", "sentences"] where item[field] != nil && item[field]?.strings == nil {
                    throw bad(file, "class \(i) '\(n)': \(field) must be a list of strings")
                }
                var index: Int?
                if case let .number(x)? = item["imagenet_index"], x >= 0, x < 1000, x == x.rounded() { index = Int(x) }
                return ClassLabel(
                    name: n, synonyms: item["synonyms"]?.strings ?? [], sentences: item["sentences"]?.strings ?? [],
                    imagenetIndex: index)
            }
            throw bad(file, "class \(i) must be a name, a list of names or {\"name\": …}")
        }
    }

    // MARK: - Python

    static func templates(_ assignments: [PythonMetadata.Assignment], _ file: FileReference) throws -> TemplateSet {
        let chosen = try pick(assignments, file, wanted: "templates", fits: isTemplates)
        return TemplateSet(
            name: chosen.name,
            try chosen.items.map { item in
                switch item {
                case let .string(s): return s
                case let .template(t): return t
                case .list: throw bad(file, "\(chosen.name) (line \(chosen.line)): a template must be a string or a lambda, not a list")
                }
            })
    }

    static func labels(_ assignments: [PythonMetadata.Assignment], _ file: FileReference) throws -> LabelSet {
        let chosen = try pick(assignments, file, wanted: "class names", fits: isNames)
        return LabelSet(
            name: chosen.name,
            classes: try chosen.items.map { item -> ClassLabel in
                switch item {
                case let .string(s): return ClassLabel(name: s)
                case let .list(names):
                    let all = names.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
                    guard let first = all.first, all.count == names.count else {
                        throw bad(file, "\(chosen.name) (line \(chosen.line)): a class must be a name or a list of names")
                    }
                    return ClassLabel(name: first, synonyms: Array(all.dropFirst()))
                case .template:
                    throw bad(file, "\(chosen.name) (line \(chosen.line)) holds templates (lambdas), not class names")
                }
            })
    }

    private static func isTemplates(_ items: [PythonMetadata.Value]) -> Bool {
        !items.isEmpty && items.allSatisfy { if case .list = $0 { return false } else { return true } }
            && items.contains { item in
                switch item {
                case .template: return true
                case let .string(s): return Template(s).hasPlaceholder
                case .list: return false
                }
            }
    }

    private static func isNames(_ items: [PythonMetadata.Value]) -> Bool {
        !items.isEmpty
            && items.allSatisfy { item in
                switch item {
                case let .string(s): return !Template(s).hasPlaceholder
                case let .list(inner): return inner.allSatisfy { if case .string = $0 { return true } else { return false } }
                case .template: return false
                }
            }
    }

    private static func pick(
        _ assignments: [PythonMetadata.Assignment], _ file: FileReference, wanted: String,
        fits: ([PythonMetadata.Value]) -> Bool
    ) throws -> PythonMetadata.Assignment {
        if let key = file.key {
            guard let found = assignments.last(where: { $0.name == key }) else {
                throw missingKey(file, key, assignments.map(\.name))
            }
            guard fits(found.items) else {
                let other = wanted == "templates" ? "class names" : "templates"
                throw bad(file, "\(key) (line \(found.line)) holds \(other), not \(wanted)")
            }
            return found
        }
        // The last assignment of a name wins, as in Python.
        var seen = Set<String>()
        let candidates = assignments.reversed().filter { seen.insert($0.name).inserted }.reversed().filter { fits($0.items) }
        guard let first = candidates.first else {
            throw bad(file, "no list of \(wanted) found (lists: \(assignments.map(\.name).joined(separator: ", ")))")
        }
        guard candidates.count == 1 else { throw needsKey(file, wanted, candidates.map(\.name)) }
        return first
    }

    // MARK: - Errors

    static func bad(_ file: FileReference, _ reason: String) -> ScoringError {
        .badFormat(path: file.description, line: nil, reason: reason)
    }

    static func noKeys(_ file: FileReference, _ key: String) -> ScoringError {
        .badFormat(path: file.path, line: nil, reason: "#\(key): this file has no entries to pick from")
    }

    private static func missingKey(_ file: FileReference, _ key: String, _ keys: [String]) -> ScoringError {
        .badFormat(path: file.path, line: nil, reason: "no entry #\(key); it has \(listed(keys))")
    }

    private static func needsKey(_ file: FileReference, _ what: String, _ keys: [String]) -> ScoringError {
        .needsKey(path: file.path, what: what, keys: keys)
    }

    private static func wrongKind(_ file: FileReference, _ key: String?, _ kind: Kind, wanted: String, by: String? = nil) -> ScoringError {
        let hint: String
        switch kind {
        case .templates: hint = "use it as a template file"
        case .names, .sentencesByClass, .indexedNames: hint = "use it as a label file"
        case .other: hint = "expected \(wanted)"
        }
        return bad(file, "\(key.map { "#\($0)" } ?? "it") holds \(kind.word)\(by.map { " by \($0)" } ?? ""), not \(wanted): \(hint)")
    }

    private static func listed(_ keys: [String]) -> String {
        keys.count <= 12 ? keys.joined(separator: ", ") : keys.prefix(12).joined(separator: ", ") + " and \(keys.count - 12) more"
    }
}
