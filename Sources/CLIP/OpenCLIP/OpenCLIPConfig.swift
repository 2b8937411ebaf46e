import Foundation
import Imaging
import InputLimits

/// An open_clip checkpoint's `open_clip_config.json` (`model_cfg` and `preprocess_cfg`, as
/// open_clip's `save_for_hf` writes it), read for the towers that are CLIP's own: a ViT
/// image tower with a class token and CLIP's causal text transformer. Everything else
/// open_clip can build (timm or ConvNeXt towers, Hugging Face text towers, attentional
/// pooling, layer scale, …) is refused by name: it would load into the wrong computation.
public struct OpenCLIPConfig: Sendable, Equatable {
    /// The shapes, as the encoders take them.
    public let clip: CLIPConfig
    /// The eval transform `preprocess_cfg` names (open_clip's defaults where it is silent).
    public let preprocessor: Preprocessor
    /// Where the text tower's tensors live: "" for `CLIP`, "text." for `CustomTextCLIP`.
    public let textPrefix: String

    /// Reads and checks `path`.
    /// - Throws: `CLIPError.badConfig` naming the file and the setting clip-tui cannot run.
    public static func load(path: String) throws -> OpenCLIPConfig {
        let root: JSONValue
        do { root = try BoundedJSON.value(path: path) } catch let e as BoundedJSON.Failure {
            throw CLIPError.badConfig(path: path, reason: e.reason)
        }
        return try OpenCLIPConfig(root, path: path)
    }

    init(_ root: JSONValue, path: String) throws {
        func refuse(_ reason: String) -> CLIPError {
            .badConfig(path: path, reason: "\(reason): clip-tui runs open_clip models whose towers are CLIP's own (a ViT and CLIP's text transformer)")
        }
        guard let model = root["model_cfg"], model.members != nil else { throw CLIPError.badConfig(path: path, reason: "no model_cfg object") }
        guard let vision = model["vision_cfg"], vision.members != nil, let text = model["text_cfg"], text.members != nil else {
            throw CLIPError.badConfig(path: path, reason: "model_cfg needs vision_cfg and text_cfg objects")
        }
        func number(_ v: JSONValue?, _ key: String, default d: Double? = nil) throws -> Double {
            switch v {
            case let .number(x)?: return x
            case nil, .null?: if let d { return d }
            default: break
            }
            throw CLIPError.badConfig(path: path, reason: "\(key) must be a number")
        }
        func integer(_ v: JSONValue?, _ key: String, default d: Int? = nil) throws -> Int {
            let x = try number(v, key, default: d.map(Double.init))
            guard x == x.rounded(), x >= 1, x < 1e7 else { throw CLIPError.badConfig(path: path, reason: "\(key) must be a positive integer") }
            return Int(x)
        }
        func isSet(_ v: JSONValue?) -> Bool {
            switch v {
            case nil, .null?, .bool(false)?: return false
            case let .string(s)?: return !s.isEmpty
            default: return true
            }
        }

        func named(_ v: JSONValue) -> String { v.string.map { "'\($0)'" } ?? "\(v)" }
        // Towers and features that are not CLIP's, by the name open_clip gives them.
        if let name = vision["timm_model_name"], isSet(name) { throw refuse("image tower is timm's \(named(name))") }
        if case .array? = vision["layers"] { throw refuse("image tower is a ResNet (vision_cfg.layers is a list)") }
        if let name = text["hf_model_name"], isSet(name) { throw refuse("text tower is Hugging Face's \(named(name))") }
        if let name = text["hf_tokenizer_name"], isSet(name) { throw refuse("tokenizer is Hugging Face's \(named(name)), not CLIP's BPE") }
        for (cfg, which) in [(vision, "vision_cfg"), (text, "text_cfg")] {
            for key in [
                "ls_init_value", "attentional_pool", "no_ln_pre", "act_kwargs", "norm_kwargs", "qk_norm", "scaled_cosine_attn",
                "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc", "no_causal_mask", "embed_cls", "proj_bias"
            ] where isSet(cfg[key]) {
                throw refuse("\(which).\(key) is set")
            }
            if let block = cfg["block_type"]?.string, block != "default" { throw refuse("\(which).block_type is '\(block)'") }
        }
        if let pool = vision["pool_type"]?.string, pool != "tok" { throw refuse("vision_cfg.pool_type is '\(pool)', not the class token") }
        if let pool = text["pool_type"]?.string, pool != "argmax" { throw refuse("text_cfg.pool_type is '\(pool)', not the end token") }
        if let embed = vision["pos_embed_type"]?.string, embed != "learnable" { throw refuse("vision_cfg.pos_embed_type is '\(embed)'") }
        if let proj = text["proj_type"]?.string, proj != "linear" { throw refuse("text_cfg.proj_type is '\(proj)'") }
        if isSet(model["init_logit_bias"]) { throw refuse("the model has a logit bias (sigmoid scores, SigLIP-style)") }
        if case .array? = vision["image_size"] { throw refuse("vision_cfg.image_size is not square") }
        let context = try integer(text["context_length"], "text_cfg.context_length", default: 77)
        guard context == 77 else { throw refuse("text_cfg.context_length is \(context), not CLIP's 77") }

        var t = CLIPTextConfig()
        t.vocabSize = try integer(text["vocab_size"], "text_cfg.vocab_size", default: 49408)
        t.hiddenSize = try integer(text["width"], "text_cfg.width", default: 512)
        t.numAttentionHeads = try integer(text["heads"], "text_cfg.heads", default: 8)
        t.numHiddenLayers = try integer(text["layers"], "text_cfg.layers", default: 12)
        t.intermediateSize = Int(Double(t.hiddenSize) * (try number(text["mlp_ratio"], "text_cfg.mlp_ratio", default: 4)))
        t.maxPositionEmbeddings = context
        var v = CLIPVisionConfig()
        v.hiddenSize = try integer(vision["width"], "vision_cfg.width", default: 768)
        let headWidth = try integer(vision["head_width"], "vision_cfg.head_width", default: 64)
        guard v.hiddenSize % headWidth == 0 else { throw CLIPError.badConfig(path: path, reason: "vision_cfg.width is not a multiple of head_width") }
        v.numAttentionHeads = v.hiddenSize / headWidth
        v.numHiddenLayers = try integer(vision["layers"], "vision_cfg.layers", default: 12)
        v.intermediateSize = Int(Double(v.hiddenSize) * (try number(vision["mlp_ratio"], "vision_cfg.mlp_ratio", default: 4)))
        v.imageSize = try integer(vision["image_size"], "vision_cfg.image_size", default: 224)
        v.patchSize = try integer(vision["patch_size"], "vision_cfg.patch_size", default: 16)
        // open_clip's `quick_gelu` flag picks QuickGELU; otherwise torch's exact GELU.
        let quick = model["quick_gelu"] == .bool(true)
        t.hiddenAct = quick ? .quickGELU : .gelu
        v.hiddenAct = t.hiddenAct
        var c = CLIPConfig()
        c.textConfig = t
        c.visionConfig = v
        c.projectionDim = try integer(model["embed_dim"], "model_cfg.embed_dim")
        try c.validate(path: path)
        clip = c
        let customText = model["custom_text"] == .bool(true)
        textPrefix = customText ? "text." : ""
        preprocessor = try Self.preprocessor(root["preprocess_cfg"], imageSize: v.imageSize, path: path)
    }

