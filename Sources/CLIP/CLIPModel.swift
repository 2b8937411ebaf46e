import Foundation
import Imaging
import Tensors
import Tokenization

/// A CLIP checkpoint folder in the Hugging Face layout, loaded: both encoders, the
/// tokenizer, the image preprocessing and the logit scale.
public final class CLIPModel: Sendable {
    /// The checkpoint folder the model was read from.
    public let folder: String
    /// Shapes read from the folder's `config.json`.
    public let config: CLIPConfig
    /// The image tower: pixels `[batch, 3, size, size]` → embeddings `[batch, projectionDim]`.
    public let vision: VisionEncoder
    /// The text tower: token ids → embeddings `[texts, projectionDim]`.
    public let text: TextEncoder
    /// CLIP's BPE tokenizer from the folder's `vocab.json` and `merges.txt`.
    public let tokenizer: Tokenizer
    /// The image transform the folder's preprocessor config names (CLIP's by default).
    public let preprocessor: Preprocessor
    /// `exp(logit_scale)` from the weights (100 for OpenAI's models).
    public let logitScale: Float
    /// The text tower's prefix states of recent edits, read by `encodeTexts(_:reusingStates:)`.
    public let textStates: TextStateCache

    /// Where the vocabulary and merges come from when the folder has none (open_clip
    /// repositories often carry only their weights and config): CLIP's own BPE files.
    public struct BPEFiles: Sendable {
        public let vocab: String
        public let merges: String
        /// `vocab.json` and `merges.txt` of a folder that has them.
        public init(folder: String) {
            vocab = URL(fileURLWithPath: folder).appendingPathComponent("vocab.json").relativePath
            merges = URL(fileURLWithPath: folder).appendingPathComponent("merges.txt").relativePath
        }
    }

    /// The layouts a folder can hold.
    public enum Layout: String, Sendable {
        /// transformers' `CLIPModel`: `config.json`, `model.safetensors` (or shards).
        case huggingFace = "Hugging Face CLIPModel"
        /// open_clip's `save_for_hf`: `open_clip_config.json`, `open_clip_model.safetensors`.
        case openCLIP = "open_clip"
    }

    /// Which layout the folder held.
    public let layout: Layout

    /// Loads a checkpoint folder. With `open_clip_config.json` it is read as open_clip's
    /// layout (which decides over a timm `config.json` beside it); otherwise as transformers'
    /// (`config.json`, `model.safetensors` or its sharded index, and `preprocessor_config.json`
    /// if present). The tokenizer is the folder's `vocab.json` and `merges.txt`, else
    /// `fallbackBPE`.
    /// - Throws: `CLIPError` naming the file and the problem.
    public init(folder: String, fallbackBPE: BPEFiles? = nil) throws {
        self.folder = folder
        func file(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIPError.missingFile(path: folder)
        }
        let pickleOnly = exists("open_clip_pytorch_model.bin") && !exists("open_clip_model.safetensors")
        let reader: CheckpointWeights
        var preprocessorPath = file("preprocessor_config.json")
        if exists("open_clip_config.json") {
            let openCLIP = try OpenCLIPConfig.load(path: file("open_clip_config.json"))
            if pickleOnly { throw CLIPError.pickleOnly(path: file("open_clip_pytorch_model.bin")) }
            config = openCLIP.clip
            preprocessor = openCLIP.preprocessor
            preprocessorPath = file("open_clip_config.json")
            reader = OpenCLIPWeights(try CheckpointReader(file: file("open_clip_model.safetensors")), textPrefix: openCLIP.textPrefix)
            layout = .openCLIP
        } else {
            if pickleOnly && !exists("config.json") { throw CLIPError.pickleOnly(path: file("open_clip_pytorch_model.bin")) }
            config = try CLIPConfig.load(path: file("config.json"))
            reader = try CheckpointReader(folder: folder)
            preprocessor =
                exists("preprocessor_config.json")
                ? try Preprocessor(configPath: preprocessorPath, imageSize: config.visionConfig.imageSize)
                : Preprocessor(size: config.visionConfig.imageSize)
            layout = .huggingFace
        }
        let bpe = exists("vocab.json") && exists("merges.txt") ? BPEFiles(folder: folder) : fallbackBPE
        guard let bpe else { throw CLIPError.missingFile(path: file(exists("vocab.json") ? "merges.txt" : "vocab.json")) }
        tokenizer = try Tokenizer(vocabPath: bpe.vocab, mergesPath: bpe.merges)
        text = try TextEncoder(reader: reader, config: config.textConfig, projectionDim: config.projectionDim)
        textStates = TextStateCache(layers: config.textConfig.numHiddenLayers, width: config.textConfig.hiddenSize)
        vision = try VisionEncoder(reader: reader, config: config.visionConfig, projectionDim: config.projectionDim)
        logitScale = Foundation.exp(try reader.scalar("logit_scale"))
        try reader.finish()
        guard preprocessor.cropSize == config.visionConfig.imageSize else {
            throw CLIPError.badConfig(
                path: preprocessorPath,
                reason: "crop size \(preprocessor.cropSize) differs from the model's image_size \(config.visionConfig.imageSize)")
        }
    }

    /// Projected, unnormalised embeddings of texts, one row each.
    public func encodeTexts(_ texts: [String], options: TextEncoder.Options) throws -> Matrix {
        try text.encode(texts.map { tokenize($0).ids }, endToken: tokenizer.endToken, options: options)
    }

    /// Projected, unnormalised embeddings of decoded images, one row each.
    public func encodeImages(_ images: [RGBImage], batchSize: Int = 8) -> Matrix {
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * vision.pixelCount)
        for image in images { pixels += preprocessor.pixelValues(image) }
        return vision.encode(pixels: pixels, batchSize: batchSize)
    }
}
