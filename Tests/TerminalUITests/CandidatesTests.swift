import Foundation
import Scoring
import TerminalUI
import XCTest

/// The session document's candidates: every model × every set, model-major; A and B by
/// candidate; sets and models added and removed without moving what A and B show; files
/// written before candidates open as before.
final class CandidatesTests: XCTestCase {
    func document() -> SessionDocument {
        SessionDocument(model: "m1", images: nil, labels: ["cat", "dog"], templatesA: ["a {}."], templatesB: ["{}"], nameA: "a", nameB: "b")
    }

    func reduce(_ s: inout SessionState, _ actions: Action...) -> [Effect] {
        actions.flatMap { Reducer.reduce(&s, $0, imageCount: 5) }
    }

    func testCandidatesAreModelMajorAndAAndBKeepTheirSetsAsSetsAndModelsJoin() {
        var d = document()
        d.addSet(.init(name: "c", lines: ["c {}"]))
        d.addModel("m2")
        XCTAssertEqual(d.candidateCount, 6)
        XCTAssertTrue(d.candidate(4) == (model: 1, set: 1))
        XCTAssertEqual(d.candidate(model: 1, set: 2), 5)
        // B on m2's "c": its pane edits set c.
        d.candidateB = 5
        XCTAssertEqual(d.templatesB, ["c {}"])
        XCTAssertEqual(d.nameB, "c")
        d.templatesB = ["c {} edited"]
        XCTAssertEqual(d.sets[2].lines, ["c {} edited"])
        // A set added before neither moves A nor B off what they show.
        d.addSet(.init(name: "d", lines: ["d {}"]))
        XCTAssertEqual(d.candidateCount, 8)
        XCTAssertTrue(d.candidate(d.candidateB) == (model: 1, set: 2))
        XCTAssertEqual(d.nameB, "c")
        XCTAssertEqual(d.nameA, "a")
        // A and B's sets cannot go; another can, and A and B follow their sets.
        XCTAssertFalse(d.removeSet(2))
        XCTAssertTrue(d.removeSet(1))
        XCTAssertEqual(d.sets.map(\.name), ["a", "c", "d"])
        XCTAssertEqual(d.nameB, "c")
        XCTAssertTrue(d.candidate(d.candidateB) == (model: 1, set: 1))
        // Figures only for the sets A and B show, per model.
        XCTAssertEqual(d.evaluationRequest(model: 0).figuresFor, [0])
        XCTAssertEqual(d.evaluationRequest(model: 1).figuresFor, [1])
        XCTAssertEqual(d.evaluationRequest(model: 0).sets.count, 3)
    }

