import ArgumentParser
import Foundation
import Scoring

extension ExportFormat: ExpressibleByArgument {}

/// Where and how an export is written: `export`, and `select --out`. The file's format
/// follows `--out`'s name or `--out-format`, as everywhere; `--format` is the report's.
struct ExportOptions: ParsableArguments {
    @Option(help: "Output: a file, or a folder for clip-benchmark's files.") var out: String
    @Option(
        help: ArgumentHelp(
            "Format of --out: clip-tui, clip-benchmark, txt or python (default: from its name: .json, .cb.json or a folder, .txt, .py).",
            valueName: "format"))
    var outFormat: ExportFormat?
    /// `table` or `json` (what is printed); a file format here is the old spelling of
    /// `--out-format`, read for one more release with a notice.
    @Option(help: ArgumentHelp("Output: table or json (what was written).", valueName: "table|json")) var format: String?
    @Option(help: "The dataset name clip_benchmark looks up (clip-benchmark format; default: the name of a .cb.json file).")
    var dataset: String?

    func validate() throws {
        guard let format, ReportFormat(rawValue: format) == nil else { return }
        guard ExportFormat(rawValue: format) != nil else {
            throw ValidationError("--format takes table or json (the file's format is --out-format: clip-tui, clip-benchmark, txt, python)")
        }
        if outFormat != nil { throw ValidationError("--format \(format) is the old spelling of --out-format: give one of them") }
    }

    /// The file format `--format` named in the old spelling, with the notice that names
    /// `--out-format` (a function: it says so each time it is asked).
    private func legacyOutFormat() -> ExportFormat? {
        guard let format, ReportFormat(rawValue: format) == nil, let f = ExportFormat(rawValue: format) else { return nil }
        warn("export --format \(format) names the file format: use --out-format \(format) (--format is now the report format, table or json)")
        return f
    }

    func write(_ export: PromptSetExport) throws {
        let written = try Self.write(export, out: out, format: outFormat ?? legacyOutFormat(), dataset: dataset)
        if format.flatMap(ReportFormat.init(rawValue:)) == .json {
            struct Written: Encodable { let files: [String]; let notes: [String] }
            try printJSON(Written(files: written.files, notes: written.notes))
        }
    }

    @discardableResult
    static func write(_ export: PromptSetExport, out: String, format: ExportFormat?, dataset: String?) throws -> ExportWriter.Written {
        guard let chosen = format ?? ExportFormat.inferred(from: out) else {
            throw ValidationError("cannot tell the format from \(out): give --out-format clip-tui|clip-benchmark|txt|python")
        }
        let written = try ExportWriter.write(export, format: chosen, to: out, dataset: dataset ?? ExportFormat.datasetName(fromOutput: out))
        for note in written.notes { warn(note) }
        FileHandle.standardError.write(Data("wrote \(written.files.joined(separator: ", "))\n".utf8))
        return written
    }
}