    /// open_clip's `PreprocessCfg` over its defaults: OpenAI's mean and std, bicubic (or
    /// bilinear), the
    /// short side resized then centre-cropped ("shortest"), or "squash" (a square resize).
    private static func preprocessor(_ cfg: JSONValue?, imageSize: Int, path: String) throws -> Preprocessor {
        func triple(_ key: String, _ fallback: [Float]) throws -> [Float] {
            guard let value = cfg?[key], value != .null else { return fallback }
            let numbers = (value.array ?? []).compactMap { v -> Float? in if case let .number(d) = v { Float(d) } else { nil } }
            guard numbers.count == 3, value.array?.count == 3 else {
                throw CLIPError.badConfig(path: path, reason: "preprocess_cfg.\(key) must be three numbers")
            }
            return numbers
        }
        let mean = try triple("mean", Preprocessor.clipMean), std = try triple("std", Preprocessor.clipStd)
        guard std.allSatisfy({ $0 > 0 }) else { throw CLIPError.badConfig(path: path, reason: "preprocess_cfg.std must be positive") }
        // torchvision's Resize on a PIL image is PIL's own resize with that filter.
        let filter: ResampleFilter
        switch cfg?["interpolation"]?.string ?? "bicubic" {
        case "bicubic": filter = .bicubic
        case "bilinear": filter = .bilinear
        case let other:
            throw CLIPError.badConfig(path: path, reason: "preprocess_cfg.interpolation '\(other)': clip-tui resizes with bicubic or bilinear")
        }
        var preprocessor: Preprocessor
        switch cfg?["resize_mode"]?.string ?? "shortest" {
        case "shortest": preprocessor = Preprocessor(size: imageSize, cropSize: imageSize, mean: mean, std: std)
        case "squash": preprocessor = Preprocessor(squareSize: imageSize, mean: mean, std: std)
        case let other:
            throw CLIPError.badConfig(path: path, reason: "preprocess_cfg.resize_mode '\(other)': clip-tui knows 'shortest' and 'squash'")
        }
        preprocessor.filter = filter
        return preprocessor
    }
}
