import ArgumentParser
import Foundation
import Scoring

/// `--weights`: how a set's templates are weighted in its ensemble.
enum WeightingChoice: ExpressibleByArgument, Equatable {
    /// Every template alike: the plain ensemble.
    case equal
    /// Fitted to the labelled images (`WeightFit`), judged by k-fold cross-validation.
    case fit
    /// Weights saved by clip-tui (`TemplateWeightsFile`).
    case file(String)
    /// Allingham et al.'s label-free weights (`ZeroShotPromptWeights`).
    case zpe

    init?(argument: String) {
        switch argument {
        case "equal": self = .equal
        case "fit": self = .fit
        case "zpe": self = .zpe
        default: self = .file(argument)
        }
    }
}

/// `--weights` and the folds its fit is judged on.
struct WeightOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Template weights: equal (the plain ensemble), zpe (Allingham et al. 2023: from the images alone, no truth), fit (fitted to the labelled images, judged on held-out folds), or a FILE an eval --format json report (or {\"weights\": {template: w}}) wrote.",
            valueName: "equal|zpe|fit|FILE"))
    var weights: WeightingChoice = .equal
    @Option(help: "Cross-validation folds of --weights fit and --temperature fit.") var folds: Int = 5
    @Option(help: "Seed of the folds.") var foldSeed: UInt64 = 7
    @Option(
        help: ArgumentHelp(
            "Images standing for the model's pre-training data, for --weights zpe's pre-training term (the paper used 20,000 LAION images); without it the term is left out.",
            valueName: "folder"))
    var reference: String?

    func validate() throws {
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2: a fit is judged on images it did not see") }
        if reference != nil, weights != .zpe { throw ValidationError("--reference is read by --weights zpe only") }
    }

    /// `--weights fit` outside `eval`: refused, since every figure those commands print
    /// would be measured on the images the weights were fitted on.
    func refuseFit(_ command: String) throws {
        if weights == .fit {
            throw ValidationError(
                "--weights fit is for eval, which reports it on held-out folds: \(command)'s figures would be measured on the images the weights were fitted on. Fit with eval --weights fit --format json > w.json, then give --weights w.json here (on other images for a fair figure)"
            )
        }
    }

    /// `--reference`'s images, embedded by `model` (through its cache), for ZPE; nil
    /// without `--weights zpe --reference`. Subfolders are read for images only: no truth.
    func referenceImages(_ model: ScoringModel, labels: LabelSet) throws -> EmbeddedImages? {
        guard weights == .zpe, let reference else { return nil }
        let collection = try ImageCollection(root: reference, labels: labels)
        let embedded = model.embed(collection, progress: ProgressReporter("embedding reference images").update)
        for f in embedded.failures { warn("skipped \(f.error)") }
        guard embedded.matrix.rows > 0 else { throw ScoringError.invalid("\(reference): no image to take ZPE's pre-training term over") }
        return embedded
    }
}

extension WeightOptions {
    /// The weights `--weights` asks for (nil: equal) and their report.
    func resolve(
        _ evaluator: LiveEvaluator, request: EvaluationRequest, set s: Int, labels: LabelSet, templates set: TemplateSet,
        reference: EmbeddedImages?, images: String
    ) throws -> (used: [Template: Double]?, report: WeightingReport) {
        let distinct = uniqued(set.templates.filter(\.hasPlaceholder))
        var notes: [String] = []
        let own = labels.classes.filter { !$0.sentences.isEmpty }.count, synonyms = labels.classes.filter { $0.synonyms.count > 0 }.count
        if weights != .equal, own + synonyms > 0 {
            notes.append(
                "\(own) class\(own == 1 ? "" : "es") with \(own == 1 ? "its" : "their") own sentences and \(synonyms) with synonyms keep equal weights over those"
            )
        }
        switch weights {
        case .equal:
            let w = 1 / Double(max(1, distinct.count))
            return (nil, WeightingReport(method: "equal", templates: distinct, weights: distinct.map { _ in w }, notes: notes, fit: nil))
        case .zpe:
            guard let zpe = try evaluator.zpeWeights(set: s, request: request, reference: reference?.matrix) else {
                throw ScoringError.invalid("\(images): --weights zpe needs images and templates with a placeholder")
            }
            if reference == nil { notes.append("ZPE's pre-training term is left out: give --reference DIR (images like the model's training data)") }
            if zpe.classesScored < labels.classes.count {
                notes.append("ZPE scores templates on the \(zpe.classesScored) classes without their own sentences")
            }
            let byTemplate = zpe.byTemplate
            return (
                byTemplate,
                WeightingReport(
                    method: "zpe", templates: distinct, weights: distinct.map { byTemplate[$0] ?? 0 }, notes: notes, fit: nil,
                    scores: zpe.scores,
                    zpe: .init(
                        reference: reference == nil ? nil : self.reference, reference_images: zpe.referenceImages,
                        images: evaluator.images.rows, classes_scored: zpe.classesScored, scale: Double(evaluator.baseRule.scale)))
            )
        case .fit:
            guard let fit = try evaluator.fitWeights(set: s, request: request, folds: folds, seed: foldSeed) else {
                throw ScoringError.invalid("\(images): --weights fit needs labelled images (class subfolders or --truth)")
            }
            let byTemplate = fit.byTemplate
            return (
                byTemplate,
                WeightingReport(method: "fit", templates: distinct, weights: distinct.map { byTemplate[$0] ?? 0 }, notes: notes, fit: fit)
            )
        case .file(let path):
            let read = try TemplateWeightsFile.read(path: path)
            let missing = distinct.filter { read[$0] == nil }, unused = read.keys.filter { !distinct.contains($0) }
            if !missing.isEmpty {
                notes.append(
                    "\(missing.count) template\(missing.count == 1 ? "" : "s") not in \(path) weigh 0: \(missing.map { "\"\($0.text)\"" }.joined(separator: ", "))"
                )
            }
            if !unused.isEmpty { notes.append("\(unused.count) weighted template\(unused.count == 1 ? "" : "s") of \(path) not in the set (ignored)") }
            let total = distinct.reduce(0) { $0 + (read[$1] ?? 0) }
            guard total > 0 else { throw ScoringError.invalid("\(path): no template of \(set.name) has a weight above 0") }
            let used = Dictionary(uniqueKeysWithValues: distinct.map { ($0, (read[$0] ?? 0) / total) })
            return (used, WeightingReport(method: path, templates: distinct, weights: distinct.map { used[$0]! }, notes: notes, fit: nil))
        }
    }
}
