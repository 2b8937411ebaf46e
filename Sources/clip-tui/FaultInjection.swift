import Foundation
import Scoring

/// The terminal tests' crash hook, kept out of the encoders: with `CLIP_TUI_FAULT=crash-encoder`
/// in the environment when `session` starts, its provider is wrapped in this one, and a
/// prompt holding "crash-now" (typed once the screen is up) crashes the engine thread.
/// Without the variable nothing is wrapped and nothing is checked.
final class FaultInjectingProvider: EmbeddingProvider {
    let wrapped: EmbeddingProvider
    init(_ wrapped: EmbeddingProvider) { self.wrapped = wrapped }

    /// `provider`, wrapped when the environment asks for the fault.
    static func wrapIfAsked(
        _ provider: EmbeddingProvider,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> EmbeddingProvider {
        environment["CLIP_TUI_FAULT"] == "crash-encoder" ? FaultInjectingProvider(provider) : provider
    }

    var fingerprint: String { wrapped.fingerprint }
    var dimension: Int { wrapped.dimension }
    var logitScale: Float { wrapped.logitScale }
    var logitBias: Float? { wrapped.logitBias }
    var contextLength: Int { wrapped.contextLength }
    func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) { wrapped.tokenize(text) }
    func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] { wrapped.embedImages(files) }
    func sourceChange() -> String? { wrapped.sourceChange() }

    func embedTexts(_ texts: [String]) throws -> [[Float]] {
        if !Thread.isMainThread, texts.contains(where: { $0.contains("crash-now") }) {
            fatalError("injected fault (CLIP_TUI_FAULT=crash-encoder)")
        }
        return try wrapped.embedTexts(texts)
    }
}
