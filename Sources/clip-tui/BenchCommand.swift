import ArgumentParser
import CLIP
import Foundation
import Tensors
import Tokenization
import Benchmarks
import Scoring

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Encoder speed on this machine, beside a large sgemm measured in the same run (JSON).")

    @Option(help: "Checkpoint folder.") var model: String?
    @Option(help: "Random weights of a published shape: \(BenchCommand.presetNames.joined(separator: ", ")).")
    var random: String?
    @Option(help: "Most BLAS threads a product may use (default: $CLIP_TUI_THREADS, else the cores this process may use).")
    var threads: Int?
    @Option(help: "Images per batch.") var images: Int = 8
    @Option(help: "Prompts, one per line (default: 32 ordinary ones, 4 templates × 8 labels).") var textsFile: String?
    @Option(help: "Folder with vocab.json and merges.txt, for --texts-file with --random.") var tokenizer: String?
    @Option(help: "Timed repetitions; the median is reported.") var repeats: Int = 5
    @Option(help: "Output format.") var format: OutputFormat = .json
    @Option(help: "Live-session replay at scale: images (0 skips it; the `live` object of the report).")
    var liveImages: Int = 0
    @Option(help: "Live replay: label file (default: Prompts/imagenet-labels.txt).") var liveLabels: String?
    @Option(help: "Live replay: template set A (default: Prompts/imagenet-templates-80.txt).") var liveTemplatesA: String?
    @Option(help: "Live replay: template set B (default: Prompts/imagenet-templates-7.txt).") var liveTemplatesB: String?
    @Flag(help: "Only the live replay (skip the encoder figures).") var liveOnly = false
    @Option(help: "Live replay: this many more keystrokes in A, each making new prompts, and the resident memory they add (`live.memory`).")
    var liveMemoryKeys: Int = 0
    @Flag(help: "Live replay: a cold open of A and B (every prompt new) against the same prompts in plain batches (`live.cold_open`).")
    var liveColdOpen = false
    @Flag(help: "Also measure --weights fit and --temperature fit on set A (live.weights).")
    var liveWeights = false
    @Flag(
        help:
            "Live replay: random unit vectors for the prompts that exist before typing, not the model's own (those take minutes to encode at ViT-B/32 shapes; random ones are the template figures' worst case)."
    )
    var liveRandomPrompts = false

    func validate() throws {
        guard (model == nil) != (random == nil) else { throw ValidationError("give one of --model and --random") }
        if let random, CLIPConfig.preset(random) == nil, random != Self.sigLIPPreset {
            throw ValidationError("--random takes \(Self.presetNames.joined(separator: ", "))")
        }
        guard images > 0, repeats > 0, (threads ?? 1) > 0, liveImages >= 0 else { throw ValidationError("counts must be positive") }
    }

    func run() throws {
        try reportingErrors {
            BLAS.threadLimit = resolvedThreads(threads)
            let loadStart = DispatchTime.now()
            let encoders: (VisionEncoder, TextEncoder, Tokenizer?, String)
            if let model {
                let loaded = try ModelLocator.loadModel(folder: try ModelLocator.locate(model).folder)
                if let siglip = loaded as? SigLIPModel {
                    return try runSigLIP(
                        siglip.vision, siglip.text, tokenize: siglip.tokenize, padToken: siglip.tokenizer.padToken, name: model,
                        loadMs: milliseconds(since: loadStart))
                }
                guard let clip = loaded as? CLIPModel else { throw ValidationError("\(model): not a model bench knows") }
                encoders = (clip.vision, clip.text, clip.tokenizer, model)
            } else if random == Self.sigLIPPreset {
                let config = SigLIPConfig.base16
                let weights = RandomWeights()
                let text = try SigLIPTextEncoder(reader: weights, config: config.textConfig, projectionSize: config.projectionSize)
                let vision = try SigLIPVisionEncoder(reader: weights, config: config.visionConfig)
                return try runSigLIP(vision, text, tokenize: nil, padToken: 1, name: "random \(random!)", loadMs: nil)
            } else {
                let config = CLIPConfig.preset(random!)!
                let weights = RandomWeights()
                encoders = (
                    try VisionEncoder(reader: weights, config: config.visionConfig, projectionDim: config.projectionDim),
                    try TextEncoder(reader: weights, config: config.textConfig, projectionDim: config.projectionDim),
                    try tokenizer.map { try Tokenizer(vocabPath: "\($0)/vocab.json", mergesPath: "\($0)/merges.txt") },
                    "random \(random!)"
                )
            }
            let loadMs = milliseconds(since: loadStart)
            let (vision, text, tok, name) = encoders
            let prompts = try promptIds(tokenizer: tok)
            let endToken = tok?.endToken ?? 49407
            let result =
                liveOnly
                ? Benchmark.Result()
                : Benchmark(vision: vision, text: text, endToken: endToken, repeats: repeats)
                    .run(images: images, prompts: prompts)
            var keystrokes: [Double] = []
            let keyTokenizer =
                try tok
                ?? ModelLocator.demoModel().map {
                    try Tokenizer(vocabPath: "\($0)/vocab.json", mergesPath: "\($0)/merges.txt")
                }
            var live: KeystrokeBenchmark.Figures?
            if let keyTokenizer {
                if !liveOnly {
                    keystrokes = try KeystrokeBenchmark(
                        text: text, tokenizer: keyTokenizer, imageCount: 1000,
                        labels: BenchmarkPrompts.labels + ["bird", "ship"]
                    )
                    .run(measureBurst: false).sorted_keystroke_ms
                }
                if liveImages > 0 {
                    let file = { (given: String?, name: String) in given ?? ModelLocator.projectFile("Prompts/\(name)") ?? "Prompts/\(name)" }
                    let labels = try PromptFiles.readLabels(path: file(liveLabels, "imagenet-labels.txt")).classes.map(\.name)
                    let a = try PromptFiles.readTemplates(path: file(liveTemplatesA, "imagenet-templates-80.txt")).templates.map(\.text)
                    let b = try PromptFiles.readTemplates(path: file(liveTemplatesB, "imagenet-templates-7.txt")).templates.map(\.text)
                    var bench = KeystrokeBenchmark(text: text, tokenizer: keyTokenizer, imageCount: liveImages, labels: labels)
                    bench.templatesA = a
                    bench.templatesB = b
                    bench.memoryKeys = liveMemoryKeys
                    bench.measureColdOpen = liveColdOpen
                    bench.measureWeights = liveWeights
                    bench.randomPrompts = liveRandomPrompts
                    live = try bench.run()
                    live?.sorted_keystroke_ms = []
                }
            }
            let report = Report(
                model: name, threads: BLAS.threadLimit, load_ms: model == nil ? nil : loadMs,
                measured: result, keystrokes: keystrokes, live: live, peak_rss_mb: peakResidentMegabytes())
            try printJSON(report)
        }
    }

    /// The presets `--random` takes.
    static let sigLIPPreset = "SigLIP-B/16"
    static var presetNames: [String] { CLIPConfig.presetNames + [sigLIPPreset] }

    /// SigLIP's figures, on their own (no live replay: SigLIP is outside those goals).
    /// Without a tokenizer (random weights) the prompts are the benchmark's CLIP ids folded
    /// into the vocabulary: the cost of a SigLIP prompt is its 64 positions, whatever the ids.
    private func runSigLIP(
        _ vision: SigLIPVisionEncoder, _ text: SigLIPTextEncoder, tokenize: ((String) -> TokenizedText)?, padToken: Int,
        name: String, loadMs: Double?
    ) throws {
        let texts = try textsFile.map { try TextsFile.read(path: $0) } ?? BenchmarkPrompts.texts
        let vocab = text.config.vocabSize, length = text.config.maxPositionEmbeddings
        let prompts =
            tokenize.map { t in texts.map { t($0).ids } }
            ?? BenchmarkPrompts.ids.map { ids in Array(ids.map { $0 % vocab }.prefix(length)) }
        let result = SigLIPBenchmark(vision: vision, text: text, padToken: padToken, repeats: repeats).run(images: images, prompts: prompts)
        struct SigLIPReport: Encodable {
            let model: String
            let threads: Int
            let load_ms: Double?
            let measured: SigLIPBenchmark.Result
            let peak_rss_mb: Double
        }
        try printJSON(SigLIPReport(model: name, threads: BLAS.threadLimit, load_ms: loadMs, measured: result, peak_rss_mb: peakResidentMegabytes()))
    }

    private func promptIds(tokenizer: Tokenizer?) throws -> [[Int]] {
        if let textsFile {
            guard let tokenizer else {
                throw ValidationError("--texts-file with --random needs --tokenizer DIR (vocab.json, merges.txt)")
            }
            return try TextsFile.read(path: textsFile).map { tokenizer.tokenize($0).ids }
        }
        if let tokenizer { return BenchmarkPrompts.texts.map { tokenizer.tokenize($0).ids } }
        return BenchmarkPrompts.ids
    }

    struct Report: Encodable {
        let model: String
        let threads: Int
        let load_ms: Double?
        let measured: Benchmark.Result
        /// Keystroke → new scores, ms, sorted (10 labels, 1,000 images, one template edited).
        let keystrokes: [Double]
        let live: KeystrokeBenchmark.Figures?
        let peak_rss_mb: Double

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(model, forKey: .init("model"))
            try c.encode(threads, forKey: .init("threads"))
            try c.encode(load_ms, forKey: .init("load_ms"))
            try measured.encodeFields(into: &c)
            if !keystrokes.isEmpty {
                try c.encode((keystrokes[keystrokes.count / 2] * 1000).rounded() / 1000, forKey: .init("keystroke_ms_median"))
                try c.encode(
                    (keystrokes[min(keystrokes.count - 1, Int(Double(keystrokes.count) * 0.95))] * 1000).rounded() / 1000,
                    forKey: .init("keystroke_ms_p95"))
            }
            if let live { try c.encode(live, forKey: .init("live")) }
            try c.encode(peak_rss_mb, forKey: .init("peak_rss_mb"))
        }
    }
}
