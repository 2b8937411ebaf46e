import CLIP
import Foundation
import Imaging
import XCTest

/// open_clip's layout: what is read, what takes open_clip's defaults, and what is refused
/// by name (towers and features that are not CLIP's own).
final class OpenCLIPLoadingTests: XCTestCase {
    var bpe: CLIPModel.BPEFiles { get throws { CLIPModel.BPEFiles(folder: try FixtureCase.load("tiny-gelu16").modelFolder) } }

    func copy(_ name: String = "openclip-quickgelu") throws -> TestCheckpoint {
        try TestCheckpoint(copying: try FixtureCase.load(name).modelFolder)
    }

    /// Edits `model_cfg` of the copy's open_clip_config.json through a JSON round trip.
    func edit(_ ckpt: TestCheckpoint, _ change: (inout [String: Any]) -> Void) throws {
        let url = ckpt.file("open_clip_config.json")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        var model = try XCTUnwrap(root["model_cfg"] as? [String: Any])
        change(&model)
        root["model_cfg"] = model
        try JSONSerialization.data(withJSONObject: root).write(to: url)
    }

    func testLayoutAndPreprocessingAreRead() throws {
        let quick = try CLIPModel(folder: try FixtureCase.load("openclip-quickgelu").modelFolder, fallbackBPE: try bpe)
        XCTAssertEqual(quick.layout, .openCLIP)
        XCTAssertEqual(quick.config.textConfig.hiddenAct, .quickGELU)
        XCTAssertEqual(quick.config.visionConfig.numAttentionHeads, 2)  // width 64 / head_width 32
        XCTAssertEqual(quick.preprocessor.resize, .shortestThenCrop)
        XCTAssertEqual(quick.preprocessor.mean, Preprocessor.clipMean)
        let squash = try CLIPModel(folder: try FixtureCase.load("openclip-gelu-squash").modelFolder, fallbackBPE: try bpe)
        XCTAssertEqual(squash.config.textConfig.hiddenAct, .gelu)
        XCTAssertEqual(squash.config.visionConfig.intermediateSize, 96)  // mlp_ratio 2
        XCTAssertEqual(squash.preprocessor.resize, .square)
        XCTAssertEqual(squash.preprocessor.std, [0.5, 0.5, 0.5])
    }

    /// No preprocess_cfg: open_clip's defaults (bicubic, "shortest", OpenAI's mean and std).
    func testMissingPreprocessConfigTakesOpenCLIPDefaults() throws {
        let ckpt = try copy("openclip-gelu-squash")
        defer { ckpt.remove() }
        let url = ckpt.file("open_clip_config.json")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        root["preprocess_cfg"] = nil
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        let m = try CLIPModel(folder: ckpt.path, fallbackBPE: try bpe)
        XCTAssertEqual(m.preprocessor.resize, .shortestThenCrop)
        XCTAssertEqual(m.preprocessor.std, Preprocessor.clipStd)
    }

    /// A timm repository: timm's config.json and image-only model.safetensors beside the
    /// open_clip files, which decide.
    func testOpenCLIPFilesDecideOverTimmFiles() throws {
        let ckpt = try copy()
        defer { ckpt.remove() }
        try Data(#"{"architecture": "vit_base_patch16_clip_224", "num_classes": 0}"#.utf8).write(to: ckpt.file("config.json"))
        try TestCheckpoint.write(["visual.head.weight": ([2, 2], [1, 2, 3, 4])], to: ckpt.file("model.safetensors"))
        let m = try CLIPModel(folder: ckpt.path, fallbackBPE: try bpe)
        XCTAssertEqual(m.layout, .openCLIP)
        XCTAssertEqual(m.config.projectionDim, 24)
    }

    func testForeignTowersAndFeaturesAreRefusedByName() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            (
                "timm's 'convnext_base'",
                { m in
                    var v = m["vision_cfg"] as! [String: Any]; v["timm_model_name"] = "convnext_base"; m["vision_cfg"] = v
                }
            ),
            (
                "ResNet",
                { m in
                    var v = m["vision_cfg"] as! [String: Any]; v["layers"] = [3, 4, 6, 3]; m["vision_cfg"] = v
                }
            ),
            (
                "Hugging Face's 'xlm-roberta-base'",
                { m in
                    var t = m["text_cfg"] as! [String: Any]; t["hf_model_name"] = "xlm-roberta-base"; m["text_cfg"] = t
                }
            ),
            (
                "vision_cfg.attentional_pool",
                { m in
                    var v = m["vision_cfg"] as! [String: Any]; v["attentional_pool"] = true; m["vision_cfg"] = v
                }
            ),
            (
                "vision_cfg.pool_type is 'avg'",
                { m in
                    var v = m["vision_cfg"] as! [String: Any]; v["pool_type"] = "avg"; m["vision_cfg"] = v
                }
            ),
            (
                "text_cfg.no_causal_mask",
                { m in
                    var t = m["text_cfg"] as! [String: Any]; t["no_causal_mask"] = true; m["text_cfg"] = t
                }
            ),
            (
                "vision_cfg.ls_init_value",
                { m in
                    var v = m["vision_cfg"] as! [String: Any]; v["ls_init_value"] = 1e-5; m["vision_cfg"] = v
                }
            ),
            (
                "context_length is 64",
                { m in
                    var t = m["text_cfg"] as! [String: Any]; t["context_length"] = 64; m["text_cfg"] = t
                }
            ),
            ("logit bias", { m in m["init_logit_bias"] = -10 })
        ]
        for (expected, change) in cases {
            let ckpt = try copy()
            defer { ckpt.remove() }
            try edit(ckpt, change)
            XCTAssertThrowsError(try CLIPModel(folder: ckpt.path, fallbackBPE: try bpe)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(expected), "\(expected): \(text)")
                XCTAssertTrue(text.contains("open_clip_config.json"), text)
            }
        }
    }

    func testPickleOnlyIsRefusedWithWhatToDo() throws {
        let ckpt = try copy()
        defer { ckpt.remove() }
        try FileManager.default.moveItem(at: ckpt.file("open_clip_model.safetensors"), to: ckpt.file("open_clip_pytorch_model.bin"))
        XCTAssertThrowsError(try CLIPModel(folder: ckpt.path, fallbackBPE: try bpe)) { error in
            XCTAssertEqual(error as? CLIPError, .pickleOnly(path: ckpt.file("open_clip_pytorch_model.bin").path))
            XCTAssertTrue("\(error)".contains("unpickling can run code"))
            XCTAssertTrue("\(error)".contains("open_clip_model.safetensors"))
        }
    }

    /// Without tokenizer files and without a fallback, the missing file is named.
    func testNoTokenizerAnywhereNamesTheFile() throws {
        let folder = try FixtureCase.load("openclip-quickgelu").modelFolder
        XCTAssertThrowsError(try CLIPModel(folder: folder)) { error in
            XCTAssertEqual(error as? CLIPError, .missingFile(path: folder + "/vocab.json"))
        }
    }
}
