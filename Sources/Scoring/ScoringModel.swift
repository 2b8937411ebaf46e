import Foundation
import Tensors

/// A model as the engine sees it: where its embeddings come from (memory, the disk cache,
/// the encoders), the rule its cosines become probabilities by at temperature 1, and its
/// name for reports. Commands and the session both evaluate through its `evaluator`.
public final class ScoringModel: Sendable {
    /// Embeddings of prompts and images for the model.
    public let store: EmbeddingStore
    /// How cosines become probabilities at temperature 1: the checkpoint's rule, or the
    /// checkpoint's with the scale `--logit-scale` gives.
    public let rule: ScoreRule
    /// How the model was named (a folder or a Hub id), for reports.
    public let name: String

    /// - Parameter logitScale: replaces the checkpoint's `exp(logit_scale)` (CLIP's τ form:
    ///   a scale of 1/τ); a sigmoid model keeps its bias.
    public init(store: EmbeddingStore, logitScale: Float? = nil, name: String = "") {
        self.store = store
        var rule = store.provider.scoreRule
        if let logitScale { rule.scale = logitScale }
        self.rule = rule
        self.name = name
    }

    /// Length of the model's embeddings.
    public var dimension: Int { store.provider.dimension }

    /// The prompts of a label × template set, with what is wrong with them.
    public func plan(labels: LabelSet, templates: TemplateSet) -> PromptPlan {
        PromptPlan(labels: labels, templates: templates, tokenize: store.provider.tokenize, contextLength: store.provider.contextLength)
    }

    /// A prompt as the model reads it.
    public struct TokenizedPrompt: Sendable, Equatable {
        public let prompt: String
        /// Tokens before truncation (start and end included).
        public let tokens: Int
        /// The ids the text encoder sees.
        public let ids: [Int]
    }

    /// The prompts one template makes over every class's names (a class with its own
    /// sentences takes none), tokenized as the model does.
    public func prompts(of template: Template, labels: LabelSet) -> [TokenizedPrompt] {
        tokenized(labels.classes.filter { $0.sentences.isEmpty }.flatMap { $0.prompts([template]) })
    }

    /// One class's prompts under `templates` (or its own sentences), tokenized.
    public func prompts(of label: ClassLabel, templates: [Template]) -> [TokenizedPrompt] {
        tokenized(label.prompts(templates))
    }

    private func tokenized(_ prompts: [String]) -> [TokenizedPrompt] {
        prompts.map { p in
            let t = store.provider.tokenize(p)
            return TokenizedPrompt(prompt: p, tokens: t.untruncatedCount, ids: t.ids)
        }
    }

    /// Embeds a collection's images (cached ones by content), telling `progress` as files
    /// are settled.
    public func embed(
        _ collection: ImageCollection, batchSize: Int = 16,
        progress: ((ImageProgress) -> Void)? = nil
    ) -> EmbeddedImages {
        let results = store.imageEmbeddings(
            located: collection.items.map { ($0.path, $0.location) }, batchSize: batchSize, progress: progress)
        var items: [ImageCollection.Item] = [], rows: [[Float]] = [], failures: [(String, String)] = []
        for (item, r) in zip(collection.items, results) {
            switch r {
            case let .success(v): items.append(item); rows.append(v)
            case let .failure(e): failures.append((item.path, "\(e)"))
            }
        }
        return EmbeddedImages(items: items, matrix: Matrix(rows: rows, dimension: dimension), failures: failures)
    }

    /// Class names and synonyms this model's tokenizer cannot spell in full: each with the
    /// count of its unknown pieces (SentencePiece's `<unk>`). Such a name scores as the
    /// pieces it has left, so two of them may become the same prompt. Empty for CLIP.
    public func unreadableNames(_ labels: LabelSet) -> [(name: String, unknown: Int)] {
        guard let unk = store.provider.unknownTokenId else { return [] }
        var out: [(String, Int)] = []
        var seen = Set<String>()
        for name in labels.classes.flatMap(\.names) where seen.insert(name).inserted {
            let n = store.provider.tokenize(name).ids.filter { $0 == unk }.count
            if n > 0 { out.append((name, n)) }
        }
        return out
    }

    /// A warning naming the labels this model cannot read (nil: it reads them all).
    public func unreadableLabelsWarning(_ labels: LabelSet) -> String? {
        let bad = unreadableNames(labels)
        guard !bad.isEmpty else { return nil }
        let list = bad.prefix(8).map { "'\($0.name)' (\($0.unknown) unknown)" }.joined(separator: ", ")
        return "\(name): its tokenizer cannot spell \(bad.count) label name\(bad.count == 1 ? "" : "s"), which score by what is left: "
            + list + (bad.count > 8 ? " … (\(bad.count) in all)" : "")
    }

    /// The engine over these images, at this model's rule.
    public func evaluator(_ images: EmbeddedImages) -> LiveEvaluator {
        LiveEvaluator(store: store, images: images, rule: rule)
    }
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

    /// Only the items whose path is in `paths`, in their order (failures kept).
    public func restricted(to paths: Set<String>) -> EmbeddedImages {
        let keep = items.indices.filter { paths.contains(items[$0].path) }
        if keep.count == items.count { return self }
        let d = matrix.cols
        var storage: [Float] = []
        storage.reserveCapacity(keep.count * d)
        for i in keep { storage += matrix.storage[(i * d)..<((i + 1) * d)] }
        return EmbeddedImages(items: keep.map { items[$0] }, matrix: Matrix(rows: keep.count, cols: d, storage: storage), failures: failures)
    }

    /// `matrix` has one row per item.
    public init(items: [ImageCollection.Item], matrix: Matrix, failures: [(path: String, error: String)]) {
        self.items = items
        self.matrix = matrix
        self.failures = failures
    }
}

extension Matrix {
    /// Unit rows stacked into a matrix.
    public init(rows vectors: [[Float]], dimension: Int) {
        var storage: [Float] = []
        storage.reserveCapacity(vectors.count * dimension)
        for v in vectors { storage += v }
        self.init(rows: vectors.count, cols: dimension, storage: storage)
    }
}
