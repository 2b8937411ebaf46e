import CLIP
import Imaging
import SafeTensors
import Tensors
import XCTest

/// The Swift encoders against PyTorch, numbers against numbers, on every fixture:
/// - `clip-tiny`: fp32, quick_gelu, patch 32, 224 pixels (the shared fixture);
/// - `tiny-gelu16`: fp16 weights, exact GELU, patch 16, 3 text layers of width 40;
/// - `tiny-336-bf16`: bf16 weights, 336 pixels, patch 14;
/// - `openclip-quickgelu`, `openclip-gelu-squash`: open_clip's own layout and computation
///   (made by open_clip 3.3.0, `scripts/make_openclip_fixtures.py`), read without tokenizer
///   files (CLIP's BPE comes from `tiny-gelu16`), the second with GELU, a text tower under
///   `text.` and a square resize with mean and std 0.5;
/// - and any fixture folders (absolute paths) listed in `CLIP_TUI_EXTRA_FIXTURES`, separated
///   by ':', such as one made by `clipref.py fixture --preset b32` (600 MB, not in the repo).
final class ParityTests: XCTestCase {
    static let fixtureNames =
        ["clip-tiny", "tiny-gelu16", "tiny-336-bf16", "openclip-quickgelu", "openclip-gelu-squash"]
        + (ProcessInfo.processInfo.environment["CLIP_TUI_EXTRA_FIXTURES"] ?? "").split(separator: ":").map(String.init)
    // XCTest runs a class's tests one after another on one thread: the loaded models are
    // kept for the next test without a lock.
    nonisolated(unsafe) private static var cache: [String: (FixtureCase, CLIPModel)] = [:]

    /// Runs `check` on each fixture and its loaded model.
    func eachFixture(_ check: (FixtureCase, CLIPModel) throws -> Void) throws {
        for name in Self.fixtureNames {
            let entry: (FixtureCase, CLIPModel)
            if let hit = Self.cache[name] {
                entry = hit
            } else {
                let fixture = try FixtureCase.load(name)
                let bpe = CLIPModel.BPEFiles(folder: try FixtureCase.load("tiny-gelu16").modelFolder)
                entry = (fixture, try CLIPModel(folder: fixture.modelFolder, fallbackBPE: bpe))
                Self.cache[name] = entry
            }
            try check(entry.0, entry.1)
        }
    }

    func testTokenIdsEqualReference() throws {
        try eachFixture { f, m in
            XCTAssertEqual(f.texts.count, 54, f.root)
            for (text, ids) in zip(f.texts, f.tokenIds) {
                XCTAssertEqual(m.tokenizer.tokenize(text).ids, ids, "\(f.root): text \(text.debugDescription)")
            }
        }
    }

    func testCropsEqualReference() throws {
        try eachFixture { f, m in try assertCropsMatch(f, m.preprocessor, size: m.config.visionConfig.imageSize) }
    }

    func testImageEmbeddingsEqualReference() throws {
        try eachFixture { f, m in
            let embeddings = try m.encodeImageFiles(f.images, batchSize: 5)
            let (expected, shape) = try f.tensor("image_embeds")
            XCTAssertEqual(shape, [f.images.count, m.config.projectionDim])
            assertRowsMatch(embeddings.storage, expected, cols: shape[1], "\(f.root) image_embeds")
        }
    }

    func testTextEmbeddingsEqualReference() throws {
        try eachFixture { f, m in
            let embeddings = try m.encodeTexts(f.texts)
            let (expected, shape) = try f.tensor("text_embeds")
            XCTAssertEqual(shape, [f.texts.count, m.config.projectionDim])
            assertRowsMatch(embeddings.storage, expected, cols: shape[1], "\(f.root) text_embeds")
        }
    }

    func testTextLayoutsGiveTheSameEmbeddings() throws {
        try eachFixture { f, m in
            let ids = f.tokenIds
            let shared = try m.text.encode(ids, endToken: m.tokenizer.endToken)
            var padded = TextEncoder.Options()
            padded.sharePrefixes = false
            padded.padTo = 77
            padded.batchSize = 7
            let full = try m.text.encode(ids, endToken: m.tokenizer.endToken, options: padded)
            assertRowsMatch(full.storage, shared.storage, cols: m.config.projectionDim, "padded vs shared")
        }
    }