    func testTheSessionFileKeepsCandidatesAndAnOldFileOpens() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("candidates-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var d = document()
        d.addSet(.init(name: "c", lines: ["c {}", ""]))
        d.addModel("m2")
        d.candidateA = 4
        d.candidateB = 2
        let file = dir.appendingPathComponent("s.json").path
        try d.write(path: file)
        XCTAssertEqual(try SessionDocument.read(path: file), d)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        XCTAssertEqual(object["pair"] as? [Int], [4, 2])
        XCTAssertEqual(object["other_models"] as? [String], ["m2"])
        XCTAssertNil(object["templates_a"], "written as template_sets")
        // A file from before candidates: sets A and B, names, no pair.
        let old = dir.appendingPathComponent("old.json")
        try Data(
            #"{"model": "m", "labels": ["cat"], "templates_a": ["a {}"], "templates_b": ["{}"], "name_a": "first", "name_b": "second"}"#.utf8
        ).write(to: old)
        let back = try SessionDocument.read(path: old.path)
        XCTAssertEqual(back.sets, [.init(name: "first", lines: ["a {}"]), .init(name: "second", lines: ["{}"])])
        XCTAssertEqual([back.candidateA, back.candidateB], [0, 1])
        XCTAssertEqual(back.models, ["m"])
        // A pair that points nowhere is refused with the reason (the session moves the file aside).
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"labels": ["cat"], "template_sets": [{"name": "a", "lines": []}, {"name": "b", "lines": []}], "pair": [0, 7]}"#.utf8)
            .write(to: bad)
        XCTAssertThrowsError(try SessionDocument.read(path: bad.path)) { XCTAssertTrue("\($0)".contains("pair [0, 7]"), "\($0)") }
    }

    func testTheLeaderboardChoosesRemovesAndAddsAndUndoKeepsModels() {
        var s = SessionState(document: document())
        _ = reduce(&s, .toggleLeaderboard)
        XCTAssertEqual(s.leaderboardView, 0)
        XCTAssertEqual(reduce(&s, .chooseCandidate(.b)), [.chooseCandidate(.b)], "the controller names the row's candidate")
        var set = TemplateSet(name: "c", ["c {}"])
        set.name = "c.txt"
        XCTAssertEqual(reduce(&s, .addedSet(set, path: "/x/c.txt")), [.rescore, .save])
        XCTAssertEqual(s.document.sets.map(\.name), ["a", "b", "c.txt"])
        XCTAssertEqual(reduce(&s, .setPair(a: 0, b: 2)), [.rescore, .save])
        XCTAssertEqual(s.document.templatesB, ["c {}"])
        XCTAssertEqual(reduce(&s, .setPair(a: 1, b: 1)), [], "A and B are two candidates")
        XCTAssertTrue(s.status.contains("two candidates"))
        // B's set cannot be removed; another set can, and u brings it back.
        XCTAssertEqual(reduce(&s, .removeSet(2)), [])
        XCTAssertEqual(s.document.sets.count, 3)
        XCTAssertEqual(reduce(&s, .removeSet(1)), [.rescore, .save])
        XCTAssertEqual(s.document.sets.map(\.name), ["a", "c.txt"])
        XCTAssertEqual(s.document.templatesB, ["c {}"])
        _ = reduce(&s, .addedModel("m2"))
        XCTAssertEqual(s.document.candidateCount, 4)
        _ = reduce(&s, .undo)
        XCTAssertEqual(s.document.sets.map(\.name), ["a", "b", "c.txt"], "the removal undone")
        XCTAssertEqual(s.document.otherModels, ["m2"], "a model stays: its images are embedded")
        // s swaps the candidates, not their lines.
        let (a, b) = (s.document.candidateA, s.document.candidateB)
        _ = reduce(&s, .toggleLeaderboard, .swapAB)
        XCTAssertEqual([s.document.candidateA, s.document.candidateB], [b, a])
        // O on the leaderboard asks for a set or a model.
        _ = reduce(&s, .toggleLeaderboard, .beginOpen)
        XCTAssertEqual(s.prompt?.purpose, .addCandidate)
        _ = reduce(&s, .edit(.insert("/m3")))
        XCTAssertEqual(reduce(&s, .commitEdit), [.addCandidate(path: "/m3")])
    }

    /// A file of several entries named alone after `O`: its keys offered in a list; Enter
    /// opens `FILE#KEY` into the pane (or adds it on the leaderboard); Esc closes.
    func testAFileOfSeveralEntriesIsChosenFromAList() {
        var s = SessionState(document: document())
        _ = reduce(&s, .showChooser(Chooser(path: "/x/t.json", what: "templates", keys: ["cars", "pets", "birds"], target: .open(.templatesB))))
        XCTAssertTrue(s.status.contains("3 entries of templates"))
        XCTAssertEqual(KeyBindings.action(for: .down, state: s), .moveChooser(1))
        XCTAssertEqual(KeyBindings.action(for: .enter, state: s), .pickChoice)
        XCTAssertEqual(KeyBindings.action(for: .escape, state: s), .closeChooser)
        _ = reduce(&s, .moveChooser(1), .moveChooser(5))
        XCTAssertEqual(s.chooser?.row, 2, "kept in the list")
        XCTAssertEqual(reduce(&s, .pickChoice), [.open(.templatesB, path: "/x/t.json#birds")])
        XCTAssertNil(s.chooser)
        _ = reduce(&s, .showChooser(Chooser(path: "/x/t.json", what: "templates", keys: ["cars"], target: .addCandidate)))
        XCTAssertEqual(reduce(&s, .pickChoice), [.addCandidate(path: "/x/t.json#cars")])
        _ = reduce(&s, .showChooser(Chooser(path: "/x/t.json", what: "templates", keys: ["cars"], target: .addCandidate)))
        XCTAssertEqual(reduce(&s, .closeChooser), [])
        XCTAssertNil(s.chooser)
    }
}
