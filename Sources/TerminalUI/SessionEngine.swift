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
        var images: EmbeddedImages?
        var snapshot: ScoreSnapshot?
        var requested = 0
        var status = "starting"
        var reportedCacheProblem: String?
        var lastModelCheck = Date.distantPast
        var reportedRepeats: [String] = []
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
        /// The last request whose evaluation failed (an encoder error): no scores will come for it.
        var failed = 0
    }

    let model: ScoringModel
    /// The incremental evaluator; newest edit wins (see `LiveEngine`).
    private let live = LiveEngine()
    private let queue = DispatchQueue(label: "clip-tui.engine")
    private let previewQueue = DispatchQueue(label: "clip-tui.preview")
    private let makePreview: @Sendable (String) -> PreviewImage?
    private let shared: Mutex<Shared>

    init(model: ScoringModel, imagesProblem: String?, preview: @escaping @Sendable (String) -> PreviewImage?) {
        self.model = model
        self.makePreview = preview
        var s = Shared()
        s.imagesProblem = imagesProblem
        shared = Mutex(s)
    }

    /// Reads or changes the shared state under its lock.
    func withShared<T: Sendable>(_ body: (inout Shared) -> T) -> T { shared.withLock { body(&$0) } }

    private func say(_ message: String) { shared.withLock { $0.messages.append(message) } }
    private func setStatus(_ s: String) { shared.withLock { $0.status = s } }

    /// Embeds a folder's images on the engine queue, then asks for scoring (at start, and
    /// when another folder is opened, after `forgetImages`).
    func startEmbedding(_ collection: ImageCollection) {
        queue.async { [self] in
            setStatus("reading \(collection.items.count) images")
            let embedded = model.embed(collection) { p in
                // Cached images are not "encoding": a resumed session says where they came from.
                self.setStatus(
                    p.encoded == 0
                        ? "images \(p.settled)/\(p.total) from the cache"
                        : "encoding images \(p.settled)/\(p.total)" + (p.cached > 0 ? " (\(p.cached) from the cache)" : ""))
            }
            live.load(store: model.store, images: embedded, rule: model.rule)
            shared.withLock { s in
                s.images = embedded
                s.needsRescore = true
                // Every skipped file said, in one message (one per file would leave only the last).
                if !embedded.failures.isEmpty {
                    let n = embedded.failures.count
                    s.messages.append(
                        "\(n) image\(n == 1 ? "" : "s") skipped (! lists them): "
                            + embedded.failures.map { "\($0.error)" }.joined(separator: "; "))
                }
                s.skipped = embedded.failures.map { ($0.path, $0.error) }
                s.status = "\(embedded.items.count) images"
            }
        }
    }

    /// Before another folder is embedded: nothing of the old one is shown meanwhile.
    func forgetImages() {
        shared.withLock { s in
            s.imagesProblem = nil
            s.snapshot = nil
            s.images = nil
            s.skipped = []
        }
    }

    /// Queues scoring of `document`. The newest request wins: older work stops at its next
    /// prompt batch or stage, so there is never a queue of stale evaluations.
    func rescore(_ document: SessionDocument) {
        let generation = shared.withLock { s in
            s.requested += 1
            return s.requested
        }
        live.supersede(with: generation)
        queue.async { [self] in
            guard live.isCurrent(generation), let imgs = shared.withLock({ $0.images }) else { return }
            let request = document.evaluationRequest
            noteRepeats(request.labels.repeatedNames)
            do {
                try live.evaluate(
                    request, generation: generation,
                    progress: { done, all in
                        if all > 0 { self.setStatus("encoding \(done.formatted())/\(all.formatted()) prompts") }
                    },
                    publish: { e in
                        let next = ScoreSnapshot(e, generation: generation, items: imgs.items)
                        self.shared.withLock { s in
                            if let old = s.snapshot, !Self.isNewer(next, than: old) {
                                // An older request's stage arriving late: kept out.
                            } else {
                                s.snapshot = next
                            }
                            s.status = String(format: "%d images · scored in %.0f ms", imgs.items.count, 1000 * next.seconds)
                            if let sample = next.templateSample {
                                s.status += " · template figures on \(sample.used) of \(sample.of) images"
                            }
                        }
                    })
                noteEnvironment()
            } catch {
                shared.withLock { $0.failed = generation }
                say("\(error)")
            }
        }
    }

    private static func isNewer(_ a: ScoreSnapshot, than b: ScoreSnapshot) -> Bool {
        a.generation > b.generation || (a.generation == b.generation && a.stage > b.stage)
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
        let change = due ? model.store.provider.sourceChange() : nil
        let problem = model.store.cacheProblem
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
                let scores = try live.similarities(to: text)
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

    /// Forward selection of A's templates, cross-validated; the choice comes back as B.
    func selectIntoB(_ doc: SessionDocument) {
        queue.async { [self] in
            guard let imgs = shared.withLock({ $0.images }), imgs.truth(doc.labelSet).contains(where: { $0 != nil }) else {
                say("forward selection needs labelled images")
                return
            }
            do {
                guard let selection = try live.selection(set: 0, request: doc.evaluationRequest) else {
                    say("forward selection needs labelled images")
                    return
                }
                let chosen = selection.templates.map(\.text)
                shared.withLock { $0.pending.append(.replaceTemplatesB(chosen, name: "\(doc.nameA) selected")) }
            } catch {
                say("\(error)")
            }
        }
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
