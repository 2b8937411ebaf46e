import Benchmarks
import CLIP
@testable import clip_tui
import Foundation
import TerminalUI
import XCTest

/// What the commands read besides checkpoints: `bench`'s default prompts and texts files.
final class CommandInputsTests: XCTestCase {
    func testBenchmarkPromptIdsAreTheTokenizers() throws {
        let model = try CLIPModel(folder: CLIToolTests.model)
        XCTAssertEqual(BenchmarkPrompts.texts.count, 32)
        XCTAssertEqual(BenchmarkPrompts.texts.map { model.tokenizer.tokenize($0).ids }, BenchmarkPrompts.ids)
    }

    /// A webdataset folder named with `--images` brings its class names and templates (as A)
    /// ahead of the last session's; files named on the command line still win.
    func testSessionTakesAWebDatasetsOwnLabelsAndTemplates() throws {
        let wds = CLIToolTests.root.appendingPathComponent("Tests/CLIToolTests/Fixtures/wds").path
        let saved = SessionDocument(
            model: nil, images: "/elsewhere", labels: ["cat", "dog"], templatesA: ["a {}"], templatesB: ["{}"])
        var notes: [String] = []
        let doc = try SessionCommand.parse(["--images", wds]).startingDocument(from: saved, notes: &notes)
        XCTAssertEqual(doc.labels, ["gradient", "noise", "shapes"])
        XCTAssertEqual(doc.templatesA, ["a photo of a {}.", "itap of a {}."])
        XCTAssertEqual(doc.nameA, "zeroshot_classification_templates.txt")
        XCTAssertEqual(doc.templatesB, ["{}"], "B stays the last session's")
        XCTAssertEqual(notes.last, "the webdataset's own labels from classnames.txt, templates A from zeroshot_classification_templates.txt")
        let labels = CLIToolTests.root.appendingPathComponent("Tests/CLIToolTests/Fixtures/eval/labels.txt").path
        notes = []
        let named = try SessionCommand.parse(["--images", wds, "--labels", labels]).startingDocument(from: saved, notes: &notes)
        XCTAssertEqual(named.labels, ["gradient", "noise | static | random pixels", "shapes"], "--labels wins")
        XCTAssertEqual(notes.last, "the webdataset's own templates A from zeroshot_classification_templates.txt")
    }

    func testTextsFileLines() {
        XCTAssertEqual(TextsFile.parse("a\r\nb\n\nc"), ["a", "b", "", "c"])
        XCTAssertEqual(TextsFile.parse("a\n"), ["a"])
        XCTAssertEqual(TextsFile.parse("a\n\n"), ["a", ""])
        XCTAssertEqual(TextsFile.parse(""), [])
        XCTAssertEqual(TextsFile.parse("\n"), [""])
    }
}
