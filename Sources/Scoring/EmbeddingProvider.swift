import Foundation

/// What the engine needs of a CLIP model; the command layer wraps the real encoders in one,
/// the tests a fake with known vectors. Embeddings are projected and not normalised.
public protocol EmbeddingProvider: AnyObject, Sendable {
    /// Identifies the weights: embeddings cached under another fingerprint are never used.
    var fingerprint: String { get }
    var dimension: Int { get }
    /// `exp(logit_scale)` from the checkpoint.
    var logitScale: Float { get }
    /// SigLIP's `logit_bias`: classes are scored each with a sigmoid; nil for CLIP's softmax.
    var logitBias: Float? { get }
    /// The token ids the text encoder sees for a text, and how many it needed before
    /// truncation; used to flag truncated prompts and prompts that tokenize alike.
    func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int)
    /// Tokens the text encoder reads (start and end included): 77 for CLIP.
    var contextLength: Int { get }
    /// The id of text the tokenizer cannot spell (SentencePiece's `<unk>`); nil when every
    /// text is spelled (CLIP's byte-level BPE).
    var unknownTokenId: Int? { get }
    func embedTexts(_ texts: [String]) throws -> [[Float]]
    /// The same, reusing the text tower's states of prefixes a recent call with
    /// `reusingStates` computed (`ImageTextModel.encodeTexts(_:reusingStates:)`): for the
    /// prompts of an edit, which share all but a few tokens with the last edit's.
    /// `keepingContinuations` false keeps only the prefixes prompts share (an edit before
    /// the placeholder: `TextEncoder.Options.keepContinuations`).
    func embedTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> [[Float]]
    /// One result per file: a file that does not decode fails alone. The bytes are the
    /// ones the cache hashed (a file is read once).
    func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>]
    /// Whether the weights on disk are no longer the ones loaded (a message saying so), for
    /// a long-running session to notice a model folder replaced under it.
    func sourceChange() -> String?
}

extension EmbeddingProvider {
    /// No states to reuse, for providers that keep none.
    public func embedTexts(_ texts: [String], reusingStates: Bool, keepingContinuations: Bool) throws -> [[Float]] {
        try embedTexts(texts)
    }
    /// Every computed prefix kept.
    public func embedTexts(_ texts: [String], reusingStates: Bool) throws -> [[Float]] {
        try embedTexts(texts, reusingStates: reusingStates, keepingContinuations: true)
    }
    /// CLIP's 77, for providers that do not say.
    public var contextLength: Int { 77 }
    /// Every text spelled, for providers that do not say.
    public var unknownTokenId: Int? { nil }
    /// A softmax model, for providers that do not say.
    public var logitBias: Float? { nil }
    /// The checkpoint's rule: a sigmoid with the bias, else a softmax.
    public var scoreRule: ScoreRule {
        logitBias.map { .sigmoid(scale: logitScale, bias: $0) } ?? .softmax(scale: logitScale)
    }
    /// Never changes, for providers that do not watch their files.
    public func sourceChange() -> String? { nil }
}

/// An image file's bytes as read once, with the path that names it in errors.
public struct ImageFile: Sendable {
    /// The file, as named in errors.
    public let path: String
    /// Its whole content.
    public let bytes: Data

    /// A file already read.
    public init(path: String, bytes: Data) {
        self.path = path
        self.bytes = bytes
    }

    /// Reads the file whole.
    public init(path: String) throws {
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScoringError.cannotRead(path: path, reason: "no such file or not readable")
        }
        self.path = path
    }
}
