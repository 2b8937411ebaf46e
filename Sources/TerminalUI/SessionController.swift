import Foundation
import Scoring
import UserPaths

/// Runs a session: keys in, state through the reducer, scoring on a background queue
/// (typing never waits for the encoder; work made stale by a newer edit is dropped),
/// autosave, export. Knows no terminal: the driver feeds it keys and draws its grid.
///
/// Not `Sendable`: it lives on the driver's thread. The work that runs elsewhere is the
/// `SessionEngine`'s, which shares state with it only through its lock.
public final class SessionController {
    public private(set) var state: SessionState
    /// The first model (the header's).
    public var model: ScoringModel { engine.models[0] }
    /// Loads a model named by `O` on the leaderboard (nil: models cannot be added).
    private let loadModel: (@Sendable (String) throws -> ScoringModel)?
    /// The header as given at start: model, images folder, session file.
    public let header: String
    /// The images folder the header names at start; an `O` that opens another updates it.
    private let headerImages: String?
    private let sessionPath: String?
    private let engine: SessionEngine

    private var dirtySince: Date?
    /// How long after an edit the session file is written (the loss bound after kill -9).
    public var autosaveDelay: TimeInterval = 0.3

    /// - Parameters: `collection` is embedded in the background (progress in the summary
    ///   line); `preview` makes a small picture of an image file; `imagesProblem` says why
    ///   there is no collection.
    public init(
        document: SessionDocument, models: [ScoringModel], collection: ImageCollection?, header: String,
        sessionPath: String?, preview: @escaping @Sendable (String) -> PreviewImage?, initialStatus: String = "",
        imagesProblem: String? = nil, loadModel: (@Sendable (String) throws -> ScoringModel)? = nil
    ) {
        precondition(models.count == document.models.count, "one model per model of the document")
        state = SessionState(document: document)
        state.status = initialStatus
        self.loadModel = loadModel
        self.header = header
        self.headerImages = document.images
        self.sessionPath = sessionPath
        engine = SessionEngine(models: models, imagesProblem: imagesProblem, preview: preview)
        if let collection { engine.startEmbedding(collection, reference: referenceCollection()) }
        requestRescore()
    }

    /// The `--reference` images ZPE's pre-training term is taken over (nil: none, or a
    /// folder that does not read, which is said).
    private func referenceCollection() -> ImageCollection? {
        guard let folder = state.document.zpeReference else { return nil }
        do { return try ImageCollection(root: folder, labels: state.document.labelSet) } catch {
            state.status = "reference images: \(error) (ZPE leaves its pre-training term out)"
            return nil
        }
    }

    /// Reads what `O` named into a pane: the document changes through the reducer (one
    /// undo step); a file that does not read leaves everything as it was and says why.
    private func open(_ pane: Pane, path typed: String) {
        let path = typed.hasPrefix("~/") ? UserPaths().home + typed.dropFirst(1) : typed
        do {
            switch pane {
            case .labels: dispatch(.openedLabels(try PromptFiles.readLabels(path: path), path: path))
            case .templatesA, .templatesB:
                var set = try PromptFiles.readTemplates(path: path)
                set.name = URL(fileURLWithPath: path).lastPathComponent
                dispatch(.openedTemplates(pane, set, path: path))
            case .images, .scores:
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                let collection = try state.document.collection(folder: absolute)
                engine.forgetImages()
                dispatch(.openedImages(path: absolute, count: collection.items.count))
                engine.startEmbedding(collection, reference: referenceCollection())
            }
        } catch let ScoringError.needsKey(file, what, keys) {
            dispatch(.showChooser(Chooser(path: file, what: what, keys: keys, target: .open(pane))))
        } catch {
            state.status = "\(error)"
        }
    }

    /// The one-model form (tests, and sessions of one model).
    public convenience init(
        document: SessionDocument, model: ScoringModel, collection: ImageCollection?, header: String,
        sessionPath: String?, preview: @escaping @Sendable (String) -> PreviewImage?, initialStatus: String = "",
        imagesProblem: String? = nil
    ) {
        self.init(
            document: document, models: [model], collection: collection, header: header, sessionPath: sessionPath, preview: preview,
            initialStatus: initialStatus, imagesProblem: imagesProblem)
    }

