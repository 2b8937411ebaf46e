/// The pure part of the front end: a state and an action in, the next state and the
/// effects out. `imageCount` is the length of the visible image list.
public enum Reducer {
    public static func reduce(_ s: inout SessionState, _ action: Action, imageCount: Int) -> [Effect] {
        // A prompt on the status line takes every edit until Enter or Esc.
        if s.prompt != nil {
            switch action {
            case let .edit(e): s.prompt!.editor.apply(e); return []
            case let .paste(text):
                // A path is one line: the first pasted one.
                s.prompt!.editor.apply(.insert(Self.pastedLines(text).first ?? ""))
                return []
            case let .setPromptText(text, status):
                s.prompt!.editor = LineEditor(text)
                s.status = status
                return []
            case .completePath:
                return []  // the controller answers with .setPromptText
            case .commitEdit:
                let p = s.prompt!
                s.prompt = nil
                let text = p.editor.text.trimmingCharacters(in: .whitespaces)
                if case let .open(pane) = p.purpose {
                    guard !text.isEmpty else { s.status = "open cancelled"; return [] }
                    s.status = "opening \(text)…"
                    return [.open(pane, path: text)]
                }
                if p.purpose == .search {
                    guard !text.isEmpty else { s.search = nil; s.status = "search cleared"; return [] }
                    s.status = "searching the images for '\(text)'…"
                    return [.search(text)]
                }
                guard !text.isEmpty else { s.status = "export cancelled"; return [] }
                return [.export(path: text)]
            case .cancelEdit:
                switch s.prompt!.purpose {
                case .search: s.status = ""
                case .exportPath: s.status = "export cancelled"
                case .open: s.status = "open cancelled"
                }
                s.prompt = nil
                return []
            case .quit: break
            default: return []
            }
        }
        switch action {
        case .focusNext, .focusPrevious, .focus:
            let effects = s.editing != nil ? commit(&s) : []
            let all = Pane.allCases
            let i = all.firstIndex(of: s.focus)!
            switch action {
            case .focusNext: s.focus = all[(i + 1) % all.count]
            case .focusPrevious: s.focus = all[(i + all.count - 1) % all.count]
            case let .focus(p): s.focus = p
            default: break
            }
            return effects
        case let .move(delta):
            guard s.editing == nil else { return [] }
            setRow(&s, s.focus, s.row(s.focus) + delta, imageCount)
            return s.focus == .images ? [.save] : []
        case .moveToTop:
            guard s.editing == nil else { return [] }
            setRow(&s, s.focus, 0, imageCount)
            return []
        case .moveToBottom:
            guard s.editing == nil else { return [] }
            setRow(&s, s.focus, Int.max / 2, imageCount)
            return []
        case let .scroll(pane, delta):
            guard s.editing == nil else { return [] }
            setRow(&s, pane, s.row(pane) + delta, imageCount)
            return pane == .images ? [.save] : []
        case let .selectRow(pane, row):
            let effects = s.editing != nil ? commit(&s) : []
            s.focus = pane
            setRow(&s, pane, row, imageCount)
            return effects
        case .beginEdit:
            guard s.focus.isEditable else { return [] }
            let lines = s.lines(s.focus)
            if lines.isEmpty {
                checkpoint(&s)
                s.setLines(s.focus, [""])
                s.rows[s.focus] = 0
            }
            s.editing = LineEditor(s.lines(s.focus)[s.row(s.focus)])
            s.editingOriginal = s.editing!.text
            return []
        case let .edit(e):
            guard s.editing != nil else { return [] }
            s.editing!.apply(e)
            // Scores follow the text as it is typed.
            var lines = s.lines(s.focus)
            let r = s.row(s.focus)
            if r < lines.count, lines[r] != s.editing!.text {
                // One edit is one undo step: the checkpoint is taken at its first change.
                if lines[r] == s.editingOriginal || s.editingOriginal == nil { checkpoint(&s) }
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
                    if s.undoStack.last == s.document { s.undoStack.removeLast() }
                    s.status = "edit undone"
                    return [.rescore, .save]
                }
            } else if s.showHelp {
                s.showHelp = false
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
            checkpoint(&s)
            var lines = s.lines(s.focus)
            let at = lines.isEmpty ? 0 : s.row(s.focus) + 1
            lines.insert("", at: at)
            s.setLines(s.focus, lines)
            s.rows[s.focus] = at
            s.editing = LineEditor("")
            s.editingOriginal = ""
            return [.save]
        case .deleteLine, .duplicateLine:
            guard s.focus.isEditable, s.editing == nil else { return [] }
            var lines = s.lines(s.focus)
            guard !lines.isEmpty else { return [] }
            checkpoint(&s)
            let r = min(s.row(s.focus), lines.count - 1)
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
            guard let previous = undo ? s.undoStack.popLast() : s.redoStack.popLast() else {
                s.status = undo ? "nothing to undo" : "nothing to redo"
                return []
            }
            if undo { s.redoStack.append(s.document) } else { s.undoStack.append(s.document) }
            s.document = previous
            for p in Pane.allCases where p.isEditable { setRow(&s, p, s.row(p), imageCount) }
            s.status = undo ? "undone" : "redone"
            return [.rescore, .save]
        case .swapAB, .copyAToB, .copyBToA:
            let effects = s.editing != nil ? commit(&s) : []
            checkpoint(&s)
            switch action {
            case .swapAB:
                swap(&s.document.templatesA, &s.document.templatesB)
                swap(&s.document.nameA, &s.document.nameB)
                s.status = "swapped A and B"
            case .copyAToB: s.document.templatesB = s.document.templatesA; s.status = "copied A to B"
            default: s.document.templatesA = s.document.templatesB; s.status = "copied B to A"
            }
            for p in [Pane.templatesA, .templatesB] { setRow(&s, p, s.row(p), imageCount) }
            return effects + [.rescore, .save]
        case .cycleFilter:
            let all = ImageFilter.allCases
            s.filter = all[(all.firstIndex(of: s.filter)! + 1) % all.count]
            s.rows[.images] = 0
            s.status = "showing: \(s.filter.rawValue)"
            return []
        case .cycleSort:
            let all = ImageSort.allCases
            s.sort = all[(all.firstIndex(of: s.sort)! + 1) % all.count]
            s.status = "sorted by \(s.sort.rawValue)"
            return []
        case .toggleHelp:
            s.showHelp.toggle()
            s.helpOffset = 0
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
            s.prompt = Prompt(purpose: .exportPath, label: "export to: ", editor: LineEditor("clip-tui-export.json"))
            return effects
        case .beginOpen:
            let effects = s.editing != nil ? commit(&s) : []
            let what: String
            switch s.focus {
            case .images, .scores: what = "images folder"
            case .labels: what = "labels"
            case .templatesA: what = "templates A"
            case .templatesB: what = "templates B"
            }
            let start = s.focus == .images || s.focus == .scores ? (s.document.images ?? "") : ""
            s.prompt = Prompt(purpose: .open(s.focus == .scores ? .images : s.focus), label: "open \(what): ", editor: LineEditor(start))
            s.status = "Tab completes the path; FILE#KEY picks one entry of a file that has several"
            return effects
        case let .openedLabels(set, path):
            checkpoint(&s)
            s.document.setLabels(set)
            setRow(&s, .labels, 0, imageCount)
            s.status = "opened \(path): \(set.classes.count) classes (u undoes)"
            return [.rescore, .save]
        case let .openedTemplates(pane, set, path):
            checkpoint(&s)
            let lines = set.templates.map(\.text)
            if pane == .templatesA { s.document.templatesA = lines; s.document.nameA = set.name } else {
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
        case .requestPrompts, .requestSkipped:
            return []  // the controller tokenizes (or lists) and answers with .showPrompts
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
        case .toggleClassView:
            let effects = s.editing != nil ? commit(&s) : []
            s.classView = s.classView == nil ? 0 : nil
            return effects
        case let .moveClass(delta):
            // The screen clamps the row to the classes it has.
            s.classView = max(0, (s.classView ?? 0) + delta)
            return []
        case .filterToSelectedClass:
            return []  // resolved to a class name by the controller, which knows the rows
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
            return effects + [.selectIntoB]
        case let .replaceTemplatesB(lines, name):
            let effects = s.editing != nil ? commit(&s) : []
            checkpoint(&s)
            s.document.templatesB = lines
            s.document.nameB = name
            setRow(&s, .templatesB, 0, imageCount)
            s.status = "forward selection put \(lines.count) templates in B (u undoes)"
            return effects + [.rescore, .save]
        case .completePath, .setPromptText:
            return []  // only with a path prompt open (above)
        case .quit:
            let effects = s.editing != nil ? commit(&s) : []
            s.quitting = true
            return effects + [.save, .quit]
        }
    }

    /// Pasted text as lines: terminals send a pasted newline as CR; tabs and other control
    /// characters become spaces (a template is one line of text); a final newline ends the
    /// last line rather than adding an empty one.
    static func pastedLines(_ text: String) -> [String] {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines = unified.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(String.UnicodeScalarView(line.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        }
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Into a line being edited: the first pasted line goes in at the cursor, as if typed,
    /// and any others become new lines below it. Into a list: every pasted line becomes a
    /// new line below the cursor. Either way one undo step, and never a key binding.
    private static func paste(_ s: inout SessionState, _ pasted: [String]) -> [Effect] {
        guard s.focus.isEditable, !pasted.isEmpty else {
            s.status = "paste into a label or template list (Tab), or into a line being edited"
            return []
        }
        checkpoint(&s)
        var lines = s.lines(s.focus)
        var below = pasted[...]
        var at = lines.isEmpty ? 0 : min(s.row(s.focus), lines.count - 1) + 1
        if var editor = s.editing, !lines.isEmpty {
            let r = at - 1
            editor.apply(.insert(pasted[0]))
            lines[r] = editor.text
            below = pasted.dropFirst()
            if below.isEmpty {
                s.setLines(s.focus, lines)
                s.editing = editor
                return [.rescore, .save]
            }
            at = r + 1
        }
        lines.insert(contentsOf: below, at: at)
        s.setLines(s.focus, lines)
        s.editing = nil
        s.rows[s.focus] = at + below.count - 1
        s.status = "pasted \(pasted.count) line\(pasted.count == 1 ? "" : "s") (u undoes)"
        return [.rescore, .save]
    }

    private static func commit(_ s: inout SessionState) -> [Effect] {
        guard s.editing != nil else { return [] }
        s.editing = nil
        return [.rescore, .save]
    }

    private static func checkpoint(_ s: inout SessionState) {
        s.undoStack.append(s.document)
        if s.undoStack.count > 200 { s.undoStack.removeFirst() }
        s.redoStack.removeAll()
    }

    private static func setRow(_ s: inout SessionState, _ pane: Pane, _ row: Int, _ imageCount: Int) {
        let count: Int
        switch pane {
        case .images: count = imageCount
        // One row per class, as `SessionDocument.labelSet` reads the lines.
        case .scores: count = s.document.labelSet.classes.count
        default: count = s.lines(pane).count
        }
        s.rows[pane] = max(0, min(row, count - 1))
    }
}
