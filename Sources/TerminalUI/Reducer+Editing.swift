import Scoring

/// Changes to the document: line edits, pastes, list commands, undo and redo, swaps, and
/// what the controller opened or selected. Each is one undo step.
extension Reducer {
    static func editDocument(_ s: inout SessionState, _ action: Action, _ imageCount: Int) -> [Effect]? {
        switch action {
        case .beginEdit:
            guard s.focus.isEditable else { return [] }
            let lines = s.lines(s.focus)
            s.editJoinsLastStep = lines.isEmpty
            if lines.isEmpty {
                checkpoint(&s, "a new line in \(s.focus.title)", pane: s.focus)
                s.setLines(s.focus, [""])
                s.rows[s.focus] = 0
            }
            s.editing = LineEditor(s.lines(s.focus)[s.row(s.focus)])
            s.editingOriginal = s.editing!.text
            s.editUndoDepth = s.undoStack.count
            return []
        case let .edit(e):
            guard s.editing != nil else { return [] }
            s.editing!.apply(e)
            // Scores follow the text as it is typed.
            var lines = s.lines(s.focus)
            let r = s.row(s.focus)
            if r < lines.count, lines[r] != s.editing!.text {
                // One edit is one undo step: the checkpoint is taken at its first change (a
                // line just added already has the add's).
                if (lines[r] == s.editingOriginal || s.editingOriginal == nil) && !s.editJoinsLastStep {
                    checkpoint(&s, "edit of \(lineName(s.focus, r))", pane: s.focus)
                }
                lines[r] = s.editing!.text
                s.setLines(s.focus, lines)
                return [.rescore, .save]
            }
            return []
        case let .paste(text):
            return paste(&s, Self.pastedLines(text))
        case .commitEdit:
            return commit(&s)
        case .cancelEdit:
            if s.editing != nil {
                // Esc puts the line back as it was; the edit leaves no undo step behind.
                s.editing = nil
                var lines = s.lines(s.focus)
                let r = s.row(s.focus)
                if let original = s.editingOriginal, r < lines.count, lines[r] != original {
                    lines[r] = original
                    s.setLines(s.focus, lines)
                    // Every step the edit pushed (its first key's, a paste's) goes with it.
                    if let depth = s.editUndoDepth, s.undoStack.count > depth { s.undoStack.removeLast(s.undoStack.count - depth) }
                    s.status = "edit undone"
                    return [.rescore, .save]
                }
            } else if s.showHelp {
                s.showHelp = false
            } else if s.zoom {
                s.zoom = false
                s.status = ""
            } else if s.search != nil {
                s.search = nil
                s.status = "search cleared"
            } else if s.classFilter != nil {
                s.classFilter = nil
                s.status = "showing all classes"
            }
            return []
        case .addLine:
            guard s.focus.isEditable, s.editing == nil else { return [] }
            var lines = s.lines(s.focus)
            let at = lines.isEmpty ? 0 : s.row(s.focus) + 1
            checkpoint(&s, "new \(lineName(s.focus, at))", pane: s.focus)
            s.editJoinsLastStep = true
            lines.insert("", at: at)
            s.setLines(s.focus, lines)
            s.rows[s.focus] = at
            s.editing = LineEditor("")
            s.editingOriginal = ""
            s.editUndoDepth = s.undoStack.count
            return [.save]
        case .deleteLine, .duplicateLine:
            guard s.focus.isEditable, s.editing == nil else { return [] }
            var lines = s.lines(s.focus)
            guard !lines.isEmpty else { return [] }
            let r = min(s.row(s.focus), lines.count - 1)
            checkpoint(&s, "\(action == .deleteLine ? "deletion" : "duplicate") of \(lineName(s.focus, r))", pane: s.focus)
            if action == .deleteLine {
                lines.remove(at: r)
                s.status = "deleted line \(r + 1)"
            } else {
                lines.insert(lines[r], at: r + 1)
                s.rows[s.focus] = r + 1
            }
            s.setLines(s.focus, lines)
            setRow(&s, s.focus, s.row(s.focus), imageCount)
            return [.rescore, .save]
        case .undo, .redo:
            guard s.editing == nil else { return [] }
            let undo = action == .undo
            guard let step = undo ? s.undoStack.popLast() : s.redoStack.popLast() else {
                s.status = undo ? "nothing to undo" : "nothing to redo"
                return []
            }
            let back = UndoStep(document: s.document, what: step.what, pane: step.pane)
            if undo { s.redoStack.append(back) } else { s.undoStack.append(back) }
            // Models only join (their images are embedded by then): undo keeps them, and
            // the preview's choice, which is a view's and no edit.
            let models = s.document.otherModels, preview = s.document.showPreview
            s.document = step.document
            s.document.otherModels = models
            s.document.showPreview = preview
            for p in Pane.allCases where p.isEditable { setRow(&s, p, s.row(p), imageCount) }
            // The pane that changed takes the focus, so that the change is in sight.
            if let pane = step.pane { s.focus = pane }
            s.status = (undo ? "undid: " : "redid: ") + step.what
            return [.rescore, .save]
        case .swapAB, .copyAToB, .copyBToA:
            let effects = s.editing != nil ? commit(&s) : []
            switch action {
            case .swapAB: checkpoint(&s, "swap of A and B")
            case .copyAToB: checkpoint(&s, "copy of A into B", pane: .templatesB)
            default: checkpoint(&s, "copy of B into A", pane: .templatesA)
            }
            switch action {
            case .swapAB:
                // The candidates change places (their sets, and their models if they differ).
                swap(&s.document.candidateA, &s.document.candidateB)
                s.status = "swapped A and B"
            case .copyAToB: s.document.templatesB = s.document.templatesA; s.status = "copied A to B"
            default: s.document.templatesA = s.document.templatesB; s.status = "copied B to A"
            }
            for p in [Pane.templatesA, .templatesB] { setRow(&s, p, s.row(p), imageCount) }
            return effects + [.rescore, .save]
        case let .openedLabels(set, path):
            checkpoint(&s, "open of \(path) into Labels", pane: .labels)
            s.document.setLabels(set)
            setRow(&s, .labels, 0, imageCount)
            s.status = "opened \(path): \(set.classes.count) classes (u undoes)"
            return [.rescore, .save]
        case let .openedTemplates(pane, set, path):
            checkpoint(&s, "open of \(path) into \(pane.title)", pane: pane)
            let lines = set.templates.map(\.text)
            if pane == .templatesA {
                s.document.templatesA = lines; s.document.nameA = set.name
            } else {
                s.document.templatesB = lines; s.document.nameB = set.name
            }
            setRow(&s, pane, 0, imageCount)
            s.status = "opened \(path): \(lines.count) templates into \(pane.title) (u undoes)"
            return [.rescore, .save]
        case let .openedImages(path, count):
            s.document.images = path
            s.rows[.images] = 0
            s.search = nil
            s.classFilter = nil
            s.status = "opened \(path): \(count) images, encoding…"
            return [.save]
        case let .replaceTemplatesB(lines, name, note):
            let effects = s.editing != nil ? commit(&s) : []
            checkpoint(&s, "forward selection into B", pane: .templatesB)
            s.selecting = false
            s.document.templatesB = lines
            s.document.nameB = name
            setRow(&s, .templatesB, 0, imageCount)
            s.focus = .templatesB
            s.status = "forward selection put \(lines.count) template\(lines.count == 1 ? "" : "s") in B: \(note) (u undoes)"
            return effects + [.rescore, .save]
        default: return nil
        }
    }
}
