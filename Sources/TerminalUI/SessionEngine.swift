import Dispatch
import Foundation
import Scoring
import Synchronization

/// The background half of a session: embedding, scoring, search and selection on a serial
/// engine queue, previews on their own queue. Everything it shares with the drawing thread
/// sits in one `Mutex`, so the type is `Sendable` as checked by the compiler; the
/// `SessionController` owns the document and talks to it through these methods only.
final class SessionEngine: Sendable {
    /// What the engine queue and the drawing thread both see.
    struct Shared: Sendable {
        /// Every model the session scores with, in the document's order (the engine may hold
        /// one more than the document while an added model's images are embedded).
        var models: [ScoringModel]
        /// One incremental evaluator per model.
        var lives: [LiveEngine]
        /// Each model's embedding of the `--reference` images (ZPE's pre-training term).
        var references: [EmbeddedImages] = []
        /// The folder being scored, and each model's embedding of it in full.
        var collection: ImageCollection?
        var embedded: [EmbeddedImages] = []
        /// The images every model embedded, as the first model's evaluator holds them (the
        /// other models' hold the same paths in the same order).
        var images: EmbeddedImages?
        /// The latest evaluation of each model for the newest request.
        var results: (generation: Int, byModel: [Int: LiveEvaluation]) = (0, [:])
        var snapshot: ScoreSnapshot?
        var requested = 0
        var status = "starting"
        var reportedCacheProblem: String?
        var lastModelCheck = Date.distantPast
        var reportedRepeats: [String] = []
        var reportedUnreadable: [String] = []
        /// The files of the folder that could not be read, and why (the `!` view).
        var skipped: [(path: String, reason: String)] = []
        /// Shown in the header once the model on disk differs from the one loaded.
        var modelNotice: String?
        /// Actions and messages for the controller, taken by `drain` between keys.
        var pending: [Action] = []
        var messages: [String] = []
        var needsRescore = false
        var previews: [String: PreviewImage] = [:]
        var previewLoading: Set<String> = []
        /// Why the images could not be opened (shown in their pane; the session stays usable).
        var imagesProblem: String?
        /// Esc asked the running forward selection to stop.
        var cancelSelection = false
        /// When the selection's progress was last put on the status (ten times a second at most).
        var selectionShown = Date.distantPast
        /// The last request whose evaluation failed (an encoder error): no scores will come for it.
        var failed = 0
    }

    private let queue = DispatchQueue(label: "clip-tui.engine")
    private let previewQueue = DispatchQueue(label: "clip-tui.preview")
    private let makePreview: @Sendable (String) -> PreviewImage?
    private let shared: Mutex<Shared>

    init(models: [ScoringModel], imagesProblem: String?, preview: @escaping @Sendable (String) -> PreviewImage?) {
        precondition(!models.isEmpty, "one model at least")
        self.makePreview = preview
        var s = Shared(models: models, lives: models.map { _ in LiveEngine() })
        s.imagesProblem = imagesProblem
        shared = Mutex(s)
    }

    /// Reads or changes the shared state under its lock.
    func withShared<T: Sendable>(_ body: (inout Shared) -> T) -> T { shared.withLock { body(&$0) } }

    private func say(_ message: String) {
        shared.withLock { $0.messages.append(message) }
        changed()
    }
    /// (Progress, at every batch of prompts: shown at the screen's next look, not woken for.)
    private func setStatus(_ s: String) { shared.withLock { $0.status = s } }

    /// Told when a result or a message is in, so that the screen shows it at once rather
    /// than at its next look (every 30 ms). Each wake is a render on the other core, which
    /// a text tower on two threads shares: progress does not wake.
    private let changeHandler = Mutex<(@Sendable () -> Void)?>(nil)
    func onChange(_ handler: @escaping @Sendable () -> Void) { changeHandler.withLock { $0 = handler } }
    private func changed() { changeHandler.withLock { $0 }?() }

    /// The models, in order.
    var models: [ScoringModel] { shared.withLock { $0.models } }

