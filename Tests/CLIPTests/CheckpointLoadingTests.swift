import CLIP
import Crypto
import Foundation
import SafeTensors
import Tokenization
import XCTest

/// Loading checkpoints as people have them, and refusing broken ones by name.
final class CheckpointLoadingTests: XCTestCase {
    func fixtureModel() throws -> String { try FixtureCase.load("clip-tiny").modelFolder }

    func reference() throws -> (FixtureCase, [Float]) {
        let f = try FixtureCase.load("clip-tiny")
        return (f, try f.tensor("text_embeds").values)
    }

    func testFixtureFilesMatchTheManifest() throws {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: root.appendingPathComponent("MANIFEST.json"))
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let hashes = try XCTUnwrap(manifest["sha256"] as? [String: String])
        XCTAssertGreaterThan(hashes.count, 50)
        for (path, expected) in hashes {
            let bytes = try Data(contentsOf: root.appendingPathComponent(path))
            let actual = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(actual, expected, path)
        }
    }

    /// An older, sparse config.json: defaults fill the gaps, `torch_dtype` and
    /// `eos_token_id: 2` (pool at the highest id) are read as transformers reads them.
    func testSparseLegacyConfigGivesTheSameEmbeddings() throws {
        let (f, expected) = try reference()
        let ckpt = try TestCheckpoint(copying: f.modelFolder)
        defer { ckpt.remove() }
        let sparse = """
            {"architectures": ["CLIPModel"], "torch_dtype": "float32", "projection_dim": 24,
             "text_config": {"hidden_size": 32, "intermediate_size": 128, "num_attention_heads": 4,
                             "num_hidden_layers": 2, "eos_token_id": 2, "bos_token_id": 0, "pad_token_id": 1},
             "vision_config": {"hidden_size": 48, "intermediate_size": 192, "num_attention_heads": 3,
                               "num_hidden_layers": 2, "patch_size": 32}}
            """
        try Data(sparse.utf8).write(to: ckpt.file("config.json"))
        try FileManager.default.removeItem(at: ckpt.file("preprocessor_config.json"))
        let model = try CLIPModel(folder: ckpt.path)
        XCTAssertEqual(model.config.textConfig.vocabSize, 49408)
        XCTAssertEqual(model.config.textConfig.eosTokenId, 2)
        XCTAssertEqual(model.config.visionConfig.imageSize, 224)
        assertRowsMatch(try model.encodeTexts(f.texts).storage, expected, cols: 24, "sparse config")
    }

    func testShardedCheckpointWithPositionIdBuffers() throws {
        let (f, expected) = try reference()
        let ckpt = try TestCheckpoint(copying: f.modelFolder)
        defer { ckpt.remove() }
        var tensors = try ckpt.tensors()
        tensors["text_model.embeddings.position_ids"] = ([1, 77], (0..<77).map(Float.init))
        let names = tensors.keys.sorted()
        let first = Dictionary(uniqueKeysWithValues: names.prefix(names.count / 2).map { ($0, tensors[$0]!) })
        let second = Dictionary(uniqueKeysWithValues: names.dropFirst(names.count / 2).map { ($0, tensors[$0]!) })
        try TestCheckpoint.write(first, to: ckpt.file("model-00001-of-00002.safetensors"))
        try TestCheckpoint.write(second, to: ckpt.file("model-00002-of-00002.safetensors"))
        try FileManager.default.removeItem(at: ckpt.file("model.safetensors"))
        var map: [String: String] = [:]
        for n in first.keys { map[n] = "model-00001-of-00002.safetensors" }
        for n in second.keys { map[n] = "model-00002-of-00002.safetensors" }
        try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
            .write(to: ckpt.file("model.safetensors.index.json"))
        let model = try CLIPModel(folder: ckpt.path)
        assertRowsMatch(try model.encodeTexts(f.texts).storage, expected, cols: 24, "sharded")
    }

    /// Each broken checkpoint and the words its error must contain.
    func testBrokenCheckpointsAreRefusedByName() throws {
        let source = try fixtureModel()
        typealias Edit = (TestCheckpoint) throws -> Void
        let cases: [(String, Edit, [String])] = [
            (
                "missing tensor",
                { c in
                    var t = try c.tensors(); t["text_model.final_layer_norm.bias"] = nil; try c.writeModel(t)
                }, ["missing tensor 'text_model.final_layer_norm.bias'", "model.safetensors"]
            ),
            (
                "misshaped tensor",
                { c in
                    var t = try c.tensors(); t["visual_projection.weight"] = ([24, 47], [Float](repeating: 0, count: 24 * 47))
                    try c.writeModel(t)
                }, ["'visual_projection.weight' has shape [24, 47], the config says [24, 48]"]
            ),
            (
                "unknown tensor",
                { c in
                    var t = try c.tensors(); t["vision_model.extra_head.weight"] = ([2], [1, 2]); try c.writeModel(t)
                }, ["does not use: vision_model.extra_head.weight"]
            ),
            (
                "truncated weights",
                { c in
                    let data = try Data(contentsOf: c.file("model.safetensors"))
                    try data.prefix(data.count / 2).write(to: c.file("model.safetensors"))
                }, ["model.safetensors", "truncated"]
            ),
            (
                "no weights", { c in try FileManager.default.removeItem(at: c.file("model.safetensors")) },
                ["model.safetensors: no such file"]
            ),
            (
                "mangled config", { c in try Data("{\"text_config\": {\"hidden_size\": ".utf8).write(to: c.file("config.json")) },
                ["config.json", "not valid JSON"]
            ),
            (
                "deeply nested config",
                { c in
                    try Data(("{\"text_config\": " + String(repeating: "[", count: 200_000)).utf8).write(to: c.file("config.json"))
                }, ["config.json", "JSON nested deeper than 64 levels"]
            ),
            (
                "wrong type in config",
                { c in
                    try Data(#"{"text_config": {"hidden_size": "wide"}}"#.utf8).write(to: c.file("config.json"))
                }, ["config.json", "text_config.hidden_size"]
            ),
            (
                "bad heads",
                { c in
                    try Data(#"{"projection_dim": 24, "text_config": {"hidden_size": 32, "num_attention_heads": 5}}"#.utf8)
                        .write(to: c.file("config.json"))
                }, ["hidden_size 32 is not a multiple of num_attention_heads 5"]
            ),
            (
                "unknown activation",
                { c in
                    try Data(#"{"vision_config": {"hidden_act": "swish"}}"#.utf8).write(to: c.file("config.json"))
                }, ["config.json", "vision_config.hidden_act"]
            ),
            (
                "no vocabulary", { c in try FileManager.default.removeItem(at: c.file("vocab.json")) },
                ["vocab.json: no such file"]
            )
        ]
        for (name, edit, words) in cases {
            let c = try TestCheckpoint(copying: source)
            defer { c.remove() }
            try edit(c)
            XCTAssertThrowsError(try CLIPModel(folder: c.path), name) { error in
                let text = "\(error)"
                for w in words { XCTAssertTrue(text.contains(w), "\(name): '\(text)' should contain '\(w)'") }
            }
        }
        XCTAssertThrowsError(try CLIPModel(folder: "/nonexistent/model")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/model: no such file"), "\($0)")
        }
    }
}
