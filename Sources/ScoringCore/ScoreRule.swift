import Foundation

/// How a model turns cosines into class probabilities.
///
/// - CLIP: a softmax over the classes of `scale · cos` (the classes compete; rows sum to 1).
/// - SigLIP: each class on its own, `sigmoid(scale · cos + bias)` (the model was trained with
///   a sigmoid per pair, so its probabilities do not sum to 1: an image can fit no class,
///   or several).
///
/// A temperature divides the logits either way; the ranking of classes never changes.
public struct ScoreRule: Sendable, Equatable, CustomStringConvertible {
    /// Multiplies the cosine.
    public var scale: Float
    /// Added after scaling: SigLIP's `logit_bias`; nil for a softmax.
    public var bias: Float?

    /// CLIP's rule with `exp(logit_scale)` (or 1 / temperature).
    public static func softmax(scale: Float) -> ScoreRule { ScoreRule(scale: scale, bias: nil) }
    /// SigLIP's rule with `exp(logit_scale)` and `logit_bias`.
    public static func sigmoid(scale: Float, bias: Float) -> ScoreRule { ScoreRule(scale: scale, bias: bias) }

    /// Whether each class is scored on its own.
    public var isSigmoid: Bool { bias != nil }

    /// The logits divided by a temperature of 1 / `factor`.
    public func scaled(by factor: Float) -> ScoreRule { ScoreRule(scale: scale * factor, bias: bias.map { $0 * factor }) }

    /// The model's logits divided by `temperature`: T = 1 is the model as trained, CLIP's
    /// `softmax(scale/T · cos)`, SigLIP's `sigmoid((scale·cos + bias)/T)`. The one meaning
    /// of a temperature in every command, the session and its files.
    public func at(temperature: Float) -> ScoreRule { scaled(by: 1 / temperature) }

    /// The rule as the screen and reports show it: "softmax(100·cos) over classes",
    /// "sigmoid(10·cos − 10) per class".
    public var description: String {
        let s = Self.number(scale)
        guard let bias else { return "softmax(\(s)·cos) over classes" }
        return "sigmoid(\(s)·cos \(bias < 0 ? "−" : "+") \(Self.number(abs(bias)))) per class"
    }

    /// The rule in a few columns: "softmax(100·cos)", "sigmoid(10·cos−10)".
    public var shortDescription: String {
        let s = Self.number(scale)
        guard let bias else { return "softmax(\(s)·cos)" }
        return "sigmoid(\(s)·cos\(bias < 0 ? "−" : "+")\(Self.number(abs(bias))))"
    }

    private static func number(_ x: Float) -> String {
        abs(x - x.rounded()) < 0.005 ? String(Int(x.rounded())) : String(format: "%.2f", x)
    }

    /// A sigmoid of `z` without overflow for large |z|.
    @inline(__always) static func sigmoid(_ z: Float) -> Float {
        z >= 0 ? 1 / (1 + Foundation.exp(-z)) : Foundation.exp(z) / (1 + Foundation.exp(z))
    }
}
