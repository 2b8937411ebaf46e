import Tensors

/// Class embeddings built as CLIP's zero-shot classifiers are: every prompt of a class
/// L2-normalised, averaged, and the mean normalised again.
public struct ZeroShotClassifier: Sendable {
    /// `[classes, dimension]`, unit rows (a class without prompts is a zero row, and
    /// scores 0 against everything).
    public let weights: Matrix

    public init(plan: PromptPlan, embeddings: [String: [Float]], dimension: Int) {
        var storage = [Float](repeating: 0, count: plan.prompts.count * dimension)
        for (c, prompts) in plan.prompts.enumerated() where !prompts.isEmpty {
            var mean = [Float](repeating: 0, count: dimension)
            for p in prompts {
                let e = Vector.normalized(embeddings[p]!)
                for i in 0..<dimension { mean[i] += e[i] }
            }
            let n = Vector.normalized(mean)
            storage.replaceSubrange((c * dimension)..<((c + 1) * dimension), with: n)
        }
        weights = Matrix(rows: plan.prompts.count, cols: dimension, storage: storage)
    }

    /// Builds the classifier, encoding (or fetching) the prompts through `store`.
    public init(plan: PromptPlan, store: EmbeddingStore) throws {
        let prompts = Array(Set(plan.allPrompts)).sorted()
        let vectors = try store.textEmbeddings(prompts)
        self.init(
            plan: plan, embeddings: Dictionary(uniqueKeysWithValues: zip(prompts, vectors)),
            dimension: store.provider.dimension)
    }

    public var classCount: Int { weights.rows }
}
