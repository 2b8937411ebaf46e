import Crypto
import Foundation

/// Normalised embeddings of prompts and images for one model: from memory, then the disk
/// cache, then the encoder, so that an edit costs only the prompts that are new.
public final class EmbeddingStore: @unchecked Sendable {
    public let provider: EmbeddingProvider
    public let cache: EmbeddingCache?
    private var texts: [String: [Float]] = [:]
    private var images: [String: [Float]] = [:]   // by content hash
    private let lock = NSLock()
    /// How many prompts were encoded (not found in memory or on disk), for tests and status.
    public private(set) var encodedTextCount = 0
    /// What went wrong with the disk cache (full disk, read-only file, damage found while
    /// running). The cache only saves work: its failures are reported, never fatal.
    public var cacheProblem: String? { problemLock.lock(); defer { problemLock.unlock() }; return problem }
    private var problem: String?
    private let problemLock = NSLock()

    public init(provider: EmbeddingProvider, cache: EmbeddingCache?) {
        self.provider = provider
        self.cache = cache
    }

    /// Unit-length embeddings of `prompts`, in order.
    public func textEmbeddings(_ prompts: [String]) throws -> [[Float]] {
        let found = try textEmbeddings(Set(prompts))!  // never stopped: the default says go on
        return prompts.map { found[$0]! }
    }


    /// Unit-length embeddings of `prompts` by text, fetched from memory and then the disk
    /// cache in one pass, the rest encoded `batchSize` at a time. Between batches
    /// `shouldStop` is asked: a newer edit abandons the rest (nil is returned; the batches
    /// done are kept, so the next request starts from them). `progress` gets (encoded, to
    /// encode) before the first batch and after each.
    public func textEmbeddings(_ prompts: Set<String>, batchSize: Int = 256,
                               progress: ((Int, Int) -> Void)? = nil,
                               shouldStop: () -> Bool = { false }) throws -> [String: [Float]]? {
        var found: [String: [Float]] = [:]
        found.reserveCapacity(prompts.count)
        var missing: [String] = []
        lock.lock()
        for p in prompts { if let v = texts[p] { found[p] = v } else { missing.append(p) } }
        lock.unlock()
        if !missing.isEmpty, let cache {
            let fromDisk = guarded { try cache.lookup(.text, model: provider.fingerprint, keys: missing, dimension: provider.dimension) } ?? [:]
            lock.lock()
            for (k, v) in fromDisk { texts[k] = v; found[k] = v }
            lock.unlock()
            missing.removeAll { fromDisk[$0] != nil }
        }
        // Sorted, so that prompts sharing a prefix fall in one batch (the text encoder
        // computes a shared prefix once per batch).
        missing.sort()
        progress?(0, missing.count)
        var done = 0
        while done < missing.count {
            if shouldStop() { return nil }
            let batch = Array(missing[done..<min(done + max(1, batchSize), missing.count)])
            let vectors = try provider.embedTexts(batch).map(Vector.normalized)
            lock.lock()
            encodedTextCount += batch.count
            for (k, v) in zip(batch, vectors) { texts[k] = v; found[k] = v }
            lock.unlock()
            if let cache { guarded { try cache.store(.text, model: provider.fingerprint, Array(zip(batch, vectors)).map { ($0, $1) }) } }
            done += batch.count
            progress?(done, missing.count)
        }
        return found
    }

    /// Puts unit embeddings into memory as if they had been cached (a benchmark's warm
    /// cache, embeddings computed elsewhere).
    public func remember(texts entries: [String: [Float]]) {
        lock.lock(); defer { lock.unlock() }
        for (k, v) in entries { texts[k] = v }
    }

    /// A prompt's unit embedding if it is in memory (no disk, no encoder).
    public func memoryEmbedding(_ prompt: String) -> [Float]? {
        lock.lock(); defer { lock.unlock() }
        return texts[prompt]
    }

    /// Runs a cache operation; a failure is kept as `cacheProblem`.
    @discardableResult
    private func guarded<T>(_ body: () throws -> T) -> T? {
        do { return try body() } catch {
            problemLock.lock(); problem = "\(error)"; problemLock.unlock()
            return nil
        }
    }

    /// SHA-256 of a file's bytes: the image's identity in the cache.
    public static func contentHash(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScoringError.cannotRead(path: path, reason: "no such file or not readable")
        }
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Unit-length embeddings of image files: cached ones by content, the rest encoded in
    /// batches of `batchSize` and stored after each batch (an interrupted run resumes).
    /// `progress` is called with (done, total) after each batch.
    public func imageEmbeddings(_ paths: [String], batchSize: Int = 16,
                                progress: ((Int, Int) -> Void)? = nil) -> [Result<[Float], Error>] {
        var results = [Result<[Float], Error>?](repeating: nil, count: paths.count)
        var hashes = [String?](repeating: nil, count: paths.count)
        // A file whose path, size, modification time and inode match the cache's record
        // is not read again for its hash.
        let stamps = paths.map { EmbeddingCache.FileStamp(path: $0) }
        let known = cache.flatMap { c in guarded { try c.knownHashes(zip(paths, stamps).compactMap { p, s in s.map { (p, $0) } }) } } ?? [:]
        var recorded: [(path: String, stamp: EmbeddingCache.FileStamp, sha256: String)] = []
        for (i, p) in paths.enumerated() {
            if let h = known[p] { hashes[i] = h; continue }
            do {
                let h = try Self.contentHash(path: p)
                hashes[i] = h
                if let stamp = stamps[i] { recorded.append((p, stamp, h)) }
            } catch { results[i] = .failure(error) }
        }
        if let cache, !recorded.isEmpty { guarded { try cache.recordHashes(recorded) } }
        lock.lock()
        var todo: [Int] = []
        let unknown = Array(Set(hashes.enumerated().compactMap { i, h in h.flatMap { images[$0] == nil ? $0 : nil } }))
        if let cache, !unknown.isEmpty,
           let found = guarded({ try cache.lookup(.image, model: provider.fingerprint, keys: unknown, dimension: provider.dimension) }) {
            for (k, v) in found { images[k] = v }
        }
        for (i, h) in hashes.enumerated() {
            guard let h else { continue }
            if let v = images[h] { results[i] = .success(v) } else { todo.append(i) }
        }
        lock.unlock()
        var done = paths.count - todo.count
        progress?(done, paths.count)
        for start in stride(from: 0, to: todo.count, by: max(1, batchSize)) {
            let batch = Array(todo[start..<min(start + batchSize, todo.count)])
            let encoded = provider.embedImages(batch.map { paths[$0] })
            var fresh: [(String, [Float])] = []
            lock.lock()
            for (i, r) in zip(batch, encoded) {
                switch r {
                case let .success(v):
                    let n = Vector.normalized(v)
                    images[hashes[i]!] = n
                    results[i] = .success(n)
                    fresh.append((hashes[i]!, n))
                case let .failure(e): results[i] = .failure(e)
                }
            }
            lock.unlock()
            if let cache { guarded { try cache.store(.image, model: provider.fingerprint, fresh.map { ($0.0, $0.1) }) } }
            done += batch.count
            progress?(done, paths.count)
        }
        if let cache, !todo.isEmpty { guarded { try cache.checkpoint() } }
        return results.map { $0! }
    }
}
