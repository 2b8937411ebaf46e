import Foundation
import Tensors
import XCTest

@testable import Scoring

final class TemplateSelectionTests: XCTestCase {
    /// A template that gives every class the same prompt only adds noise; selection leaves
    /// it out, and a repeated line is one candidate.
    func testForwardSelectionPicksTheInformativeTemplate() throws {
        // Two classes in 2-d; "a {}" separates them, "x {}" points both classes the same way.
        let store = EmbeddingStore(provider: FakeProvider(dimension: 2), cache: nil)
        store.remember(texts: ["a red": [1, 0], "a green": [0, 1], "x red": [0.7071, 0.7071], "x green": [0.7071, 0.7071]])
        let names = ["red", "red", "green", "green"]
        let images = EmbeddedImages(
            items: names.enumerated().map { .init(path: "\($0.offset)", relativePath: "\($0.offset)", truthName: $0.element) },
            matrix: Matrix(rows: 4, cols: 2, storage: [1, 0, 0.9, 0.1, 0, 1, 0.2, 0.8]).rowNormalized(), failures: [])
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "red"), ClassLabel(name: "green")])
        let request = EvaluationRequest(labels: labels, sets: [["x {}", "a {}", "x {}"].map(Template.init)])
        let live = LiveEvaluator(store: store, images: images)
        let selection = try XCTUnwrap(try live.selection(set: 0, request: request, folds: 2))
        XCTAssertEqual(selection.templates, [Template("a {}")])
        XCTAssertEqual(selection.heldOutAccuracy, 1)
        XCTAssertEqual(selection.foldChoices, [[Template("a {}")], [Template("a {}")]])
        XCTAssertEqual(selection.images, 4)
        XCTAssertEqual(selection.labelled, 4)
    }

    func testRandomWordControlIsDeterministic() {
        let a = RandomWordTemplates.make(count: 5, words: RandomWordTemplates.words)
        XCTAssertEqual(a, RandomWordTemplates.make(count: 5, words: RandomWordTemplates.words))
        XCTAssertTrue(a.templates.allSatisfy { $0.hasPlaceholder && $0.text.hasPrefix("a photo of a {}, which has ") })
    }

    func testExportRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "cat", synonyms: ["kitty"])])
        let export = PromptSetExport(
            model: .init(name: "m", fingerprint: "f"), labels: labels,
            templateSets: [.init(name: "best", role: nil, templates: [Template("a {c}.")], metrics: nil)])
        try export.write(to: path)
        let back = try PromptSetExport.read(path: path)
        XCTAssertEqual(back.schema, "clip-tui.prompt-set/3")
        XCTAssertEqual(back.labels, labels)
        XCTAssertEqual(back.templateSets[0].templates, [Template("a {}.")])
        XCTAssertEqual(try PromptFiles.readTemplates(path: path).templates, [Template("a {}.")])
        XCTAssertEqual(try PromptFiles.readLabels(path: path), labels)
    }
}
