import ArgumentParser
import Foundation
import Scoring

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "The embedding cache: stats, clear, or import embeddings made elsewhere.",
        subcommands: [Stats.self, Clear.self, Import.self])

    struct Location: ParsableArguments {
        @Option(help: "Embedding cache file (default: $CLIP_TUI_CACHE, else ~/.cache/clip-tui/embeddings.sqlite).")
        var cache: String?

        func open() throws -> (EmbeddingCache, String) {
            let path = cache ?? EngineOptions.defaultCachePath
            let store = try EmbeddingCache(path: path)
            if let note = store.recoveryNote { warn(note) }
            return (store, path)
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rows per model, and where imported rows came from.")
        @OptionGroup var location: Location

        func run() throws {
            try reportingErrors {
                let (store, path) = try location.open()
                let s = try store.stats()
                let imported = try store.importedImages()
                print("\(path): \(s.fileBytes) bytes")
                for (model, n) in s.models.sorted(by: { $0.key < $1.key }) {
                    let sources = imported[model] ?? [:]
                    let count = sources.values.reduce(0, +)
                    let origin =
                        count == 0
                        ? ""
                        : " (\(count) imported: "
                            + sources.sorted { $0.key < $1.key }
                            .map { "\($0.value) from \($0.key)" }.joined(separator: ", ") + ")"
                    print("  model \(model.prefix(16))…: \(n.images) images\(origin), \(n.texts) prompts")
                }
                if s.models.isEmpty { print("  empty") }
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every row, or one model's.")
        @OptionGroup var location: Location
        @Option(help: "Only this model fingerprint.") var fingerprint: String?

        func run() throws {
            try reportingErrors {
                let (store, path) = try location.open()
                try store.clear(model: fingerprint)
                print("cleared \(fingerprint.map { "model \($0)" } ?? "all") in \(path)")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring in image embeddings computed elsewhere (.npy, float16/32/64), checked on a sample encoded here.",
            discussion: """
                Each row of --embeddings is the embedding of the image on the same line of --paths \
                (absolute, or relative to --images). Rows are stored under the model's fingerprint, keyed \
                by the files' content. Before anything is stored, at least 8 of the images are encoded \
                with --model; if any cosine to its imported row is below 0.99 (another model or \
                another preprocessing), nothing is imported and the figure is printed.
                """)
        @OptionGroup var engine: EngineOptions
        @Option(help: "The folder the paths are relative to.") var images: String?
        @Option(help: "The embeddings: an N×D .npy file.") var embeddings: String
        @Option(help: "N image paths, one per line, in the rows' order.") var paths: String
        @Option(help: "Images encoded here to check the rows (at least 8).") var sample: Int = 8

        func run() throws {
            try reportingErrors {
                guard !engine.noCache else { throw ValidationError("cache import writes to the cache: drop --no-cache") }
                let model = try engine.makeModel()
                let matrix = try NumpyMatrix(path: embeddings)
                guard let data = FileManager.default.contents(atPath: paths), let text = String(data: data, encoding: .utf8) else {
                    throw ScoringError.cannotRead(path: paths, reason: "missing or not UTF-8")
                }
                let list = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let source = URL(fileURLWithPath: embeddings).standardizedFileURL.path
                let report = try EmbeddingImport.run(
                    store: model.store, matrix: matrix, paths: list, root: images, source: source,
                    sampleSize: sample, progress: { warn($0) })
                if !report.missing.isEmpty {
                    warn("\(report.missing.count) listed images cannot be read and were not imported (first: \(report.missing[0]))")
                }
                print(
                    String(
                        format: "imported %d rows from %@ (%@, %d×%d); %d already cached; sample of %d: cosine min %.4f, mean %.4f",
                        report.added, embeddings, matrix.element.rawValue, matrix.rows, matrix.columns, report.alreadyCached,
                        report.sampleSize, report.sampleCosineMin, report.sampleCosineMean))
            }
        }
    }
}
