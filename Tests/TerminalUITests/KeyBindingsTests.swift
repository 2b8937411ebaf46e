import Scoring
import TerminalUI
import XCTest

/// Every key the help lists does what the help says: one assertion per key, and the help's
/// length pinned, so that a key added to the help without a test here fails.
final class KeyBindingsTests: XCTestCase {
    let main = SessionState(document: SessionDocument(model: nil, images: nil, labels: ["cat"], templatesA: ["a {}"], templatesB: ["{}"]))

    func action(_ key: Key, _ state: SessionState? = nil) -> Action? { KeyBindings.action(for: key, state: state ?? main) }

    func testEveryKeyInTheHelp() {
        XCTAssertEqual(KeyBindings.help.count, 33, "a key was added to or removed from the help: test it here")
        // Panes
        for k in [Key.tab, .right, .character("l")] { XCTAssertEqual(action(k), .focusNext) }
        for k in [Key.backTab, .left, .character("h")] { XCTAssertEqual(action(k), .focusPrevious) }
        XCTAssertEqual(
            ["1", "2", "3", "4", "5"].map { action(.character(Character($0))) },
            [.focus(.images), .focus(.labels), .focus(.templatesA), .focus(.templatesB), .focus(.scores)])
        // Moves
        XCTAssertEqual(
            [Key.up, .character("k"), .down, .character("j"), .pageUp, .pageDown, .character("g"), .character("G")].map { action($0) },
            [.move(-1), .move(-1), .move(1), .move(1), .move(-10), .move(10), .moveToTop, .moveToBottom])
        // Editing
        XCTAssertEqual(action(.enter), .beginEdit)
        XCTAssertEqual(action(.character("i")), .beginEdit)
        var editing = main
        editing.editing = LineEditor("a {}")
        XCTAssertEqual(
            [Key.left, .right, .home, .end, .altLeft, .altRight].map { action($0, editing) },
            [.edit(.left), .edit(.right), .edit(.home), .edit(.end), .edit(.wordLeft), .edit(.wordRight)])
        XCTAssertEqual(
            [Key.backspace, .control("w"), .control("k"), .control("u")].map { action($0, editing) },
            [.edit(.backspace), .edit(.deleteWordLeft), .edit(.deleteToEnd), .edit(.deleteToStart)])
        XCTAssertEqual(action(.enter, editing), .commitEdit)
        XCTAssertEqual(action(.escape, editing), .cancelEdit)
        XCTAssertEqual(action(.character("q"), editing), .edit(.insert("q")), "keys are text while editing")
        // Lists
        XCTAssertEqual(
            [Key.character("a"), .character("o"), .character("d"), .character("y"), .character("u"), .control("r")].map { action($0) },
            [.addLine, .addLine, .deleteLine, .duplicateLine, .undo, .redo])
        XCTAssertEqual(
            [Key.character("s"), .character(">"), .character("<"), .character("F")].map { action($0) },
            [.swapAB, .copyAToB, .copyBToA, .runSelection])
        XCTAssertEqual([Key.character("f"), .character("S")].map { action($0) }, [.cycleFilter, .cycleSort])
        // Views and prompts
        XCTAssertEqual(
            [Key.character("e"), .character("/"), .character("p"), .character("c"), .character("!"), .character("O")].map { action($0) },
            [.beginExport, .beginSearch, .requestPrompts, .toggleClassView, .requestSkipped, .beginOpen])
        XCTAssertEqual([Key.character("t"), .character("T")].map { action($0) }, [.scaleTemperature(1.25), .scaleTemperature(0.8)])
        // Weights, the fitted temperature, the reliability view.
        XCTAssertEqual(
            [Key.character("w"), .character("="), .character("R")].map { action($0) }, [.cycleWeighting, .fitTemperature, .showReliability])
        XCTAssertEqual(action(.character("?")), .toggleHelp)
        // The preview (the controller makes .setPreview of it for the screen's width), zoom, messages.
        XCTAssertEqual([Key.character("v"), .character("z"), .character("m")].map { action($0) }, [.togglePreview, .toggleZoom, .showMessages])
        // Esc stops a running forward selection; zoomed, it first leaves the zoom.
        var selecting = main
        selecting.selecting = true
        XCTAssertEqual(action(.escape, selecting), .cancelSelection)
        selecting.zoom = true
        XCTAssertEqual(action(.escape, selecting), .cancelEdit)
        XCTAssertEqual(action(.character("q")), .quit)
        XCTAssertEqual(action(.control("c")), .quit)
        // The mouse: the controller maps a click to a row and the wheel to the pane under it.
        XCTAssertNil(action(.mouseClick(x: 1, y: 1)))
        XCTAssertNil(action(.mouseWheel(x: 1, y: 1, delta: 3)))
        // In the help, prompts and per-class views the same keys scroll; Esc leaves them.
        var help = main
        help.showHelp = true
        XCTAssertEqual([Key.down, .pageUp].map { action($0, help) }, [.scrollHelp(1), .scrollHelp(-10)])
        XCTAssertEqual(action(.escape, help), .toggleHelp)
        var prompts = main
        prompts.promptsView = PromptsView(title: "t", rows: [])
        XCTAssertEqual([Key.character("i"), .escape, .character("!")].map { action($0, prompts) }, [.togglePromptIds, .closePrompts, .closePrompts])
        var classes = main
        classes.classView = 0
        XCTAssertEqual([Key.down, .enter, .escape].map { action($0, classes) }, [.moveClass(1), .filterToSelectedClass, .toggleClassView])
        // The long views take g, G, Home, End to their ends (the controller keeps them in range).
        XCTAssertEqual(
            [Key.character("g"), .home, .character("G"), .end].map { action($0, classes) },
            [.moveClass(-1_000_000), .moveClass(-1_000_000), .moveClass(1_000_000), .moveClass(1_000_000)])
        XCTAssertEqual(
            [Key.character("g"), .end, .pageDown].map { action($0, prompts) },
            [.scrollPrompts(-1_000_000), .scrollPrompts(1_000_000), .scrollPrompts(10)])
        // The leaderboard: L opens it; there a and b choose, O adds, d removes a set, Esc or L closes.
        XCTAssertEqual(action(.character("L")), .toggleLeaderboard)
        var board = main
        board.leaderboardView = 0
        XCTAssertEqual(
            [Key.down, .pageUp, .character("G"), .character("a"), .character("b"), .character("O"), .character("d"), .escape, .character("L")]
                .map { action($0, board) },
            [
                .moveLeaderboard(1), .moveLeaderboard(-10), .moveLeaderboard(1_000_000), .chooseCandidate(.a), .chooseCandidate(.b),
                .beginOpen, .removeCandidateSet, .toggleLeaderboard, .toggleLeaderboard
            ])
    }

    /// The wheel scrolls the pane under the pointer without moving the focus.
    func testTheWheelScrollsThePaneUnderIt() {
        var s = main
        s.document.templatesB = (0..<30).map { "t\($0) {}" }
        _ = Reducer.reduce(&s, .scroll(.templatesB, 3), imageCount: 0)
        _ = Reducer.reduce(&s, .scroll(.templatesB, 3), imageCount: 0)
        XCTAssertEqual(s.row(.templatesB), 6)
        XCTAssertEqual(s.focus, .templatesA)
        _ = Reducer.reduce(&s, .scroll(.templatesB, -30), imageCount: 0)
        XCTAssertEqual(s.row(.templatesB), 0)
    }
}
