import Tensors

/// Class probabilities of images: softmax over `scale · cosine` (CLIP), or a sigmoid of
/// `scale · cosine + bias` per class (SigLIP).
public struct ScoreTable: Sendable {
    /// `[images, classes]`; rows sum to 1 under a softmax.
    public private(set) var probabilities: Matrix
    /// The rule that made them (a sigmoid's rows are independent probabilities).
    public private(set) var rule: ScoreRule = .softmax(scale: 1)
    /// Under a sigmoid, the logits themselves `[images, classes]`: float32 rounds σ(z) to 1
    /// from z ≈ 17, where log(1 − p) is no longer there to take (the NLL needs it).
    public private(set) var logits: Matrix?

    /// - Parameters: `images` are unit rows `[n, d]`; `scale` is `exp(logit_scale)` (100 for
    ///   CLIP) or a temperature's inverse.
    public init(images: Matrix, classifier: ZeroShotClassifier, scale: Float) {
        self.init(images: images, classifier: classifier, rule: .softmax(scale: scale))
    }

    /// Probabilities under either rule.
    public init(images: Matrix, classifier: ZeroShotClassifier, rule: ScoreRule) {
        probabilities = Matrix(zeros: 0, 0)
        update(images: images, classifier: classifier, rule: rule)
    }

    /// Whether each class was scored on its own (SigLIP).
    public var isSigmoid: Bool { rule.isSigmoid }

    /// Scores again into the same storage when the shape is unchanged: what a live session
    /// does after each edit (fresh memory costs a page fault per 4 KiB, 25 ms for
    /// 10,000 × 1,000).
    public mutating func update(images: Matrix, classifier: ZeroShotClassifier, scale: Float) {
        update(images: images, classifier: classifier, rule: .softmax(scale: scale))
    }

    /// The same under either rule.
    public mutating func update(images: Matrix, classifier: ZeroShotClassifier, rule: ScoreRule) {
        self.rule = rule
        let scale = rule.scale
        let n = images.rows, k = classifier.weights.rows, d = images.cols
        precondition(classifier.weights.cols == d || n == 0 || k == 0, "image and class embeddings differ in size")
        if probabilities.rows != n || probabilities.cols != k { probabilities = Matrix(zeros: n, k) }
        // The scale rides on sgemm's alpha; softmax then runs in place, row by row.
        images.storage.withUnsafeBufferPointer { x in
            classifier.weights.storage.withUnsafeBufferPointer { w in
                probabilities.storage.withUnsafeMutableBufferPointer { out in
                    guard n > 0, k > 0, d > 0 else { return }
                    BLAS.gemm(
                        transB: true, m: n, n: k, k: d, alpha: scale, a: x.baseAddress!, lda: d,
                        b: w.baseAddress!, ldb: d, c: out.baseAddress!, ldc: k)  // [n, k]
                    if rule.bias == nil {
                        for r in 0..<n { FastMath.softmax(out.baseAddress! + r * k, count: k) }
                    }
                }
            }
        }
        // A sigmoid keeps its logits (the NLL reads them) beside the probabilities.
        if let bias = rule.bias {
            for i in probabilities.storage.indices { probabilities.storage[i] += bias }
            logits = probabilities
            for i in probabilities.storage.indices { probabilities.storage[i] = ScoreRule.sigmoid(probabilities.storage[i]) }
        } else {
            logits = nil
        }
    }

    /// A table from given probabilities (tests, and tables computed elsewhere), with the
    /// logits under a sigmoid when they are known.
    public init(probabilities: Matrix, rule: ScoreRule = .softmax(scale: 1), logits: Matrix? = nil) {
        self.probabilities = probabilities
        self.rule = rule
        self.logits = logits
    }

    public var imageCount: Int { probabilities.rows }
    public var classCount: Int { probabilities.cols }

    /// The most probable class of each image (nil when there are no classes).
    public var predictions: [Int?] {
        (0..<imageCount).map { r in
            guard classCount > 0 else { return nil }
            var best = 0
            for c in 1..<classCount where probabilities[r, c] > probabilities[r, best] { best = c }
            return best
        }
    }

    /// Classes by decreasing probability for one image.
    public func ranking(_ image: Int) -> [Int] {
        (0..<classCount).sorted { probabilities[image, $0] > probabilities[image, $1] }
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
