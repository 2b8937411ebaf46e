import Crypto
import Digests
import Foundation
import Synchronization

/// Normalised embeddings of prompts and images for one model: from memory, then the disk
/// cache, then the encoder, so that an edit costs only the prompts that are new.
public final class EmbeddingStore: Sendable {
    /// The model that encodes what is in neither memory nor the cache.
    public let provider: EmbeddingProvider
    /// The disk cache, if one is used.
    public let cache: EmbeddingCache?
    /// What is in memory, shared by the session's threads. Prompts are bounded, least
    /// recently used out first: every keystroke makes a template's worth of new prompts
    /// (2 MB at 1,000 classes), and a day's editing must not grow without end. What goes is
    /// read back from the disk cache, or encoded again without one, when asked for.
    fileprivate struct Memory {
        struct Text {
            var vector: [Float]
            var lastUse: UInt64
        }
        var texts: [String: Text] = [:]
        var clock: UInt64 = 0
        var textCapacity = EmbeddingStore.minimumTextCapacity
        var evictedTexts = 0
        var images: [String: [Float]] = [:]  // by content hash
        var encodedTextCount = 0
        /// Seconds per prompt of the last timed batch: the next call's first batch is sized from it.
        var textPace: Double?
    }
    private let memory = Mutex(Memory())

    /// Prompts kept in memory at least: 131,072 (256 MB of 512-dimensional vectors), room
    /// for ImageNet's 1,000 classes × 87 templates and the edits around them.
    public static let minimumTextCapacity = 131_072

    /// Makes room for `prompts` in memory (what the sets being scored need) and a quarter
    /// more for the edits around them, never less than the store's minimum.
    public func reserveTextCapacity(_ prompts: Int) {
        memory.withLock { $0.textCapacity = max(minimumCapacity, prompts + prompts / 4) }
    }
    private let minimumCapacity: Int

    /// Prompts in memory now, and how many were let go so far (for tests and the bench).
    public var textMemory: (count: Int, evicted: Int) { memory.withLock { ($0.texts.count, $0.evictedTexts) } }
    /// How many prompts were encoded (not found in memory or on disk), for tests and status.
    public var encodedTextCount: Int { memory.withLock { $0.encodedTextCount } }
    /// What went wrong with the disk cache (full disk, read-only file, damage found while
    /// running). The cache only saves work: its failures are reported, never fatal.
    public var cacheProblem: String? { problem.withLock { $0 } }
    private let problem = Mutex<String?>(nil)

    /// New prompts' vectors go to the disk cache here, in order, off the caller's path: at
    /// a keystroke's 1,000 prompts the rows and their checksums took 25–35 ms, a tenth of
    /// the key. Memory holds them meanwhile; `flushCache` waits for them (commands at their
    /// end).
    private let cacheWriter = DispatchQueue(label: "clip-tui.embedding-store.text-writes", qos: .utility)
    private let pendingWrites = DispatchGroup()
    /// Vectors handed to the writer and not yet written: found here if memory let them go
    /// before the disk has them.
    private let unwritten = Mutex<[String: [Float]]>([:])

    /// Waits until every prompt vector handed to the disk cache is written (or its failure
    /// kept as `cacheProblem`).
    public func flushCache() { pendingWrites.wait() }

