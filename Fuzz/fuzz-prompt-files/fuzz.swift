import Foundation
import Scoring

/// Template and label files in every format: the first byte picks the extension (.txt,
/// .json, .py, .cb.json), the rest is the file; read as templates and as labels, and what
/// reads is turned into the prompts the engine would encode.
let base = "/dev/shm/clip-tui-fuzz-\(getpid())"
let extensions = ["txt", "json", "py", "cb.json"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let path = base + "." + extensions[Int(data[0]) % extensions.count]
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data + 1, count: size - 1))
    let templates = try? PromptFiles.readTemplates(path: path)
    let labels = try? PromptFiles.readLabels(path: path)
    if let templates, let labels {
        _ = PromptPlan(labels: labels, templates: templates)
    }
    return 0
}
