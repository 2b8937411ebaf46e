import ArgumentParser
import CLIP
import Foundation
import Synchronization
import Hub

/// `clip-tui fetch-model ORG/NAME`: the config, tokenizer and safetensors weights from the
/// Hub into the Hugging Face cache, where `--model ORG/NAME` and Python tools find them.
struct FetchModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-model",
        abstract: "Download a CLIP checkpoint from the Hugging Face Hub into the Hugging Face cache.",
        discussion: """
            Honours HF_ENDPOINT (a mirror), HF_TOKEN (gated or private models) and HF_HUB_CACHE / HF_HOME.
            An interrupted download resumes where it stopped when the command is run again.
            """)

    @Argument(help: "Hub id, e.g. openai/clip-vit-base-patch32.") var id: String
    @Option(help: "Branch, tag or commit.") var revision: String = "main"

    func run() async throws {
        try await reportingErrors {
            let cache = ModelLocator.hubCache()
            let client = HubClient.fromEnvironment(cache: cache)
            let bar = ByteProgress()
            let folder = try await client.fetch(repo: id, revision: revision) { bar.update($0) }
            bar.finish()
            print(folder)
            warn("\(id)@\(revision) is in the Hugging Face cache; use it with --model \(id)")
        }
    }
}

/// Download progress on stderr: one bar per file on a terminal, a line per file otherwise.
final class ByteProgress: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    /// The file being drawn, when it started, when the bar was last drawn.
    private struct State { var file = ""; var start = Date(); var lastDraw = Date.distantPast }
    private let state = Mutex(State())

    func update(_ p: HubClient.Progress) {
        let terminal = isTerminal
        state.withLock { s in
            let label = "[\(p.fileIndex + 1)/\(p.fileCount)] \(p.file)"
            if p.file != s.file {
                if !s.file.isEmpty && terminal { FileHandle.standardError.write(Data("\n".utf8)) }
                s.file = p.file
                s.start = Date()
                if !terminal { FileHandle.standardError.write(Data("fetching \(label)\(p.totalBytes.map { " (\(Self.megabytes($0)))" } ?? "")\n".utf8)) }
            }
            guard terminal, Date().timeIntervalSince(s.lastDraw) > 0.1 || p.bytes == p.totalBytes else { return }
            s.lastDraw = Date()
            let total = max(p.totalBytes ?? p.bytes, 1)
            let width = 30, filled = min(width, width * p.bytes / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let rate = Double(p.bytes) / max(Date().timeIntervalSince(s.start), 0.001)
            let line = "\r\(label) [\(bar)] \(Self.megabytes(p.bytes))/\(Self.megabytes(total))  \(Self.megabytes(Int(rate)))/s\u{1B}[K"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    func finish() {
        if isTerminal && !state.withLock({ $0.file.isEmpty }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}