    /// Embeds a folder's images with every model on the engine queue, then asks for scoring
    /// (at start, and when another folder is opened, after `forgetImages`).
    /// `reference`: images for ZPE's pre-training term, embedded by every model too.
    func startEmbedding(_ collection: ImageCollection, reference: ImageCollection? = nil) {
        queue.async { [self] in
            let models = shared.withLock { s in
                s.collection = collection
                s.embedded = []
                return s.models
            }
            var embedded: [EmbeddedImages] = []
            for (m, model) in models.enumerated() {
                embedded.append(embed(collection, with: model, label: models.count > 1 ? "model \(m + 1)/\(models.count): " : ""))
            }
            if let reference {
                let references = models.map { embed(reference, with: $0, label: "reference images: ") }
                shared.withLock { $0.references = references }
            }
            install(embedded)
        }
    }

    /// Adds a model (`O` on the leaderboard): loaded by `load` and its images embedded on
    /// the engine queue; then `.addedModel` tells the controller, which puts it in the
    /// document. A model that does not load is said, and nothing changes.
    func addModel(named name: String, load: @escaping @Sendable (String) throws -> ScoringModel) {
        queue.async { [self] in
            setStatus("loading \(name)")
            let model: ScoringModel
            do { model = try load(name) } catch {
                say("\(error)")
                setStatus("no model added")
                return
            }
            let (collection, count) = shared.withLock { s in
                s.models.append(model)
                s.lives.append(LiveEngine())
                return (s.collection, s.models.count)
            }
            if let collection {
                let e = embed(collection, with: model, label: "model \(count)/\(count): ")
                install(shared.withLock { $0.embedded } + [e])
            }
            shared.withLock { $0.pending.append(.addedModel(name)) }
        }
    }

    private func embed(_ collection: ImageCollection, with model: ScoringModel, label: String) -> EmbeddedImages {
        setStatus("\(label)reading \(collection.items.count) images")
        return model.embed(collection) { p in
            // Cached images are not "encoding": a resumed session says where they came from.
            self.setStatus(
                label
                    + (p.encoded == 0
                        ? "images \(p.settled)/\(p.total) from the cache"
                        : "encoding images \(p.settled)/\(p.total)" + (p.cached > 0 ? " (\(p.cached) from the cache)" : "")))
        }
    }

    /// Every model's evaluator on the images all of them embedded (a file one model could
    /// not read is skipped for all, so that candidates compare on the same images).
    private func install(_ embedded: [EmbeddedImages]) {
        let models = shared.withLock { $0.models }
        let common = embedded.dropFirst().reduce(Set(embedded[0].items.map(\.path))) { $0.intersection($1.items.map(\.path)) }
        let restricted = embedded.map { $0.restricted(to: common) }
        let (lives, references) = shared.withLock { ($0.lives, $0.references) }
        for (m, images) in restricted.enumerated() {
            lives[m].load(store: models[m].store, images: images, rule: models[m].rule, reference: m < references.count ? references[m].matrix : nil)
        }
        var failures: [(path: String, error: String)] = []
        var seen = Set<String>()
        for (m, e) in embedded.enumerated() {
            for f in e.failures where seen.insert(f.path).inserted { failures.append(f) }
            for item in e.items where !common.contains(item.path) && seen.insert(item.path).inserted {
                failures.append((item.path, "\(item.path): another model could not read it (model \(m + 1) did)"))
            }
        }
        shared.withLock { s in
            s.embedded = embedded
            s.images = restricted[0]
            s.snapshot = nil
            s.needsRescore = true
            // Every skipped file said, in one message (one per file would leave only the last).
            if !failures.isEmpty {
                let n = failures.count
                s.messages.append(
                    "\(n) image\(n == 1 ? "" : "s") skipped (! lists them): " + failures.map { "\($0.error)" }.joined(separator: "; "))
            }
            s.skipped = failures.map { ($0.path, $0.error) }
            s.status = "\(restricted[0].items.count) images"
        }
    }

