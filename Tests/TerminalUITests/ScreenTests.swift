import Foundation
import Scoring
import TerminalUI
import XCTest

/// Screens rendered off-screen and compared with recorded text. Re-record on purpose with
/// CLIP_TUI_RECORD_SCREENS=1 (the recording run fails, so it is never mistaken for a pass).
final class ScreenTests: XCTestCase {
    func assertScreen(_ grid: CellGrid, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Screens")
        let url = dir.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["CLIP_TUI_RECORD_SCREENS"] == "1" {
            try Data((grid.text + "\n").utf8).write(to: url)
            XCTFail("recorded \(url.path); run again without CLIP_TUI_RECORD_SCREENS", file: file, line: line)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(grid.text + "\n", expected, "screen \(name) differs from \(url.path)", file: file, line: line)
    }

    func snapshot() -> ScoreSnapshot {
        let rows: [ScoreSnapshot.ImageRow] = [
            .init(path: "/i/cat/1.png", name: "cat/1.png", truth: 0, predA: 0, predB: 1, confidenceA: 0.9, marginA: 0.8),
            .init(path: "/i/dog/2.png", name: "dog/2.png", truth: 1, predA: 1, predB: 1, confidenceA: 0.8, marginA: 0.6),
            .init(path: "/i/x.png", name: "x.png", truth: nil, predA: 0, predB: 0, confidenceA: 0.5, marginA: 0)
        ]
        return ScoreSnapshot(
            testGeneration: 1, classNames: ["cat", "dog"], images: rows,
            probabilitiesA: [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]],
            probabilitiesB: [[0.3, 0.7], [0.1, 0.9], [0.6, 0.4]],
            templatesA: Self.templatesA, templatesB: Self.templatesB)
    }

    /// The figures by template text, as the engine keys them.
    static let templatesA: [String: ScoreSnapshot.TemplateRow] = [
        "a photo of a {}.": .init(tokens: 9, warning: nil, accuracy: 1, leaveOneOut: -0.5),
        "no placeholder": .init(tokens: 4, warning: "no {}", accuracy: 0.5, leaveOneOut: 0)
    ]
    static let templatesB: [String: ScoreSnapshot.TemplateRow] = ["{}": .init(tokens: 3, warning: nil, accuracy: 0.5, leaveOneOut: nil)]

