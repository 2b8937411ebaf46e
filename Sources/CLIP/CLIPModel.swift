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

    /// Loads `config.json`, `model.safetensors` (or its sharded index), `vocab.json`,
    /// `merges.txt` and, if present, `preprocessor_config.json` from `folder`.
    public init(folder: String) throws {
        self.folder = folder
        func file(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIPError.missingFile(path: folder)
        }
        config = try CLIPConfig.load(path: file("config.json"))
        for name in ["vocab.json", "merges.txt"] where !FileManager.default.fileExists(atPath: file(name)) {
            throw CLIPError.missingFile(path: file(name))
        }
        tokenizer = try Tokenizer(vocabPath: file("vocab.json"), mergesPath: file("merges.txt"))
        let reader = try CheckpointReader(folder: folder)
        text = try TextEncoder(reader: reader, config: config.textConfig, projectionDim: config.projectionDim)
        vision = try VisionEncoder(reader: reader, config: config.visionConfig, projectionDim: config.projectionDim)
        logitScale = Foundation.exp(try reader.scalar("logit_scale"))
        try reader.finish()
        let preprocessorPath = file("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: preprocessorPath) {
            preprocessor = try Preprocessor(configPath: preprocessorPath, imageSize: config.visionConfig.imageSize)
        } else {
            preprocessor = Preprocessor(size: config.visionConfig.imageSize)
        }
        guard preprocessor.cropSize == config.visionConfig.imageSize else {
            throw CLIPError.badConfig(
                path: preprocessorPath,
                reason: "crop size \(preprocessor.cropSize) differs from the model's image_size \(config.visionConfig.imageSize)")
        }
    }

    /// Projected, unnormalised embeddings of texts, one row each.
    public func encodeTexts(_ texts: [String], options: TextEncoder.Options = .init()) throws -> Matrix {
        try text.encode(
            texts.map { tokenizer.tokenize($0, contextLength: config.textConfig.maxPositionEmbeddings).ids },
            endToken: tokenizer.endToken, options: options)
    }

    /// Projected, unnormalised embeddings of decoded images, one row each.
    public func encodeImages(_ images: [RGBImage], batchSize: Int = 8) -> Matrix {
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * vision.pixelCount)
        for image in images { pixels += preprocessor.pixelValues(image) }
        return vision.encode(pixels: pixels, batchSize: batchSize)
    }
}
