import ArgumentParser
import CLIP
import Foundation
import Synchronization
import Benchmarks
import Scoring
import Tensors
import UserPaths

/// Options every engine command shares.
struct EngineOptions: ParsableArguments {
    @Option(
        name: .customLong("model"),
        help:
            "Checkpoint folder or Hugging Face Hub id in the local Hub cache (default: $CLIP_TUI_MODEL, else the demo model); compare, export and session take several (every model × every template set is a candidate)."
    )
    var models: [String] = []

    /// The one model a command other than `compare` takes.
    var model: String? { models.first }
    @Option(help: "Embedding cache file (default: $CLIP_TUI_CACHE, else ~/.cache/clip-tui/embeddings.sqlite).")
    var cache: String?
    @Flag(help: "Do not read or write the embedding cache.") var noCache = false
    @Option(help: "Most BLAS threads a product may use (default: $CLIP_TUI_THREADS, else the cores this process may use).")
    var threads: Int?

    var cachePath: String { cache ?? Self.defaultCachePath }

    static var defaultCachePath: String { UserPaths().embeddingCache }

    /// The model with the cache (its recovery, if any, reported on stderr).
    func makeModel(logitScale: Float? = nil) throws -> ScoringModel {
        try requireOneModel()
        return try makeModel(model: model, logitScale: logitScale, note: warn)
    }

    /// Every `--model` given (the default one when none is), each with its own store over
    /// the same cache file (rows are keyed by each model's fingerprint).
    func makeModels(logitScale: Float? = nil) throws -> [ScoringModel] {
        try (models.isEmpty ? [nil] : models.map(Optional.some)).map { try makeModel(model: $0, logitScale: logitScale, note: warn) }
    }

    /// Only `compare` compares models: elsewhere a second `--model` is a mistake, said.
    func requireOneModel() throws {
        guard models.count <= 1 else {
            throw ValidationError("--model is given \(models.count) times: only compare, export and session take several models (each model × set a candidate)")
        }
    }

    /// `model` (the session's may come from its file) with the cache, the notes (cache
    /// recovery, a cache that cannot open, where the model was found) handed to `note`.
    func makeModel(model: String?, logitScale: Float? = nil, note: (String) -> Void) throws -> ScoringModel {
        BLAS.threadLimit = resolvedThreads(threads)
        let located = try ModelLocator.locate(model)
        if let n = located.note { note(n) }
        let provider = FaultInjectingProvider.wrapIfAsked(try CLIPEmbeddingProvider(folder: located.folder))
        var cache: EmbeddingCache?
        if !noCache {
            // The cache only saves work: when it cannot be opened the command runs without it.
            do {
                cache = try EmbeddingCache(path: cachePath)
                if let n = cache?.recoveryNote { note(n) }
            } catch {
                note("\(error); running without the cache")
            }
        }
        let store = EmbeddingStore(provider: provider, cache: cache)
        CacheHealth.watch(store)
        return ScoringModel(store: store, logitScale: logitScale, name: model ?? located.folder)
    }
}

/// Cache trouble met while a command ran (a full disk, damaged rows), said once at the end.
enum CacheHealth {
    private static let stores = Mutex<[EmbeddingStore]>([])

    static func watch(_ store: EmbeddingStore) { stores.withLock { $0.append(store) } }

    static func report() {
        for store in stores.withLock({ $0 }) {
            store.flushCache()  // the last prompts' rows are written before the process ends
            if let problem = store.cacheProblem { warn("embedding cache: \(problem) (results are correct; the cache was not used for all of them)") }
            if let cache = store.cache, cache.damagedRows > 0 {
                warn("\(cache.path): \(cache.damagedRows) damaged cache entries were dropped and encoded again")
            }
        }
    }
}

/// `--threads`, else `CLIP_TUI_THREADS`, else the cores the process may use (its affinity
/// mask and cgroup quota). Products too small for a second thread stay on one either way.
func resolvedThreads(_ given: Int?) -> Int {
    if let given { return max(1, given) }
    if let env = ProcessInfo.processInfo.environment["CLIP_TUI_THREADS"], let n = Int(env), n > 0 { return n }
    return CPUBudget.available()
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data("clip-tui: \(message)\n".utf8))
}

