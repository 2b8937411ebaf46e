import Foundation
import Tensors

/// The engine the terminal UI and the headless commands share: images and sets in, scores,
/// metrics and comparisons out, from cached embeddings.
public final class PromptLab: Sendable {
    /// Embeddings of prompts and images for the model.
    public let store: EmbeddingStore
    /// How cosines become probabilities: the checkpoint's rule, or a temperature's.
    public let rule: ScoreRule
    /// The logit scale scores use: the checkpoint's, or 1 / temperature.
    public var scale: Float { rule.scale }
    /// How the model was named (a folder or a Hub id), for reports.
    public let modelName: String

    /// - Parameters:
    ///   - temperature: overrides the checkpoint's logit scale with 1 / temperature (a
    ///     softmax model); divides the checkpoint's logits (a sigmoid model, whose bias
    ///     belongs with its scale).
    ///   - modelName: the folder or Hub id the model came from, for reports and exports.
    public init(store: EmbeddingStore, temperature: Float? = nil, modelName: String = "") {
        self.store = store
        let own = store.provider.scoreRule
        self.rule = temperature.map { t in own.isSigmoid ? own.scaled(by: 1 / t) : .softmax(scale: 1 / t) } ?? own
        self.modelName = modelName
    }

    /// Length of the model's embeddings.
    public var dimension: Int { store.provider.dimension }

    /// The prompts of a label × template set, with what is wrong with them.
    public func plan(labels: LabelSet, templates: TemplateSet) -> PromptPlan {
        PromptPlan(labels: labels, templates: templates, tokenize: store.provider.tokenize, contextLength: store.provider.contextLength)
    }

    /// The ensemble classifier of `labels` under `templates`, with the plan that made its prompts.
    public func classifier(labels: LabelSet, templates: TemplateSet) throws -> (ZeroShotClassifier, PromptPlan) {
        let plan = plan(labels: labels, templates: templates)
        return (try ZeroShotClassifier(plan: plan, store: store), plan)
    }

    /// Embedded images: the unit rows of the ones that decoded, and the failures by path.
    public struct EmbeddedImages: Sendable {
        /// The images that were embedded, in order.
        public let items: [ImageCollection.Item]
        /// `[items, dimension]` unit-length embeddings, one row per item.
        public let matrix: Matrix
        /// Files that could not be read or decoded, and why.
        public let failures: [(path: String, error: String)]
        /// Each item's true class name, if known.
        public var truthNames: [String?] { items.map(\.truthName) }
        /// Each image's class index under `labels` (nil: no truth, or a class not in them).
        public func truth(_ labels: LabelSet) -> [Int?] { labels.truthIndices(truthNames) }

        /// `matrix` has one row per item.
        public init(items: [ImageCollection.Item], matrix: Matrix, failures: [(path: String, error: String)]) {
            self.items = items
            self.matrix = matrix
            self.failures = failures
        }
    }

    /// Embeds a collection's images (cached ones by content); `progress` gets (done, total).
    public func embed(
        _ collection: ImageCollection, batchSize: Int = 16,
        progress: ((Int, Int) -> Void)? = nil
    ) -> EmbeddedImages {
        let results = store.imageEmbeddings(collection.items.map(\.path), batchSize: batchSize, progress: progress)
        var items: [ImageCollection.Item] = [], rows: [[Float]] = [], failures: [(String, String)] = []
        for (item, r) in zip(collection.items, results) {
            switch r {
            case let .success(v): items.append(item); rows.append(v)
            case let .failure(e): failures.append((item.path, "\(e)"))
            }
        }
        return EmbeddedImages(items: items, matrix: Matrix(rows: rows, dimension: dimension), failures: failures)
    }

    /// Zero-shot probabilities of the images under `templates`, with the prompt plan.
    public func score(_ images: EmbeddedImages, labels: LabelSet, templates: TemplateSet) throws -> (ScoreTable, PromptPlan) {
        let (classifier, plan) = try classifier(labels: labels, templates: templates)
        return (ScoreTable(images: images.matrix, classifier: classifier, rule: rule), plan)
    }

    /// Template sets A and B on the labelled images.
    public func compare(_ images: EmbeddedImages, labels: LabelSet, a: TemplateSet, b: TemplateSet) throws -> ABComparison {
        let (sa, _) = try score(images, labels: labels, templates: a)
        let (sb, _) = try score(images, labels: labels, templates: b)
        return ABComparison(a: sa, b: sb, truth: images.truth(labels))
    }

    /// Per-template class embeddings for `TemplateAnalysis`, over the labelled images.
    public func analysis(_ images: EmbeddedImages, labels: LabelSet, templates: TemplateSet) throws -> TemplateAnalysis {
        var perTemplate: [[[Float]]] = []
        for t in templates.templates {
            let single = TemplateSet(name: templates.name, templates: [t])
            let (classifier, _) = try classifier(labels: labels, templates: single)
            perTemplate.append((0..<classifier.classCount).map { classifier.weights.row($0) })
        }
        let truth = images.truth(labels)
        let labelled = truth.indices.filter { truth[$0] != nil }
        return TemplateAnalysis(
            templateEmbeddings: perTemplate,
            images: labelled.map { images.matrix.row($0) },
            truth: labelled.map { truth[$0]! })
    }
}
