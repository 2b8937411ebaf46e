import FileWriting
import Foundation
import InputLimits
import ScoringCore

/// The forms an export takes, each read unchanged by the tool it is for.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// clip-tui's own JSON (`PromptSetExport`): every set, figures, names.
    case clipTUI = "clip-tui"
    /// CLIP_benchmark's custom files: `{DATASET: [...]}` JSON with `{c}`, and its WebDataset
    /// text files.
    case clipBenchmark = "clip-benchmark"
    /// One template per line with `{}`, as in `Prompts/`.
    case txt
    /// `templates = [...]` and `classes = [...]`, as OpenAI's notebooks write them.
    case python

    /// By the output's name: `.cb.json` or a folder → clip-benchmark, `.json` → clip-tui,
    /// `.txt` → txt, `.py` → python.
    public static func inferred(from path: String) -> ExportFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".cb.json") { return .clipBenchmark }
        switch URL(fileURLWithPath: lower).pathExtension {
        case "json": return .clipTUI
        case "txt": return .txt
        case "py": return .python
        case "": return .clipBenchmark
        default: return nil
        }
    }

    /// The dataset a `NAME.cb.json` output names (`cifar10.cb.json` → cifar10); nil otherwise.
    public static func datasetName(fromOutput path: String) -> String? {
        let file = URL(fileURLWithPath: path).lastPathComponent
        return file.lowercased().hasSuffix(".cb.json") ? String(file.dropLast(8)) : nil
    }
}

/// Writes an export in one of the `ExportFormat`s; returns the files written and what the
/// format could not carry, for the caller to say.
public enum ExportWriter {
    public struct Written: Sendable, Equatable {
        public var files: [String]
        public var notes: [String]
    }

