import Foundation
import InputLimits

/// A Hugging Face `SiglipConfig` (`config.json` of a `SiglipModel` checkpoint: SigLIP, and
/// SigLIP 2 at a fixed resolution); missing keys take transformers' defaults.
///
/// The towers' shapes are read into `CLIPTextConfig` / `CLIPVisionConfig` (the same keys),
/// with SigLIP's defaults: GELU (tanh), LayerNorm ε 1e-6, 64 text positions, patch 16.
public struct SigLIPConfig: Sendable, Equatable {
    /// The text tower (`max_position_embeddings` is the padded prompt length, 64).
    public var textConfig: CLIPTextConfig
    /// The image tower (no class token: `tokenCount` − 1 patches).
    public var visionConfig: CLIPVisionConfig
    /// Length of the text head's output (`projection_size`, default the text width); it
    /// must equal the image tower's width, which its pooling head keeps.
    public var projectionSize: Int

    /// Google's SigLIP B/16 at 224 pixels (`google/siglip-base-patch16-224`): transformers'
    /// defaults, which are its shapes (both towers 768 wide, 12 layers, 12 heads, a 32,000-piece
    /// vocabulary, 64 text positions), so an empty config reads as it.
    public static var base16: SigLIPConfig {
        // The defaults pass their own validation: this cannot throw.
        try! SigLIPConfig(json: .object([]), path: "SigLIP-B/16")
    }

    /// Reads and validates `config.json`.
    /// - Throws: `CLIPError.badConfig` naming the file and the problem, for a NaFlex
    ///   (`siglip2`) model or a vision tower without its pooling head among others.
    public static func load(path: String) throws -> SigLIPConfig {
        let root: JSONValue
        do { root = try BoundedJSON.value(path: path) } catch let e as BoundedJSON.Failure {
            throw CLIPError.badConfig(path: path, reason: e.reason)
        }
        return try SigLIPConfig(json: root, path: path)
    }

    /// Whether a `config.json` describes a SigLIP-family model (`model_type` siglip or siglip2).
    public static func isSigLIP(configPath: String) -> Bool {
        guard let root = try? BoundedJSON.value(path: configPath), let type = root["model_type"]?.string else { return false }
        return type == "siglip" || type == "siglip2"
    }

    init(json root: JSONValue, path: String) throws {
        func fail(_ reason: String) -> CLIPError { .badConfig(path: path, reason: reason) }
        let type = root["model_type"]?.string ?? "siglip"
        if type == "siglip2" {
            throw fail(
                "model_type 'siglip2' is SigLIP 2's NaFlex variant (patches at any aspect ratio, Siglip2Model), "
                    + "which clip-tui does not run; the fixed-resolution SigLIP 2 checkpoints (model_type 'siglip') load")
        }
        guard type == "siglip" else { throw fail("model_type '\(type)' is not SigLIP's") }
        func int(_ object: JSONValue?, _ key: String, _ fallback: Int) throws -> Int {
            guard let v = object?[key], v != .null else { return fallback }
            guard case let .number(d) = v, d == d.rounded(), abs(d) < 1e9 else { throw fail("'\(key)' is not an integer") }
            return Int(d)
        }
        func double(_ object: JSONValue?, _ key: String, _ fallback: Double) throws -> Double {
            guard let v = object?[key], v != .null else { return fallback }
            guard case let .number(d) = v else { throw fail("'\(key)' is not a number") }
            return d
        }
        func activation(_ object: JSONValue?) throws -> Activation {
            guard let name = object?["hidden_act"]?.string else { return .geluTanh }
            guard let a = Activation(rawValue: name) else { throw fail("hidden_act '\(name)' is not one clip-tui runs") }
            return a
        }
        let t = root["text_config"], v = root["vision_config"]
        var text = CLIPTextConfig()
        text.vocabSize = try int(t, "vocab_size", 32000)
        text.hiddenSize = try int(t, "hidden_size", 768)
        text.intermediateSize = try int(t, "intermediate_size", 3072)
        text.numHiddenLayers = try int(t, "num_hidden_layers", 12)
        text.numAttentionHeads = try int(t, "num_attention_heads", 12)
        text.maxPositionEmbeddings = try int(t, "max_position_embeddings", 64)
        text.hiddenAct = try activation(t)
        text.layerNormEps = try double(t, "layer_norm_eps", 1e-6)
        text.eosTokenId = try int(t, "eos_token_id", 1)
        var vision = CLIPVisionConfig()
        vision.hiddenSize = try int(v, "hidden_size", 768)
        vision.intermediateSize = try int(v, "intermediate_size", 3072)
        vision.numHiddenLayers = try int(v, "num_hidden_layers", 12)
        vision.numAttentionHeads = try int(v, "num_attention_heads", 12)
        vision.numChannels = try int(v, "num_channels", 3)
        vision.imageSize = try int(v, "image_size", 224)
        vision.patchSize = try int(v, "patch_size", 16)
        vision.hiddenAct = try activation(v)
        vision.layerNormEps = try double(v, "layer_norm_eps", 1e-6)
        if case .bool(false)? = v?["vision_use_head"] {
            throw fail("vision_config.vision_use_head is false: the image tower has no pooling head, so no image embedding")
        }
        textConfig = text
        visionConfig = vision
        projectionSize = try int(t, "projection_size", text.hiddenSize)
        var clip = CLIPConfig()
        clip.textConfig = text
        clip.visionConfig = vision
        clip.projectionDim = projectionSize
        // SigLIP so400m/14 at 384 pixels: 27 × 27 patches, the last 6 pixels unused, as
        // transformers' "valid" convolution leaves them.
        try clip.validate(path: path, partialPatches: true)
        guard projectionSize == vision.hiddenSize else {
            throw fail("text_config.projection_size \(projectionSize) differs from vision_config.hidden_size \(vision.hiddenSize)")
        }
    }

    /// Patches per image: the image tower's tokens.
    public var patchCount: Int { (visionConfig.imageSize / visionConfig.patchSize) * (visionConfig.imageSize / visionConfig.patchSize) }
}
