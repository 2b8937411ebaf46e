import Scoring

/// The views and prompts over the main screen (help, search, export, open, prompts, per
/// class), the temperature, selection and quit.
extension Reducer {
    static func views(_ s: inout SessionState, _ action: Action, _ imageCount: Int) -> [Effect]? {
        switch action {
        case .toggleHelp:
            s.showHelp.toggle()
            s.helpOffset = 0
            return []
        case .togglePreview:
            return []  // the controller answers with .setPreview for the screen's width
        case let .setPreview(shown):
            s.document.showPreview = shown
            s.status = shown ? "preview shown (v hides it)" : "preview hidden: the templates take its room (v shows it)"
            return [.save]
        case .toggleZoom:
            s.zoom.toggle()
            s.status = s.zoom ? "\(s.focus.title) zoomed: Tab moves through the panes, z or Esc returns" : ""
            return []
        case .beginSearch:
            let effects = s.editing != nil ? commit(&s) : []
            s.prompt = Prompt(purpose: .search, label: "search images: ", editor: LineEditor(s.search?.query ?? ""))
            return effects
        case let .searchResult(result):
            s.search = result
            s.focus = .images
            s.rows[.images] = 0
            s.status = "images by similarity to '\(result.query)' (Esc clears)"
            return []
        case .beginExport:
            let effects = s.editing != nil ? commit(&s) : []
            // A default in the home folder, never the working folder (which may be a repository).
            s.prompt = Prompt(purpose: .exportPath, label: "export to: ", editor: LineEditor("~/clip-tui-export.json"), prefilled: true)
            return effects
        case .beginOpen:
            let effects = s.editing != nil ? commit(&s) : []
            if s.leaderboardView != nil {
                s.prompt = Prompt(purpose: .addCandidate, label: "add a template set (file) or a model (folder or Hub id): ", editor: LineEditor(""))
                s.status = "Tab completes the path; FILE#KEY picks one entry of a file that has several"
                return effects
            }
            let what: String
            switch s.focus {
            case .images, .scores: what = "images folder"
            case .labels: what = "labels"
            case .templatesA: what = "templates A"
            case .templatesB: what = "templates B"
            }
            let start = s.focus == .images || s.focus == .scores ? (s.document.images ?? "") : ""
            s.prompt = Prompt(
                purpose: .open(s.focus == .scores ? .images : s.focus), label: "open \(what): ", editor: LineEditor(start),
                prefilled: !start.isEmpty)
            s.status = "Tab completes the path; FILE#KEY picks one entry of a file that has several"
            return effects
        case .requestPrompts:
            return [.listPrompts]  // the controller asks the engine and answers with .showPrompts
        case .requestSkipped:
            return [.listSkipped]
        case let .showPrompts(view):
            s.promptsView = view
            return []
        case let .scrollPrompts(rows):
            if var view = s.promptsView { view.offset = max(0, view.offset + rows); s.promptsView = view }  // the screen clamps it
            return []
        case .togglePromptIds:
            s.promptsView?.showIds.toggle()
            return []
        case .closePrompts:
            s.promptsView = nil
            return []
        case let .scaleTemperature(factor):
            guard s.editing == nil else { return [] }
            let t = min(20, max(0.05, (s.document.temperature ?? 1) * factor))
            s.document.temperature = abs(t - 1) < 1e-3 ? nil : t
            s.status = String(format: "temperature %.2f: logits are the checkpoint's logit scale ÷ %.2f", t, t)
            return [.rescore, .save]
        case .cycleWeighting:
            guard s.editing == nil else { return [] }
            let role: Role = s.focus == .templatesB ? .b : .a
            let set = role == .a ? s.document.setA : s.document.setB
            let order: [WeightingMethod?] = [nil, .zpe, .fit]
            let now = s.document.sets[set].weighting
            let next = order[((order.firstIndex(of: now) ?? 0) + 1) % order.count]
            checkpoint(&s, "weighting of \(role.rawValue)", pane: role == .a ? .templatesA : .templatesB)
            s.document.sets[set].weighting = next
            switch next {
            case nil: s.status = "\(role.rawValue): equal weights (the plain ensemble)"
            case .zpe?:
                s.status =
                    "\(role.rawValue): ZPE weights (Allingham et al. 2023) from the images alone, no truth read; "
                    + (s.document.zpeReference.map { "pre-training term over \($0)" }
                        ?? "no reference images (session --reference DIR), so the pre-training term is left out")
            case .fit?: s.status = "\(role.rawValue): weights fitted to the labelled images (eval --weights fit gives their held-out figures)"
            }
            return [.rescore, .save]
        case .fitTemperature:
            guard s.editing == nil else { return [] }
            s.status = "fitting the temperature to the labelled images…"
            return [.fitTemperature]
        case let .fittedTemperature(t, note):
            guard let t else {
                s.status = note
                return []
            }
            checkpoint(&s, "temperature fit")
            s.document.temperature = abs(t - 1) < 1e-6 ? nil : t
            s.status = String(format: "temperature fitted: T = %.4f (%@; u undoes)", t, note)
            return [.rescore, .save]
        case .showReliability:
            return []  // the controller answers with .showPrompts
        case .toggleClassView:
            let effects = s.editing != nil ? commit(&s) : []
            s.classView = s.classView == nil ? 0 : nil
            return effects
        case let .moveClass(delta):
            // The screen clamps the row to the classes it has.
            s.classView = max(0, (s.classView ?? 0) + delta)
            return []
        case .filterToSelectedClass:
            return [.filterToSelectedClass]  // the rows are the engine's: the controller names the class
        case .resultPublished:
            return [.followCursors]
        case let .placeCursor(pane, row):
            s.rows[pane] = max(0, row)
            return []
        case let .placeClassCursor(row):
            if s.classView != nil { s.classView = max(0, row) }
            return []
        case let .setClassFilter(name):
            s.classFilter = name
            s.classView = nil
            s.focus = .images
            s.rows[.images] = 0
            s.status = name.map { "showing the images of \($0) (Esc shows all)" } ?? "showing all classes"
            return []
        case let .scrollHelp(rows):
            s.helpOffset = max(0, s.helpOffset + rows)  // the screen clamps it to what fits
            return []
        case .runSelection:
            let effects = s.editing != nil ? commit(&s) : []
            guard !s.selecting else {
                s.status = "a forward selection is running (Esc cancels it)"
                return effects
            }
            s.selecting = true
            s.status = "forward selection of A's templates, judged on held-out folds (Esc cancels)…"
            return effects + [.selectIntoB]
        case .cancelSelection:
            s.status = "cancelling the forward selection…"
            return [.cancelSelection]
        case let .selectionEnded(message):
            s.selecting = false
            s.status = message
            return []
        case .completePath, .setPromptText:
            return []  // only with a path prompt open (above)
        case .quit:
            let effects = s.editing != nil ? commit(&s) : []
            s.quitting = true
            return effects + [.save, .quit]
        default: return nil
        }
    }
}
