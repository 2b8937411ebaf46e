import Foundation
import Scoring

/// The terminal tests' crash hook, kept out of the encoders: with `CLIP_TUI_FAULT=crash-encoder`
/// in the environment when `session` starts, its provider is wrapped in this one, and a
/// prompt holding "crash-now" (typed once the screen is up) crashes the engine thread.
/// Without the variable nothing is wrapped and nothing is checked.
public final class FaultInjectingProvider: EmbeddingProvider {
    let wrapped: EmbeddingProvider
    init(_ wrapped: EmbeddingProvider) { self.wrapped = wrapped }

    /// `provider`, wrapped when the environment asks for the fault.
    public static func wrapIfAsked(
        _ provider: EmbeddingProvider,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> EmbeddingProvider {
        environment["CLIP_TUI_FAULT"] == "crash-encoder" ? FaultInjectingProvider(provider) : provider
    }

    public var fingerprint: String { wrapped.fingerprint }
    public var dimension: Int { wrapped.dimension }
    public var logitScale: Float { wrapped.logitScale }
    public var logitBias: Float? { wrapped.logitBias }
    public var contextLength: Int { wrapped.contextLength }
    public func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) { wrapped.tokenize(text) }
    public func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] { wrapped.embedImages(files) }
    public func sourceChange() -> String? { wrapped.sourceChange() }

    public func embedTexts(_ texts: [String]) throws -> [[Float]] {
        if !Thread.isMainThread, texts.contains(where: { $0.contains("crash-now") }) {
            fatalError("injected fault (CLIP_TUI_FAULT=crash-encoder)")
        }
        return try wrapped.embedTexts(texts)
    }
}
