/// What the engine needs of a CLIP model; the command layer wraps the real encoders in one,
/// the tests a fake with known vectors. Embeddings are projected and not normalised.
public protocol EmbeddingProvider: AnyObject, Sendable {
    /// Identifies the weights: embeddings cached under another fingerprint are never used.
    var fingerprint: String { get }
    var dimension: Int { get }
    /// `exp(logit_scale)` from the checkpoint.
    var logitScale: Float { get }
    /// The token ids the text encoder sees for a text, and how many it needed before
    /// truncation; used to flag truncated prompts and prompts that tokenize alike.
    func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int)
    func embedTexts(_ texts: [String]) throws -> [[Float]]
    /// One result per file: a file that does not decode fails alone.
    func embedImages(_ paths: [String]) -> [Result<[Float], Error>]
    /// Whether the weights on disk are no longer the ones loaded (a message saying so), for
    /// a long-running session to notice a model folder replaced under it.
    func sourceChange() -> String?
}

extension EmbeddingProvider {
    public func sourceChange() -> String? { nil }
}