    /// Before another folder is embedded: nothing of the old one is shown meanwhile.
    func forgetImages() {
        shared.withLock { s in
            s.imagesProblem = nil
            s.snapshot = nil
            s.images = nil
            s.embedded = []
            s.collection = nil
            s.skipped = []
        }
    }

    /// Queues scoring of `document`. The newest request wins: older work stops at its next
    /// prompt batch or stage, so there is never a queue of stale evaluations.
    ///
    /// With several models, every model's scores come first (stage 1 each), then the rest
    /// of each model's stages: A and B, and the leaderboard's top-1, are on screen before
    /// any model's template figures.
    func rescore(_ document: SessionDocument) {
        let (generation, lives) = shared.withLock { s in
            s.requested += 1
            return (s.requested, s.lives)
        }
        for live in lives { live.supersede(with: generation) }
        queue.async { [self] in
            let (imgs, lives) = shared.withLock { ($0.images, $0.lives) }
            let n = document.models.count
            guard let imgs, n > 0, n <= lives.count, lives[0].isCurrent(generation) else { return }
            // Each model's request, made once (the labels and templates are parsed from the
            // document's lines: 5 ms a request at ImageNet × 87 templates).
            let requests = (0..<n).map { document.evaluationRequest(model: $0) }
            noteRepeats(requests[0].labels.repeatedNames)
            noteUnreadable(requests[0].labels, models: Array(shared.withLock { $0.models }.prefix(n)))
            shared.withLock { $0.results = (generation, [:]) }
            let a = document.candidate(document.candidateA), b = document.candidate(document.candidateB)
            var order: [Int] = []
            for m in [a.model, b.model] + Array(0..<n) where !order.contains(m) { order.append(m) }
            let passes: [LiveEvaluator.Stage?] = n == 1 ? [nil] : [.scores, nil]
            let paths = imgs.items.map(\.path)
            do {
                for through in passes {
                    for m in order {
                        var r = requests[m]
                        if let through { r.through = through }
                        let done = try lives[m].evaluate(
                            r, generation: generation,
                            progress: { done, all in
                                if all > 0 {
                                    self.setStatus((n > 1 ? "model \(m + 1)/\(n): " : "") + "encoding \(done.formatted())/\(all.formatted()) prompts")
                                }
                            },
                            publish: { e in
                                self.publish(e, model: m, generation: generation, document: document, items: imgs.items, paths: paths)
                            })
                        if !done { return }
                    }
                }
                noteEnvironment()
            } catch {
                shared.withLock { $0.failed = generation }
                say("\(error)")
            }
        }
    }

    /// One model's stage is in: once every model of the document has one for this request,
    /// the snapshot of A and B (and, from the statistics on, the leaderboard) is made.
    private func publish(
        _ e: LiveEvaluation, model m: Int, generation: Int, document: SessionDocument, items: [ImageCollection.Item], paths: [String]
    ) {
        let n = document.models.count
        let results = shared.withLock { s -> [Int: LiveEvaluation]? in
            guard s.results.generation == generation else { return nil }
            s.results.byModel[m] = e
            return s.results.byModel
        }
        guard let results, results.count == n else { return }
        let a = document.candidate(document.candidateA), b = document.candidate(document.candidateB)
        let byModel = (0..<n).map { results[$0]! }
        // The board needs every model's predictions, which later stages do not move: ranked
        // once per request (its bootstraps are the costly part), then given each later
        // stage's evaluations (their metrics and per-template figures, which exports read).
        let evaluations = byModel.map { CandidateBoard.ModelEvaluation(paths: paths, result: $0) }
        var board = shared.withLock { s in s.snapshot?.generation == generation ? s.snapshot?.board : nil }
            .map { $0.replacing(evaluations: evaluations) }
        if board == nil, byModel.allSatisfy({ $0.completed >= .statistics }) {
            let names = models.prefix(n).enumerated().map { document.models[$0.offset] ?? $0.element.name }
            board = CandidateBoard(
                models: names, sets: document.sets.map(\.name), evaluations: evaluations, showModel: n > 1, againstReference: false)
        }
        var next = ScoreSnapshot(
            a: (byModel[a.model], a.set), b: (byModel[b.model], b.set), sameModel: a.model == b.model, generation: generation,
            items: items, board: board,
            stage: byModel.map(\.completed).min()!)
        shared.withLock { s in
            if let old = s.snapshot, old.generation > generation {
                // An older request's stage arriving late: kept out.
            } else {
                // Within a request, stages are published in order (on this queue): each one
                // holds at least what the one before did for A and B.
                next.sequence = s.snapshot.map { $0.generation == generation ? $0.sequence + 1 : 0 } ?? 0
                s.snapshot = next
            }
            s.status = String(format: "%d images · scored in %.0f ms", items.count, 1000 * next.seconds)
            if let sample = next.templateSample {
                s.status += " · template figures on \(sample.used) of \(sample.of) images"
            }
        }
        changed()
    }

