import ArgumentParser
import Foundation
import Scoring

extension ExportFormat: ExpressibleByArgument {}

/// Where and how an export is written: `export`, and `select --out`.
struct ExportOptions: ParsableArguments {
    @Option(help: "Output: a file, or a folder for clip-benchmark's files.") var out: String
    @Option(
        help: ArgumentHelp(
            "clip-tui, clip-benchmark, txt or python (default: from --out: .json, .cb.json or a folder, .txt, .py).",
            valueName: "format"))
    var format: ExportFormat?
    @Option(help: "The dataset name clip_benchmark looks up (clip-benchmark format; default: the name of a .cb.json file).")
    var dataset: String?

    func write(_ export: PromptSetExport) throws {
        try Self.write(export, out: out, format: format, dataset: dataset)
    }

    static func write(_ export: PromptSetExport, out: String, format: ExportFormat?, dataset: String?) throws {
        guard let chosen = format ?? ExportFormat.inferred(from: out) else {
            throw ValidationError("cannot tell the format from \(out): give --format clip-tui|clip-benchmark|txt|python")
        }
        let written = try ExportWriter.write(export, format: chosen, to: out, dataset: dataset ?? ExportFormat.datasetName(fromOutput: out))
        for note in written.notes { warn(note) }
        FileHandle.standardError.write(Data("wrote \(written.files.joined(separator: ", "))\n".utf8))
    }
}