    /// What `O` on the leaderboard named: a template set file (`FILE` or `FILE#KEY`) becomes
    /// new candidates with every model; a folder, or a name that is no file (a Hub id), is
    /// a model, loaded and its images embedded in the background.
    private func addCandidate(path typed: String) {
        let path = typed.hasPrefix("~/") ? UserPaths().home + typed.dropFirst(1) : typed
        var isFolder: ObjCBool = false
        let file = String(path.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue || !FileManager.default.fileExists(atPath: file) {
            addModel(URL(fileURLWithPath: path).standardizedFileURL.path)
        } else if FileManager.default.fileExists(atPath: file) {
            do {
                var set = try PromptFiles.readTemplates(path: path)
                set.name = URL(fileURLWithPath: path).lastPathComponent
                dispatch(.addedSet(set, path: path))
            } catch let ScoringError.needsKey(file, what, keys) {
                dispatch(.showChooser(Chooser(path: file, what: what, keys: keys, target: .addCandidate)))
            } catch {
                state.status = "\(error)"
            }
        } else if !path.hasPrefix("/"), !path.hasPrefix("."), path.split(separator: "/").count == 2 {
            addModel(path)  // a Hub id, looked up in the local Hub cache
        } else {
            state.status = "\(path): no such file or folder (a template set file, a model folder or a Hub id)"
        }
    }

    private func addModel(_ name: String) {
        guard let loadModel else {
            state.status = "this session cannot load models"
            return
        }
        guard !state.document.models.contains(name) else {
            state.status = "\(name) is a model of this session already"
            return
        }
        state.status = "loading \(name)…"
        engine.addModel(named: name, load: loadModel)
    }

    /// The candidate on a leaderboard row: rows are in rank order once the leaderboard is
    /// in, in the document's order before.
    private func candidate(atLeaderboardRow row: Int) -> Int? {
        let count = state.document.candidateCount
        var order = Array(0..<count)
        if let board = engine.withShared({ $0.snapshot?.board }), board.candidates.count == count, board.labelledCount > 0 {
            order = board.leaderboard.order
        }
        return order.isEmpty ? nil : order[min(row, order.count - 1)]
    }

    /// Tab in the open prompt: the typed path completed from its folder.
    private func completePath() {
        guard let prompt = state.prompt else { return }
        // A `#KEY` is not part of the path.
        let typed = prompt.editor.text
        let result = PathCompletion.complete(
            typed, home: UserPaths().home,
            list: { try? FileManager.default.contentsOfDirectory(atPath: $0) },
            isFolder: {
                var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && d.boolValue
            })
        let status =
            result.candidates.isEmpty
            ? (result.text == typed ? "no completion" : "")
            : result.candidates.prefix(12).joined(separator: "  ") + (result.candidates.count > 12 ? "  … \(result.candidates.count - 12) more" : "")
        dispatch(.setPromptText(result.text, status: status))
    }

    /// The visible image count, for the reducer.
    private var imageCount: Int { visibleImages(engine.withShared { $0.snapshot }).count }

    /// What the image list shows depends on the result and the query only: the filter and
    /// sort run once per published result and query, not once per key and frame.
    private struct VisibleKey: Equatable {
        var generation: Int, sequence: Int
        var filter: ImageFilter, sort: ImageSort, search: ImageSearch?, classFilter: String?
    }
    private var visibleMemo: (key: VisibleKey, list: [Int])?
    /// The image and the class under the cursors, by identity: a re-sort, a filter or new
    /// scores move the cursor row to where they went, not the other way round.
    public private(set) var selectedImagePath: String?
    public private(set) var selectedClassName: String?
    /// The last result the reducer was told of.
    private var lastPublished: (generation: Int, sequence: Int)?

    private func visibleImages(_ s: ScoreSnapshot?) -> [Int] {
        guard let s else { return [] }
        let key = VisibleKey(
            generation: s.generation, sequence: s.sequence, filter: state.filter, sort: state.sort, search: state.search,
            classFilter: state.classFilter)
        if let memo = visibleMemo, memo.key == key { return memo.list }
        let list = s.visibleImages(filter: state.filter, sort: state.sort, search: state.search, classFilter: state.classFilter)
        visibleMemo = (key, list)
        return list
    }

    /// What the cursors are on, by identity (read after every action).
    private func rememberCursors() {
        let s = engine.withShared { $0.snapshot }
        let list = visibleImages(s)
        let r = state.row(.images)
        if let s, r < list.count { selectedImagePath = s.images[list[r]].path }
        if let rows = s?.classRows, !rows.isEmpty, let c = state.classView { selectedClassName = rows[min(c, rows.count - 1)].name }
    }

    /// The `.followCursors` effect: the rows the remembered image and class are on now,
    /// put back through the reducer.
    private func followCursors() {
        let s = engine.withShared { $0.snapshot }
        let list = visibleImages(s)
        if let s, let path = selectedImagePath, let at = list.firstIndex(where: { s.images[$0].path == path }) {
            if at != state.row(.images) { dispatch(.placeCursor(.images, at)) }
        } else if state.row(.images) >= list.count {
            dispatch(.placeCursor(.images, max(0, list.count - 1)))  // its image is gone: the last row
        }
        if let rows = s?.classRows, let name = selectedClassName, state.classView != nil,
            let at = rows.firstIndex(where: { $0.name == name }), at != state.classView
        {
            dispatch(.placeClassCursor(at))
        }
    }

    /// A key (or mouse event) from the terminal, on a screen of `width` × `height` cells.
    public func handle(_ key: Key, width: Int, height: Int) {
        var action = KeyBindings.action(for: key, state: state)
        if action == .togglePreview {
            action = .setPreview(!Layout.showsPreview(width: width, choice: state.document.showPreview))
        }
        if action == .showMessages {
            // Each message whole: wrapped to the view's width (the status line cuts long ones).
            let rows = state.messages.flatMap { message in
                TextWidth.wrap(message, width: width - 8).enumerated().map { PromptsView.Row(prompt: ($0 == 0 ? "" : "  ") + $1, tokens: nil, ids: []) }
            }
            var view = PromptsView(
                title: rows.isEmpty ? "Messages: none yet" : "Messages, newest last (the last \(SessionState.messagesKept))", rows: rows)
            view.offset = max(0, rows.count - (height - 5))  // the newest in view
            action = .showPrompts(view)
        }
        if action == .showReliability {
            let s = engine.withShared { $0.snapshot }
            var rows: [PromptsView.Row] = []
            for (role, m) in [("A", s?.metricsA), ("B", s?.metricsB)] {
                guard let m else { continue }
                if !rows.isEmpty { rows.append(.init(prompt: "", tokens: nil, ids: [])) }
                rows.append(.init(prompt: "\(role): \(role == "A" ? state.document.nameA : state.document.nameB)", tokens: nil, ids: []))
                for line in ReliabilityDiagram.lines(m.reliability, ece: m.ece, width: max(20, width - 40)) {
                    rows.append(.init(prompt: line, tokens: nil, ids: []))
                }
            }
            action = .showPrompts(
                PromptsView(
                    title: rows.isEmpty
                        ? "Reliability: no labelled images, or the statistics are still on their way"
                        : "Reliability: accuracy (█) against confidence (│) per bin, with counts",
                    rows: rows))
        }
        if case let .mouseClick(x, y) = key, state.editing == nil, state.prompt == nil,
            let layout = Layout(width: width, height: height, state: state), let pane = layout.pane(at: x, y),
            let rect = layout.panes[pane]
        {
            let visible = rect.height - 2
            let count = pane == .images ? imageCount : (pane == .scores ? state.document.labelSet.classes.count : state.lines(pane).count)
            let top = count > visible ? max(0, min(state.row(pane) - visible / 2, count - visible)) : 0
            action = .selectRow(pane, top + y - rect.y - 1)
        }
        if case let .mouseWheel(x, y, delta) = key, state.editing == nil, state.prompt == nil {
            action = nil
            if state.showHelp {
                action = .scrollHelp(delta)
            } else if state.promptsView != nil {
                action = .scrollPrompts(delta)
            } else if state.classView != nil {
                action = .moveClass(delta)
            } else if let layout = Layout(width: width, height: height, state: state), let pane = layout.pane(at: x, y) {
                action = .scroll(pane, delta)
            }
        }
        // The long views move within their lists: the rows they have, at this height (so
        // that G then k moves up at once, never through rows past the end).
        if case let .scrollPrompts(delta) = action, let view = state.promptsView {
            let lines = view.rows.reduce(0) { $0 + ($1.tokens != nil && view.showIds ? 2 : 1) }
            let last = max(0, lines - (height - 5))
            let from = min(view.offset, last)
            action = .scrollPrompts(max(0, min(last, from + delta)) - view.offset)
        }
        if case let .moveClass(delta) = action, let c = state.classView {
            let count = engine.withShared { $0.snapshot?.classRows?.count } ?? 0
            action = .placeClassCursor(max(0, min(count - 1, c + delta)))
        }
        if let action { dispatch(action) }
    }

    /// Applies an action through the reducer and performs the effects it asks for.
    public func dispatch(_ action: Action) {
        let effects = Reducer.reduce(&state, action, imageCount: imageCount)
        for e in effects { perform(e) }
        rememberCursors()
    }

    /// The skipped images, for the `!` view.
    private func skippedView() -> PromptsView? {
        let list = engine.withShared { s in s.skipped.map { (path: $0.path, reason: $0.reason) } }
        guard !list.isEmpty else { return nil }
        return PromptsView(
            title: "\(list.count) skipped image\(list.count == 1 ? "" : "s")",
            rows: list.map { PromptsView.Row(prompt: $0.reason, tokens: nil, ids: []) })
    }

    /// The prompts of the template or label under the cursor, as the engine makes and
    /// tokenizes them.
    private func promptsView() -> PromptsView? {
        let doc = state.document
        let lines = state.lines(state.focus), r = state.row(state.focus)
        guard state.focus != .images, r < lines.count else { return nil }
        var prompts: [ScoringModel.TokenizedPrompt], title: String
        // The pane's candidate's model (its tokenizer, its context); labels: A's.
        let models = engine.models
        let m = doc.candidate(state.focus == .templatesB ? doc.candidateB : doc.candidateA).model
        let model = m < models.count ? models[m] : self.model
        if state.focus == .labels {
            // The line as `SessionDocument.labelSet` reads it: a name, then synonyms after `|`.
            let names = lines[r].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard let first = names.first else { return nil }
            // With its own sentences (CuPL), those are its prompts under both sets.
            let label = ClassLabel(name: first, synonyms: Array(names.dropFirst()), sentences: doc.classSentences?[first] ?? [])
            prompts = model.prompts(of: label, templates: doc.templateSetA.templates)
            title =
                label.sentences.isEmpty
                ? "Prompts of '\(label.name)' under A (\(prompts.count))"
                : "Prompts of '\(label.name)': its own sentences (\(prompts.count))"
        } else {
            let template = Template(lines[r])
            guard template.hasPlaceholder else { return PromptsView(title: "'\(lines[r])' has no {}: it makes no prompt", rows: []) }
            prompts = model.prompts(of: template, labels: doc.labelSet)
            title = "Prompts of '\(lines[r])' (\(prompts.count))"
        }
        var view = PromptsView(title: title, rows: prompts.map { PromptsView.Row(prompt: $0.prompt, tokens: $0.tokens, ids: $0.ids) })
        view.contextLength = model.store.provider.contextLength
        return view
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case .rescore: requestRescore()
        case .save: if dirtySince == nil { dirtySince = Date() }
        case .quit: saveNow()
        case let .export(path, set, dataset): export(to: path, set: set, dataset: dataset)
        case let .open(pane, path): open(pane, path: path)
        case let .search(text): search(text)
        case .selectIntoB: engine.selectIntoB(state.document)
        case .fitTemperature: engine.fitTemperature(state.document)
        case .cancelSelection: engine.cancelSelection()
        case .completePath: completePath()
        case .followCursors: followCursors()
        case .listPrompts:
            if let view = promptsView() {
                dispatch(.showPrompts(view))
            } else {
                state.status = "p shows the prompts of a template or a label: move to one first"
            }
        case .listSkipped:
            if let view = skippedView() { dispatch(.showPrompts(view)) } else { state.status = "no image was skipped" }
        case let .chooseCandidate(role):
            guard let c = candidate(atLeaderboardRow: state.leaderboardView ?? 0) else { return }
            var (a, b) = (state.document.candidateA, state.document.candidateB)
            // Choosing the other one's candidate swaps them.
            if role == .a { (a, b) = (c, c == b ? a : b) } else { (a, b) = (c == a ? b : a, c) }
            dispatch(.setPair(a: a, b: b))
        case .removeCandidateSet:
            guard let c = candidate(atLeaderboardRow: state.leaderboardView ?? 0) else { return }
            dispatch(.removeSet(state.document.candidate(c).set))
        case let .addCandidate(path): addCandidate(path: path)
        case .filterToSelectedClass:
            // The per-class view's rows are the engine's: its cursor becomes a class name here.
            guard let rows = engine.withShared({ $0.snapshot?.classRows }), !rows.isEmpty else { return }
            dispatch(.setClassFilter(rows[min(state.classView ?? 0, rows.count - 1)].name))
        }
    }