    /// Label names a model's tokenizer cannot spell (SigLIP's `<unk>`), said once per change.
    private func noteUnreadable(_ labels: LabelSet, models: [ScoringModel]) {
        let warnings = models.compactMap { $0.unreadableLabelsWarning(labels) }
        shared.withLock { s in
            guard warnings != s.reportedUnreadable else { return }
            s.reportedUnreadable = warnings
            s.messages += warnings
        }
    }

    /// Repeated class names are kept (two classes), and said once per change.
    private func noteRepeats(_ repeated: [String]) {
        shared.withLock { s in
            guard repeated != s.reportedRepeats else { return }
            s.reportedRepeats = repeated
            if !repeated.isEmpty {
                s.messages.append(
                    "\(repeated.count) class name\(repeated.count == 1 ? "" : "s") repeat: "
                        + repeated.prefix(5).joined(separator: ", ") + " (kept as separate classes; truth matches the first)")
            }
        }
    }

    /// Cache trouble (a full disk, a read-only file) and a model folder replaced under the
    /// session: each said once, never silently mixed in. The model check may read the files
    /// for a fingerprint, so it runs outside the lock, at most once a second.
    private func noteEnvironment() {
        let due = shared.withLock { s in
            guard Date().timeIntervalSince(s.lastModelCheck) > 1 else { return false }
            s.lastModelCheck = Date()
            return true
        }
        let models = self.models
        let change = due ? models.lazy.compactMap { $0.store.provider.sourceChange() }.first : nil
        let problem = models.lazy.compactMap(\.store.cacheProblem).first
        shared.withLock { s in
            if let problem, problem != s.reportedCacheProblem {
                s.reportedCacheProblem = problem
                s.messages.append("embedding cache: \(problem)")
            }
            if let change, change != s.modelNotice {
                s.modelNotice = change
                s.messages.append(change)
            }
        }
    }

    /// Ranks the images by their cosine to `text` (the text may need encoding); the result
    /// comes back as an action.
    func search(_ text: String) {
        queue.async { [self] in
            do {
                // By the first model's embeddings (the header's model).
                let scores = try shared.withLock { $0.lives[0] }.similarities(to: text)
                shared.withLock { s in
                    if scores.isEmpty {
                        s.messages.append("no images to search yet")
                    } else {
                        s.pending.append(.searchResult(ImageSearch(query: text, scores: scores)))
                    }
                }
            } catch {
                say("\(error)")
            }
        }
    }