    /// A store over `provider`, with `cache` (nil: memory only).
    /// - Parameter minimumTextCapacity: prompts kept in memory at least (tests make it small).
    public init(provider: EmbeddingProvider, cache: EmbeddingCache?, minimumTextCapacity: Int = EmbeddingStore.minimumTextCapacity) {
        self.provider = provider
        self.cache = cache
        self.minimumCapacity = minimumTextCapacity
        memory.withLock { $0.textCapacity = minimumTextCapacity }
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
    ///
    /// - Parameter reusingStates: start each prompt from the text tower's states of its
    ///   longest prefix a recent call kept (`EmbeddingProvider.embedTexts(_:reusingStates:)`);
    ///   `keepingContinuations` false keeps only the prefixes prompts share.
    /// - Parameter batchSeconds: when given, batches start small and are sized from the
    ///   time the last one took to last about this long (at most `batchSize`): how long a
    ///   newer edit may wait, whatever a prompt costs (4 ms with CLIP's shared prefixes,
    ///   50–100 ms with SigLIP's 64 positions).
    public func textEmbeddings(
        _ prompts: Set<String>, batchSize: Int = 256, batchSeconds: Double? = nil, reusingStates: Bool = false,
        keepingContinuations: Bool = true, progress: ((Int, Int) -> Void)? = nil,
        shouldStop: () -> Bool = { false }
    ) throws -> [String: [Float]]? {
        var (found, missing) = lookUp(prompts)
        // Sorted, so that prompts sharing a prefix fall in one batch (the text encoder
        // computes a shared prefix once per batch).
        missing.sort()
        progress?(0, missing.count)
        var done = 0
        var sizer = BatchSizer(limit: max(1, batchSize), targetSeconds: batchSeconds, pace: memory.withLock { $0.textPace })
        while done < missing.count {
            if shouldStop() { return nil }
            let batch = Array(missing[done..<min(done + sizer.next, missing.count)])
            let started = DispatchTime.now()
            let vectors = try provider.embedTexts(batch, reusingStates: reusingStates, keepingContinuations: keepingContinuations)
                .map(Vector.normalized)
            sizer.record(count: batch.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            memory.withLock { m in
                m.encodedTextCount += batch.count
                m.textPace = sizer.pace
                for (k, v) in zip(batch, vectors) { m.keep(k, v) }
            }
            for (k, v) in zip(batch, vectors) { found[k] = v }
            if let cache {
                let model = provider.fingerprint, entries = Array(zip(batch, vectors)).map { (key: $0, vector: $1) }
                unwritten.withLock { u in for e in entries { u[e.key] = e.vector } }
                pendingWrites.enter()
                // Held by the write until it is done: the store outlives what it was handed.
                cacheWriter.async { [self] in
                    defer { pendingWrites.leave() }
                    guarded { try cache.store(.text, model: model, entries) }
                    unwritten.withLock { u in for e in entries { u[e.key] = nil } }
                }
            }
            done += batch.count
            progress?(done, missing.count)
        }
        return found
    }

    /// The prompts among `prompts` that neither memory nor the disk cache holds: what
    /// `textEmbeddings` would encode (those found on disk are brought into memory).
    public func missingTexts(_ prompts: Set<String>) -> Set<String> { Set(lookUp(prompts).missing) }

    /// Memory first, then the disk cache in one query.
    private func lookUp(_ prompts: Set<String>) -> (found: [String: [Float]], missing: [String]) {
        var found: [String: [Float]] = [:]
        found.reserveCapacity(prompts.count)
        var missing: [String] = []
        memory.withLock { m in
            for p in prompts { if let v = m.text(p) { found[p] = v } else { missing.append(p) } }
        }
        if !missing.isEmpty, cache != nil {
            let waiting = unwritten.withLock { u in missing.compactMap { p in u[p].map { (p, $0) } } }
            if !waiting.isEmpty {
                memory.withLock { m in for (k, v) in waiting { m.keep(k, v) } }
                for (k, v) in waiting { found[k] = v }
                missing.removeAll { found[$0] != nil }
            }
        }
        if !missing.isEmpty, let cache {
            let fromDisk = guarded { try cache.lookup(.text, model: provider.fingerprint, keys: missing, dimension: provider.dimension) } ?? [:]
            memory.withLock { m in for (k, v) in fromDisk { m.keep(k, v) } }
            for (k, v) in fromDisk { found[k] = v }
            missing.removeAll { fromDisk[$0] != nil }
        }
        return (found, missing)
    }

    /// Puts unit embeddings into memory as if they had been cached (a benchmark's warm
    /// cache, embeddings computed elsewhere).
    public func remember(texts entries: [String: [Float]]) {
        memory.withLock { m in for (k, v) in entries { m.keep(k, v) } }
    }

    /// Runs a cache operation; a failure is kept as `cacheProblem`.
    @discardableResult
    private func guarded<T>(_ body: () throws -> T) -> T? {
        do { return try body() } catch {
            problem.withLock { $0 = "\(error)" }
            return nil
        }
    }

    /// SHA-256 of an image's bytes: its identity in the cache (a file's or a shard member's).
    public static func contentHash(_ file: ImageFile) -> String { SHA256.hash(data: file.bytes).hex }
    /// The same for the file at `path`, read whole.
    public static func contentHash(path: String) throws -> String { contentHash(try ImageFile(path: path)) }

    /// Unit-length embeddings of image files: cached ones by content, the rest encoded in
    /// batches of `batchSize` and stored after each batch (an interrupted run resumes).
    /// `progress` is told as files are settled, and how many came from the cache, so that
    /// a folder already embedded is not reported as being encoded.
    ///
    /// Each file is read once: the bytes that are hashed are the bytes the encoder decodes.
    /// Files go through in chunks, so that only a chunk's bytes are held at a time.
    public func imageEmbeddings(
        _ paths: [String], batchSize: Int = 16,
        progress: ((ImageProgress) -> Void)? = nil
    ) -> [Result<[Float], Error>] {
        imageEmbeddings(located: paths.map { ($0, .file($0)) }, batchSize: batchSize, progress: progress)
    }

    /// The same for images named `name` (in errors) whose bytes are at `location`: files,
    /// or members of webdataset shards. A member's content hash is recorded under its
    /// shard's path and offset, with the shard's stamp: a second open of unchanged shards
    /// reads no member for its hash.
    public func imageEmbeddings(
        located images: [(name: String, location: ImageLocation)], batchSize: Int = 16,
        progress: ((ImageProgress) -> Void)? = nil
    ) -> [Result<[Float], Error>] {
        let paths = images.map(\.location.hashIndexKey)
        var results = [Result<[Float], Error>?](repeating: nil, count: paths.count)
        // A file whose path, size, modification time and inode match the cache's record
        // is not read for its hash (and is read only if its embedding is missing).
        var stampOf: [String: EmbeddingCache.FileStamp?] = [:]  // a shard is stat'ed once
        let stamps = images.map { image -> EmbeddingCache.FileStamp? in
            let file = image.location.stampedFile
            if let s = stampOf[file] { return s }
            let s = EmbeddingCache.FileStamp(path: file)
            stampOf[file] = s
            return s
        }
        let known = cache.flatMap { c in guarded { try c.knownHashes(zip(paths, stamps).compactMap { p, s in s.map { (p, $0) } }) } } ?? [:]
        var done = 0, cached = 0
        let chunk = max(1, batchSize) * 16
        func report() { progress?(ImageProgress(settled: done, total: paths.count, cached: cached)) }
        for start in stride(from: 0, to: paths.count, by: chunk) {
            let range = start..<min(start + chunk, paths.count)
            var hashes: [Int: String] = [:]
            var files: [Int: ImageFile] = [:]
            var recorded: [(path: String, stamp: EmbeddingCache.FileStamp, sha256: String)] = []
            for i in range {
                if let h = known[paths[i]] { hashes[i] = h; continue }
                do {
                    let file = try images[i].location.read(name: images[i].name)
                    let h = Self.contentHash(file)
                    (hashes[i], files[i]) = (h, file)
                    if let stamp = stamps[i] { recorded.append((paths[i], stamp, h)) }
                } catch { results[i] = .failure(error) }
            }
            if let cache, !recorded.isEmpty { guarded { try cache.recordHashes(recorded) } }
            let found = settleFromMemoryAndCache(hashes)
            for (i, v) in found { results[i] = .success(v) }
            let todo = range.filter { hashes[$0] != nil && found[$0] == nil }
            done += range.count - todo.count
            cached += found.count
            report()
            for first in stride(from: 0, to: todo.count, by: max(1, batchSize)) {
                let batch = Array(todo[first..<min(first + max(1, batchSize), todo.count)])
                // A file whose hash came from its stamp is read now, once.
                var readable: [(index: Int, file: ImageFile)] = []
                for i in batch {
                    do { readable.append((i, try files[i] ?? images[i].location.read(name: images[i].name))) } catch {
                        results[i] = .failure(error)
                    }
                }
                let encoded = provider.embedImages(readable.map(\.file))
                var fresh: [(String, [Float])] = []
                for ((i, _), r) in zip(readable, encoded) {
                    switch r {
                    case let .success(v):
                        let unit = Vector.normalized(v)
                        results[i] = .success(unit)
                        fresh.append((hashes[i]!, unit))
                    case let .failure(e): results[i] = .failure(e)
                    }
                }
                memory.withLock { m in for (k, v) in fresh { m.images[k] = v } }
                if let cache { guarded { try cache.store(.image, model: provider.fingerprint, fresh) } }
                done += batch.count
                report()
            }
            if let cache, !todo.isEmpty { guarded { try cache.checkpoint() } }
        }
        return results.map { $0! }
    }

    /// The embeddings already known for these hashes (by file index): memory first, then
    /// the disk cache, whose finds are kept in memory.
    private func settleFromMemoryAndCache(_ hashes: [Int: String]) -> [Int: [Float]] {
        let unknown = memory.withLock { m in Array(Set(hashes.values.filter { m.images[$0] == nil })) }
        if let cache, !unknown.isEmpty,
            let found = guarded({ try cache.lookup(.image, model: provider.fingerprint, keys: unknown, dimension: provider.dimension) })
        {
            memory.withLock { m in for (k, v) in found { m.images[k] = v } }
        }
        return memory.withLock { m in hashes.compactMapValues { m.images[$0] } }
    }
}

/// How far an embedding of image files has come: files settled (cached, encoded or
/// failed) of the total, and how many of them the cache (or memory) served.
public struct ImageProgress: Sendable, Equatable {
    public let settled: Int
    public let total: Int
    public let cached: Int
    /// Settled by the encoder (or failed).
    public var encoded: Int { settled - cached }
    public init(settled: Int, total: Int, cached: Int) { self.settled = settled; self.total = total; self.cached = cached }
}

/// How many prompts the next batch holds: all `limit` when no target is set; otherwise as
/// many as the pace (seconds per prompt, last measured) says fit in `targetSeconds`, and 8
/// while no pace is known.
struct BatchSizer {
    let limit: Int
    let targetSeconds: Double?
    private(set) var next: Int
    /// Seconds per prompt of the last batch recorded (or the one given).
    private(set) var pace: Double?

    init(limit: Int, targetSeconds: Double?, pace: Double? = nil) {
        self.limit = limit
        self.targetSeconds = targetSeconds
        next = targetSeconds == nil ? limit : min(limit, 8)
        if let pace { adopt(pace) }
    }

    /// Sizes the next batch from one that took `seconds` for `count` prompts.
    mutating func record(count: Int, seconds: Double) {
        guard count > 0 else { return }
        adopt(max(seconds, 1e-6) / Double(count))
    }

    private mutating func adopt(_ perPrompt: Double) {
        pace = perPrompt
        guard let targetSeconds else { return }
        next = max(1, min(limit, Int(targetSeconds / max(perPrompt, 1e-9))))
    }
}

extension EmbeddingStore.Memory {
    /// A prompt's vector, marked as used now.
    mutating func text(_ prompt: String) -> [Float]? {
        guard var entry = texts[prompt] else { return nil }
        clock &+= 1
        entry.lastUse = clock
        texts[prompt] = entry
        return entry.vector
    }

    /// Keeps a prompt's vector; over capacity, the least recently used go, down to seven
    /// eighths of it (so that a sort happens once per eighth, not per prompt).
    mutating func keep(_ prompt: String, _ vector: [Float]) {
        clock &+= 1
        texts[prompt] = Text(vector: vector, lastUse: clock)
        guard texts.count > textCapacity else { return }
        let target = textCapacity - textCapacity / 8
        let oldest = texts.map { ($0.value.lastUse, $0.key) }.sorted { $0.0 < $1.0 }.prefix(texts.count - target)
        for (_, key) in oldest { texts.removeValue(forKey: key) }
        evictedTexts += oldest.count
    }
}
