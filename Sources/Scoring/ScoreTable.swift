import Tensors

/// Class probabilities of images: softmax over `scale · cosine`.
public struct ScoreTable: Sendable {
    /// `[images, classes]`, rows summing to 1.
    public let probabilities: Matrix
    /// `[images, classes]`, `scale · cosine`.
    public let logits: Matrix

    /// - Parameters: `images` are unit rows `[n, d]`; `scale` is `exp(logit_scale)` (100 for
    ///   CLIP) or a temperature's inverse.
    public init(images: Matrix, classifier: ZeroShotClassifier, scale: Float) {
        var logits = BLAS.matmul(images, classifier.weights, transB: true)   // [n, classes]
        let k = logits.cols
        logits.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] *= scale }
        }
        var probs = logits
        if k > 0 {
            probs.storage.withUnsafeMutableBufferPointer { p in
                for r in 0..<probs.rows { FastMath.softmax(p.baseAddress! + r * k, count: k) }
            }
        }
        self.logits = logits
        self.probabilities = probs
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
