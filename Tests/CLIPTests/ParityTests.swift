import CLIP
import Imaging
import SafeTensors
import Tensors
import XCTest

/// The Swift encoders against PyTorch on the clip-tiny fixture, numbers against numbers.
final class ParityTests: XCTestCase {
    static var fixture: FixtureCase!
    static var model: CLIPModel!

    override class func setUp() {
        super.setUp()
        fixture = try? FixtureCase.load()
        model = fixture.flatMap { try? CLIPModel(folder: $0.modelFolder) }
    }

    private func loaded() throws -> (FixtureCase, CLIPModel) {
        (try XCTUnwrap(Self.fixture, "fixture did not load"), try XCTUnwrap(Self.model, "model did not load"))
    }

    func testTokenIdsEqualReference() throws {
        let (f, m) = try loaded()
        XCTAssertEqual(f.texts.count, 54)
        for (text, ids) in zip(f.texts, f.tokenIds) {
            XCTAssertEqual(m.tokenizer.tokenize(text).ids, ids, "text: \(text.debugDescription)")
        }
    }

    func testCropsEqualReference() throws {
        let (f, m) = try loaded()
        let (expected, shape) = try f.tensor("crops_uint8")
        XCTAssertEqual(shape, [f.images.count, 224, 224, 3])
        let plane = 224 * 224 * 3
        var offByOne = 0
        for (i, path) in f.images.enumerated() {
            let crop = m.preprocessor.crop(try ImageDecoder.decode(path: path))
            XCTAssertEqual(crop.width, 224); XCTAssertEqual(crop.height, 224)
            for j in 0..<plane {
                let d = abs(Int(crop.pixels[j]) - Int(expected[i * plane + j]))
                XCTAssertLessThanOrEqual(d, 1, "\(path) value \(j)")
                if d == 1 { offByOne += 1 }
                if d > 1 { break }
            }
        }
        XCTAssertLessThanOrEqual(Double(offByOne), 0.001 * Double(expected.count), "values off by one")
    }

    func testImageEmbeddingsEqualReference() throws {
        let (f, m) = try loaded()
        let embeddings = try m.encodeImageFiles(f.images, batchSize: 5)
        let (expected, shape) = try f.tensor("image_embeds")
        XCTAssertEqual(shape, [f.images.count, m.config.projectionDim])
        assertRowsMatch(embeddings.storage, expected, cols: shape[1], "image_embeds")
    }

    func testTextEmbeddingsEqualReference() throws {
        let (f, m) = try loaded()
        let embeddings = try m.encodeTexts(f.texts)
        let (expected, shape) = try f.tensor("text_embeds")
        XCTAssertEqual(shape, [f.texts.count, m.config.projectionDim])
        assertRowsMatch(embeddings.storage, expected, cols: shape[1], "text_embeds")
    }

    func testTextLayoutsGiveTheSameEmbeddings() throws {
        let (f, m) = try loaded()
        let ids = f.tokenIds
        let shared = try m.text.encode(ids, endToken: m.tokenizer.endToken)
        var padded = TextEncoder.Options()
        padded.sharePrefixes = false
        padded.padTo = 77
        padded.batchSize = 7
        let full = try m.text.encode(ids, endToken: m.tokenizer.endToken, options: padded)
        assertRowsMatch(full.storage, shared.storage, cols: m.config.projectionDim, "padded vs shared")
    }

    func testLogitsEqualReference() throws {
        let (f, m) = try loaded()
        let images = try m.encodeImageFiles(f.images).rowNormalized()
        let texts = try m.encodeTexts(f.texts).rowNormalized()
        var logits = BLAS.matmul(images, texts, transB: true)
        for i in logits.storage.indices { logits.storage[i] *= m.logitScale }
        let (expected, shape) = try f.tensor("logits_per_image")
        XCTAssertEqual(shape, [images.rows, texts.rows])
        XCTAssertEqual(m.logitScale, 100, accuracy: 1e-3)
        for (a, e) in zip(logits.storage, expected) { XCTAssertEqual(a, e, accuracy: 1e-3) }
    }

    func testVisionHiddenStatesPerLayer() throws {
        let (f, m) = try loaded()
        let pixels = m.preprocessor.pixelValues(try ImageDecoder.decode(path: f.images[0]))
        var states: [Int: [Float]] = [:]
        _ = m.vision.encode(pixels: pixels) { states[$0] = $1 }
        let (expected, shape) = try f.tensor("vision_hidden_states_image0")
        XCTAssertEqual(shape[0], m.config.visionConfig.numHiddenLayers + 1)
        let per = shape[1] * shape[2]
        for layer in 0..<shape[0] {
            assertRowsMatch(try XCTUnwrap(states[layer]), Array(expected[(layer * per)..<((layer + 1) * per)]),
                            cols: shape[2], "vision layer \(layer)")
        }
    }

    func testTextHiddenStatesPerLayer() throws {
        let (f, m) = try loaded()
        var states: [Int: [Float]] = [:]
        _ = try m.text.encode([f.tokenIds[0]], endToken: m.tokenizer.endToken) { states[$0] = $1 }
        let (expected, shape) = try f.tensor("text_hidden_states_text0")
        XCTAssertEqual(shape, [m.config.textConfig.numHiddenLayers + 1, f.tokenIds[0].count, m.config.textConfig.hiddenSize])
        let per = shape[1] * shape[2]
        for layer in 0..<shape[0] {
            assertRowsMatch(try XCTUnwrap(states[layer]), Array(expected[(layer * per)..<((layer + 1) * per)]),
                            cols: shape[2], "text layer \(layer)")
        }
    }
}
