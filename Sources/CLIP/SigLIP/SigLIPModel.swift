import Foundation
import Imaging
import Tensors
import Tokenization

/// A `SiglipModel` checkpoint folder (SigLIP, and SigLIP 2 at a fixed resolution), loaded:
/// both towers, the SentencePiece tokenizer, the image preprocessing, `logit_scale` and
/// `logit_bias`.
public final class SigLIPModel: Sendable {
    /// The checkpoint folder the model was read from.
    public let folder: String
    /// Shapes read from the folder's `config.json`.
    public let config: SigLIPConfig
    /// The image tower: pixels `[batch, 3, size, size]` → embeddings `[batch, width]`.
    public let vision: SigLIPVisionEncoder
    /// The text tower: padded token ids → embeddings `[texts, projection]`.
    public let text: SigLIPTextEncoder
    /// `spiece.model` (SigLIP) or `tokenizer.model` (SigLIP 2) with its text rules.
    public let tokenizer: SentencePieceTokenizer
    /// A square bicubic resize without a crop, mean and std from `preprocessor_config.json` (0.5).
    public let preprocessor: Preprocessor
    /// `exp(logit_scale)` from the weights.
    public let logitScale: Float
    /// `logit_bias` from the weights (about −10 for Google's releases).
    public let bias: Float

    /// Loads a checkpoint folder: `config.json` (`model_type` siglip), `model.safetensors`
    /// or its shards, `spiece.model` or `tokenizer.model` (with `tokenizer_config.json`), and
    /// `preprocessor_config.json` if present.
    /// - Throws: `CLIPError` or `TokenizerError` naming the file and the problem.
    public init(folder: String) throws {
        self.folder = folder
        func file(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath }
        config = try SigLIPConfig.load(path: file("config.json"))
        guard let tokenizer = try SentencePieceTokenizer.load(folder: folder) else {
            throw CLIPError.missingFile(path: file("spiece.model"))
        }
        self.tokenizer = tokenizer
        let reader = try CheckpointReader(folder: folder)
        vision = try SigLIPVisionEncoder(reader: reader, config: config.visionConfig)
        text = try SigLIPTextEncoder(reader: reader, config: config.textConfig, projectionSize: config.projectionSize)
        logitScale = Foundation.exp(try reader.scalar("logit_scale"))
        bias = try reader.scalar("logit_bias")
        try reader.finish()
        let size = config.visionConfig.imageSize
        let preprocessorPath = file("preprocessor_config.json")
        preprocessor =
            FileManager.default.fileExists(atPath: preprocessorPath)
            ? try Preprocessor(configPath: preprocessorPath, imageSize: size, square: true)
            : Preprocessor(squareSize: size, mean: Preprocessor.halfMeanStd, std: Preprocessor.halfMeanStd)
        guard preprocessor.cropSize == size else {
            throw CLIPError.badConfig(
                path: preprocessorPath, reason: "size \(preprocessor.cropSize) differs from the model's image_size \(size)")
        }
        guard tokenizer.model.pieceCount <= config.textConfig.vocabSize else {
            throw CLIPError.badConfig(
                path: tokenizer.model.path,
                reason: "\(tokenizer.model.pieceCount) pieces, but the text tower has \(config.textConfig.vocabSize) token embeddings")
        }
    }

    /// The ids of every text, padded by the text tower.
    public func encodeTexts(_ texts: [String]) throws -> Matrix {
        try text.encode(texts.map { tokenize($0).ids }, padToken: tokenizer.padToken)
    }
}

extension SigLIPModel: ImageTextModel {
    public var kind: String { "SigLIP (SiglipModel)" }
    public var embeddingSize: Int { config.projectionSize }
    public var contextLength: Int { config.textConfig.maxPositionEmbeddings }
    public var logitBias: Float? { bias }
    public var unknownTokenId: Int? { tokenizer.model.unknownId }
    public func tokenize(_ text: String) -> TokenizedText { tokenizer.tokenize(text, contextLength: contextLength) }
    public func encodePixels(_ pixels: [Float], batchSize: Int) -> Matrix { vision.encode(pixels: pixels, batchSize: batchSize) }
}
