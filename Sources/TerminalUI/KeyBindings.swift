/// A key as the driver reads it.
public enum Key: Equatable, Sendable {
    case character(Character)
    case control(Character)  // Ctrl-A is .control("a")
    case up, down, left, right, home, end, pageUp, pageDown
    case enter, escape, tab, backTab, backspace, delete
    case altLeft, altRight, altBackspace
    case paste(String)
    case mouseClick(x: Int, y: Int)
    /// The wheel over a position: `delta` rows (negative: up).
    case mouseWheel(x: Int, y: Int, delta: Int)
    case resize
}

/// Keys terminal users already know: arrows and vi keys, Tab, Enter, Esc; emacs-style
/// motions while editing.
public enum KeyBindings {
    public static func action(for key: Key, state: SessionState) -> Action? {
        if state.editing != nil || state.prompt != nil {
            switch key {
            case let .character(c): return .edit(.insert(String(c)))
            case let .paste(s): return .paste(s)
            case .enter: return .commitEdit
            case .escape: return .cancelEdit
            case .backspace: return .edit(.backspace)
            case .delete, .control("d"): return .edit(.delete)
            case .left, .control("b"): return .edit(.left)
            case .right, .control("f"): return .edit(.right)
            case .home, .control("a"): return .edit(.home)
            case .end, .control("e"): return .edit(.end)
            case .altLeft: return .edit(.wordLeft)
            case .altRight: return .edit(.wordRight)
            case .control("w"), .altBackspace: return .edit(.deleteWordLeft)
            case .control("k"): return .edit(.deleteToEnd)
            case .control("u"): return .edit(.deleteToStart)
            case .tab:
                if state.prompt == nil { return .focusNext }
                if case .open = state.prompt!.purpose { return .completePath }
                if state.prompt!.purpose == .addCandidate { return .completePath }
                return nil
            case .backTab: return state.prompt == nil ? .focusPrevious : nil
            case .up, .down: return .commitEdit
            case .control("c"): return .quit
            default: return nil
            }
        }
        if case let .paste(text) = key { return .paste(text) }
        if state.chooser != nil {
            if let rows = scrollRows(key) { return .moveChooser(rows) }
            switch key {
            case .home, .character("g"): return .moveChooser(-1_000_000)
            case .end, .character("G"): return .moveChooser(1_000_000)
            case .enter: return .pickChoice
            case .escape, .character("q"): return .closeChooser
            case .control("c"): return .quit
            default: return nil
            }
        }
        if state.promptsView != nil {
            if let rows = scrollRows(key) { return .scrollPrompts(rows) }
            switch key {
            case .home, .character("g"): return .scrollPrompts(-1_000_000)
            case .end, .character("G"): return .scrollPrompts(1_000_000)
            case .character("i"): return .togglePromptIds
            case .escape, .character("p"), .character("!"): return .closePrompts
            case .control("c"), .character("q"): return .quit
            default: return nil
            }
        }
        if state.classView != nil {
            if let rows = scrollRows(key) { return .moveClass(rows) }
            switch key {
            case .home, .character("g"): return .moveClass(-1_000_000)
            case .end, .character("G"): return .moveClass(1_000_000)
            case .enter: return .filterToSelectedClass
            case .escape, .character("c"): return .toggleClassView
            case .control("c"), .character("q"): return .quit
            default: return nil
            }
        }
        if state.leaderboardView != nil && !state.showHelp {
            if let rows = scrollRows(key) { return .moveLeaderboard(rows) }
            switch key {
            case .home, .character("g"): return .moveLeaderboard(-1_000_000)
            case .end, .character("G"): return .moveLeaderboard(1_000_000)
            case .character("a"): return .chooseCandidate(.a)
            case .character("b"): return .chooseCandidate(.b)
            case .character("O"): return .beginOpen
            case .character("d"), .delete: return .removeCandidateSet
            case .character("u"): return .undo
            case .control("r"): return .redo
            case .character("s"): return .swapAB
            case .character("e"): return .beginExport
            case .character("t"): return .scaleTemperature(1.25)
            case .character("T"): return .scaleTemperature(0.8)
            case .character("?"): return .toggleHelp
            case .escape, .character("L"), .enter: return .toggleLeaderboard
            case .control("c"), .character("q"): return .quit
            default: return nil
            }
        }
        if state.showHelp {
            if let rows = scrollRows(key) { return .scrollHelp(rows) }
            switch key {
            case .control("c"), .character("q"): return .quit
            case .resize: return nil
            default: return .toggleHelp
            }
        }
        switch key {
        case .tab, .right, .character("l"): return .focusNext
        case .backTab, .left, .character("h"): return .focusPrevious
        case .up, .character("k"): return .move(-1)
        case .down, .character("j"): return .move(1)
        case .pageUp: return .move(-10)
        case .pageDown: return .move(10)
        case .home, .character("g"): return .moveToTop
        case .end, .character("G"): return .moveToBottom
        case .character("1"): return .focus(.images)
        case .character("2"): return .focus(.labels)
        case .character("3"): return .focus(.templatesA)
        case .character("4"): return .focus(.templatesB)
        case .character("5"): return .focus(.scores)
        case .enter, .character("i"): return .beginEdit
        case .character("a"), .character("o"): return .addLine
        case .character("d"), .delete: return .deleteLine
        case .character("y"): return .duplicateLine
        case .character("u"): return .undo
        case .control("r"): return .redo
        case .character("s"): return .swapAB
        case .character(">"): return .copyAToB
        case .character("<"): return .copyBToA
        case .character("f"): return .cycleFilter
        case .character("S"): return .cycleSort
        case .character("F"): return .runSelection
        case .character("e"): return .beginExport
        case .character("/"): return .beginSearch
        case .character("c"): return .toggleClassView
        case .character("L"): return .toggleLeaderboard
        case .character("p"): return .requestPrompts
        case .character("!"): return .requestSkipped
        case .character("O"): return .beginOpen
        case .character("t"): return .scaleTemperature(1.25)
        case .character("T"): return .scaleTemperature(0.8)
        case .character("w"): return .cycleWeighting
        case .character("="): return .fitTemperature
        case .character("R"): return .showReliability
        case .character("?"): return .toggleHelp
        case .character("v"): return .togglePreview
        case .character("z"): return .toggleZoom
        case .character("m"): return .showMessages
        case .escape: return state.selecting && !state.zoom ? .cancelSelection : .cancelEdit
        case .character("q"), .control("c"): return .quit
        default: return nil
        }
    }

