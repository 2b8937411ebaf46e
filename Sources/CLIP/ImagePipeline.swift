import Dispatch
import Foundation
import Imaging
import Synchronization
import Tensors

/// The one way image files become embeddings: decoded and preprocessed on a second thread
/// while the encoder runs on the previous group, so that decoding hides behind the ViT. A
/// file that does not decode fails alone; the others of its group are encoded.
extension ImageTextModel {
    /// Projected, unnormalised embeddings of image files, one result per path, in order.
    /// - Parameter group: images decoded ahead and encoded together (one ViT batch).
    public func embedImageFiles(_ paths: [String], group: Int = 8) -> [Result<[Float], Error>] {
        embedImages(count: paths.count, group: group) { try ImageDecoder.decode(path: paths[$0]) }
    }

    /// The same for files already read (the bytes that were hashed for the cache).
    /// - Parameter files: each file's path (named in errors) and its bytes.
    public func embedImageData(_ files: [(path: String, bytes: Data)], group: Int = 8) -> [Result<[Float], Error>] {
        embedImages(count: files.count, group: group) { try ImageDecoder.decode(data: files[$0].bytes, path: files[$0].path) }
    }

    /// - Parameter decode: the image at an index, called on the decoding thread.
    private func embedImages(count: Int, group: Int, decode: @escaping @Sendable (Int) throws -> RGBImage) -> [Result<[Float], Error>] {
        var results = [Result<[Float], Error>?](repeating: nil, count: count)
        let chunks = stride(from: 0, to: count, by: max(1, group)).map { $0..<min($0 + max(1, group), count) }
        // Pixels of decoded images by index, filled by the decoding thread, taken by this one.
        let prepared = Mutex<[Int: Result<[Float], Error>]>([:])
        let preprocessor = self.preprocessor
        @Sendable func prepare(_ range: Range<Int>) {
            for i in range {
                let r = Result { preprocessor.pixelValues(try decode(i)) }
                prepared.withLock { $0[i] = r }
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
            let ready = prepared.withLock { p in range.map { ($0, p.removeValue(forKey: $0)!) } }
            var pixels: [Float] = []
            var ok: [Int] = []
            for (i, r) in ready {
                switch r {
                case let .success(p): pixels += p; ok.append(i)
                case let .failure(e): results[i] = .failure(e)
                }
            }
            if !ok.isEmpty {
                let m = encodePixels(pixels, batchSize: group)
                for (row, i) in ok.enumerated() { results[i] = .success(m.row(row)) }
            }
        }
        return results.map { $0! }
    }

    /// Image files by path, all of which must decode: their embeddings as rows.
    public func encodeImageFiles(_ paths: [String], batchSize: Int = 8) throws -> Matrix {
        let rows = try embedImageFiles(paths, group: batchSize).map { try $0.get() }
        return Matrix(rows: rows.count, cols: embeddingSize, storage: Array(rows.joined()))
    }
}
