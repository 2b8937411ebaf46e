import Scoring
import Tensors
import TerminalUI
import XCTest

final class ReducerTests: XCTestCase {
    func document() -> SessionDocument {
        SessionDocument(
            model: "m", images: "i", labels: ["cat", "dog | puppy"], templatesA: ["a photo of a {}.", "a {}."],
            templatesB: ["{}"])
    }

    func reduce(_ s: inout SessionState, _ actions: Action...) -> [Effect] {
        actions.flatMap { Reducer.reduce(&s, $0, imageCount: 5) }
    }

    /// Label lines become classes: names split at `|` and trimmed of spaces (a plain name
    /// is taken as it is), blank lines and names dropped.
    func testLabelLinesBecomeClasses() {
        let lines = ["cat", " cat ", "cat | kitty ", "|", "", "  ", "owl\u{3000}", "\tdog", "eel |", "fox\u{301}"]
        let doc = SessionDocument(model: nil, images: "i", labels: lines, templatesA: ["{}"], templatesB: ["{}"])
        XCTAssertEqual(doc.labelSet.classes.map(\.names), [["cat"], ["cat"], ["cat", "kitty"], ["owl"], ["dog"], ["eel"], ["fox\u{301}"]])
    }

    /// The session reads its images' truth as `eval` does: `--truth` (kept in the session
    /// file, which round-trips it) over the folder names.
    func testTheSessionsTruthFileLabelsItsImages() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truth-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images/x"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["1.png", "2.png"] { try Data([0]).write(to: dir.appendingPathComponent("images/x/\(name)")) }
        try "path,class\nx/1.png,cat\nx/2.png,dog\n".write(to: dir.appendingPathComponent("truth.csv"), atomically: true, encoding: .utf8)
        var doc = SessionDocument(model: nil, images: dir.appendingPathComponent("images").path, labels: ["cat", "dog"], templatesA: ["{}"], templatesB: ["{}"])
        doc.truth = dir.appendingPathComponent("truth.csv").path
        doc.temperature = 1.25
        let items = try doc.collection(folder: doc.images!).items
        XCTAssertEqual(items.map(\.truthName), ["cat", "dog"])
        let file = dir.appendingPathComponent("session.json").path
        try doc.write(path: file)
        let back = try SessionDocument.read(path: file)
        XCTAssertEqual(back, doc)
        XCTAssertEqual(back.evaluationRequest().temperature, 1.25)
    }

    /// Esc after typing and a paste leaves nothing to undo into: the cancelled edit's
    /// steps go with it (Enter, End, " wow", paste "abc", Esc, u).
    func testACancelledEditWithAPasteLeavesNoUndoStep() {
        var s = SessionState(document: document())
        let before = s.document
        _ = reduce(&s, .beginEdit, .edit(.end), .edit(.insert(" wow")), .paste("abc"), .cancelEdit)
        XCTAssertEqual(s.document, before)
        XCTAssertEqual(s.status, "edit undone")
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document, before, "undo has nothing of the cancelled edit to bring back")
        // A kept edit keeps its steps: the typing, then the paste.
        _ = reduce(&s, .beginEdit, .edit(.end), .edit(.insert(" wow")), .paste("abc"), .commitEdit)
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}. wowabc")
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}. wow")
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document, before)
    }

    /// A prefilled path is a suggestion: typing replaces it, a motion keeps it to edit.
    func testAPrefilledPathIsReplacedByTyping() {
        var s = SessionState(document: document())
        _ = reduce(&s, .beginExport)
        XCTAssertEqual(s.prompt?.editor.text, "~/clip-tui-export.json", "a default in the home folder, not the working one")
        _ = reduce(&s, .edit(.insert("/tmp/out.json")))
        XCTAssertEqual(s.prompt?.editor.text, "/tmp/out.json")
        _ = reduce(&s, .cancelEdit, .beginExport, .edit(.end), .edit(.backspace), .edit(.backspace), .edit(.backspace), .edit(.backspace))
        XCTAssertEqual(s.prompt?.editor.text, "~/clip-tui-export.", "after a motion, keys edit the suggestion")
        _ = reduce(&s, .cancelEdit, .beginExport, .paste("/tmp/p.json"))
        XCTAssertEqual(s.prompt?.editor.text, "/tmp/p.json")
    }

    func testTypingEditsTheLineAndAsksForScoresAtEachKey() {
        var s = SessionState(document: document())
        XCTAssertEqual(s.focus, .templatesA)
        _ = reduce(&s, .beginEdit)
        XCTAssertEqual(s.editing?.text, "a photo of a {}.")
        let effects = reduce(&s, .edit(.insert("!")))
        XCTAssertEqual(effects, [.rescore, .save])
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}.!")
        _ = reduce(&s, .edit(.backspace), .edit(.wordLeft), .edit(.deleteWordLeft))
        XCTAssertEqual(s.document.templatesA[0], "a photo a {}.")
        _ = reduce(&s, .commitEdit)
        XCTAssertNil(s.editing)
        // One undo step brings back the line as it was before the editing began.
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}.")
        _ = reduce(&s, .redo)
        XCTAssertEqual(s.document.templatesA[0], "a photo a {}.")
    }

    func testLinesAddDeleteDuplicateAndStayInRange() {
        var s = SessionState(document: document())
        _ = reduce(&s, .move(1), .duplicateLine)
        XCTAssertEqual(s.document.templatesA, ["a photo of a {}.", "a {}.", "a {}."])
        XCTAssertEqual(s.row(.templatesA), 2)
        _ = reduce(&s, .deleteLine, .deleteLine, .deleteLine)
        XCTAssertEqual(s.document.templatesA, [])
        XCTAssertEqual(s.row(.templatesA), 0)
        _ = reduce(&s, .deleteLine)  // nothing left: no crash, no change
        _ = reduce(&s, .addLine, .edit(.insert("itap of a {}.")), .commitEdit)
        XCTAssertEqual(s.document.templatesA, ["itap of a {}."])
        _ = reduce(&s, .move(100))
        XCTAssertEqual(s.row(.templatesA), 0)
        _ = reduce(&s, .focus(.images), .move(100))
        XCTAssertEqual(s.row(.images), 4)
    }

    func testSwapCopyAndSelection() {
        var s = SessionState(document: document())
        _ = reduce(&s, .swapAB)
        XCTAssertEqual(s.document.templatesA, ["{}"])
        XCTAssertEqual(s.document.nameA, "B")
        _ = reduce(&s, .copyAToB)
        XCTAssertEqual(s.document.templatesB, ["{}"])
        let effects = reduce(&s, .replaceTemplatesB(["x {}"], name: "chosen", note: "held-out top-1 50.0%"))
        XCTAssertTrue(effects.contains(.rescore))
        XCTAssertEqual(s.document.templatesB, ["x {}"])
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.templatesB, ["{}"])
    }

    func testFocusFilterSortHelpAndQuit() {
        var s = SessionState(document: document())
        _ = reduce(&s, .focusNext)
        XCTAssertEqual(s.focus, .templatesB)
        _ = reduce(&s, .focusNext)
        XCTAssertEqual(s.focus, .scores, "the Scores pane takes the focus too")
        _ = reduce(&s, .move(5))
        XCTAssertEqual(s.row(.scores), 1, "two classes: the cursor stops at the last")
        _ = reduce(&s, .focusNext)
        XCTAssertEqual(s.focus, .images)
        _ = reduce(&s, .focusPrevious, .focusPrevious, .focusPrevious)
        XCTAssertEqual(s.focus, .templatesA)
        _ = reduce(&s, .cycleFilter, .cycleFilter, .cycleFilter)
        XCTAssertEqual(s.filter, .flipped)
        _ = reduce(&s, .cycleSort)
        XCTAssertEqual(s.sort, .confidence)
        _ = reduce(&s, .toggleHelp)
        XCTAssertTrue(s.showHelp)
        _ = reduce(&s, .cancelEdit)
        XCTAssertFalse(s.showHelp)
        _ = reduce(&s, .beginEdit, .edit(.insert("z")))
        let effects = reduce(&s, .quit)
        XCTAssertTrue(s.quitting)
        XCTAssertEqual(effects.last, .quit)
        XCTAssertTrue(effects.contains(.save))
        XCTAssertNil(s.editing)
    }

    func testExportPromptTakesTheKeys() {
        var s = SessionState(document: document())
        _ = reduce(&s, .beginExport, .edit(.deleteToStart), .edit(.insert("out.json")))
        XCTAssertEqual(s.prompt?.editor.text, "out.json")
        _ = reduce(&s, .swapAB)  // ignored while asking
        XCTAssertEqual(s.document.templatesA, document().templatesA)
        XCTAssertEqual(reduce(&s, .commitEdit), [.export(path: "out.json")])
        XCTAssertNil(s.prompt)
    }

    func testKeyBindings() {
        var s = SessionState(document: document())
        XCTAssertEqual(KeyBindings.action(for: .character("j"), state: s), .move(1))
        XCTAssertEqual(KeyBindings.action(for: .tab, state: s), .focusNext)
        XCTAssertEqual(KeyBindings.action(for: .enter, state: s), .beginEdit)
        XCTAssertEqual(KeyBindings.action(for: .control("c"), state: s), .quit)
        s.editing = LineEditor("x")
        XCTAssertEqual(KeyBindings.action(for: .character("j"), state: s), .edit(.insert("j")))
        XCTAssertEqual(KeyBindings.action(for: .control("w"), state: s), .edit(.deleteWordLeft))
        XCTAssertEqual(KeyBindings.action(for: .paste("a b"), state: s), .paste("a b"))
        XCTAssertEqual(KeyBindings.action(for: .escape, state: s), .cancelEdit)
        XCTAssertFalse(KeyBindings.help.isEmpty)
    }

    func testLineEditorMotions() {
        var e = LineEditor("a photo of")
        e.apply(.home); e.apply(.wordRight)
        XCTAssertEqual(e.cursor, 1)
        e.apply(.wordRight); e.apply(.insert("!"))
        XCTAssertEqual(e.text, "a photo! of")
        e.apply(.end); e.apply(.deleteWordLeft)
        XCTAssertEqual(e.text, "a photo! ")
        e.apply(.home); e.apply(.delete); e.apply(.deleteToEnd)
        XCTAssertEqual(e.text, "")
        e.apply(.insert("猫\n"))
        XCTAssertEqual(e.text, "猫")
        XCTAssertEqual(e.cursorColumn, 2)
    }

    func testSessionFileLimits() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("session-limits-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let deep = dir.appendingPathComponent("deep.json").path
        try Data(("{\"labels\": " + String(repeating: "[", count: 500_000)).utf8).write(to: URL(fileURLWithPath: deep))
        XCTAssertThrowsError(try SessionDocument.read(path: deep)) { error in
            XCTAssertEqual("\(error)", "\(deep): JSON nested deeper than 64 levels")
        }
        // Over 512 MiB (sparse: refused from its size before a byte is read).
        let big = dir.appendingPathComponent("big.json").path
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: (512 << 20) + 1)
        try handle.close()
        XCTAssertThrowsError(try SessionDocument.read(path: big)) { error in
            XCTAssertTrue("\(error)".contains("536870913 bytes is over the limit of 536870912"), "\(error)")
        }
        let good = dir.appendingPathComponent("good.json").path
        try document().write(path: good)
        XCTAssertEqual(try SessionDocument.read(path: good), document())
    }

    /// A session opened with CuPL sentences or Babel-ImageNet indices keeps them in its file,
    /// by class name: a resumed session scores the same prompts; an edited name loses them.
    func testSessionKeepsClassSentencesAndIndices() throws {
        var doc = document()
        doc.setLabels(
            LabelSet(
                name: "cupl",
                classes: [
                    ClassLabel(name: "tench", sentences: ["A tench is a freshwater fish."]),
                    ClassLabel(name: "Goldfisch", imagenetIndex: 1), ClassLabel(name: "cat", synonyms: ["kitty"])
                ]))
        XCTAssertEqual(doc.labels, ["tench", "Goldfisch", "cat | kitty"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try doc.write(path: path)
        let back = try SessionDocument.read(path: path)
        XCTAssertEqual(back.labelSet.classes[0].sentences, ["A tench is a freshwater fish."])
        XCTAssertEqual(back.labelSet.classes[1].imagenetIndex, 1)
        XCTAssertEqual(back.labelSet.truthIndices(["goldfish", "n01443537"]), [1, 1], "English and WordNet-id folders through the index")
        var edited = back
        edited.labels[0] = "tinca"
        XCTAssertEqual(edited.labelSet.classes[0].sentences, [], "a renamed class is a new class")
    }

    /// `O` asks for a path for the focused pane; what the controller reads comes back as
    /// one undo step; Esc cancels.
    func testOpenAFileIntoThePane() {
        var s = SessionState(document: document())
        _ = reduce(&s, .focus(.labels), .beginOpen)
        XCTAssertEqual(s.prompt?.purpose, .open(.labels))
        XCTAssertEqual(s.prompt?.label, "open labels: ")
        XCTAssertEqual(KeyBindings.action(for: .tab, state: s), .completePath, "Tab completes the path")
        _ = reduce(&s, .setPromptText("Prompts/cifar", status: "cifar10.txt  cifar100.txt"))
        XCTAssertEqual(s.prompt?.editor.text, "Prompts/cifar")
        _ = reduce(&s, .edit(.insert("10.txt")))
        XCTAssertEqual(reduce(&s, .commitEdit), [.open(.labels, path: "Prompts/cifar10.txt")])
        XCTAssertNil(s.prompt)
        let before = s.document
        let effects = reduce(
            &s,
            .openedLabels(
                LabelSet(name: "l", classes: [ClassLabel(name: "tench", sentences: ["A fish."])]),
                path: "cupl.json"))
        XCTAssertEqual(effects, [.rescore, .save])
        XCTAssertEqual(s.document.labels, ["tench"])
        XCTAssertEqual(s.document.labelSet.classes[0].sentences, ["A fish."])
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document, before)
        _ = reduce(&s, .focus(.templatesB), .beginOpen, .cancelEdit)
        XCTAssertNil(s.prompt)
        XCTAssertEqual(s.status, "open cancelled")
        _ = reduce(&s, .openedTemplates(.templatesB, TemplateSet(name: "t.json#x", ["x {}"]), path: "t.json#x"))
        XCTAssertEqual(s.document.templatesB, ["x {}"])
        XCTAssertEqual(s.document.nameB, "t.json#x")
    }

    func testPathCompletion() {
        let tree: [String: [String]] = [
            ".": ["Prompts", "Images", ".hidden"], "Prompts/": ["cifar10.txt", "cifar100.txt", "demo.txt"],
            "/home/u/": ["data"]
        ]
        let folders: Set<String> = ["Prompts", "Images", "/home/u/data"]
        func complete(_ typed: String) -> PathCompletion.Result {
            PathCompletion.complete(typed, home: "/home/u", list: { tree[$0] }, isFolder: { folders.contains($0) })
        }
        XCTAssertEqual(complete("Pro"), .init(text: "Prompts/", candidates: []))
        XCTAssertEqual(complete("Prompts/ci"), .init(text: "Prompts/cifar10", candidates: ["cifar10.txt", "cifar100.txt"]))
        XCTAssertEqual(complete("Prompts/d"), .init(text: "Prompts/demo.txt", candidates: []))
        XCTAssertEqual(complete("~/d"), .init(text: "/home/u/data/", candidates: []))
        XCTAssertEqual(complete("x"), .init(text: "x", candidates: []))
        XCTAssertEqual(complete(""), .init(text: "", candidates: ["Images", "Prompts"]), "hidden entries only when '.' is typed")
    }

    func testAPasteIsTextNeverKeys() {
        var s = SessionState(document: document())
        // Into the list: each pasted line a new line below the cursor; "d", "s" and "q" stay text.
        let key = KeyBindings.action(for: .paste("x {} one\r\nd\rs\nq\n"), state: s)
        XCTAssertEqual(key, .paste("x {} one\r\nd\rs\nq\n"))
        XCTAssertEqual(reduce(&s, key!), [.rescore, .save])
        XCTAssertEqual(s.document.templatesA, ["a photo of a {}.", "x {} one", "d", "s", "q", "a {}."])
        XCTAssertEqual(s.document.templatesB, ["{}"], "no swap")
        XCTAssertFalse(s.quitting)
        XCTAssertEqual(s.row(.templatesA), 4)
        // One undo step takes the whole paste back.
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.templatesA, ["a photo of a {}.", "a {}."])

        // Into a line being edited: the first line at the cursor, the rest below it.
        _ = reduce(&s, .moveToTop, .beginEdit, .edit(.home))
        _ = reduce(&s, .paste("my "))
        XCTAssertEqual(s.editing?.text, "my a photo of a {}.", "one line keeps the edit going")
        _ = reduce(&s, .edit(.end), .paste(" at night\nan old {}\tphoto"))
        XCTAssertNil(s.editing)
        XCTAssertEqual(s.document.templatesA, ["my a photo of a {}. at night", "an old {} photo", "a {}."])
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.templatesA, ["my a photo of a {}.", "a {}."], "the paste is one step")

        // The export prompt takes the first line; the images pane takes nothing.
        _ = reduce(&s, .beginExport, .paste("/tmp/out.json\nq"))
        XCTAssertEqual(s.prompt?.editor.text.hasSuffix("/tmp/out.json"), true)
        _ = reduce(&s, .cancelEdit, .focus(.images))
        let before = s.document
        XCTAssertEqual(reduce(&s, .paste("a\nb")), [])
        XCTAssertEqual(s.document, before)
        XCTAssertTrue(s.status.contains("paste into"), s.status)
    }

    func testEscPutsTheLineBackAndLeavesNoUndoStep() {
        var s = SessionState(document: document())
        _ = reduce(&s, .beginEdit, .edit(.insert(" at night")), .edit(.insert("!")))
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}. at night!", "scores follow while typing")
        XCTAssertEqual(reduce(&s, .cancelEdit), [.rescore, .save])
        XCTAssertNil(s.editing)
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}.")
        XCTAssertTrue(s.undoStack.isEmpty, "nothing to undo: the line is as it was")
        // Enter keeps.
        _ = reduce(&s, .beginEdit, .edit(.insert("?")), .commitEdit)
        XCTAssertEqual(s.document.templatesA[0], "a photo of a {}.?")
    }

    func testSearchRanksTheImagesUntilEscClearsIt() {
        var s = SessionState(document: document())
        _ = reduce(&s, .beginSearch, .edit(.insert("a red circle")))
        XCTAssertEqual(s.prompt?.purpose, .search)
        XCTAssertEqual(reduce(&s, .commitEdit), [.search("a red circle")])
        _ = reduce(&s, .searchResult(ImageSearch(query: "a red circle", scores: [0.1, 0.3, 0.2])))
        XCTAssertEqual(s.focus, .images)
        XCTAssertEqual(s.search?.query, "a red circle")
        let snapshot = ScoreSnapshot(
            testGeneration: 1, classNames: ["cat"],
            images: (0..<3).map {
                .init(path: "\($0)", name: "\($0)", truth: 0, predA: 0, predB: 0)
            }, probabilitiesA: [[1], [1], [1]], probabilitiesB: [[1], [1], [1]], templatesA: [:], templatesB: [:])
        XCTAssertEqual(snapshot.visibleImages(filter: .all, sort: .name, search: s.search), [1, 2, 0])
        _ = reduce(&s, .cancelEdit)
        XCTAssertNil(s.search, "Esc on the main screen clears the search")
        // An empty query clears it too.
        _ = reduce(&s, .searchResult(ImageSearch(query: "x", scores: [0, 0, 0])), .beginSearch, .edit(.deleteToStart))
        XCTAssertEqual(reduce(&s, .commitEdit), [])
        XCTAssertNil(s.search)
    }

    func testPerClassViewFiltersTheImagesToAClass() {
        var s = SessionState(document: document())
        XCTAssertEqual(KeyBindings.action(for: .character("c"), state: s), .toggleClassView)
        _ = reduce(&s, .toggleClassView)
        XCTAssertEqual(s.classView, 0)
        XCTAssertEqual(KeyBindings.action(for: .down, state: s), .moveClass(1))
        XCTAssertEqual(KeyBindings.action(for: .enter, state: s), .filterToSelectedClass)
        XCTAssertEqual(KeyBindings.action(for: .escape, state: s), .toggleClassView)
        _ = reduce(&s, .moveClass(1), .setClassFilter("dog"))
        XCTAssertNil(s.classView)
        XCTAssertEqual(s.classFilter, "dog")
        XCTAssertEqual(s.focus, .images)
        // The rows: by B − A recall; the images: only the class's.
        let p: [[Float]] = [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.7, 0.3]]
        let q: [[Float]] = [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]]
        let truth: [Int?] = [0, 0, 1, 1]
        let comparison = ABComparison(
            a: SetScores(probabilities: Matrix(rows: 4, cols: 2, storage: p.flatMap { $0 })),
            b: SetScores(probabilities: Matrix(rows: 4, cols: 2, storage: q.flatMap { $0 })), truth: truth)
        let snapshot = ScoreSnapshot(
            testGeneration: 1, classNames: ["cat", "dog"],
            images: (0..<4).map {
                .init(path: "\($0)", name: "\($0)", truth: truth[$0], predA: 0, predB: 0)
            }, probabilitiesA: p, probabilitiesB: q, templatesA: [:], templatesB: [:], comparison: comparison)
        XCTAssertEqual(snapshot.classRows?.map(\.name), ["dog", "cat"], "dog gains 50 points under B")
        XCTAssertEqual(snapshot.classRows?.first?.difference ?? 0, 0.5, accuracy: 1e-12)
        XCTAssertEqual(snapshot.confusedPairs("A").first.map { "\($0.0)→\($0.1)×\($0.2)" }, "dog→cat×1")
        XCTAssertEqual(snapshot.visibleImages(filter: .all, sort: .name, classFilter: s.classFilter), [2, 3])
        _ = reduce(&s, .cancelEdit)
        XCTAssertNil(s.classFilter, "Esc shows every class again")
    }

    func testTemperatureKeys() {
        var s = SessionState(document: document())
        XCTAssertEqual(KeyBindings.action(for: .character("t"), state: s), .scaleTemperature(1.25))
        XCTAssertEqual(reduce(&s, .scaleTemperature(1.25), .scaleTemperature(1.25)), [.rescore, .save, .rescore, .save])
        XCTAssertEqual(Double(s.document.temperature ?? 0), 1.5625, accuracy: 1e-6)
        _ = reduce(&s, .scaleTemperature(0.8), .scaleTemperature(0.8))
        XCTAssertNil(s.document.temperature, "back at 1: the checkpoint's scale")
    }

    /// `w` cycles the focused set's weighting (equal, ZPE, fit, equal), one undo step each,
    /// rescored and saved; the session request carries it; the file keeps it.
    func testWeightingKeyCyclesTheFocusedSetAndIsKept() throws {
        var s = SessionState(document: document())
        XCTAssertEqual(KeyBindings.action(for: .character("w"), state: s), .cycleWeighting)
        s.focus = .templatesB
        XCTAssertEqual(reduce(&s, .cycleWeighting), [.rescore, .save])
        XCTAssertEqual(s.document.sets[s.document.setB].weighting, .zpe)
        XCTAssertNil(s.document.sets[s.document.setA].weighting, "only the focused set")
        XCTAssertTrue(s.status.contains("ZPE") && s.status.contains("no truth read"), s.status)
        _ = reduce(&s, .cycleWeighting)
        XCTAssertEqual(s.document.sets[s.document.setB].weighting, .fit)
        XCTAssertEqual(s.document.evaluationRequest().methods, [nil, .fit])
        let data = try JSONEncoder().encode(s.document)
        XCTAssertEqual(try JSONDecoder().decode(SessionDocument.self, from: data), s.document)
        _ = reduce(&s, .cycleWeighting)
        XCTAssertNil(s.document.sets[s.document.setB].weighting, "back to equal")
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.sets[s.document.setB].weighting, .fit)
    }

    /// `=` asks the engine; its fitted T becomes the document's (undoable), and no labelled
    /// image leaves the temperature alone with the reason.
    func testFittedTemperatureIsTakenAndUndone() {
        var s = SessionState(document: document())
        XCTAssertEqual(KeyBindings.action(for: .character("="), state: s), .fitTemperature)
        XCTAssertEqual(reduce(&s, .fitTemperature), [.fitTemperature])
        XCTAssertEqual(reduce(&s, .fittedTemperature(1.25, note: "NLL 0.5")), [.rescore, .save])
        XCTAssertEqual(s.document.temperature, 1.25)
        XCTAssertTrue(s.status.contains("T = 1.2500"), s.status)
        _ = reduce(&s, .undo)
        XCTAssertNil(s.document.temperature)
        XCTAssertEqual(reduce(&s, .fittedTemperature(nil, note: "fitting the temperature needs labelled images")), [])
        XCTAssertNil(s.document.temperature)
        XCTAssertEqual(s.status, "fitting the temperature needs labelled images")
    }
}