    /// Queues scoring of the current document (the newest request wins; see `SessionEngine`).
    public func requestRescore() { engine.rescore(state.document) }

    /// `handler` is called (on any thread) when the engine has something new to show.
    public func onEngineChange(_ handler: @escaping @Sendable () -> Void) { engine.onChange(handler) }

    /// Called by the driver between keys: applies engine results, autosaves.
    public func tick() {
        let (actions, notes, rescore) = engine.withShared { s in
            defer { (s.pending, s.messages, s.needsRescore) = ([], [], false) }
            return (s.pending, s.messages, s.needsRescore)
        }
        if rescore { requestRescore() }
        for a in actions { dispatch(a) }
        // A new result enters the reducer as an action.
        if let s = engine.withShared({ $0.snapshot }), lastPublished.map({ $0 != (s.generation, s.sequence) }) ?? true {
            lastPublished = (s.generation, s.sequence)
            dispatch(.resultPublished(generation: s.generation, stage: s.stage.rawValue))
        }
        // Each message in turn: the last stays on the status line, every one goes to the log.
        for note in notes { state.status = note }
        if let (path, set, dataset) = pendingExport {
            pendingExport = nil
            export(to: path, set: set, dataset: dataset, retry: true)  // waits again unless the scores are in or cannot come
        }
        if let since = dirtySince, Date().timeIntervalSince(since) >= autosaveDelay { saveNow() }
    }

