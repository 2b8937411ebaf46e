import CLIP
import Dispatch
import Foundation
import Imaging
import Scoring

/// The engine's `EmbeddingProvider` over the Swift encoders: the one place where CLIP,
/// Imaging and Scoring meet.
final class CLIPEmbeddingProvider: EmbeddingProvider {
    let model: CLIPModel
    let fingerprint: String
    var dimension: Int { model.config.projectionDim }
    var logitScale: Float { model.logitScale }

    init(folder: String) throws {
        model = try CLIPModel(folder: folder)
        fingerprint = try ModelFingerprint.compute(folder: folder)
    }

    func tokenize(_ text: String) -> (ids: [Int], untruncatedCount: Int) {
        let t = model.tokenizer.tokenize(text, contextLength: model.config.textConfig.maxPositionEmbeddings)
        return (t.ids, t.untruncatedCount)
    }

    func embedTexts(_ texts: [String]) throws -> [[Float]] {
        let m = try model.encodeTexts(texts)
        return (0..<m.rows).map { m.row($0) }
    }

    /// Decodes and preprocesses on a second thread while the encoder runs, in groups of 8.
    func embedImages(_ paths: [String]) -> [Result<[Float], Error>] {
        var results = [Result<[Float], Error>?](repeating: nil, count: paths.count)
        let group = 8
        let chunks = stride(from: 0, to: paths.count, by: group).map { $0..<min($0 + group, paths.count) }
        var prepared: [Int: Result<[Float], Error>] = [:]
        let lock = NSLock()
        func prepare(_ range: Range<Int>) {
            for i in range {
                let r = Result { model.preprocessor.pixelValues(try ImageDecoder.decode(path: paths[i])) }
                lock.lock(); prepared[i] = r; lock.unlock()
            }
        }
        var pending: DispatchWorkItem?
        for (n, range) in chunks.enumerated() {
            if n == 0 { prepare(range) } else { pending?.wait() }
            if n + 1 < chunks.count {
                let next = chunks[n + 1]
                let item = DispatchWorkItem { prepare(next) }
                DispatchQueue.global().async(execute: item)
                pending = item
            }
            lock.lock()
            let ready = range.map { ($0, prepared.removeValue(forKey: $0)!) }
            lock.unlock()
            var pixels: [Float] = []
            var ok: [Int] = []
            for (i, r) in ready {
                switch r {
                case let .success(p): pixels += p; ok.append(i)
                case let .failure(e): results[i] = .failure(e)
                }
            }
            if !ok.isEmpty {
                let m = model.vision.encode(pixels: pixels, batchSize: group)
                for (row, i) in ok.enumerated() { results[i] = .success(m.row(row)) }
            }
        }
        return results.map { $0! }
    }
}
