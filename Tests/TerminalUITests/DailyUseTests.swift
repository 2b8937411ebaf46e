import Foundation
import Scoring
import TerminalUI
import XCTest

/// What a daily user trips over (issue 24): undo that names its step and shows it, a new
/// line and its typing as one step, messages that clear and are kept in a log, the sort and
/// the filter saying what they do, the preview's choice kept in the session file, zoom.
final class DailyUseTests: XCTestCase {
    func document() -> SessionDocument {
        SessionDocument(
            model: "m", images: "i", labels: ["cat", "dog | puppy"], templatesA: ["a photo of a {}.", "a {}."], templatesB: ["{}"])
    }

    func reduce(_ s: inout SessionState, _ actions: Action...) -> [Effect] {
        actions.flatMap { Reducer.reduce(&s, $0, imageCount: 5) }
    }

    /// `o`, typing, Enter, then one `u` takes the whole new line away (it used to leave it empty).
    func testANewLineAndItsTypingAreOneStep() {
        var s = SessionState(document: document())
        _ = reduce(&s, .addLine, .edit(.insert("x")), .edit(.insert(" {}")), .commitEdit)
        XCTAssertEqual(s.document.templatesA, ["a photo of a {}.", "x {}", "a {}."])
        XCTAssertEqual(s.undoStack.count, 1)
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.templatesA, ["a photo of a {}.", "a {}."])
        XCTAssertEqual(s.status, "undid: new template 2 in A")
        // Without the fix the first undo left an empty line behind: the test fails there.
        XCTAssertTrue(s.undoStack.isEmpty)
    }

    /// Undo says what it undid and puts the focus on the pane that changed.
    func testUndoNamesTheStepAndFocusesItsPane() {
        var s = SessionState(document: document())
        _ = reduce(&s, .focus(.templatesB), .beginEdit, .edit(.insert("a ")), .commitEdit, .focus(.labels))
        XCTAssertEqual(s.focus, .labels)
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.status, "undid: edit of template 1 in B")
        XCTAssertEqual(s.focus, .templatesB, "the pane that changed")
        XCTAssertEqual(s.document.templatesB, ["{}"])
        _ = reduce(&s, .focus(.images), .redo)
        XCTAssertEqual(s.status, "redid: edit of template 1 in B")
        XCTAssertEqual(s.focus, .templatesB)
        XCTAssertEqual(s.document.templatesB, ["{}a "])
        _ = reduce(&s, .focus(.labels), .deleteLine, .undo)
        XCTAssertEqual(s.status, "undid: deletion of label 1")
        _ = reduce(&s, .swapAB, .undo)
        XCTAssertEqual(s.status, "undid: swap of A and B")
    }

    /// A message clears when the user moves on, and stays in the log (the last 50).
    func testMessagesClearAndAreLogged() {
        var s = SessionState(document: document())
        _ = reduce(&s, .deleteLine)  // focus: templates A
        XCTAssertEqual(s.status, "deleted line 1")
        _ = reduce(&s, .move(1))
        XCTAssertEqual(s.status, "deleted line 1", "a move within the pane keeps it")
        _ = reduce(&s, .focusNext)
        XCTAssertEqual(s.status, "", "another pane: it no longer applies")
        XCTAssertEqual(s.messages, ["deleted line 1"])
        for i in 0..<60 { s.status = "message \(i)" }
        XCTAssertEqual(s.messages.count, 50)
        XCTAssertEqual(s.messages.first, "message 10")
        XCTAssertEqual(s.messages.last, "message 59")
    }

    /// `S` says the key, the direction and whose figures; the Images title says them short.
    func testSortSaysItsKeyDirectionAndSet() {
        var s = SessionState(document: document())
        _ = reduce(&s, .cycleSort)
        XCTAssertEqual(s.status, "images sorted by A's top probability, highest first (S: next order)")
        _ = reduce(&s, .cycleSort)
        XCTAssertTrue(s.status.contains("by A's margin") && s.status.contains("smallest first"), s.status)
        _ = reduce(&s, .cycleSort)
        XCTAssertEqual(s.status, "images sorted by file name, A to Z (S: next order)")
    }

    /// `v` is kept in the session file (undo leaves it), `z` zooms the focused pane.
    func testPreviewChoiceIsSavedAndZoomFollowsTheFocus() throws {
        var s = SessionState(document: document())
        XCTAssertEqual(reduce(&s, .setPreview(false)), [.save])
        _ = reduce(&s, .deleteLine, .setPreview(true), .undo)
        XCTAssertEqual(s.document.showPreview, true, "undo keeps the view's choice")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try s.document.write(path: file)
        XCTAssertTrue(try String(contentsOfFile: file, encoding: .utf8).contains(#""preview" : "shown""#))
        XCTAssertEqual(try SessionDocument.read(path: file).showPreview, true)

        _ = reduce(&s, .focus(.templatesB), .toggleZoom)
        XCTAssertEqual(s.zoomed, .templatesB)
        let zoomed = try XCTUnwrap(Layout(width: 80, height: 24, state: s))
        XCTAssertEqual(Array(zoomed.panes.keys), [.templatesB])
        XCTAssertEqual(zoomed.panes[.templatesB], Rect(x: 0, y: 1, width: 80, height: 21))
        _ = reduce(&s, .focusNext)
        XCTAssertEqual(s.zoomed, .scores, "Tab moves through the panes zoomed")
        _ = reduce(&s, .cancelEdit)
        XCTAssertNil(s.zoomed, "Esc returns")
    }

    /// At 80 columns the templates get 48 (a 33-character template and "13t 100% -17"
    /// beside it); the preview is hidden unless asked for, and shown from 120 columns.
    func testLayoutGivesTheTemplatesTheirRoom() throws {
        for width in [80, 100, 119] {
            let l = try XCTUnwrap(Layout(width: width, height: 24))
            XCTAssertNil(l.preview)
            XCTAssertGreaterThanOrEqual(l.panes[.templatesA]!.width, 48)
            XCTAssertGreaterThanOrEqual(l.panes[.scores]!.width, 30, "a class name and its figures")
        }
        for width in [120, 160] {
            let l = try XCTUnwrap(Layout(width: width, height: 40))
            XCTAssertNotNil(l.preview)
            XCTAssertGreaterThanOrEqual(l.panes[.templatesA]!.width, 48)
        }
        XCTAssertNotNil(Layout(width: 80, height: 24, preview: true)?.preview, "v shows it at 80 columns")
        XCTAssertNil(Layout(width: 160, height: 48, preview: false)?.preview, "and hides it at 160")
        // Every pane inside the screen, none overlapping, at every size and choice.
        for (w, h) in [(80, 24), (120, 40), (160, 48), (97, 31)] {
            for choice in [nil, true, false] as [Bool?] {
                let l = try XCTUnwrap(Layout(width: w, height: h, preview: choice))
                let rects = Array(l.panes.values) + [l.preview].compactMap { $0 }
                XCTAssertEqual(rects.reduce(0) { $0 + $1.width * $1.height }, w * (h - 3), "\(w)×\(h) \(String(describing: choice)): the body tiled")
                for r in rects { XCTAssertTrue(r.x >= 0 && r.y >= 1 && r.x + r.width <= w && r.y + r.height <= h - 2) }
            }
        }
    }

    /// A filter that leaves nothing says so in the Images pane (wrapped where it is narrow),
    /// and how to get images back.
    func testAnEmptyFilterSaysSo() {
        let rows: [ScoreSnapshot.ImageRow] = [
            .init(path: "/i/cat/1.png", name: "cat/1.png", truth: 0, predA: 0, predB: 0, confidenceA: 0.9, marginA: 0.8),
            .init(path: "/i/dog/2.png", name: "dog/2.png", truth: 1, predA: 1, predB: 1, confidenceA: 0.8, marginA: 0.6)
        ]
        let snapshot = ScoreSnapshot(
            testGeneration: 1, classNames: ["cat", "dog"], images: rows, probabilitiesA: [[0.9, 0.1], [0.2, 0.8]],
            probabilitiesB: [[0.8, 0.2], [0.1, 0.9]], templatesA: [:], templatesB: [:])
        var s = SessionState(document: document())
        s.filter = .flipped
        let text = Screen(state: s, snapshot: snapshot, preview: nil, header: "demo", engineStatus: "2 images", directColor: false)
            .render(width: 120, height: 40).text
        XCTAssertTrue(text.contains("no images flipped between A and B"), text)
        XCTAssertTrue(text.contains("f shows the next filter"), text)
    }

    /// A format of one set asks which (A, B or the best); clip_benchmark's asks the dataset
    /// name, suggested from the path and replaced by what is typed.
    func testExportAsksWhichSetAndTheDatasetName() {
        var s = SessionState(document: document())
        func answer(_ text: String) -> [Effect] {
            _ = reduce(&s, .edit(.insert(text)))
            return reduce(&s, .commitEdit)
        }
        _ = reduce(&s, .beginExport)
        XCTAssertEqual(answer("/tmp/out.json"), [.export(path: "/tmp/out.json")], "clip-tui's JSON holds every set")
        _ = reduce(&s, .beginExport)
        XCTAssertEqual(answer("/tmp/b.txt"), [])
        XCTAssertEqual(s.prompt?.purpose, .exportSet(path: "/tmp/b.txt"))
        XCTAssertEqual(answer("b"), [.export(path: "/tmp/b.txt", set: .b)])
        _ = reduce(&s, .beginExport)
        _ = answer("/tmp/cb/cars.cb.json")
        XCTAssertEqual(answer("maybe"), [], "not an answer: asked again")
        XCTAssertEqual(s.prompt?.purpose, .exportSet(path: "/tmp/cb/cars.cb.json"))
        XCTAssertEqual(answer("a"), [])
        XCTAssertEqual(s.prompt?.purpose, .exportDataset(path: "/tmp/cb/cars.cb.json", set: .a))
        XCTAssertEqual(s.prompt?.editor.text, "cars", "suggested from the path")
        XCTAssertEqual(answer("cifar10"), [.export(path: "/tmp/cb/cars.cb.json", set: .a, dataset: "cifar10")])
        XCTAssertNil(s.prompt)
    }

    /// A session of a set twice CuPL's ImageNet size (300,000 class sentences, about 30 MB
    /// of JSON, over the old 16 MiB cap) writes and reopens whole.
    func testASessionOfThreeHundredThousandSentencesReopens() throws {
        var doc = document()
        let classes = (0..<1_000).map { "class \($0)" }
        doc.labels = classes
        doc.classSentences = Dictionary(
            uniqueKeysWithValues: classes.map { c in
                (c, (0..<300).map { "a photo of a \(c), which is a kind of thing seen in sentence number \($0)." })
            })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cupl-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try doc.write(path: file)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        XCTAssertGreaterThan(size, 16 << 20, "over the old cap")
        let back = try SessionDocument.read(path: file)
        XCTAssertEqual(back.classSentences?.values.reduce(0) { $0 + $1.count }, 300_000)
        XCTAssertEqual(back, doc)
    }
}
