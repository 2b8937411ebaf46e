import Foundation

/// Image embeddings computed elsewhere (on a GPU, by open_clip's scripts or clip-retrieval)
/// brought into the cache under this model's fingerprint, keyed by each file's content.
///
/// Before anything is stored, a sample of the images is encoded here and compared with the
/// imported rows: below `minimumCosine` the rows come from another model or another
/// preprocessing, and the import is refused with the figure.
public struct EmbeddingImport {
    public struct Report: Sendable, Equatable {
        /// Rows stored.
        public var added: Int
        /// Rows whose image the cache already had for this model (clip-tui's own is kept).
        public var alreadyCached: Int
        /// Listed files that could not be read (not imported).
        public var missing: [String]
        /// Cosine between imported and encoded rows over the sample: the lowest and the mean.
        public var sampleCosineMin: Float
        public var sampleCosineMean: Float
        public var sampleSize: Int
    }

    public static let minimumCosine: Float = 0.99

    /// - Parameters:
    ///   - paths: one per row of `matrix`, in order (absolute, or relative to `root`).
    ///   - sampleSize: images encoded to check the rows (at least 8, or all if fewer).
    public static func run(
        store: EmbeddingStore, matrix: NumpyMatrix, paths: [String], root: String?, source: String,
        sampleSize: Int = 8, progress: ((String) -> Void)? = nil
    ) throws -> Report {
        guard let cache = store.cache else { throw ScoringError.invalid("cache import needs the embedding cache (no --no-cache)") }
        let provider = store.provider
        guard matrix.rows == paths.count else {
            throw ScoringError.badFormat(
                path: matrix.path, line: nil,
                reason: "\(matrix.rows) rows, but the paths file lists \(paths.count) images: they must match one to one")
        }
        guard matrix.columns == provider.dimension else {
            throw ScoringError.badFormat(
                path: matrix.path, line: nil,
                reason: "rows have \(matrix.columns) values; this model's image embeddings have \(provider.dimension)")
        }
        let base = root.map { URL(fileURLWithPath: $0) }
        let full = paths.map { p in p.hasPrefix("/") || base == nil ? p : base!.appendingPathComponent(p).path }
        // With a webdataset as the root, a line may name a sample as the views do
        // (`0.tar/s0000`, or its full path): its bytes come from the shard.
        var members: [String: ImageLocation] = [:]
        if let root, let c = try? ImageCollection(root: root, labels: LabelSet(name: "", classes: [])), c.dataset != nil {
            for item in c.items {
                members[item.relativePath] = item.location
                members[item.path] = item.location
            }
        }
        let located = zip(paths, full).map { p, f in members[p] ?? members[f] ?? .file(f) }

        // The content of each file is its key (a renamed or moved file is the same image).
        progress?("hashing \(full.count) files")
        var hashes = [String?](repeating: nil, count: full.count)
        var missing: [String] = []
        for (i, p) in full.enumerated() {
            do { hashes[i] = EmbeddingStore.contentHash(try located[i].read(name: p)) } catch { missing.append(p) }
        }
        let present = hashes.indices.filter { hashes[$0] != nil }
        guard !present.isEmpty else { throw ScoringError.invalid("none of the \(full.count) listed images can be read (first: \(full.first ?? "none"))") }

        // The check: rows spread over the file, encoded here without the cache.
        let want = min(max(8, sampleSize), present.count)
        // Evenly spaced first; where one does not decode, the next ones in the file.
        let spaced = (0..<want).map { present[$0 * present.count / want] }
        var order = spaced + present.filter { !Set(spaced).contains($0) }.prefix(3 * want)
        var sample: [Int] = []
        var cosines: [Float] = []
        while cosines.count < want, !order.isEmpty {
            let batch = Array(order.prefix(want - cosines.count))
            order.removeFirst(batch.count)
            progress?("encoding \(batch.count) sample images to check the rows")
            let files = batch.compactMap { i in (try? located[i].read(name: full[i])).map { (i, $0) } }
            for ((i, _), r) in zip(files, provider.embedImages(files.map(\.1))) {
                guard case let .success(v) = r else { continue }  // an image that does not decode is not evidence
                sample.append(i)
                cosines.append(Vector.dot(Vector.normalized(v), Vector.normalized(matrix.row(i))))
            }
        }
        guard let low = cosines.min() else {
            throw ScoringError.invalid("none of the sampled images could be encoded here, so the rows cannot be checked")
        }
        let mean = cosines.reduce(0, +) / Float(cosines.count)
        guard low >= minimumCosine else {
            let worst = sample[cosines.firstIndex(of: low)!]
            throw ScoringError.badFormat(
                path: matrix.path, line: nil,
                reason: String(
                    format:
                        "the rows do not match this model: cosine %.4f for %@ (lowest of %d sampled images, mean %.4f; %.2f is needed). Another model or another preprocessing made them",
                    low, full[worst], cosines.count, mean, minimumCosine))
        }

        progress?("storing \(present.count) rows")
        let model = provider.fingerprint
        let already = try cache.lookup(.image, model: model, keys: present.map { hashes[$0]! }, dimension: provider.dimension)
        var added = 0
        for start in stride(from: 0, to: present.count, by: 4096) {
            let chunk = present[start..<min(start + 4096, present.count)]
            let entries = chunk.compactMap { i -> (key: String, vector: [Float])? in
                already[hashes[i]!] == nil ? (hashes[i]!, Vector.normalized(matrix.row(i))) : nil
            }
            added += try cache.storeImported(model: model, entries, source: source)
        }
        try cache.checkpoint()
        return Report(
            added: added, alreadyCached: present.count - added, missing: missing,
            sampleCosineMin: low, sampleCosineMean: mean, sampleSize: cosines.count)
    }
}
