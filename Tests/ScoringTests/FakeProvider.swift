import Foundation
import Scoring

/// An encoder with known vectors: a text's embedding is given in `vectors`, or else derived
/// from its bytes; tokens are its words. Counts what it encodes.
// A test double set up and read on the test's thread: its mutable fields need no lock.
final class FakeProvider: EmbeddingProvider, @unchecked Sendable {
    let fingerprint: String
    let dimension: Int
    let logitScale: Float = 100
    var vectors: [String: [Float]] = [:]
    var imageVectors: [String: [Float]] = [:]
    private(set) var encodedTexts: [String] = []
    private(set) var encodedImages: [String] = []
    /// Whether each call asked to reuse the text tower's prefix states.
    private(set) var reusingStates: [Bool] = []
    private(set) var keepingContinuations: [Bool] = []

    init(fingerprint: String = "fake-model", dimension: Int = 4) {
        self.fingerprint = fingerprint
        self.dimension = dimension
    }

    func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) {
        let words = text.lowercased().split(separator: " ").map { abs($0.hashValue) % 1000 }
        let ids = [1] + words + [2]
        return (Array(ids.prefix(77)), ids.count)
    }

    func derived(_ text: String) -> [Float] {
        var v = [Float](repeating: 0, count: dimension)
        for (i, b) in text.utf8.enumerated() { v[i % dimension] += Float(b % 17) - 8 }
        return v
    }

    func embedTexts(_ texts: [String]) throws -> [[Float]] { try embedTexts(texts, reusingStates: false) }

    func embedTexts(_ texts: [String], reusingStates reuse: Bool, keepingContinuations keep: Bool) throws -> [[Float]] {
        encodedTexts += texts
        reusingStates.append(reuse)
        keepingContinuations.append(keep)
        return texts.map { vectors[$0] ?? derived($0) }
    }

    func embedImages(_ files: [ImageFile]) -> [Result<[Float], Error>] {
        encodedImages += files.map(\.path)
        return files.map(\.path).map { p in
            let name = URL(fileURLWithPath: p).lastPathComponent
            if let v = imageVectors[name] { return .success(v) }
            return .failure(ScoringError.cannotRead(path: p, reason: "fake decoder refuses it"))
        }
    }
}