    /// - Parameters:
    ///   - export: the sets, best first (txt and python take the first), and the labels.
    ///   - dataset: CLIP_benchmark's dataset name, the key it looks up.
    public static func write(_ export: PromptSetExport, format: ExportFormat, to out: String, dataset: String? = nil) throws -> Written {
        guard let first = export.templateSets.first else { throw ScoringError.invalid("nothing to export: no template set") }
        let others = export.templateSets.dropFirst().map(\.name)
        var onlyFirst = others.isEmpty ? [] : ["\(format.rawValue) holds one template set: wrote \(first.name), not \(others.joined(separator: ", "))"]
        // Only clip-tui's JSON holds template weights: a peer format's reader averages every
        // template alike, so the set it reads is not the one that was scored.
        if format != .clipTUI, let weights = first.weights {
            onlyFirst.append(
                "\(format.rawValue) holds no template weights: \(first.name)'s \(weights.count) weights were dropped (its readers average the templates equally); export to clip-tui JSON to keep them"
            )
        }
        switch format {
        case .clipTUI:
            try export.write(to: out)
            return Written(files: [out], notes: [])
        case .txt:
            // A line is trimmed, and one that starts with '#' is a comment: such a template
            // cannot be written as a line and read back as itself.
            let lines = first.templates.map { $0.text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") }
            if let bad = lines.first(where: { $0.trimmingCharacters(in: .whitespaces) != $0 || $0.isEmpty || $0.hasPrefix("#") }) {
                throw ScoringError.invalid(
                    "the template '\(bad)' cannot be a line of a .txt file (blank, spaces at an end, or a leading '#', which is a comment): export to .json or .py"
                )
            }
            let text = lines.joined(separator: "\n") + "\n"
            try write(text, to: out)
            return Written(files: [out], notes: onlyFirst)
        case .python:
            try write(python(templates: first.templates, labels: export.labels, source: first.name), to: out)
            let sentences = export.labels.classes.filter { !$0.sentences.isEmpty }.count
            return Written(
                files: [out], notes: onlyFirst + (sentences > 0 ? ["python holds no class sentences: \(sentences) classes' sentences were left out"] : []))
        case .clipBenchmark:
            guard let dataset, !dataset.isEmpty else {
                throw ScoringError.invalid("the clip-benchmark format needs the dataset name clip_benchmark looks up: give --dataset NAME")
            }
            return try clipBenchmark(first.templates, labels: export.labels, dataset: dataset, to: out, notes: onlyFirst)
        }
    }

    /// `templates.json` and `classnames.json` (`{DATASET: [...]}`, for `build_dataset(…,
    /// custom_template_file=, custom_classname_file=)`), and the WebDataset layout's
    /// `zeroshot_classification_templates.txt` and `classnames.txt`, into the folder `out`;
    /// or, for `out` ending in `.cb.json`, the templates JSON alone.
    ///
    /// clip_benchmark has one name per class and no sentences. Where a class has synonyms
    /// or sentences, the templates JSON takes its per-class form (`{DATASET: {class:
    /// [prompts]}}`, which its zero-shot classifier reads) with every prompt clip-tui would
    /// average, so the classifier is the same; the WebDataset text files cannot say that and
    /// keep the plain templates (said in the notes).
    static func clipBenchmark(
        _ templates: [Template], labels: LabelSet, dataset: String, to out: String,
        notes: [String]
    ) throws -> Written {
        let names = labels.classes.map(\.name)
        let perClass = labels.classes.contains { !$0.synonyms.isEmpty || !$0.sentences.isEmpty }
        var notes = notes
        let templatesValue: JSONValue
        if perClass {
            var object: [(key: String, value: JSONValue)] = []
            for c in labels.classes {
                let prompts =
                    c.sentences.isEmpty
                    ? templates.filter(\.hasPlaceholder).flatMap { t in c.names.map { t.render($0) } } : c.sentences
                object.append((c.name, .array(prompts.map(JSONValue.string))))
            }
            templatesValue = .object(object)
            notes.append(
                "templates.json gives each class its prompts (\(labels.classes.filter { !$0.synonyms.isEmpty }.count) classes with synonyms, \(labels.classes.filter { !$0.sentences.isEmpty }.count) with sentences), as clip_benchmark's per-class template form"
            )
        } else {
            templatesValue = .array(templates.filter(\.hasPlaceholder).map { .string($0.benchmarkText) })
        }
        let templatesJSON = JSONValue.object([(dataset, templatesValue)]).text()
        if out.lowercased().hasSuffix(".cb.json") {
            try write(templatesJSON, to: out)
            return Written(files: [out], notes: notes + ["wrote the templates file only; a folder as --out gets classnames.json and the WebDataset files too"])
        }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw ScoringError.cannotWrite(path: out, reason: "\(error)")
        }
        let folder = URL(fileURLWithPath: out)
        let files = ["templates.json", "classnames.json", "zeroshot_classification_templates.txt", "classnames.txt"]
            .map { folder.appendingPathComponent($0).path }
        try write(templatesJSON, to: files[0])
        try write(JSONValue.object([(dataset, .array(names.map(JSONValue.string)))]).text(), to: files[1])
        try write(templates.filter(\.hasPlaceholder).map(\.benchmarkText).joined(separator: "\n") + "\n", to: files[2])
        try write(names.joined(separator: "\n") + "\n", to: files[3])
        if perClass {
            notes.append("the WebDataset text files hold the plain templates and one name per class: synonyms and sentences are only in templates.json")
        }
        return Written(files: files, notes: notes)
    }

    static func python(templates: [Template], labels: LabelSet, source: String) -> String {
        func literal(_ s: String) -> String {
            var out = "'"
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "'"
        }
        var lines = [
            "# Written by clip-tui: template set \(source.replacingOccurrences(of: "\n", with: " ")), \(labels.classes.count) classes.",
            "# Templates use str.format's {} placeholder: template.format(classname).", "templates = ["
        ]
        lines += templates.map { "    \(literal($0.text))," }
        lines += ["]", "", "classes = ["]
        lines += labels.classes.map { c in
            c.synonyms.isEmpty ? "    \(literal(c.name))," : "    [\(c.names.map(literal).joined(separator: ", "))],"
        }
        lines += ["]", ""]
        return lines.joined(separator: "\n")
    }

    private static func write(_ text: String, to path: String) throws {
        do { try AtomicFile.write(Data(text.utf8), to: path) } catch { throw ScoringError.cannotWrite(path: error.path, reason: error.reason) }
    }
}