    /// Rows a key moves by in the views that scroll (help, per class, prompts).
    static func scrollRows(_ key: Key) -> Int? {
        switch key {
        case .up, .character("k"): return -1
        case .down, .character("j"): return 1
        case .pageUp: return -10
        case .pageDown: return 10
        default: return nil
        }
    }

    /// The help overlay: every key, by what it does.
    public static let help: [(String, String)] = [
        ("Tab / Shift-Tab, ← →, h l", "next / previous pane"),
        ("1 2 3 4 5", "images, labels, templates A, templates B, scores (every class; ↑↓ scroll)"),
        ("↑ ↓, k j, PgUp PgDn, g G", "move"),
        ("Enter or i", "edit the line (scores follow as you type)"),
        ("  ← → Home End, Alt-← Alt-→", "cursor, by character or word"),
        ("  Backspace, Ctrl-W, Ctrl-K, Ctrl-U", "delete char, word, to end, to start"),
        ("  Enter / Esc", "keep the line / put it back as it was"),
        ("a or o", "add a line below"),
        ("d, y", "delete, duplicate the line"),
        ("u, Ctrl-R", "undo, redo"),
        ("s", "swap A and B"),
        ("> <", "copy A to B, B to A"),
        ("F", "forward selection of A's templates into B, judged on held-out folds (Esc cancels)"),
        ("f", "filter images: all, wrong under A, wrong under B, flipped"),
        ("S", "sort images: by name, by A's confidence (highest first), by A's margin (closest calls first)"),
        ("e", "export with metrics (asks for a path; .txt, .py and clip_benchmark hold one set: A, B or the best)"),
        ("/", "search the images by text: ranked by similarity (empty or Esc clears)"),
        ("p", "the real prompts of the template or label under the cursor, token counts, the cut at the model's context (77 CLIP, 64 SigLIP; i: token ids)"),
        ("t, T", "temperature up, down (×1.25): probabilities, NLL and ECE follow; top-1 does not"),
        ("=", "fit the temperature to the labelled images (minimum NLL under A; u undoes it)"),
        ("w", "weights of the focused set: equal, zpe (Allingham et al. 2023, no truth read), fit (to the labelled images); w0.42 beside a template"),
        ("R", "reliability of A and B: accuracy against confidence in 15 bins, with counts; ECE is read off them"),
        (
            "L",
            "leaderboard: every candidate (model × template set) by top-1, against the best (Holm-corrected); a / b make one A / B, O adds a set or a model, d removes a set"
        ),
        ("c", "per class: recall under A and B by their difference, the most confused pairs; Enter shows that class's images"),
        ("!", "the images that could not be read, each with its reason"),
        ("O", "open into the focused pane: an images folder, a labels file, a template set (Tab completes; FILE#KEY)"),
        ("v", "show or hide the preview (hidden, the templates take its room; kept in the session file)"),
        ("z", "zoom the focused pane to the whole screen (Tab moves through the panes; z or Esc returns)"),
        ("m", "the last 50 messages of the status line, newest last"),
        ("mouse click", "select a pane and a line"),
        ("mouse wheel", "scroll the pane under the pointer"),
        ("?", "this help (↑ ↓ PgUp PgDn scroll it)"),
        ("q or Ctrl-C", "quit (the session is saved)")
    ]

    /// What the figures on screen mean (the README's legend says the same).
    public static let legend: [(String, String)] = [
        ("9t", "tokens in the template's longest prompt (⚠ cut at 77, or the model's context: longer)"),
        ("89% beside a template", "its own top-1: the template alone"),
        ("+0 beside a template", "top-1 change in points when it is left out of its set (negative: it helps)"),
        ("A 88.8% [80–94]", "top-1 of set A with its Wilson 95% interval"),
        ("B−A +2.5 [+0.0, +6.2]", "difference in points, paired bootstrap 95% interval (2,000 resamples); […] while it is computed"),
        ("McNemar p=0.5", "exact test on the images only one set gets right"),
        ("flips 2→B 0→A", "images right only under B / only under A"),
        ("✓✗ · and ?name", "right, wrong, no truth; ?name: the truth is not a label now"),
        (
            "leaderboard: A, B, !",
            "the candidates shown as A and B; ! significantly worse than the best (bootstrap interval below 0 and Holm-corrected p < 0.05)"
        ),
        ("dimmed figures", "scores of a newer edit are on their way (scoring…, encoding N/M prompts)")
    ]
}