/// Image progress on stderr: a bar with the encoder's rate and time left on a terminal,
/// plain lines otherwise; images the cache served are counted as such, not as encoded, and
/// a folder served whole by the cache is one line saying so.
final class ProgressReporter {
    let label: String
    let start = Date()
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastLine = -1

    init(_ label: String) { self.label = label }

    func update(_ p: ImageProgress) {
        guard p.total > 0 else { return }
        if p.encoded == 0 {
            if p.settled == p.total { FileHandle.standardError.write(Data("images: \(p.total)/\(p.total) from the cache\n".utf8)) }
            return
        }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(p.encoded) / elapsed : 0
        let left = rate > 0 ? Double(p.total - p.settled) / rate : 0
        let cached = p.cached > 0 ? ", \(p.cached) from the cache" : ""
        if isTerminal {
            let width = 30, filled = width * p.settled / p.total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(
                format: "\r%@ [%@] %d/%d  %.1f/s%@  ETA %d:%02d", label, bar, p.settled, p.total, rate, cached, Int(left) / 60, Int(left) % 60)
            FileHandle.standardError.write(Data(line.utf8))
            if p.settled == p.total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let tenth = p.settled * 10 / p.total
            if tenth != lastLine || p.settled == p.total {
                lastLine = tenth
                FileHandle.standardError.write(Data("\(label): \(p.settled)/\(p.total) (\(String(format: "%.1f", rate))/s\(cached))\n".utf8))
            }
        }
    }
}

/// `--progress` of the commands that evaluate template sets.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "Report prompt encoding on stderr, with top-1 from the templates encoded so far (a first run encodes template by template).")
    var progress = false
}

/// How cosines become probabilities, as every scoring command and the session take it:
/// one meaning of the temperature everywhere (the model's logits divided by T).
struct ScoreOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Divides the model's logits: 1 is the model as trained; CLIP softmax(scale/T·cos), SigLIP sigmoid((scale·cos + bias)/T). 'fit' (eval): the T that minimises the labelled images' NLL.",
            valueName: "T|fit"))
    var temperature: TemperatureChoice?
    @Option(
        help: ArgumentHelp("An absolute logit scale in place of the checkpoint's (CLIP's 1/τ form; SigLIP keeps its bias).", valueName: "S"))
    var logitScale: Float?

    func validate() throws {
        if temperature != nil && logitScale != nil {
            throw ValidationError("give --temperature or --logit-scale, not both: a temperature divides the model's logits, a logit scale replaces its scale")
        }
        if case .value(let t)? = temperature, !(t > 0 && t.isFinite) { throw ValidationError("--temperature must be a positive number, not \(t)") }
        if let s = logitScale, !(s > 0 && s.isFinite) { throw ValidationError("--logit-scale must be a positive number, not \(s)") }
    }

    /// Whether `--temperature fit` was asked for.
    var fitsTemperature: Bool { temperature == .fit }

    /// Refuses `--temperature fit` in a command that has no fit.
    func refuseFit(_ command: String) throws {
        if fitsTemperature { throw ValidationError("--temperature fit is for eval; \(command) takes a number (eval --temperature fit reports one)") }
    }

    /// The temperature a request divides by (1 unless a number was given; a fit starts at 1).
    var resolvedTemperature: Float {
        if case .value(let t)? = temperature { return t }
        return 1
    }
}

/// `--temperature`: a number, or `fit`.
enum TemperatureChoice: ExpressibleByArgument, Equatable {
    case value(Float)
    case fit

    init?(argument: String) {
        if argument == "fit" {
            self = .fit
        } else if let t = Float(argument) {
            self = .value(t)
        } else {
            return nil
        }
    }
}

/// Where the images' truth comes from besides class folders: every command that reads
/// images takes these, and the session keeps them in its file.
struct TruthOptions: ParsableArguments {
    @Option(help: "Ground truth file: CSV 'path,class' or JSON {path: class}, paths relative to --images.")
    var truth: String?
    @Option(
        help: ArgumentHelp(
            "Folder names to class names, a line each: 'FOLDER NAME[, synonym…]' (ImageNet's LOC_synset_mapping.txt), or JSON {folder: name}.",
            valueName: "file"))
    var folderNames: String?
}