    /// Forward selection of A's templates on A's model, judged on held-out folds as `select` does; its
    /// progress on the engine's status, stopped by `cancelSelection`. Its answer is an action:
    /// the chosen set for B with its held-out figure, or why there is none.
    func selectIntoB(_ doc: SessionDocument) {
        shared.withLock { $0.cancelSelection = false }
        queue.async { [self] in
            let before = shared.withLock { $0.status }
            defer { setStatus(before) }
            func end(_ message: String) { shared.withLock { $0.pending.append(.selectionEnded(message)) } }
            guard let imgs = shared.withLock({ $0.images }), imgs.truth(doc.labelSet).contains(where: { $0 != nil }) else {
                return end("forward selection needs labelled images")
            }
            do {
                let a = doc.candidate(doc.candidateA)
                let live = shared.withLock { $0.lives[a.model] }
                let selection = try live.selection(set: a.set, request: doc.evaluationRequest(model: a.model)) { p in
                    self.shared.withLock { s in
                        if Date().timeIntervalSince(s.selectionShown) > 0.1 {
                            s.selectionShown = Date()
                            s.status =
                                p.fold == 0 ? "selection: preparing \(p.candidates) templates · Esc cancels" : "selection: \(p.description) · Esc cancels"
                        }
                        return !s.cancelSelection
                    }
                }
                guard let selection else { return end("forward selection needs labelled images") }
                let chosen = selection.templates.map(\.text)
                let note = String(
                    format: "held-out top-1 %.1f%% (%d-fold, %d images) against %.1f%% for all %d of A's",
                    100 * selection.heldOutAccuracy, selection.folds, selection.images, 100 * selection.allTemplatesAccuracy,
                    Set(doc.templateSet(a.set).templates.filter(\.hasPlaceholder)).count)
                shared.withLock { $0.pending.append(.replaceTemplatesB(chosen, name: "\(doc.nameA) selected", note: note)) }
            } catch is SelectionCancelled {
                end("forward selection cancelled: B is as it was")
            } catch {
                end("forward selection: \(error)")
            }
        }
    }

    /// `=`: the temperature fitted to the labelled images under candidate A (its model, its
    /// set, its weights), on the engine queue; answered with `.fittedTemperature`.
    func fitTemperature(_ doc: SessionDocument) {
        queue.async { [self] in
            let a = doc.candidate(doc.candidateA)
            let live = shared.withLock { $0.lives[a.model] }
            let answer: Action
            do {
                if let fit = try live.fitTemperature(set: a.set, request: doc.evaluationRequest(model: a.model)) {
                    let note = String(
                        format: "NLL %.4f, at T = 1 %.4f; held out over %d folds %.4f; %d images under A", fit.nll, fit.nllAtOne, fit.folds,
                        fit.heldOutNLL, fit.images)
                    answer = .fittedTemperature(Float(fit.temperature), note: note + (fit.atBound ? "; the NLL still falls at this bound" : ""))
                } else {
                    answer = .fittedTemperature(nil, note: "fitting the temperature needs labelled images")
                }
            } catch {
                answer = .fittedTemperature(nil, note: "temperature fit: \(error)")
            }
            shared.withLock { $0.pending.append(answer) }
        }
    }

    /// Stops a running forward selection at its next trial.
    func cancelSelection() { shared.withLock { $0.cancelSelection = true } }

    /// Stops the work under way at its next check (prompt batch, stage, selection trial)
    /// and waits for it, at most `seconds`: the session is ending. Without this a cold
    /// open kept encoding for minutes after the screen closed, and the process could not
    /// exit meanwhile (OpenBLAS's exit handler joins its threads, which that work used).
    func stop(waitingAtMost seconds: Double) {
        let (generation, lives) = shared.withLock { s in
            s.requested += 1
            s.cancelSelection = true
            return (s.requested, s.lives)
        }
        for live in lives { live.supersede(with: generation) }
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        _ = done.wait(timeout: .now() + seconds)
    }

    /// The picture of an image file if made already; otherwise starts making it (nil now).
    func preview(_ path: String) -> PreviewImage? {
        let (ready, start) = shared.withLock { s -> (PreviewImage?, Bool) in
            if let p = s.previews[path] { return (p, false) }
            return (nil, s.previewLoading.insert(path).inserted)
        }
        if start {
            previewQueue.async { [self] in
                let p = makePreview(path)
                shared.withLock { s in
                    // Bounded; the loading marks go with the pictures, or those would never load again.
                    if s.previews.count >= 256 {
                        s.previews.removeAll()
                        s.previewLoading = [path]
                    }
                    if let p { s.previews[path] = p }
                }
            }
        }
        return ready
    }
}
