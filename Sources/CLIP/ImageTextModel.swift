import Foundation
import Imaging
import Tensors
import Tokenization

/// What the commands and the engine need of a loaded checkpoint, whichever family: CLIP
/// (softmax over `scale · cos`) or SigLIP (a sigmoid per class of `scale · cos + bias`).
public protocol ImageTextModel: AnyObject, Sendable {
    /// The checkpoint folder the model was read from.
    var folder: String { get }
    /// Said to the user: the family and layout ("Hugging Face CLIPModel", "SigLIP", …).
    var kind: String { get }
    /// Length of the embeddings both towers return.
    var embeddingSize: Int { get }
    /// Tokens the text tower reads, special tokens included (77 for CLIP, 64 for SigLIP).
    var contextLength: Int { get }
    /// The image transform of the checkpoint.
    var preprocessor: Preprocessor { get }
    /// `exp(logit_scale)`.
    var logitScale: Float { get }
    /// SigLIP's `logit_bias`: the model scores each class on its own with a sigmoid; nil for
    /// CLIP's softmax over the classes.
    var logitBias: Float? { get }
    /// The ids the text tower reads for a text (before any padding), and how many it needed.
    func tokenize(_ text: String) -> TokenizedText
    /// The id text the vocabulary cannot spell maps to (SentencePiece's `<unk>`); nil for
    /// CLIP's byte-level BPE, which spells any text.
    var unknownTokenId: Int? { get }
    /// Unnormalised embeddings of texts, one row each.
    func encodeTexts(_ texts: [String]) throws -> Matrix
    /// The same, starting each text after the longest prefix whose states a recent call with
    /// `reusingStates` kept, and keeping its own for the next (a keystroke's prompts differ
    /// from the last keystroke's from one token on). Equal to `encodeTexts(_:)` within
    /// rounding. `keepingContinuations`: as `TextEncoder.Options.keepContinuations`.
    func encodeTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> Matrix
    /// Unnormalised embeddings of consecutive preprocessed `[3, size, size]` images.
    func encodePixels(_ pixels: [Float], batchSize: Int) -> Matrix
}

extension CLIPModel: ImageTextModel {
    public var kind: String { layout.rawValue }
    public var unknownTokenId: Int? { nil }
    public var embeddingSize: Int { config.projectionDim }
    public var contextLength: Int { config.textConfig.maxPositionEmbeddings }
    public var logitBias: Float? { nil }
    public func tokenize(_ text: String) -> TokenizedText { tokenizer.tokenize(text, contextLength: contextLength) }
    public func encodePixels(_ pixels: [Float], batchSize: Int) -> Matrix { vision.encode(pixels: pixels, batchSize: batchSize) }
    public func encodeTexts(_ texts: [String]) throws -> Matrix { try encodeTexts(texts, options: .init()) }
    public func encodeTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> Matrix {
        var options = TextEncoder.Options()
        if reusingStates { options.states = textStates }
        options.keepContinuations = keepingContinuations
        return try encodeTexts(texts, options: options)
    }
}

extension ImageTextModel {
    /// Towers with no causal mask (SigLIP) have no prefix states to reuse.
    public func encodeTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> Matrix {
        try encodeTexts(texts)
    }

    /// Every computed prefix kept.
    public func encodeTexts(_ texts: [String], reusingStates: Bool) throws -> Matrix {
        try encodeTexts(texts, reusingStates: reusingStates, keepingContinuations: true)
    }
}

/// Opens a checkpoint folder as the family its files say.
public enum CheckpointFolder {
    /// A SigLIP model when `config.json` says `model_type` siglip (or siglip2, refused by
    /// name), else a CLIP model in transformers' or open_clip's layout.
    /// - Parameter fallbackBPE: CLIP's BPE files for a CLIP folder without its own.
    public static func load(folder: String, fallbackBPE: CLIPModel.BPEFiles? = nil) throws -> any ImageTextModel {
        let config = URL(fileURLWithPath: folder).appendingPathComponent("config.json").relativePath
        if SigLIPConfig.isSigLIP(configPath: config) { return try SigLIPModel(folder: folder) }
        return try CLIPModel(folder: folder, fallbackBPE: fallbackBPE)
    }
}
