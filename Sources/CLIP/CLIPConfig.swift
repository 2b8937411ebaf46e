import Foundation
import InputLimits

/// The activation between the two MLP layers.
public enum Activation: String, Codable, Sendable {
    case quickGELU = "quick_gelu"
    case gelu = "gelu"
    case geluTanh = "gelu_pytorch_tanh"
}

/// `text_config` of a Hugging Face `CLIPConfig`; missing keys take transformers' defaults.
public struct CLIPTextConfig: Codable, Sendable, Equatable {
    /// Token ids the embedding table holds (BPE vocabulary with the start and end tokens).
    public var vocabSize = 49408
    /// Width of the text transformer's residual stream.
    public var hiddenSize = 512
    /// Width of the MLP's hidden layer (4 × `hiddenSize` in OpenAI's models).
    public var intermediateSize = 2048
    /// Transformer layers.
    public var numHiddenLayers = 12
    /// Attention heads per layer; `hiddenSize` must divide by it.
    public var numAttentionHeads = 8
    /// Context length in tokens, start and end tokens included.
    public var maxPositionEmbeddings = 77
    /// The MLP's activation.
    public var hiddenAct = Activation.quickGELU
    /// Epsilon added to the variance in every LayerNorm.
    public var layerNormEps = 1e-5
    /// Older files say 2, which transformers reads as "pool at the highest id" (the end token).
    public var eosTokenId = 49407

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", eosTokenId = "eos_token_id"
    }

    /// transformers' defaults (OpenAI's ViT-B/32 shapes).
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPTextConfig()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? d.layerNormEps
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? d.eosTokenId
    }
}

/// `vision_config` of a Hugging Face `CLIPConfig`; missing keys take transformers' defaults.
public struct CLIPVisionConfig: Codable, Sendable, Equatable {
    /// Width of the ViT's residual stream.
    public var hiddenSize = 768
    /// Width of the MLP's hidden layer.
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    /// Attention heads per layer; `hiddenSize` must divide by it.
    public var numAttentionHeads = 12
    /// Colour channels of the input (RGB).
    public var numChannels = 3
    /// Side of the square input in pixels, after resize and crop.
    public var imageSize = 224
    /// Side of a square patch in pixels; `imageSize` must divide by it.
    public var patchSize = 32
    public var hiddenAct = Activation.quickGELU
    public var layerNormEps = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPVisionConfig()
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? d.layerNormEps
    }

    /// Class token plus one token per patch.
    public var tokenCount: Int { 1 + (imageSize / patchSize) * (imageSize / patchSize) }
}

/// A Hugging Face `CLIPConfig` (`config.json` of a `CLIPModel` checkpoint).
public struct CLIPConfig: Codable, Sendable, Equatable {
    /// The text tower.
    public var textConfig = CLIPTextConfig()
    /// The image tower.
    public var visionConfig = CLIPVisionConfig()
    /// Length of the shared embedding both towers project into.
    public var projectionDim = 512

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config", projectionDim = "projection_dim"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        textConfig = try c.decodeIfPresent(CLIPTextConfig.self, forKey: .textConfig) ?? CLIPTextConfig()
        visionConfig = try c.decodeIfPresent(CLIPVisionConfig.self, forKey: .visionConfig) ?? CLIPVisionConfig()
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? 512
    }

    /// Reads and validates `config.json`.
    public static func load(path: String) throws -> CLIPConfig {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIPError.missingFile(path: path) }
        let config: CLIPConfig
        do { config = try BoundedJSON.decode(CLIPConfig.self, path: path) } catch let e as BoundedJSON.Failure {
            throw CLIPError.badConfig(path: path, reason: e.reason)
        }
        try config.validate(path: path)
        return config
    }

    /// Checks the sizes the encoders rely on.
    /// - Parameter partialPatches: the image side need not be a multiple of the patch: the
    ///   convolution's "valid" padding leaves the last pixels out (SigLIP so400m/14 at 384).
    public func validate(path: String = "config.json", partialPatches: Bool = false) throws {
        func check(_ ok: Bool, _ reason: String) throws {
            if !ok { throw CLIPError.badConfig(path: path, reason: reason) }
        }
        let t = textConfig, v = visionConfig
        try check(projectionDim > 0, "projection_dim must be positive")
        for (name, width, heads, layers, inter) in [
            ("text_config", t.hiddenSize, t.numAttentionHeads, t.numHiddenLayers, t.intermediateSize),
            ("vision_config", v.hiddenSize, v.numAttentionHeads, v.numHiddenLayers, v.intermediateSize)
        ] {
            try check(
                width > 0 && heads > 0 && width % heads == 0,
                "\(name): hidden_size \(width) is not a multiple of num_attention_heads \(heads)")
            try check(layers >= 0 && layers <= 1000, "\(name): num_hidden_layers \(layers) is out of range")
            try check(inter > 0, "\(name): intermediate_size must be positive")
            try check(width <= 65536 && inter <= 262144, "\(name): sizes are implausibly large")
        }
        try check(t.vocabSize > 0 && t.maxPositionEmbeddings > 1, "text_config: vocab_size and max_position_embeddings must be positive")
        try check(v.numChannels == 3, "vision_config: num_channels \(v.numChannels) is not 3 (RGB)")
        try check(
            v.patchSize > 0 && v.imageSize >= v.patchSize && (partialPatches || v.imageSize % v.patchSize == 0),
            "vision_config: image_size \(v.imageSize) is not a multiple of patch_size \(v.patchSize)")
        try check(v.imageSize <= 4096, "vision_config: image_size \(v.imageSize) is implausibly large")
    }
}
