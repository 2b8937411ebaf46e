import Synchronization
import Tensors

/// The live evaluator as a value the session's threads can share: the evaluator behind a
/// mutex (only the engine's worker takes it, for a whole evaluation), and the newest
/// request's generation in an atomic that the worker reads between prompt batches and
/// stages, so that a keystroke stops stale work at its next check without waiting for it.
public final class LiveEngine: Sendable {
    private let evaluator = Mutex<LiveEvaluator?>(nil)
    private let newest = Atomic<Int>(0)

    /// An engine with no images yet (`load` gives it some).
    public init() {}

    /// Starts over on these images (their embeddings are already in `store`).
    /// `reference`: unit embeddings for ZPE's pre-training term (`LiveEvaluator.zpeReference`).
    public func load(store: EmbeddingStore, images: EmbeddedImages, rule: ScoreRule? = nil, reference: Matrix? = nil) {
        evaluator.withLock {
            let e = LiveEvaluator(store: store, images: images, rule: rule)
            e.zpeReference = reference
            $0 = e
        }
    }

    /// Whether images have been loaded.
    public var isLoaded: Bool { evaluator.withLock { $0 != nil } }

    /// Marks `generation` as the newest request: older work stops at its next check.
    public func supersede(with generation: Int) {
        newest.store(generation, ordering: .releasing)
    }

    /// Whether `generation` is still the newest request (work for an older one may stop).
    public func isCurrent(_ generation: Int) -> Bool {
        newest.load(ordering: .acquiring) <= generation
    }

    /// Forward selection among set `s`'s templates of `request` (nil: no images loaded,
    /// or none labelled).
    public func selection(
        set s: Int, request: EvaluationRequest, progress: (@Sendable (SelectionProgress) -> Bool)? = nil
    ) throws -> TemplateSelection? {
        try evaluator.withLock { try $0?.selection(set: s, request: request, progress: progress) }
    }

    /// The temperature fitted to the labelled images under set `s` of `request`
    /// (`LiveEvaluator.fitTemperature`; nil: no images loaded, or none labelled).
    public func fitTemperature(set s: Int, request: EvaluationRequest) throws -> TemperatureFit? {
        try evaluator.withLock { try $0?.fitTemperature(set: s, request: request) }
    }

    /// Each loaded image's cosine to `text` (empty before images are loaded).
    public func similarities(to text: String) throws -> [Float] {
        try evaluator.withLock { try $0?.similarities(to: text) ?? [] }
    }

    /// Evaluates `request` for `generation`, stage by stage, unless a newer generation
    /// arrives first. Returns false when stopped (or when no images are loaded yet).
    @discardableResult
    public func evaluate(
        _ request: EvaluationRequest, generation: Int, progress: (@Sendable (Int, Int) -> Void)? = nil,
        publish: @Sendable (LiveEvaluation) -> Void
    ) throws -> Bool {
        try evaluator.withLock { evaluator in
            guard let evaluator else { return false }
            return try evaluator.evaluate(
                request, progress: progress, shouldStop: { !self.isCurrent(generation) },
                publish: { e in if self.isCurrent(generation) { publish(e) } })
        }
    }
}