/// Labels, templates and images as the commands take them.
struct SetOptions: ParsableArguments {
    @Option(
        name: .customLong("images"),
        help:
            "Folder of images (searched recursively; subfolders name classes), or a CLIP_benchmark webdataset: its folder (SPLIT/nshards.txt, classnames.txt) or a .tar shard (repeat --images for several shards)."
    )
    var imageSources: [String] = []

    /// The folder or shard given (several shards: their paths, for messages).
    var images: String { imageSources.joined(separator: ", ") }

    func validate() throws {
        guard !imageSources.isEmpty else { throw ValidationError("Missing expected argument '--images <images>'") }
        if imageSources.count > 1, let other = imageSources.first(where: { !$0.lowercased().hasSuffix(".tar") }) {
            throw ValidationError("--images more than once takes .tar shards only, not \(other)")
        }
    }
    @Option(help: "The split of a webdataset folder to read (FOLDER/SPLIT/0.tar …).") var split = "test"
    @Option(
        help: ArgumentHelp(
            "Label set: .txt, .json or .py; FILE#KEY picks one entry of a file with several (README: Files from other tools). Default for a webdataset folder: its classnames.txt.",
            valueName: "file[#key]"))
    var labels: String?

    /// The label file used: the one given, else a webdataset's own `classnames.txt`.
    var labelSource: String {
        get throws {
            if let labels { return labels }
            if let names = WebDataset.classNamesFile(folder: images, split: split) { return names }
            throw ValidationError("give --labels: \(images) is not a webdataset folder with a classnames.txt")
        }
    }
    @OptionGroup var truthFiles: TruthOptions
    var truth: String? { truthFiles.truth }
    var folderNames: String? { truthFiles.folderNames }

    /// The template file used: the one given, else a webdataset's own templates file (said
    /// on stderr).
    func templateSource(_ given: String?) throws -> String {
        if let given { return given }
        if let file = WebDataset.templatesFile(folder: images, split: split) {
            warn("templates: \(file) (the dataset's own)")
            return file
        }
        throw ValidationError("give --templates: \(images) is not a webdataset folder with a zeroshot_classification_templates.txt")
    }

    func load(_ model: ScoringModel, progress: Bool = true) throws -> (LabelSet, EmbeddedImages) {
        let labels = try labelSource
        if self.labels == nil { warn("labels: \(labels) (the dataset's own class names)") }
        let labelSet = try PromptFiles.readLabels(path: labels)
        var collection =
            imageSources.count > 1
            ? try ImageCollection(shards: imageSources, labels: labelSet)
            : try ImageCollection(root: images, labels: labelSet, split: split)
        if let d = collection.dataset {
            warn("images: \(collection.items.count) samples from \(d.shards.count) webdataset shard\(d.shards.count == 1 ? "" : "s")")
        }
        if let folderNames { try collection.applyFolderNames(file: folderNames, labels: labelSet) }
        if let truth { try collection.applyTruth(file: truth, labels: labelSet) }
        if folderNames == nil, truth == nil, collection.items.contains(where: { $0.truthName.map(ImageNetClasses.isWordNetID) ?? false }) {
            if let rule = labelSet.wordNetRule {
                warn("truth: \(rule)")
            } else {
                warn(
                    "\(images): folders are named by WordNet id, and \(labels) has neither 1,000 classes in ImageNet order nor ImageNet indices: give --folder-names (e.g. LOC_synset_mapping.txt)"
                )
            }
        }
        let repeated = labelSet.repeatedNames
        if !repeated.isEmpty {
            warn(
                "\(repeated.count) class name\(repeated.count == 1 ? "" : "s") repeat in \(labels): \(repeated.joined(separator: ", ")) (kept; truth matches the first)"
            )
        }
        if !collection.unmatchedClasses.isEmpty {
            warn("classes not in \(labels): \(collection.unmatchedClasses.joined(separator: ", ")) (those images count as unlabelled)")
        }
        let reporter = ProgressReporter("embedding images")
        let embedded = model.embed(collection, progress: progress ? reporter.update : nil)
        for f in embedded.failures { warn("skipped \(f.error)") }
        return (labelSet, embedded)
    }
}