    /// The fixture's texts, each after a call that kept the states of its first half
    /// followed by another token: they start from those states and still equal the reference.
    func testTextsStartingFromKeptPrefixStatesEqualReference() throws {
        try eachFixture { f, m in
            let end = m.tokenizer.endToken
            let ids = f.tokenIds.map { s in Array(s[...(s.firstIndex(of: end) ?? (s.count - 1))]) }
            let earlier = ids.map { s in Array(s.prefix(max(1, s.count / 2))) + [s.count > 2 ? s[1] : 320, end] }
            let cache = TextStateCache(layers: m.config.textConfig.numHiddenLayers, width: m.config.textConfig.hiddenSize)
            var options = TextEncoder.Options()
            options.states = cache
            options.batchSize = 7  // several passes: later ones read what earlier ones kept
            _ = try m.text.encode(earlier, endToken: end, options: options)
            let before = cache.counts
            // Passes after the first already read the start token (and any common prefix).
            XCTAssertGreaterThanOrEqual(before.reusedRows, ids.count - 7, f.root)
            XCTAssertGreaterThan(before.held, 0, f.root)
            let embeddings = try m.text.encode(ids, endToken: end, options: options)
            let after = cache.counts
            // Every text reuses its first half (the start token at least).
            XCTAssertGreaterThanOrEqual(after.reusedRows - before.reusedRows, ids.reduce(0) { $0 + max(1, $1.count / 2) }, f.root)
            XCTAssertLessThan(after.computedRows - before.computedRows, ids.reduce(0) { $0 + $1.count }, f.root)
            let (expected, shape) = try f.tensor("text_embeds")
            XCTAssertEqual(shape, [f.texts.count, m.config.projectionDim])
            assertRowsMatch(embeddings.storage, expected, cols: shape[1], "\(f.root) text_embeds from kept states")
        }
    }

    /// Without `keepContinuations` (a key typed before the placeholder) only what two prompts
    /// share is kept: the template's words before the class name, not each class's tokens
    /// after them. A second call starts from those and still gives the uncached embeddings.
    func testKeepingOnlySharedPrefixesHoldsTheTemplatePartAndStaysExact() throws {
        try eachFixture { f, m in
            let end = m.tokenizer.endToken
            let prompts = ["a photo of a goldfish.", "a photo of a tree frog.", "a photo of a school bus."]
            let ids = prompts.map { p in m.tokenizer.tokenize(p).ids }.map { s in Array(s[...(s.firstIndex(of: end) ?? (s.count - 1))]) }
            let shared = m.tokenizer.tokenize("a photo of a").ids.firstIndex(of: end)!  // start token and 4 words
            for s in ids { XCTAssertGreaterThan(s.count, shared + 1, f.root) }
            let cache = TextStateCache(layers: m.config.textConfig.numHiddenLayers, width: m.config.textConfig.hiddenSize)
            var options = TextEncoder.Options()
            options.states = cache
            options.keepContinuations = false
            let plain = try m.text.encode(ids, endToken: end)
            let first = try m.text.encode(ids, endToken: end, options: options)
            XCTAssertEqual(cache.counts.held, shared, "\(f.root): the shared prefix's nodes only")
            let second = try m.text.encode(ids, endToken: end, options: options)
            XCTAssertEqual(cache.counts.reusedRows, ids.count * shared, "\(f.root): each prompt starts after the shared prefix")
            XCTAssertEqual(cache.counts.held, shared, f.root)
            assertRowsMatch(first.storage, plain.storage, cols: plain.cols, "\(f.root) first call")
            assertRowsMatch(second.storage, plain.storage, cols: plain.cols, "\(f.root) from the shared prefix")
            // Kept whole, each class's tokens are there too.
            options.keepContinuations = true
            let whole = TextStateCache(layers: m.config.textConfig.numHiddenLayers, width: m.config.textConfig.hiddenSize)
            options.states = whole
            _ = try m.text.encode(ids, endToken: end, options: options)
            XCTAssertEqual(whole.counts.held, shared + ids.reduce(0) { $0 + $1.count - 1 - shared }, f.root)
        }
    }

