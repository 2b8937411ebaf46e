/// The pure part of the front end: a state and an action in, the next state and the
/// effects out. `imageCount` is the length of the visible image list.
public enum Reducer {
    public static func reduce(_ s: inout SessionState, _ action: Action, imageCount: Int) -> [Effect] {
        // A prompt on the status line takes every edit until Enter or Esc.
        if s.prompt != nil {
            switch action {
            case let .edit(e):
                if s.prompt!.prefilled {
                    // A suggestion: typing or deleting replaces it; a motion keeps it to edit.
                    s.prompt!.prefilled = false
                    switch e {
                    case .insert: s.prompt!.editor = LineEditor("")
                    case .backspace, .delete, .deleteWordLeft, .deleteToEnd, .deleteToStart:
                        s.prompt!.editor = LineEditor("")
                        return []
                    case .left, .right, .home, .end, .wordLeft, .wordRight: break
                    }
                }
                s.prompt!.editor.apply(e)
                return []
            case let .paste(text):
                // A path is one line: the first pasted one (in place of a suggestion).
                if s.prompt!.prefilled { s.prompt!.editor = LineEditor("") }
                s.prompt!.prefilled = false
                s.prompt!.editor.apply(.insert(Self.pastedLines(text).first ?? ""))
                return []
            case let .setPromptText(text, status):
                s.prompt!.editor = LineEditor(text)
                s.prompt!.prefilled = false
                s.status = status
                return []
            case .completePath:
                return [.completePath]  // the controller answers with .setPromptText
            case .commitEdit:
                let p = s.prompt!
                s.prompt = nil
                let text = p.editor.text.trimmingCharacters(in: .whitespaces)
                if case let .open(pane) = p.purpose {
                    guard !text.isEmpty else { s.status = "open cancelled"; return [] }
                    s.status = "opening \(text)…"
                    return [.open(pane, path: text)]
                }
                if p.purpose == .addCandidate {
                    guard !text.isEmpty else { s.status = "nothing added"; return [] }
                    s.status = "adding \(text)…"
                    return [.addCandidate(path: text)]
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
                case .addCandidate: s.status = "nothing added"
                }
                s.prompt = nil
                return []
            case .quit: break
            default: return []
            }
        }
        // By family, each in its own file: moves, edits of the document, views and prompts.
        return navigate(&s, action, imageCount) ?? editDocument(&s, action, imageCount) ?? views(&s, action, imageCount)
            ?? leaderboard(&s, action) ?? []
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
    static func paste(_ s: inout SessionState, _ pasted: [String]) -> [Effect] {
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

    static func commit(_ s: inout SessionState) -> [Effect] {
        guard s.editing != nil else { return [] }
        s.editing = nil
        return [.rescore, .save]
    }

    static func checkpoint(_ s: inout SessionState) {
        s.undoStack.append(s.document)
        if s.undoStack.count > 200 { s.undoStack.removeFirst() }
        s.redoStack.removeAll()
    }

    static func setRow(_ s: inout SessionState, _ pane: Pane, _ row: Int, _ imageCount: Int) {
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