    func screen(_ state: SessionState, width: Int = 100, height: Int = 26) -> CellGrid {
        Screen(
            state: state, snapshot: snapshot(), preview: PreviewImage(width: 2, height: 2, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]),
            header: "demo · images", engineStatus: "3 images", directColor: false
        ).render(width: width, height: height)
    }

    func document() -> SessionDocument {
        SessionDocument(
            model: "m", images: "i", labels: ["cat", "dog | puppy"], templatesA: ["a photo of a {}.", "no placeholder"],
            templatesB: ["{}"])
    }

    func testMainScreen() throws {
        let grid = screen(SessionState(document: document()))
        try assertScreen(grid, "main")
        // The scores pane is narrowest at 100 columns: B − A for cat (30% − 90%) is there whole.
        XCTAssertTrue(grid.text.contains("30% -60"), grid.text)
    }

    /// A sigmoid model's scores say so: they do not sum to 100%.
    func testSigmoidRuleIsShown() {
        let base = snapshot()
        let sigmoid = ScoreSnapshot(
            testGeneration: 1, classNames: base.classNames, images: base.images,
            probabilitiesA: [[0.9, 0.01], [0.2, 0.8], [0.5, 0.5]], probabilitiesB: [[0.3, 0.02], [0.1, 0.9], [0.6, 0.4]],
            templatesA: Self.templatesA, templatesB: Self.templatesB, rule: .sigmoid(scale: 10, bias: -10))
        for width in [100, 160] {
            let grid = Screen(
                state: SessionState(document: document()), snapshot: sigmoid, preview: nil, header: "siglip · images",
                engineStatus: "3 images", directColor: false
            ).render(width: width, height: 26)
            XCTAssertTrue(grid.text.contains("sigmoid(10·cos−10)") || grid.text.contains("sigmoid(10·cos − 10) per class"), grid.text)
            XCTAssertFalse(grid.text.contains("softmax"))
        }
    }

    /// The three sizes people use, recorded: every row as wide as the terminal, class names
    /// in the Scores pane at least 12 cells wherever they are drawn.
    func testRecordedSizes() throws {
        for (w, h) in [(80, 24), (120, 40), (160, 48)] {
            let grid = screen(SessionState(document: document()), width: w, height: h)
            try assertScreen(grid, "main-\(w)x\(h)")
            for line in grid.text.split(separator: "\n", omittingEmptySubsequences: false) {
                XCTAssertEqual(TextWidth.columns(String(line)), w)
            }
            XCTAssertTrue(grid.text.contains("▸cat "), "\(w)×\(h)")
        }
    }

    /// Template figures follow the line's text, not its position: lines moved show their
    /// own figures, a new empty line shows none, a line typed since shows "…".
    func testTemplateFiguresAreFoundByText() {
        var doc = document()
        doc.templatesA = ["no placeholder", "", "a photo of a {}.", "a new line {}"]
        let grid = Screen(
            state: SessionState(document: doc), snapshot: snapshot(), preview: nil, header: "demo", engineStatus: "3 images",
            directColor: false
        ).render(width: 100, height: 26)
        let rows = grid.text.split(separator: "\n").map(String.init)
        func row(_ text: String) -> String? { rows.first { $0.contains(text) } }
        XCTAssertTrue(row("no placehold")?.contains("⚠ no {} 4t 50% +0") ?? false, grid.text)
        XCTAssertTrue(row("a photo of a {}.")?.contains("9t 100% -50") ?? false, grid.text)
        XCTAssertTrue(row("a new line {}")?.contains("…") ?? false, grid.text)
        let empty = try? XCTUnwrap(row("(empty)"))
        XCTAssertFalse(empty?.contains("t ") ?? true, "an empty line has no figures: \(grid.text)")
    }

    func testEditingWideCharactersKeepColumns() throws {
        var s = SessionState(document: document())
        _ = Reducer.reduce(&s, .beginEdit, imageCount: 3)
        _ = Reducer.reduce(&s, .edit(.insert(" 猫🐱")), imageCount: 3)
        let grid = screen(s)
        try assertScreen(grid, "editing-wide")
        // Every row is exactly as wide as the terminal.
        for line in grid.text.split(separator: "\n", omittingEmptySubsequences: false) {
            XCTAssertEqual(TextWidth.columns(String(line)), 100, String(line))
        }
    }

    /// A line longer than its pane scrolls while edited: the cursor and the text before it
    /// stay on screen, the start gives way.
    func testALongLineScrollsAroundTheCursor() throws {
        var s = SessionState(document: document())
        _ = Reducer.reduce(&s, .beginEdit, imageCount: 3)
        let long = " seen from far above on a foggy winter morning at the end"
        _ = Reducer.reduce(&s, .edit(.insert(long + "END")), imageCount: 3)
        let text = screen(s).text
        XCTAssertTrue(text.contains("at the endEND"), text)
        XCTAssertFalse(text.contains("a photo of a {}"), "the start has scrolled away:\n\(text)")
        _ = Reducer.reduce(&s, .edit(.home), imageCount: 3)
        XCTAssertTrue(screen(s).text.contains("a photo of a {}"), "back at the start")
    }

    /// At 80×24 the overlay scrolls: every key and every legend entry is reachable, whole.
    func testHelpFitsSmallTerminalsAndScrollsToTheLegend() {
        var s = SessionState(document: document())
        _ = Reducer.reduce(&s, .toggleHelp, imageCount: 3)
        var seen = ""
        for _ in 0..<12 {
            seen += screen(s, width: 80, height: 24).text
            _ = Reducer.reduce(&s, .scrollHelp(10), imageCount: 3)
        }
        // Every key whole on one line, with the start of its description beside it.
        let lines = seen.split(separator: "\n").map(String.init)
        for (key, what) in KeyBindings.help + KeyBindings.legend {
            let start = String(what.prefix(6))
            XCTAssertTrue(lines.contains { $0.contains(key) && $0.contains(start) }, "'\(key)' and '\(start)' on one line")
        }
        for entry in ["Legend", "Wilson", "bootstrap", "McNemar", "flips", "its own top-1", "left out of"] {
            XCTAssertTrue(seen.contains(entry), entry)
        }
        XCTAssertTrue(s.showHelp, "scrolling keeps it open")
        XCTAssertEqual(KeyBindings.action(for: .character("x"), state: s), .toggleHelp, "any other key closes")
    }

    /// A weighted set shows each template's weight beside its figures, and its method in
    /// the pane's title; a line without {} has no weight.
    func testTemplateWeightsBesideTheirFigures() {
        var doc = document()
        doc.sets[doc.setA].weighting = .zpe
        let base = snapshot()
        let weighted = ScoreSnapshot(
            testGeneration: 1, classNames: base.classNames, images: base.images,
            probabilitiesA: [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]], probabilitiesB: [[0.3, 0.7], [0.1, 0.9], [0.6, 0.4]],
            templatesA: Self.templatesA, templatesB: Self.templatesB, weightsA: ["a photo of a {}.": 0.7, "{} art": 0.3])
        let text = Screen(state: SessionState(document: doc), snapshot: weighted, preview: nil, header: "demo", engineStatus: "", directColor: false)
            .render(width: 120, height: 26).text
        let lines = text.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("a photo of a {}.") && $0.contains("w0.70") }, text)
        XCTAssertFalse(lines.contains { $0.contains("no placeholder") && $0.contains("w0.") }, text)
        XCTAssertTrue(text.contains("· w zpe"), text)
    }

    func testHelpOverlay() throws {
        var s = SessionState(document: document())
        s.showHelp = true
        try assertScreen(screen(s), "help")
    }

    func testTooSmall() throws {
        try assertScreen(screen(SessionState(document: document()), width: 60, height: 10), "too-small")
    }

    func testFiltersAndSorts() {
        let s = snapshot()
        XCTAssertEqual(s.visibleImages(filter: .all, sort: .name), [0, 1, 2])
        XCTAssertEqual(s.visibleImages(filter: .wrongB, sort: .name), [0])
        XCTAssertEqual(s.visibleImages(filter: .flipped, sort: .name), [0])
        XCTAssertEqual(s.visibleImages(filter: .all, sort: .confidence), [0, 1, 2])
        XCTAssertEqual(s.visibleImages(filter: .all, sort: .margin), [2, 1, 0])
    }

    func testAMarkWithNoBaseIsDrawnOnADottedCircle() {
        // Found by fuzz-session: a label starting with a combining mark would join the
        // previous cell on the terminal.
        var g = CellGrid(width: 4, height: 1)
        XCTAssertEqual(g.put("\u{301}x\u{192B}", x: 0, y: 0), 2)  // "x" and its spacing mark are one character
        XCTAssertEqual(g[0, 0].character, Character("\u{25CC}\u{301}"))
        XCTAssertEqual(g[1, 0].character, "x\u{192B}")
    }

    func testGridClipsAndMarksWideCells() {
        var g = CellGrid(width: 5, height: 1)
        let end = g.put("a猫b\u{7}cd", x: 0, y: 0)
        XCTAssertEqual(end, 5)
        XCTAssertTrue(g[2, 0].isContinuation)
        XCTAssertEqual(g.text, "a猫b?")
        XCTAssertEqual(TextWidth.columns("e\u{301}"), 1)
        XCTAssertEqual(TextWidth.prefix("猫猫猫", fitting: 5), "猫猫")
    }
}

