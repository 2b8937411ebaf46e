import Scoring

/// What the user can do; the reducer turns each into a new state and effects.
public enum Action: Equatable, Sendable {
    case focusNext, focusPrevious, focus(Pane)
    case move(Int), moveToTop, moveToBottom, selectRow(Pane, Int)
    /// Moves a pane's cursor without focusing it (the mouse wheel).
    case scroll(Pane, Int)
    case beginEdit, edit(LineEditor.Edit), commitEdit, cancelEdit
    /// Text pasted (bracketed paste, or a burst of keys while editing): always text,
    /// never key bindings; several lines become several list lines, as one undo step.
    case paste(String)
    case addLine, deleteLine, duplicateLine
    case undo, redo
    case swapAB, copyAToB, copyBToA
    case cycleFilter, cycleSort
    case toggleHelp
    /// `v`: the preview shown or hidden (the controller turns it into `.setPreview` for the
    /// screen's width); `z`: the focused pane zoomed to the whole body, or back.
    case togglePreview, setPreview(Bool), toggleZoom
    /// `m`: the message log (the controller answers with `.showPrompts`, wrapped to the screen).
    case showMessages
    /// Scrolls the help overlay by rows.
    case scrollHelp(Int)
    /// The per-class view: open or close it, move in it, filter the images to a class.
    case toggleClassView, moveClass(Int), filterToSelectedClass, setClassFilter(String?)
    /// A set of the document removed (neither A's nor B's; the controller's answer to `d` on the leaderboard).
    case removeSet(Int)
    /// The prompts view: asked for (the controller tokenizes), shown, scrolled, ids toggled, closed.
    /// The skipped images (`!`): the controller answers with `.showPrompts` of them.
    case requestSkipped
    case requestPrompts, showPrompts(PromptsView), scrollPrompts(Int), togglePromptIds, closePrompts
    /// Multiplies the softmax temperature (the cosines stay; probabilities, NLL and ECE move).
    case scaleTemperature(Float)
    /// `w`: the focused set's weighting, in turn: equal, ZPE (no truth), fitted to the labelled images.
    case cycleWeighting
    /// `=`: fit the temperature to the labelled images (the controller asks the engine,
    /// which answers with `.fittedTemperature`).
    case fitTemperature
    /// The engine's fitted T (nil: no labelled image), with what it was fitted on.
    case fittedTemperature(Float?, note: String)
    /// `R`: the reliability diagram of A and B (the controller answers with `.showPrompts`).
    case showReliability
    case beginExport
    /// `O`: asks for a path to open into the focused pane.
    case beginOpen
    /// Tab in a path prompt: the controller lists the folder and answers with `.setPromptText`.
    case completePath
    case setPromptText(String, status: String)
    /// A file read (or a folder scanned) by the controller, put into the document (one undo step).
    case openedLabels(LabelSet, path: String)
    case openedTemplates(Pane, TemplateSet, path: String)
    case openedImages(path: String, count: Int)
    /// `/`: asks for a text to rank the images by.
    case beginSearch
    /// The engine ranked the images for a query.
    case searchResult(ImageSearch)
    case runSelection
    /// Esc while a forward selection runs: stop it (B stays as it was).
    case cancelSelection
    /// The engine's forward selection arrived: it becomes template set B (undoable); `note`
    /// says what it was judged on (its held-out top-1).
    case replaceTemplatesB([String], name: String, note: String)
    /// A forward selection ended without a set (cancelled, or nothing to choose on).
    case selectionEnded(String)
    /// The engine published a result (a stage of an evaluation): lists and rows may have
    /// moved, so the cursors follow what they were on.
    case resultPublished(generation: Int, stage: Int)
    /// Puts a pane's cursor on a row without focusing it (the controller's answer to
    /// `.followCursors`); and the per-class view's.
    case placeCursor(Pane, Int)
    case placeClassCursor(Int)
    /// The leaderboard view (`L`): open or close it, move in it; `a`/`b` there make the
    /// candidate under its cursor A or B (the controller answers with `.setPair`); `O` there
    /// adds a template set or a model; `d` removes a set that neither A nor B shows.
    case toggleLeaderboard, moveLeaderboard(Int), chooseCandidate(Role), removeCandidateSet
    /// A file of several entries was named alone: its keys to choose from; moved in, picked
    /// (Enter: the file opened as `FILE#KEY`), closed.
    case showChooser(Chooser), moveChooser(Int), pickChoice, closeChooser
    /// Candidates A and B (indices into the document's candidates).
    case setPair(a: Int, b: Int)
    /// A template set read from a file, added as new candidates (one per model).
    case addedSet(TemplateSet, path: String)
    /// The engine loaded a model and embedded the images with it: it joins the document.
    case addedModel(String)
    case quit
}

extension Action {
    /// The user went on to something else: an older status message no longer applies.
    var movesOn: Bool {
        switch self {
        case .focusNext, .focusPrevious, .focus, .beginEdit, .edit, .addLine, .deleteLine, .duplicateLine: return true
        default: return false
        }
    }
}

/// A or B.
public enum Role: String, Equatable, Sendable { case a = "A", b = "B" }

/// Work the controller does after a state change.
public enum Effect: Equatable, Sendable {
    /// Labels or templates changed: score again (stale work is dropped).
    case rescore
    /// The document changed: autosave soon.
    case save
    /// Write the export: every set (clip-tui's JSON) or the one chosen (`set`, nil: the
    /// best by top-1) first, under clip_benchmark's `dataset` name where the format needs one.
    case export(path: String, set: Role? = nil, dataset: String? = nil)
    case open(Pane, path: String)
    /// Rank the images by similarity to this text.
    case search(String)
    case selectIntoB, cancelSelection
    /// Fit T to the labelled images under set A's ensemble.
    case fitTemperature
    /// The prompts of the template or label under the cursor, as the engine makes them
    /// (answered with `.showPrompts`); the skipped images (also `.showPrompts`).
    case listPrompts, listSkipped
    /// The per-class view's cursor as a class name (answered with `.setClassFilter`).
    case filterToSelectedClass
    /// The typed path completed from its folder (answered with `.setPromptText`).
    case completePath
    /// Put the cursors back on the image and class they were on (answered with `.placeCursor`).
    case followCursors
    /// The leaderboard row under the cursor made A or B (answered with `.setPair`).
    case chooseCandidate(Role)
    /// The leaderboard row's set removed (answered with `.removeSet`, or a message).
    case removeCandidateSet
    /// A path typed after `O` on the leaderboard: a template set, or a model folder or Hub id.
    case addCandidate(path: String)
    case quit
}
