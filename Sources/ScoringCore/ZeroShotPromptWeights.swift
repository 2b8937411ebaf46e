import Foundation
import Tensors

/// Label-free template weights: zero-shot prompt ensembling (ZPE), Allingham et al., "A
/// Simple Zero-shot Prompt Weighting Technique to Improve Prompt Ensembling in Text-Image
/// Models", ICML 2023 (arXiv 2302.06235), Section 3 and Algorithm 2, as the authors'
/// code computes it (google/uncertainty-baselines,
/// experimental/multimodal/Zero_shot_prompt_ensembling_for_text_image_models_results.ipynb:
/// `get_weights` with `debias_mode='both'`, `img_mean=True`, weighted by
/// `softmax_scores`, the paper's "ZPE (weighted average)" row).
///
/// For template p and class c, ℓ(x, p, c) = s · cos(x, z_pc) is the model's logit (s its
/// logit scale; a sigmoid rule's bias cancels below). The score of p is the mean over the
/// images of the largest normalised logit,
///
///     score_p = mean_x max_c [ ℓ(x, p, c) − ½ (E_ref[ℓ(·, p, c)] + E_test[ℓ(·, p, c)]) ],
///
/// where E_test averages over the images being scored (the test-set bias term) and E_ref
/// over images standing for the pre-training data (the paper uses 20,000 LAION-400m
/// images; here the user's `--reference` folder). Without reference images the
/// pre-training term is left out: ℓ − E_test, the notebook's `debias_mode='test'`.
/// The weights are softmax_p(score_p). No truth is read: only image and text embeddings.
///
/// Since cos is linear in x, E[ℓ(·, p, c)] = s · x̄ · z_pc with x̄ the images' mean
/// embedding, so each term costs one dot product per prompt; the max needs the full
/// images × classes logits, one product per template.
///
/// z_pc is the unit embedding of template p's prompt for class c; a class with synonyms
/// uses the normalised sum of its names' prompts (its class vector under p alone). A class
/// with its own sentences (CuPL) has no prompt from p and takes no part in p's score.
public struct ZeroShotPromptWeights: Sendable {
    /// Distinct templates with a placeholder, in the set's order.
    public let templates: [Template]
    /// score_p, in logits.
    public let scores: [Double]
    /// softmax(scores): non-negative, summing to 1.
    public let weights: [Double]
    /// Images the pre-training term was taken over (0: left out).
    public let referenceImages: Int
    /// Classes whose prompts were scored (those without their own sentences).
    public let classesScored: Int

    /// Weights by template (for `EvaluationRequest.weights`).
    public var byTemplate: [Template: Double] { Dictionary(uniqueKeysWithValues: zip(templates, weights)) }

    /// - Parameters:
    ///   - images: `[n, d]` unit embeddings of the images being classified (no truth).
    ///   - reference: `[m, d]` unit embeddings standing for the pre-training data, or nil.
    ///   - embeddings: unit embeddings of every prompt the set makes over `labels`.
    ///   - scale: the model's logit scale s (at T = 1: ZPE scores the model's own logits).
    /// Nil when there is no image, no template or no class with template prompts, or when stopped.
    public init?(
        templates: [Template], labels: LabelSet, images: Matrix, reference: Matrix?, embeddings: [String: [Float]], scale: Double,
        shouldStop: () -> Bool = { false }
    ) {
        let distinct = uniqued(templates.filter(\.hasPlaceholder))
        guard let scorer = Scorer(labels: labels, images: images, reference: reference, scale: scale), !distinct.isEmpty else { return nil }
        var scores: [Double] = []
        for template in distinct {
            if shouldStop() { return nil }
            scores.append(scorer.score(template, embeddings: embeddings))
        }
        self.init(templates: distinct, scores: scores, referenceImages: scorer.referenceImages, classesScored: scorer.classes.count)
    }

    /// Weights from scores already made (`Scorer`, one template at a time): softmax(scores).
    public init(templates: [Template], scores: [Double], referenceImages: Int, classesScored: Int) {
        let top = scores.max() ?? 0
        let e = scores.map { exp($0 - top) }
        let sum = e.reduce(0, +)
        self.templates = templates
        self.scores = scores
        weights = e.map { $0 / sum }
        self.referenceImages = referenceImages
        self.classesScored = classesScored
    }

    /// Scores one template at a time over fixed images: a template's score depends on its
    /// own prompts only, so an edit of one template re-scores that one (the live session).
    public struct Scorer: Sendable {
        let x: [Double]
        let n: Int, d: Int
        /// The subtracted direction: ½(x̄_ref + x̄_test), or x̄_test alone.
        let centre: [Double]
        let scale: Double
        /// The classes scored: those without their own sentences.
        public let classes: [ClassLabel]
        public let referenceImages: Int

        public init?(labels: LabelSet, images: Matrix, reference: Matrix?, scale: Double) {
            classes = labels.classes.filter { $0.sentences.isEmpty }
            n = images.rows
            d = images.cols
            guard n > 0, d > 0, !classes.isEmpty else { return nil }
            x = images.storage.map(Double.init)
            let testMean = ZeroShotPromptWeights.mean(images)
            let dimension = images.cols
            let referenceMean = reference.flatMap { $0.rows > 0 && $0.cols == dimension ? ZeroShotPromptWeights.mean($0) : nil }
            centre = referenceMean.map { r in zip(r, testMean).map { 0.5 * ($0 + $1) } } ?? testMean
            referenceImages = referenceMean == nil ? 0 : reference?.rows ?? 0
            self.scale = scale
        }

        /// score_p: the mean over the images of the largest normalised logit.
        public func score(_ template: Template, embeddings: [String: [Float]]) -> Double {
            let k = classes.count
            var z = [Double](repeating: 0, count: k * d)
            for (c, label) in classes.enumerated() {
                var sum = [Double](repeating: 0, count: d)
                for name in label.names {
                    guard let e = embeddings[template.render(name)] else { preconditionFailure("no embedding for \(template.render(name))") }
                    for j in 0..<min(d, e.count) { sum[j] += Double(e[j]) }
                }
                let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for j in 0..<d { z[c * d + j] = norm > 0 ? sum[j] / norm : 0 }
            }
            let cos = BLAS.matmulTransB(x, rows: n, z, rows: k, inner: d)  // [n, k]
            var bias = [Double](repeating: 0, count: k)
            for c in 0..<k {
                var dot = 0.0
                for j in 0..<d { dot += centre[j] * z[c * d + j] }
                bias[c] = scale * dot
            }
            var total = 0.0
            for i in 0..<n {
                var best = -Double.infinity
                for c in 0..<k { best = max(best, scale * cos[i * k + c] - bias[c]) }
                total += best
            }
            return total / Double(n)
        }
    }

    /// The mean row of `[n, d]`, in float64.
    static func mean(_ m: Matrix) -> [Double] {
        var s = [Double](repeating: 0, count: m.cols)
        for i in 0..<m.rows { for j in 0..<m.cols { s[j] += Double(m.storage[i * m.cols + j]) } }
        return s.map { $0 / Double(max(1, m.rows)) }
    }
}
