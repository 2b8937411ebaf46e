import Foundation
import Scoring

/// What a report says of a set's template weights: each template's weight (in the set's
/// order, keyed by its text), how they were made, and a fit's held-out figures.
struct WeightingReport: Encodable {
    struct Row: Encodable {
        let template: String
        let weight: Double
        /// ZPE's score of the template, in logits (absent for other methods).
        let score: Double?
    }
    /// `--weights zpe`: what the scores were taken over.
    struct ZPE: Encodable {
        /// The `--reference` folder of the pre-training term; null: the term was left out.
        let reference: String?
        let reference_images: Int
        let images: Int
        let classes_scored: Int
        /// The logit scale the scores are in (the model's own, T = 1).
        let scale: Double

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reference, forKey: .reference)
            try c.encode(reference_images, forKey: .reference_images)
            try c.encode(images, forKey: .images)
            try c.encode(classes_scored, forKey: .classes_scored)
            try c.encode(scale, forKey: .scale)
        }
        enum CodingKeys: String, CodingKey { case reference, reference_images, images, classes_scored, scale }
    }
    /// A fit's k-fold figures: the fitted weights on images they were not fitted on, and
    /// equal weights on the same images, with the paired difference's 95% interval.
    struct Fit: Encodable {
        let folds: Int
        let seed: UInt64
        let images: Int
        let held_out_top1: Double
        let held_out_nll: Double
        let equal_top1: Double
        let equal_nll: Double
        let top1_difference: PairedInterval
        let nll_difference: PairedInterval
        /// The most iterations a fit took, and whether every fit reached a stationary point.
        let iterations: Int
        let converged: Bool
    }

    /// "equal", "zpe", "fit", or the file the weights were read from.
    let method: String
    let per_template: [Row]
    /// What the weights leave alone (classes with their own sentences or synonyms), and
    /// a file's templates that are missing or unused.
    let notes: [String]
    let fit: Fit?
    let zpe: ZPE?

    init(
        method: String, templates: [Template], weights: [Double], notes: [String], fit: WeightFit?, scores: [Double]? = nil,
        zpe: ZPE? = nil
    ) {
        self.method = method
        per_template = templates.indices.map { Row(template: templates[$0].text, weight: weights[$0], score: scores?[$0]) }
        self.notes = notes
        self.zpe = zpe
        self.fit = fit.map {
            Fit(
                folds: $0.folds, seed: $0.seed, images: $0.images, held_out_top1: $0.heldOutTop1, held_out_nll: $0.heldOutNLL,
                equal_top1: $0.equalTop1, equal_nll: $0.equalNLL, top1_difference: $0.top1Difference, nll_difference: $0.nllDifference,
                iterations: $0.iterations, converged: $0.converged)
        }
    }

    func table() -> String {
        var lines = ["weights (\(method)):"]
        let width = min(48, per_template.map { $0.template.count }.max() ?? 0)
        for row in per_template {
            let text = row.template.count > width ? String(row.template.prefix(width - 1)) + "…" : row.template
            let score = row.score.map { String(format: "  score %8.3f", $0) } ?? ""
            lines.append("  " + text.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %.4f", row.weight) + score)
        }
        if let zpe {
            lines.append(
                "  ZPE (Allingham et al. 2023) over \(zpe.images) images, no truth read; pre-training term: "
                    + (zpe.reference.map { "\(zpe.reference_images) images of \($0)" } ?? "left out (no --reference)"))
        }
        if let fit {
            lines.append(
                "  held out (\(fit.folds) folds, \(fit.images) images; each fold weighted by a fit on the others):")
            lines.append(
                "    top-1 \(Report.percent(fit.held_out_top1)) fitted vs \(Report.percent(fit.equal_top1)) equal: "
                    + String(
                        format: "%+.1f points [%+.1f, %+.1f]", 100 * fit.top1_difference.mean, 100 * fit.top1_difference.low,
                        100 * fit.top1_difference.high))
            lines.append(
                String(
                    format: "    NLL %.4f fitted vs %.4f equal: %+.4f [%+.4f, %+.4f]", fit.held_out_nll, fit.equal_nll,
                    fit.nll_difference.mean, fit.nll_difference.low, fit.nll_difference.high))
        }
        if let fit, !fit.converged {
            lines.append("  note: a fit stopped after \(fit.iterations) iterations, short of a stationary point")
        }
        for note in notes { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

/// `--temperature fit` in a report.
struct TemperatureFitReport: Encodable {
    let temperature: Double
    let nll: Double
    let nll_at_one: Double
    let held_out_nll: Double
    let folds: Int
    let images: Int
    let at_bound: Bool

    init(_ f: TemperatureFit) {
        temperature = f.temperature; nll = f.nll; nll_at_one = f.nllAtOne; held_out_nll = f.heldOutNLL
        folds = f.folds; images = f.images; at_bound = f.atBound
    }

    func table() -> String {
        String(
            format: "temperature fit: T = %.6f (NLL %.4f, at T = 1 %.4f; held out over %d folds %.4f)", temperature, nll, nll_at_one,
            folds, held_out_nll)
    }
}
