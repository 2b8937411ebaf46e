import Foundation
import Scoring
import Tensors
import XCTest

final class TemplateAnalysisTests: XCTestCase {
    /// The analysis's subset accuracy equals building the ensemble and scoring it.
    func testSubsetAccuracyEqualsTheFullPipeline() throws {
        let fake = FakeProvider(dimension: 6)
        let labels = LabelSet(name: "l", classes: ["red", "green", "blue", "cyan"].map { ClassLabel(name: $0) })
        let templates = TemplateSet(name: "t", ["a photo of a {}.", "a {} thing", "itap of a {}", "{}!", "the {} one"])
        let lab = PromptLab(store: EmbeddingStore(provider: fake, cache: nil))
        // Images near class embeddings of random templates, labelled with that class.
        var rng = SplitMix64(seed: 3)
        var rows: [[Float]] = [], truth: [Int] = []
        for i in 0..<40 {
            let c = i % 4
            let t = templates.templates[Int(rng.next() % 5)]
            var v = fake.derived(t.render(labels.classes[c].name))
            for k in v.indices { v[k] += Float(Int(rng.next() % 200) - 100) / 25 }
            rows.append(Vector.normalized(v)); truth.append(c)
        }
        let items = truth.map { ImageCollection.Item(path: "x", relativePath: "x", truthName: labels.classes[$0].name) }
        let images = PromptLab.EmbeddedImages(items: items, matrix: Matrix(rows: rows, dimension: 6), failures: [])
        let analysis = try lab.analysis(images, labels: labels, templates: templates)
        for subset in [[0], [1, 3], [0, 1, 2, 3, 4], [4, 2]] {
            let set = TemplateSet(name: "s", templates: subset.map { templates.templates[$0] })
            let (scores, _) = try lab.score(images, labels: labels, templates: set)
            let m = Metrics(table: scores, truth: images.truth(labels))
            XCTAssertEqual(analysis.accuracy(subset), m.top1, accuracy: 1e-12, "\(subset)")
        }
        let effects = analysis.effects()
        XCTAssertEqual(effects.count, 5)
        XCTAssertEqual(effects[2].accuracy, analysis.accuracy([2]))
        XCTAssertEqual(effects[2].leaveOneOut, analysis.accuracy([0, 1, 3, 4]) - analysis.accuracy([0, 1, 2, 3, 4]), accuracy: 1e-12)
        let selection = analysis.crossValidatedSelection(folds: 4)
        XCTAssertEqual(selection.foldChoices.count, 4)
        XCTAssertFalse(selection.templates.isEmpty)
        XCTAssertGreaterThanOrEqual(analysis.accuracy(selection.templates), analysis.accuracy([selection.templates[0]]))
    }

    /// A template that gives every class the same prompt only adds noise; selection leaves it out.
    func testForwardSelectionPicksTheInformativeTemplate() {
        // Two classes in 2-d; template 0 separates them, template 1 points both classes the same way.
        let e: [[[Float]]] = [[[1, 0], [0, 1]], [[0.7071, 0.7071], [0.7071, 0.7071]]]
        let images: [[Float]] = [[1, 0], [0.9, 0.1], [0, 1], [0.2, 0.8]]
        let analysis = TemplateAnalysis(templateEmbeddings: e, images: images, truth: [0, 0, 1, 1])
        XCTAssertEqual(analysis.accuracy([0]), 1)
        XCTAssertEqual(analysis.forwardSelection(), [0])
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
        XCTAssertEqual(back.schema, "clip-tui.prompt-set/2")
        XCTAssertEqual(back.labels, labels)
        XCTAssertEqual(back.templateSets[0].templates, [Template("a {}.")])
        XCTAssertEqual(try PromptFiles.readTemplates(path: path).templates, [Template("a {}.")])
        XCTAssertEqual(try PromptFiles.readLabels(path: path), labels)
    }
}
