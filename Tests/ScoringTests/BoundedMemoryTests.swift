import Foundation
import Tensors
import XCTest

@testable import Scoring

/// The prompt store's memory is bounded (least recently used out first), and what it lets go
/// comes back equal: from the disk cache, or encoded again without one. The live engine's
/// figures over a run of edits with a tiny memory equal a fresh evaluation's.
final class BoundedMemoryTests: XCTestCase {
    func testEvictedPromptsComeBackEqualFromTheEncoderOrTheCache() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for cached in [false, true] {
            let fake = FakeProvider(dimension: 8)
            let cache = cached ? try EmbeddingCache(path: dir.appendingPathComponent("c.sqlite").path) : nil
            let store = EmbeddingStore(provider: fake, cache: cache, minimumTextCapacity: 64)
            // Zero-padded: encoded in text order, which is this order.
            let prompts = (0..<500).map { String(format: "a photo of thing number %04d.", $0) }
            let first = try store.textEmbeddings(prompts)
            XCTAssertLessThanOrEqual(store.textMemory.count, 64, "bounded")
            XCTAssertGreaterThan(store.textMemory.evicted, 400)
            // The first prompts went first; asked for again they are equal.
            let encodedBefore = fake.encodedTexts.count
            let again = try store.textEmbeddings(Array(prompts.prefix(100)))
            XCTAssertEqual(again, Array(first.prefix(100)))
            XCTAssertEqual(fake.encodedTexts.count - encodedBefore, cached ? 0 : 100, cached ? "read back from the disk cache" : "encoded again")
            XCTAssertLessThanOrEqual(store.textMemory.count, 64)
        }
    }

    /// A prompt in use stays: each use makes it the most recent.
    func testRecentlyUsedPromptsStay() throws {
        let fake = FakeProvider(dimension: 8)
        let store = EmbeddingStore(provider: fake, cache: nil, minimumTextCapacity: 16)
        let kept = (0..<4).map { "kept \($0)" }
        _ = try store.textEmbeddings(kept)
        for round in 0..<20 {
            _ = try store.textEmbeddings(kept)  // used at every round, as a set's prompts are
            _ = try store.textEmbeddings((0..<5).map { "passing \(round) \($0)" })
        }
        let encoded = fake.encodedTexts.count
        _ = try store.textEmbeddings(kept)
        XCTAssertEqual(fake.encodedTexts.count, encoded, "never let go")
    }
}

extension LiveEvaluatorTests {
    /// Random edits with a memory far smaller than the prompts they make: every figure equal
    /// to a fresh evaluation with an unbounded store (template effects included, whose
    /// products read evicted prompts back).
    func testEditsWithATinyMemoryEqualAFreshEvaluation() throws {
        let fake = FakeProvider(dimension: LiveEvaluatorTests.dimension)
        let small = EmbeddingStore(provider: fake, cache: nil, minimumTextCapacity: 8)
        let plain = EmbeddingStore(provider: FakeProvider(dimension: LiveEvaluatorTests.dimension), cache: nil)
        let classes = ["cat", "dog", "fox", "owl", "eel", "yak"].map { ClassLabel(name: $0) }
        let imgs = images(60, classes: classes.map(\.name), seed: 9)
        let live = LiveEvaluator(store: small, images: imgs)
        let labels = LabelSet(name: "l", classes: classes)
        var a = ["a photo of a {}.", "a drawing of a {}.", "{}", "itap of my {}."].map(Template.init)
        let b = ["a photo of a {}.", "a {} in the wild."].map(Template.init)
        for step in 0..<40 {
            // A keystroke's worth: one template of A changes, its prompts new.
            a[step % a.count] = Template("edit \(step) of a {}" + String(repeating: "!", count: step % 3))
            let request = EvaluationRequest(labels: labels, templatesA: a, templatesB: b)
            let incremental = try evaluateAll(live, request)
            let fresh = try evaluateAll(LiveEvaluator(store: plain, images: imgs), request)
            assertClose(incremental, fresh, "step \(step)")
            for s in 0..<2 {
                let x = incremental.sets[s].templates, y = fresh.sets[s].templates
                XCTAssertEqual(x.keys.sorted { $0.text < $1.text }, y.keys.sorted { $0.text < $1.text }, "step \(step)")
                for (template, f) in x { XCTAssertEqual(f.effect, y[template]?.effect, "step \(step): \(template.text)") }
            }
        }
        XCTAssertGreaterThan(small.textMemory.evicted, 0, "the memory let prompts go")
        // The sets' 36 prompts and a quarter more: never the 40 keystrokes' 240.
        XCTAssertLessThanOrEqual(small.textMemory.count, 45)
    }
}
