import Foundation
import Scoring
import Tensors
import XCTest

final class EngineTests: XCTestCase {
    /// The engine's classifier of each class, read through images that are the axes: a
    /// class's cosines to e₁ and e₂ are its unit classifier's components.
    func classifiers(_ labels: LabelSet, _ templates: [String], _ vectors: [String: [Float]]) throws -> [[Float]] {
        // Encoded through the store, as real prompts are (it normalises what the encoder gives).
        let fake = FakeProvider(dimension: 2)
        fake.vectors = vectors
        let store = EmbeddingStore(provider: fake, cache: nil)
        let axes = EmbeddedImages(
            items: [.init(path: "x", relativePath: "x", truthName: nil), .init(path: "y", relativePath: "y", truthName: nil)],
            matrix: Matrix(rows: 2, cols: 2, storage: [1, 0, 0, 1]), failures: [])
        let e = try LiveEvaluator(store: store, images: axes).evaluateOnce(
            EvaluationRequest(labels: labels, sets: [templates.map(Template.init)], through: .scores))
        let c = e.sets[0].scores.cosines
        return (0..<c.cols).map { k in [c[0, k], c[1, k]] }
    }

    func testEnsembleNormalisesAveragesRenormalises() throws {
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "a", synonyms: ["b"]), ClassLabel(name: "c")])
        let plan = PromptPlan(labels: labels, templates: TemplateSet(name: "t", ["{}"]))
        XCTAssertEqual(plan.prompts, [["a", "b"], ["c"]])
        // "a" and "b" have different lengths: normalising first weights them equally.
        let w = try classifiers(labels, ["{}"], ["a": [3, 0], "b": [0, 0.5], "c": [-2, 0]])
        let r = Float(0.5).squareRoot()
        XCTAssertEqual(w[0][0], r, accuracy: 1e-6)
        XCTAssertEqual(w[0][1], r, accuracy: 1e-6)
        XCTAssertEqual(w[1], [-1, 0])
    }

    func testSoftmaxOfScaledCosines() {
        // Cosines 0.8 and 0.6 at scale 100: softmax(80, 60), p(x) = 1 / (1 + e^-20).
        let s = SetScores(cosines: Matrix(rows: 1, cols: 2, storage: [0.8, 0.6]), rule: .softmax(scale: 100))
        XCTAssertEqual(s.probabilities(image: 0)[0], Float(1 / (1 + exp(-20.0))), accuracy: 1e-7)
        XCTAssertEqual(s.probabilities(image: 0)[1], Float(exp(-20.0) / (1 + exp(-20.0))), accuracy: 1e-12)
        XCTAssertEqual(s.predictions, [0])
    }

    func testPromptIssuesAreFlagged() {
        let labels = LabelSet(
            name: "l",
            classes: [
                ClassLabel(name: "cat"), ClassLabel(name: "Cat"), ClassLabel(name: "dog", sentences: []),
                ClassLabel(name: "long " + String(repeating: "word ", count: 80))
            ])
        let templates = TemplateSet(name: "t", ["a photo of a {}.", "no placeholder"])
        let fake = FakeProvider()
        let plan = PromptPlan(labels: labels, templates: templates, tokenize: fake.tokenize)
        XCTAssertTrue(plan.issues.contains(.templateWithoutPlaceholder(template: "no placeholder")))
        XCTAssertTrue(plan.issues.contains(.duplicate(prompt: "a photo of a Cat.", sameAs: "a photo of a cat.")))
        // Left out rather than used: it makes no prompt (and so no duplicates).
        XCTAssertEqual(plan.prompts[0], ["a photo of a cat."])
        XCTAssertFalse(plan.issues.contains(.duplicate(prompt: "no placeholder", sameAs: "no placeholder")))
        XCTAssertTrue(plan.issues.contains { if case .truncated = $0 { return true } else { return false } })
        // The model's own context length decides the cut and is named in the message (SigLIP reads 64).
        let short = PromptPlan(labels: labels, templates: templates, tokenize: fake.tokenize, contextLength: 64)
        let cut = short.issues.first { if case .truncated = $0 { return true } else { return false } }
        XCTAssertTrue("\(cut.map(String.init(describing:)) ?? "")".contains("the model reads 64"))
        let empty = PromptPlan(labels: labels, templates: TemplateSet(name: "none", templates: []))
        XCTAssertEqual(empty.issues.filter { if case .classWithoutPrompts = $0 { return true } else { return false } }.count, 4)
    }

    /// A thousand classes with one repeated template give one line, not a thousand, and
    /// each line names the file at fault.
    func testIssueSummaryIsOneLinePerFileAndCause() {
        var classes = (0..<1000).map { ClassLabel(name: "class \($0)") }
        classes += [ClassLabel(name: "cat"), ClassLabel(name: "Cat"), ClassLabel(name: "dog"), ClassLabel(name: "dog")]
        let labels = LabelSet(name: "l", classes: classes)
        let templates = TemplateSet(name: "t", ["a photo of a {}.", "a photo of a {}.", "A PHOTO of a {}.", "no placeholder"])
        // As CLIP's tokenizer: case and runs of spaces do not count.
        let tokenize = { (text: String) -> (ids: [Int], untruncatedCount: Int) in
            let ids = text.lowercased().split(separator: " ").joined(separator: " ").unicodeScalars.map { Int($0.value) }
            return (ids, 10)
        }
        let plan = PromptPlan(labels: labels, templates: templates, tokenize: tokenize)
        XCTAssertGreaterThan(plan.issues.count, 2000, "every duplicate is still an issue")
        let lines = plan.summary(labels: "labels.txt", templates: "templates.txt")
        XCTAssertEqual(
            lines,
            [
                "templates.txt: 1 template without a {} placeholder left out (each would give every class the same prompt): 'no placeholder'",
                "templates.txt: 1 repeated template, whose prompts count twice in each class's average: 'a photo of a {}.'",
                "templates.txt: 1 template pair differing only in what the model's tokenizer drops (case, spacing; for SigLIP also punctuation), count twice: 'A PHOTO of a {}.' = 'a photo of a {}.'",
                "labels.txt: 1 class pair differing only in what the model's tokenizer drops (case, spacing; for SigLIP also punctuation), get the same prompts: 'a photo of a Cat.' = 'a photo of a cat.'"
            ])
    }

    func testEditReencodesOnlyNewPromptsAndCacheIsPerModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("e.sqlite").path
        let labels = LabelSet(name: "l", classes: (0..<10).map { ClassLabel(name: "class\($0)") })
        var templates = TemplateSet(name: "t", ["a photo of a {}.", "a drawing of a {}."])
        let images = EmbeddedImages(
            items: [.init(path: "x", relativePath: "x", truthName: nil)],
            matrix: Matrix(rows: 1, cols: FakeProvider().dimension, storage: Vector.normalized((0..<FakeProvider().dimension).map { Float($0 % 3) - 1 })),
            failures: [])
        func cosines(_ provider: FakeProvider, _ set: TemplateSet) throws -> [Float] {
            let store = EmbeddingStore(provider: provider, cache: try EmbeddingCache(path: path))
            defer { store.flushCache() }  // as a command does at its end, before the next process
            return try LiveEvaluator(store: store, images: images)
                .evaluateOnce(EvaluationRequest(labels: labels, sets: [set.templates], through: .scores)).sets[0].scores.cosines.storage
        }
        let fake = FakeProvider()
        _ = try cosines(fake, templates)
        XCTAssertEqual(fake.encodedTexts.count, 20)
        templates.templates[1] = Template("a sketch of a {}.")
        let edited = try cosines(fake, templates)
        XCTAssertEqual(fake.encodedTexts.count, 30, "only the 10 prompts of the edited template")

        // A new process on the same cache encodes nothing, and gets the same scores.
        let again = FakeProvider()
        let fromCache = try cosines(again, templates)
        XCTAssertEqual(again.encodedTexts.count, 0)
        for (a, b) in zip(fromCache, edited) { XCTAssertEqual(a, b, accuracy: 1e-7) }

        // Another model never gets them.
        let other = FakeProvider(fingerprint: "other-model")
        _ = try cosines(other, templates)
        XCTAssertEqual(other.encodedTexts.count, 20)
        let stats = try EmbeddingCache(path: path).stats()
        XCTAssertEqual(stats.models["fake-model"]?.texts, 30)
        XCTAssertEqual(stats.models["other-model"]?.texts, 20)
    }

    func testCorruptCacheIsMovedAsideAndRebuilt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("e.sqlite").path
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let cache = try EmbeddingCache(path: path)
        let note = try XCTUnwrap(cache.recoveryNote)
        XCTAssertTrue(note.contains(path) && note.contains("moved to"), note)
        try cache.store(.text, model: "m", [("x", [1, 2])])
        XCTAssertEqual(try cache.lookup(.text, model: "m", keys: ["x"], dimension: 2)["x"], [1, 2])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertTrue(files.contains { $0.hasPrefix("e.sqlite.corrupt-") }, "\(files)")
        XCTAssertNil(try EmbeddingCache(path: path).recoveryNote)
    }

    func testImagesAreKeyedByContentAndFailuresStayAlone() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imgs-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.png"), b = dir.appendingPathComponent("b.png")
        try Data("same bytes".utf8).write(to: a)
        try Data("broken".utf8).write(to: b)
        let fake = FakeProvider()
        fake.imageVectors = ["a.png": [0, 3, 0, 4]]
        let store = EmbeddingStore(provider: fake, cache: try EmbeddingCache(path: dir.appendingPathComponent("c.sqlite").path))
        let results = store.imageEmbeddings([a.path, b.path])
        XCTAssertEqual(try results[0].get(), [0, 0.6, 0, 0.8])
        XCTAssertThrowsError(try results[1].get())
        // Renamed: same content, no new encoding.
        let renamed = dir.appendingPathComponent("renamed.png")
        try FileManager.default.moveItem(at: a, to: renamed)
        fake.imageVectors = [:]
        XCTAssertEqual(try store.imageEmbeddings([renamed.path])[0].get(), [0, 0.6, 0, 0.8])
        XCTAssertEqual(fake.encodedImages.map { ($0 as NSString).lastPathComponent }, ["a.png", "b.png"])
    }

    func testUnchangedFilesAreNotHashedAgainAndChangedOnesAre() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stamps-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.png")
        try Data("first".utf8).write(to: a)
        let cache = try EmbeddingCache(path: dir.appendingPathComponent("c.sqlite").path)
        let fake = FakeProvider()
        fake.imageVectors = ["a.png": [1, 0, 0, 0]]
        _ = EmbeddingStore(provider: fake, cache: cache).imageEmbeddings([a.path])
        let stamp = try XCTUnwrap(EmbeddingCache.FileStamp(path: a.path))
        let firstHash = try EmbeddingStore.contentHash(path: a.path)
        XCTAssertEqual(try cache.knownHashes([(a.path, stamp)]), [a.path: firstHash], "recorded under its stamp")
        // Same size, new bytes, a later modification time: the record no longer matches.
        try Data("other".utf8).write(to: a)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: a.path)
        let newStamp = try XCTUnwrap(EmbeddingCache.FileStamp(path: a.path))
        XCTAssertEqual(try cache.knownHashes([(a.path, newStamp)]), [:])
        fake.imageVectors = ["a.png": [0, 1, 0, 0]]
        XCTAssertEqual(try EmbeddingStore(provider: fake, cache: cache).imageEmbeddings([a.path])[0].get(), [0, 1, 0, 0])
        XCTAssertEqual(fake.encodedImages.count, 2, "the changed file was hashed and encoded again")
        XCTAssertEqual(try cache.knownHashes([(a.path, newStamp)]), [a.path: try EmbeddingStore.contentHash(path: a.path)])
        // Progress tells cached from encoded: a folder the cache serves whole is not "encoding".
        var reports: [ImageProgress] = []
        _ = EmbeddingStore(provider: fake, cache: cache).imageEmbeddings([a.path]) { reports.append($0) }
        XCTAssertEqual(reports, [ImageProgress(settled: 1, total: 1, cached: 1)])
        XCTAssertEqual(reports.last?.encoded, 0)
        let b = dir.appendingPathComponent("b.png")
        try Data("second".utf8).write(to: b)
        reports = []
        _ = EmbeddingStore(provider: fake, cache: cache).imageEmbeddings([a.path, b.path]) { reports.append($0) }
        XCTAssertEqual(reports.last, ImageProgress(settled: 2, total: 2, cached: 1))
        XCTAssertEqual(reports.last?.encoded, 1)
    }
}
