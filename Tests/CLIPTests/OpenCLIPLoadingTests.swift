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
        XCTAssertEqual(m.preprocessor.filter, .bicubic)
    }

    /// `interpolation: bilinear` is PIL's bilinear (torchvision hands PIL images to PIL);
    /// other modes are refused by name.
    func testInterpolationIsRead() throws {
        let ckpt = try copy("openclip-gelu-squash")
        defer { ckpt.remove() }
        func setInterpolation(_ mode: String) throws {
            let url = ckpt.file("open_clip_config.json")
            var root = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
            var cfg = try XCTUnwrap(root["preprocess_cfg"] as? [String: Any])
            cfg["interpolation"] = mode
            root["preprocess_cfg"] = cfg
            try JSONSerialization.data(withJSONObject: root).write(to: url)
        }
        try setInterpolation("bilinear")
        XCTAssertEqual(try CLIPModel(folder: ckpt.path, fallbackBPE: try bpe).preprocessor.filter, .bilinear)
        try setInterpolation("nearest")
        XCTAssertThrowsError(try CLIPModel(folder: ckpt.path, fallbackBPE: try bpe)) { error in
            XCTAssertTrue("\(error)".contains("interpolation 'nearest'"), "\(error)")
        }
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
        // (what the message names, model_cfg section or nil for model_cfg itself, key, value)
        let cases: [(String, String?, String, Any)] = [
            ("timm's 'convnext_base'", "vision_cfg", "timm_model_name", "convnext_base"),
            ("ResNet", "vision_cfg", "layers", [3, 4, 6, 3]),
            ("Hugging Face's 'xlm-roberta-base'", "text_cfg", "hf_model_name", "xlm-roberta-base"),
            ("vision_cfg.attentional_pool", "vision_cfg", "attentional_pool", true),
            ("vision_cfg.pool_type is 'avg'", "vision_cfg", "pool_type", "avg"),
            ("text_cfg.no_causal_mask", "text_cfg", "no_causal_mask", true),
            ("vision_cfg.ls_init_value", "vision_cfg", "ls_init_value", 1e-5),
            ("context_length is 64", "text_cfg", "context_length", 64),
            ("logit bias", nil, "init_logit_bias", -10)
        ]
        for (expected, section, key, value) in cases {
            let change: (inout [String: Any]) -> Void = { m in
                guard let section else { m[key] = value; return }
                var cfg = m[section] as! [String: Any]
                cfg[key] = value
                m[section] = cfg
            }
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
