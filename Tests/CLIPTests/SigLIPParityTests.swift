import CLIP
import Imaging
import SafeTensors
import Tensors
import XCTest

/// SigLIP's towers against transformers' `SiglipModel`, numbers against numbers, on two
/// random small checkpoints made by transformers (scripts/make_siglip_fixtures.py):
/// - `siglip-tiny`: SigLIP's tokenizer (`spiece.model`, canonicalising);
/// - `siglip2-tiny`: SigLIP 2's (Gemma's `tokenizer.model`, lower case), fp16 weights;
/// - `siglip-tiny-p14`: 46-pixel images in 14-pixel patches, the last 4 pixels unused (as
///   so400m/14 at 384 pixels leaves 6).
/// Both: no class token, the attention-pooling head, 64 padded tokens attended both ways
/// and pooled at the last position, a square bicubic resize, `logit_bias`.
/// Fixture folders (absolute paths) in `CLIP_TUI_EXTRA_SIGLIP_FIXTURES`, separated by ':',
/// run too: `make_siglip_fixtures.py Tests/CLIPTests/Fixtures --b16 DIR` makes a B/16-shaped one.
final class SigLIPParityTests: XCTestCase {
    static let fixtureNames =
        ["siglip-tiny", "siglip2-tiny", "siglip-tiny-p14"]
        + (ProcessInfo.processInfo.environment["CLIP_TUI_EXTRA_SIGLIP_FIXTURES"] ?? "").split(separator: ":").map(String.init)
    nonisolated(unsafe) private static var cache: [String: (FixtureCase, SigLIPModel)] = [:]

    func eachFixture(_ check: (FixtureCase, SigLIPModel) throws -> Void) throws {
        for name in Self.fixtureNames {
            let entry: (FixtureCase, SigLIPModel)
            if let hit = Self.cache[name] {
                entry = hit
            } else {
                let fixture = try FixtureCase.load(name)
                entry = (fixture, try SigLIPModel(folder: fixture.modelFolder))
                Self.cache[name] = entry
            }
            try check(entry.0, entry.1)
        }
    }

    func testTokenIdsEqualReference() throws {
        try eachFixture { f, m in
            XCTAssertEqual(f.texts.count, 66)
            for (text, ids) in zip(f.texts, f.tokenIds) {
                let own = m.tokenize(text).ids
                XCTAssertEqual(own + Array(repeating: m.tokenizer.padToken, count: 64 - own.count), ids, "\(f.root): \(text.debugDescription)")
            }
        }
    }

    func testCropsEqualReference() throws {
        try eachFixture { f, m in
            XCTAssertEqual(m.preprocessor.resize, .square)
            XCTAssertEqual(m.preprocessor.mean, [0.5, 0.5, 0.5])
            try assertCropsMatch(f, m.preprocessor, size: m.config.visionConfig.imageSize)
        }
    }

    func testImageEmbeddingsEqualReference() throws {
        try eachFixture { f, m in
            let embeddings = try m.encodeImageFiles(f.images, batchSize: 5)
            let (expected, shape) = try f.tensor("image_embeds")
            XCTAssertEqual(shape, [f.images.count, m.embeddingSize])
            assertRowsMatch(embeddings.storage, expected, cols: shape[1], "\(f.root) image_embeds")
        }
    }

    func testTextEmbeddingsEqualReference() throws {
        try eachFixture { f, m in
            let embeddings = try m.encodeTexts(f.texts)
            let (expected, shape) = try f.tensor("text_embeds")
            XCTAssertEqual(shape, [f.texts.count, m.embeddingSize])
            assertRowsMatch(embeddings.storage, expected, cols: shape[1], "\(f.root) text_embeds")
        }
    }

    func testLogitsEqualReference() throws {
        try eachFixture { f, m in
            let images = try m.encodeImageFiles(f.images).rowNormalized()
            let texts = try m.encodeTexts(f.texts).rowNormalized()
            var logits = BLAS.matmul(images, texts, transB: true)
            for i in logits.storage.indices { logits.storage[i] = logits.storage[i] * m.logitScale + m.bias }
            let (expected, shape) = try f.tensor("logits_per_image")
            XCTAssertEqual(shape, [images.rows, texts.rows])
            // exp(log 10) and −10 rounded to fp16 by the checkpoint.
            XCTAssertEqual(m.logitScale, 10, accuracy: 0.01)
            XCTAssertEqual(m.bias, -10, accuracy: 1e-3)
            // |logit| ≤ 10·1 + 10; float32 cosines to ~1e-6 relative: 1e-4 is two orders above.
            for (a, e) in zip(logits.storage, expected) { XCTAssertEqual(a, e, accuracy: 1e-4) }
        }
    }

    func testVisionHiddenStatesPerLayer() throws {
        try eachFixture { f, m in
            let pixels = m.preprocessor.pixelValues(try ImageDecoder.decode(path: f.images[0]))
            var states: [Int: [Float]] = [:]
            _ = m.vision.encode(pixels: pixels) { states[$0] = $1 }
            let (expected, shape) = try f.tensor("vision_hidden_states_image0")
            XCTAssertEqual(shape, [m.config.visionConfig.numHiddenLayers + 1, m.config.patchCount, m.config.visionConfig.hiddenSize])
            let per = shape[1] * shape[2]
            for layer in 0..<shape[0] {
                assertRowsMatch(try XCTUnwrap(states[layer]), Array(expected[(layer * per)..<((layer + 1) * per)]), cols: shape[2], "vision layer \(layer)")
            }
        }
    }

    func testTextHiddenStatesPerLayer() throws {
        try eachFixture { f, m in
            var states: [Int: [Float]] = [:]
            _ = try m.text.encode([m.tokenize(f.texts[0]).ids], padToken: m.tokenizer.padToken) { states[$0] = $1 }
            let (expected, shape) = try f.tensor("text_hidden_states_text0")
            XCTAssertEqual(shape, [m.config.textConfig.numHiddenLayers + 1, 64, m.config.textConfig.hiddenSize])
            let per = shape[1] * shape[2]
            for layer in 0..<shape[0] {
                assertRowsMatch(try XCTUnwrap(states[layer]), Array(expected[(layer * per)..<((layer + 1) * per)]), cols: shape[2], "text layer \(layer)")
            }
        }
    }

    func testFolderOpensAsItsFamily() throws {
        let f = try FixtureCase.load("siglip-tiny")
        let model = try CheckpointFolder.load(folder: f.modelFolder)
        XCTAssertTrue(model is SigLIPModel)
        XCTAssertEqual(model.contextLength, 64)
        XCTAssertEqual(model.logitBias ?? 0, -10, accuracy: 1e-3)
        // A NaFlex config is refused by name.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("naflex-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"model_type": "siglip2", "text_config": {}, "vision_config": {"num_patches": 256}}"#.utf8)
            .write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CheckpointFolder.load(folder: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("NaFlex"), "\(error)")
            XCTAssertTrue("\(error)".contains("config.json"), "\(error)")
        }
    }
}
