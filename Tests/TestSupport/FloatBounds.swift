import Foundation

/// Float tolerances derived from float32 arithmetic, never read off one machine's output.
///
/// OpenBLAS picks its kernels by CPU (AVX2 or AVX-512), and within one machine a row's
/// result depends on where it falls in a batch (tail tiles sum in another order): an image
/// embedded alone and in a batch of four differ by a few ulps. So two runs that must
/// "agree" agree within what reordering float32 sums can change, bounded here.
public enum FloatBounds {
    /// float32's unit roundoff, 2⁻²⁴.
    public static let unitRoundoff = 0x1p-24

    /// Relative difference between two float32 sums of `terms` products taken in different
    /// orders. The worst case is 2γₖ = 2k·u (Higham, *Accuracy and Stability of Numerical
    /// Algorithms*, §3.1); rounding errors of independent sign give λ√k·u for each sum with
    /// probability at least 1 − 2·exp(−λ²/2) (Higham & Mary, SIAM J. Sci. Comput. 41(5),
    /// 2019). λ = 6 puts that probability above 1 − 3·10⁻⁸ per sum.
    public static func reorderedSum(terms: Int, lambda: Double = 6) -> Double {
        2 * lambda * Double(terms).squareRoot() * unitRoundoff
    }

    /// The inner dimensions of the products on a ViT image embedding's path, from a
    /// Hugging Face CLIP `config.json`: patch embedding, per layer q/k/v, scores, attention
    /// × values, output, MLP in and out, then the projection.
    public static func visionProductTerms(config path: String) throws -> [Int] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let v = object["vision_config"] as? [String: Any] ?? [:]
        let width = v["hidden_size"] as? Int ?? 768, inner = v["intermediate_size"] as? Int ?? 3072
        let layers = v["num_hidden_layers"] as? Int ?? 12, heads = v["num_attention_heads"] as? Int ?? 12
        let patch = v["patch_size"] as? Int ?? 32, size = v["image_size"] as? Int ?? 224
        let tokens = (size / patch) * (size / patch) + 1
        let perLayer = [width, width / heads, tokens, width, width, inner]
        return [3 * patch * patch] + Array(repeating: perLayer, count: layers).flatMap { $0 } + [width]
    }

    /// Bound on the relative change of an encoder's output when every product on its path
    /// is summed in another order: the first-order sum of each product's bound (layer norm
    /// is scale-invariant, so it passes relative errors on rather than growing them).
    public static func encoderReordering(productTerms: [Int]) -> Double {
        productTerms.map { reorderedSum(terms: $0) }.reduce(0, +)
    }

    /// Bound on the change of any softmax probability of `scale · cosine` when one side's
    /// unit vector moves by a relative `embeddingChange`: the unit vector moves by at most
    /// twice that, each cosine as much, each logit `scale` times that, and a probability by
    /// at most half the largest logit change (the softmax Jacobian diag(p) − ppᵀ has absolute
    /// row sums 2p(1 − p) ≤ 1/2).
    public static func probability(scale: Double, embeddingChange: Double) -> Double {
        scale * 2 * embeddingChange / 2
    }
}
