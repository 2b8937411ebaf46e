import ArgumentParser
import Foundation
import Scoring

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Encode a folder of images into the embedding cache (resumes where it stopped).")

    @Argument(help: "Folder of images, searched recursively; or a CLIP_benchmark webdataset folder or .tar shard.") var folder: String
    @Option(help: "The split of a webdataset folder to read (FOLDER/SPLIT/0.tar …).") var split = "test"
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try reportingErrors {
            let model = try engine.makeModel()
            let collection = try ImageCollection(root: folder, labels: LabelSet(name: "", classes: []), split: split)
            let reporter = ProgressReporter("embedding images")
            let start = Date()
            let embedded = model.embed(collection, progress: reporter.update)
            for f in embedded.failures { warn("skipped \(f.error)") }
            let seconds = Date().timeIntervalSince(start)
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "%d images embedded (%d failed) in %.1f s; cache %@\n",
                        embedded.items.count, embedded.failures.count, seconds, engine.noCache ? "off" : engine.cachePath
                    ).utf8))
            if !embedded.failures.isEmpty && embedded.items.isEmpty { throw ExitCode.failure }
        }
    }
}