    /// A cache too small for one call drops the least recently used prefixes, continuations
    /// first, and what it keeps still gives the uncached embeddings.
    func testATextStateCacheOverItsLimitEvictsAndStaysExact() throws {
        try eachFixture { f, m in
            let end = m.tokenizer.endToken
            let ids = f.tokenIds.map { s in Array(s[...(s.firstIndex(of: end) ?? (s.count - 1))]) }
            let cache = TextStateCache(
                layers: m.config.textConfig.numHiddenLayers, width: m.config.textConfig.hiddenSize, slotLimit: 40)
            var options = TextEncoder.Options()
            options.states = cache
            options.batchSize = 5
            let plain = try m.text.encode(ids, endToken: end)
            for round in 0..<3 {
                let again = try m.text.encode(round == 1 ? ids.reversed() : ids, endToken: end, options: options)
                let expected = round == 1 ? (0..<plain.rows).reversed().flatMap { plain.row($0) } : plain.storage
                assertRowsMatch(again.storage, expected, cols: plain.cols, "\(f.root) round \(round)")
            }
            let counts = cache.counts
            XCTAssertLessThanOrEqual(counts.held, 40, f.root)
            XCTAssertGreaterThan(counts.evicted, 0, f.root)
            XCTAssertGreaterThan(counts.reusedRows, 0, f.root)
        }
    }

    func testLogitsEqualReference() throws {
        try eachFixture { f, m in
            let images = try m.encodeImageFiles(f.images).rowNormalized()
            let texts = try m.encodeTexts(f.texts).rowNormalized()
            var logits = BLAS.matmul(images, texts, transB: true)
            for i in logits.storage.indices { logits.storage[i] *= m.logitScale }
            let (expected, shape) = try f.tensor("logits_per_image")
            XCTAssertEqual(shape, [images.rows, texts.rows])
            // log(100) rounded to the checkpoint's dtype: exactly 100 only in fp32.
            XCTAssertEqual(m.logitScale, 100, accuracy: m.config.textConfig.hiddenSize >= 512 || f.root.hasSuffix("clip-tiny") ? 1e-3 : 1.5)
            for (a, e) in zip(logits.storage, expected) { XCTAssertEqual(a, e, accuracy: 1e-3) }
        }
    }

    func testVisionHiddenStatesPerLayer() throws {
        try eachFixture { f, m in
            let pixels = m.preprocessor.pixelValues(try ImageDecoder.decode(path: f.images[0]))
            var states: [Int: [Float]] = [:]
            _ = m.vision.encode(pixels: pixels) { states[$0] = $1 }
            let (expected, shape) = try f.tensor("vision_hidden_states_image0")
            XCTAssertEqual(shape[0], m.config.visionConfig.numHiddenLayers + 1)
            let per = shape[1] * shape[2]
            for layer in 0..<shape[0] {
                assertRowsMatch(
                    try XCTUnwrap(states[layer]), Array(expected[(layer * per)..<((layer + 1) * per)]),
                    cols: shape[2], "vision layer \(layer)")
            }
        }
    }

    func testTextHiddenStatesPerLayer() throws {
        try eachFixture { f, m in
            var states: [Int: [Float]] = [:]
            _ = try m.text.encode([f.tokenIds[0]], endToken: m.tokenizer.endToken) { states[$0] = $1 }
            let (expected, shape) = try f.tensor("text_hidden_states_text0")
            XCTAssertEqual(shape, [m.config.textConfig.numHiddenLayers + 1, f.tokenIds[0].count, m.config.textConfig.hiddenSize])
            let per = shape[1] * shape[2]
            for layer in 0..<shape[0] {
                assertRowsMatch(
                    try XCTUnwrap(states[layer]), Array(expected[(layer * per)..<((layer + 1) * per)]),
                    cols: shape[2], "text layer \(layer)")
            }
        }
    }
}