/// A cold open hands out scores from the templates encoded so far: the panes say how many,
/// and a set with none yet shows no top-1 and no comparison.
extension ScreenTests {
    private func coldOpenSnapshot(a: (scored: Int, of: Int), b: (scored: Int, of: Int)) -> ScoreSnapshot {
        let base = snapshot()
        return ScoreSnapshot(
            testGeneration: 1, classNames: base.classNames, images: base.images,
            probabilitiesA: [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]], probabilitiesB: [[0.3, 0.7], [0.1, 0.9], [0.6, 0.4]],
            templatesA: [:], templatesB: [:], partialA: a, partialB: b)
    }

    private func coldOpenScreen(_ s: ScoreSnapshot) -> String {
        Screen(state: SessionState(document: document()), snapshot: s, preview: nil, header: "demo", engineStatus: "encoding", directColor: false)
            .render(width: 120, height: 24).text
    }

    func testAColdOpenMarksPartialScoresAndASetWithNoTemplateYet() {
        // A from 1 of 80 templates (both labelled images right: 100%), B none of its 7 yet.
        var text = coldOpenScreen(coldOpenSnapshot(a: (1, 80), b: (0, 7)))
        XCTAssertTrue(text.contains("top-1 100% 1/80 templates"), text)
        XCTAssertTrue(text.contains("0/7 templates"), text)
        XCTAssertTrue(text.contains("A 100.0% (1/80 templates)  B waits for its first template"), text)
        XCTAssertFalse(text.contains("McNemar"), "no comparison with a set that has no template yet:\n\(text)")
        // Both in part: both top-1s (B right on dog only: 50%), and the usual comparison line.
        text = coldOpenScreen(coldOpenSnapshot(a: (12, 80), b: (3, 7)))
        XCTAssertTrue(text.contains("top-1 100% 12/80 templates"), text)
        XCTAssertTrue(text.contains("top-1 50% 3/7 templates"), text)
        XCTAssertTrue(text.contains("B−A -50.0"), text)
    }
}