    /// Ends the engine's work (a cold open's encoding included) once the screen closes,
    /// waiting for the batch under way.
    public func stopEngine() { engine.stop(waitingAtMost: 10) }

    /// Writes the session file now (atomically); a failure is said on the status line.
    public func saveNow() {
        dirtySince = nil
        guard let sessionPath else { return }
        var doc = state.document
        if let s = engine.withShared({ $0.snapshot }) {
            let visible = visibleImages(s)
            let r = state.row(.images)
            if r < visible.count { doc.selectedImage = s.images[visible[r]].name }
        }
        do { try doc.write(path: sessionPath) } catch { state.status = "autosave failed: \(error)" }
    }

    /// An export asked for while scores were pending: written once they are in.
    private var pendingExport: (path: String, set: Role?, dataset: String?)?

    /// Writes A and B with their figures, from the evaluation of the document as it is
    /// (the same builder `clip-tui export` uses); waits for pending scores.
    /// - Parameters:
    ///   - set: for a format of one set, A's or B's (nil: the best by top-1, A in a tie).
    ///   - dataset: clip_benchmark's dataset name (nil: from the path).
    private func export(to typed: String, set: Role? = nil, dataset: String? = nil, retry: Bool = false) {
        let path = typed.hasPrefix("~/") ? UserPaths().home + typed.dropFirst(1) : typed
        // The format by the name typed: .json (clip-tui), NAME.cb.json or a folder
        // (clip_benchmark, dataset NAME), .txt, .py.
        guard let format = ExportFormat.inferred(from: path) else {
            state.status = "\(path): name it .json, NAME.cb.json, .txt or .py, or a folder for clip_benchmark"
            return
        }
        let (snapshot, noScores) = engine.withShared { e in
            // No images to score, or the latest request failed: the sets go out without figures.
            (e.snapshot, e.images == nil && e.imagesProblem != nil || e.failed == e.requested)
        }
        let doc = state.document
        var export: PromptSetExport
        if isIdle, let s = snapshot, let board = s.board, board.candidates.count == doc.candidateCount {
            // Every candidate, best first; A and B by role, with their comparison.
            let models = engine.models
            let all = 0..<doc.candidateCount
            export = PromptSetExport(
                board: board, sets: all.map { doc.templateSet(doc.candidate($0).set) },
                models: all.map { models[doc.candidate($0).model] },
                roles: all.map { $0 == doc.candidateA ? "A" : ($0 == doc.candidateB ? "B" : nil) },
                images: doc.images, labels: doc.labelSet)
        } else if isIdle, let s = snapshot, let evaluation = s.evaluation, doc.models.count == 1 {
            // No leaderboard (no labelled images): the sets with their scores' figures.
            let sets = doc.sets.indices.map { doc.templateSet($0) }
            export = PromptSetExport(
                evaluation: evaluation, sets: sets,
                roles: sets.indices.map { $0 == doc.setA ? "A" : ($0 == doc.setB ? "B" : nil) }, model: model,
                images: doc.images, labels: doc.labelSet, imagePaths: s.images.map(\.path))
        } else if noScores {
            let rule = model.rule.at(temperature: doc.temperature ?? 1)
            export = PromptSetExport(
                model: .init(
                    name: model.name, fingerprint: model.store.provider.fingerprint, scoreRule: rule.description,
                    temperature: doc.temperature ?? 1),
                images: doc.images, labels: doc.labelSet,
                templateSets: [(doc.templateSetA, "A"), (doc.templateSetB, "B")].map { set, role in
                    .init(name: set.name, role: role, templates: set.templates, metrics: nil)
                })
        } else {
            pendingExport = (path, set, dataset)
            if !retry { state.status = "export to \(path) waits for the scores…" }
            return
        }
        if let set {
            // The chosen set first: a format of one set writes the first.
            let chosen = export.templateSets.filter { $0.role == set.rawValue }
            export.templateSets = chosen + export.templateSets.filter { $0.role != set.rawValue }
        }
        do {
            let dataset = dataset ?? ExportFormat.datasetName(fromOutput: path) ?? URL(fileURLWithPath: path).lastPathComponent
            let written = try ExportWriter.write(export, format: format, to: path, dataset: dataset)
            state.status = "exported to \(written.files.joined(separator: ", "))" + (written.notes.isEmpty ? "" : " (\(written.notes.joined(separator: "; ")))")
        } catch {
            state.status = "\(error)"
        }
    }

