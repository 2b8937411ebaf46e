import Foundation
import Scoring

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
                return exportStep(&s, p.purpose, text)
            case .cancelEdit:
                switch s.prompt!.purpose {
                case .search: s.status = ""
                case .exportPath, .exportSet, .exportDataset: s.status = "export cancelled"
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
        let serial = s.statusSerial
        let effects =
            navigate(&s, action, imageCount) ?? editDocument(&s, action, imageCount) ?? views(&s, action, imageCount)
            ?? leaderboard(&s, action) ?? []
        // A message no longer applies once the user moves to another pane or changes a line
        // (it stays in the log, `m`).
        if s.statusSerial == serial, action.movesOn, !s.status.isEmpty { s.status = "" }
        return effects
    }

    /// The export's questions in turn: the path; for a format of one set, which set; for
    /// clip_benchmark, the dataset name (suggested from the path). Then the export.
    static func exportStep(_ s: inout SessionState, _ purpose: Prompt.Purpose, _ text: String) -> [Effect] {
        switch purpose {
        case .exportPath:
            guard !text.isEmpty else { s.status = "export cancelled"; return [] }
            guard let format = ExportFormat.inferred(from: text), format != .clipTUI else { return [.export(path: text)] }
            s.prompt = Prompt(
                purpose: .exportSet(path: text), label: "\(format.rawValue) holds one set: write A, B, or best? ", editor: LineEditor("best"), prefilled: true)
            s.status = "a or b: that set; best: the leaderboard's first (the highest top-1; in a tie, the earlier set)"
            return []
        case let .exportSet(path):
            let role: Role?
            switch text.lowercased() {
            case "a": role = .a
            case "b": role = .b
            case "best", "": role = nil
            default:
                s.prompt = Prompt(purpose: .exportSet(path: path), label: "write A, B, or best? ", editor: LineEditor(""))
                s.status = "'\(text)': answer a, b or best"
                return []
            }
            guard ExportFormat.inferred(from: path) == .clipBenchmark else { return [.export(path: path, set: role)] }
            let suggested = ExportFormat.datasetName(fromOutput: path) ?? URL(fileURLWithPath: path).lastPathComponent
            s.prompt = Prompt(
                purpose: .exportDataset(path: path, set: role), label: "clip_benchmark dataset name: ", editor: LineEditor(suggested),
                prefilled: true)
            s.status = "the key clip_benchmark looks the templates up by (cifar10, imagenet1k, …)"
            return []
        case let .exportDataset(path, role):
            guard !text.isEmpty else {
                s.prompt = Prompt(purpose: .exportDataset(path: path, set: role), label: "clip_benchmark dataset name: ", editor: LineEditor(""))
                s.status = "clip_benchmark needs a dataset name"
                return []
            }
            return [.export(path: path, set: role, dataset: text)]
        default:
            return []
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
    static func paste(_ s: inout SessionState, _ pasted: [String]) -> [Effect] {
        guard s.focus.isEditable, !pasted.isEmpty else {
            s.status = "paste into a label or template list (Tab), or into a line being edited"
            return []
        }
        checkpoint(&s, "paste into \(s.focus.title)", pane: s.focus)
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

    /// Pushes the document as it is now: the state `what` (done to `pane`) changes.
    static func checkpoint(_ s: inout SessionState, _ what: String, pane: Pane? = nil) {
        s.undoStack.append(UndoStep(document: s.document, what: what, pane: pane))
        if s.undoStack.count > 200 { s.undoStack.removeFirst() }
        s.redoStack.removeAll()
    }

    /// A line as the undo status names it: "template 3 in A", "label 12".
    static func lineName(_ pane: Pane, _ row: Int) -> String {
        switch pane {
        case .templatesA: return "template \(row + 1) in A"
        case .templatesB: return "template \(row + 1) in B"
        default: return "label \(row + 1)"
        }
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
