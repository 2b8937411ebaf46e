import CLIP
/// Random weights of the right shapes, for benchmarks of architectures whose checkpoints
/// are not at hand (`clip-tui bench --random ViT-B/32`). Deterministic for a seed.
public final class RandomWeights: WeightSource {
    private var state: UInt64

    public init(seed: UInt64 = 0x5EED) { state = seed | 1 }

    public func tensor(_ key: String, shape: [Int]) throws -> [Float] {
        let count = shape.reduce(1, *)
        // Layer-norm gains near 1, everything else small, so activations stay finite.
        let isGain =
            key.hasSuffix("norm1.weight") || key.hasSuffix("norm2.weight") || key.contains("layrnorm.weight")
            || key.contains("layernorm.weight") || key.contains("layer_norm.weight")
        let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
        let scale = shape.count > 1 ? Float(1 / Double(fanIn).squareRoot()) : 0.02
        return (0..<count).map { _ in
            let u = next()
            return isGain ? 1 + 0.1 * u : scale * u
        }
    }

    /// Uniform in [−1, 1) (xorshift64*).
    private func next() -> Float {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        let bits = (state &* 2685821657736338717) >> 40
        return Float(bits) / Float(1 << 23) - 1
    }
}

extension CLIPConfig {
    /// The shapes of OpenAI's published models, by their openai/CLIP names.
    public static func preset(_ name: String) -> CLIPConfig? {
        var c = CLIPConfig()
        switch name {
        case "ViT-B/32": c.visionConfig.patchSize = 32
        case "ViT-B/16": c.visionConfig.patchSize = 16
        case "ViT-L/14", "ViT-L/14@336px":
            c.projectionDim = 768
            c.textConfig.hiddenSize = 768; c.textConfig.intermediateSize = 3072; c.textConfig.numAttentionHeads = 12
            c.visionConfig.hiddenSize = 1024; c.visionConfig.intermediateSize = 4096
            c.visionConfig.numHiddenLayers = 24; c.visionConfig.numAttentionHeads = 16; c.visionConfig.patchSize = 14
            if name.hasSuffix("336px") { c.visionConfig.imageSize = 336 }
        default: return nil
        }
        return c
    }

    public static let presetNames = ["ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14@336px"]
}
