import Foundation
import PeerFiles
import ScoringCore

/// Template and label files in every format: the first byte picks the extension (.txt,
/// .json, .py, .cb.json), the rest is the file; read as templates and as labels (whole, and
/// with a `#KEY`), and what reads is turned into the prompts the engine would encode.
/// Whatever reads must also survive a round trip through the txt and python exports: the
/// same templates and class names back (a property, checked with a trap).
let base = "/dev/shm/clip-tui-fuzz-\(getpid())"
let extensions = ["txt", "json", "py", "cb.json"]

func export(_ labels: LabelSet, _ templates: TemplateSet) -> PromptSetExport {
    PromptSetExport(model: nil, labels: labels, templateSets: [.init(name: templates.name, role: nil, templates: templates.templates, metrics: nil)])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let path = base + "." + extensions[Int(data[0]) % extensions.count]
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data + 1, count: size - 1))
    let templates = try? PromptFiles.readTemplates(path: path)
    let labels = try? PromptFiles.readLabels(path: path)
    for key in ["A", "DE", "templates", "cifar10"] {
        _ = try? PromptFiles.readTemplates(path: path + "#" + key)
        _ = try? PromptFiles.readLabels(path: path + "#" + key)
    }
    if let templates, let labels {
        _ = PromptPlan(labels: labels, templates: templates)
    }
    if let templates {
        let names = LabelSet(name: "n", classes: [ClassLabel(name: "x")])
        for (format, ext) in [(ExportFormat.txt, "txt"), (.python, "py")] {
            let out = base + "-out." + ext
            // A set a format cannot hold is refused (a blank template in txt): nothing to read back.
            guard (try? ExportWriter.write(export(names, templates), format: format, to: out)) != nil else { continue }
            guard let back = try? PromptFiles.readTemplates(path: out) else { fatalError("\(format) export of templates does not read back") }
            // A template's own newlines become spaces in txt (one line each).
            let expected = format == .txt ? templates.templates.map { Template($0.text.replacingOccurrences(of: "\n", with: " ")) } : templates.templates
            if format == .python, back.templates != expected { fatalError("python export changed the templates") }
            if format == .txt, back.templates.count != expected.count { fatalError("txt export changed the template count") }
        }
    }
    if let labels, !labels.classes.isEmpty {
        let out = base + "-out.py"
        guard (try? ExportWriter.write(export(labels, TemplateSet(name: "t", ["a {}."])), format: .python, to: out)) != nil else {
            fatalError("python export of labels failed")
        }
        guard let back = try? PromptFiles.readLabels(path: out) else { fatalError("python export of labels does not read back") }
        if back.classes.map(\.names) != labels.classes.map(\.names) { fatalError("python export changed the class names") }
    }
    return 0
}
