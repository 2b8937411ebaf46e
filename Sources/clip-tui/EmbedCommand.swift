import ArgumentParser
import Foundation
import Scoring

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Encode a folder of images into the embedding cache (resumes where it stopped).")

    @Argument(help: "Folder of images, searched recursively.") var folder: String
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try reportingErrors {
            let lab = try engine.makeLab()
            let collection = try ImageCollection(root: folder, labels: LabelSet(name: "", classes: []))
            let reporter = ProgressReporter("embedding images")
            let start = Date()
            let embedded = lab.embed(collection, progress: reporter.update)
            for f in embedded.failures { warn("skipped \(f.error)") }
            let seconds = Date().timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "%d images embedded (%d failed) in %.1f s; cache %@\n",
                embedded.items.count, embedded.failures.count, seconds, engine.noCache ? "off" : engine.cachePath).utf8))
            if !embedded.failures.isEmpty && embedded.items.isEmpty { throw ExitCode.failure }
        }
    }
}

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "The embedding cache: stats or clear.")

    enum Action: String, ExpressibleByArgument { case stats, clear }

    @Argument(help: "stats or clear") var action: Action
    @Option(help: "Embedding cache file (default: $CLIP_TUI_CACHE, else ~/.cache/clip-tui/embeddings.sqlite).")
    var cache: String?
    @Option(help: "With clear: only this model fingerprint.") var fingerprint: String?

    func run() throws {
        try reportingErrors {
            let path = cache ?? EngineOptions.defaultCachePath
            let store = try EmbeddingCache(path: path)
            if let note = store.recoveryNote { warn(note) }
            switch action {
            case .stats:
                let s = try store.stats()
                print("\(path): \(s.fileBytes) bytes")
                for (model, n) in s.models.sorted(by: { $0.key < $1.key }) {
                    print("  model \(model.prefix(16))…: \(n.images) images, \(n.texts) prompts")
                }
                if s.models.isEmpty { print("  empty") }
            case .clear:
                try store.clear(model: fingerprint)
                print("cleared \(fingerprint.map { "model \($0)" } ?? "all") in \(path)")
            }
        }
    }
}