    private func search(_ text: String) { engine.search(text) }

    private var lastRender: (key: RenderKey, grid: CellGrid)?

    private struct RenderKey: Equatable {
        var state: SessionState
        var generation: Int?
        var sequence: Int?
        var pending: Bool
        var status: String
        var previews: Int
        var width: Int, height: Int
    }

    /// The grid for the current state; the previous one when nothing it shows has changed
    /// (the driver asks every 30 ms).
    public func render(width: Int, height: Int, directColor: Bool) -> CellGrid {
        let (s, status, pending, previews) = engine.withShared { e in
            (
                e.snapshot, e.modelNotice == nil ? e.status : "model changed on disk, restart to use it · " + e.status,
                e.snapshot?.generation != e.requested && e.images != nil, e.previews.count
            )
        }
        let key = RenderKey(
            state: state, generation: s?.generation, sequence: s?.sequence, pending: pending, status: status,
            previews: previews, width: width, height: height)
        if let last = lastRender, last.key == key { return last.grid }
        let grid = draw(
            s, status: pending && !status.hasPrefix("encoding") ? "scoring…" : status, pending: pending,
            width: width, height: height, directColor: directColor)
        lastRender = (key, grid)
        return grid
    }

    private func draw(_ s: ScoreSnapshot?, status: String, pending: Bool, width: Int, height: Int, directColor: Bool) -> CellGrid {
        var picture: PreviewImage?
        let visible = visibleImages(s)
        // Decoded only where the layout shows a preview (hidden below 120 columns by default).
        if let s, Layout(width: width, height: height, state: state)?.preview != nil {
            let r = state.row(.images)
            if r < visible.count { picture = engine.preview(s.images[visible[r]].path) }
        }
        var shownHeader = header
        if let before = headerImages, let now = state.document.images, now != before {
            shownHeader = header.replacingOccurrences(of: before, with: now)
        }
        let (imagesProblem, skipped) = engine.withShared { ($0.imagesProblem, $0.skipped.count) }
        return Screen(
            state: state, snapshot: s, preview: picture, header: shownHeader, engineStatus: status,
            directColor: directColor, pending: pending, imagesProblem: imagesProblem,
            skippedImages: skipped, visible: visible
        ).render(width: width, height: height)
    }

    /// Whether every stage of the latest request is in (for tests and the end-to-end check).
    public var isIdle: Bool {
        engine.withShared { $0.snapshot?.generation == $0.requested && $0.snapshot?.stage == .templates }
    }

    public var latestSnapshot: ScoreSnapshot? { engine.withShared { $0.snapshot } }
}
