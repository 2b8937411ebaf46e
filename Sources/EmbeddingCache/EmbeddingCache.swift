import Foundation
import GRDB
import Synchronization
import ScoringCore

/// Embeddings on disk: one SQLite file (WAL, transactions), keyed by the model's
/// fingerprint and by an image's content hash (a renamed file is not re-encoded) or a
/// prompt's exact text. A corrupt file is moved aside and rebuilt, and that is reported.
///
/// Every row carries a checksum of its model, key and vector: SQLite checks its own pages'
/// structure (`quick_check` on open) but not the bytes inside a record, so a damaged vector
/// would otherwise be served as an embedding. A row that fails its checksum is dropped
/// (and re-encoded by the caller), and that is reported too.
public final class EmbeddingCache: Sendable {
    /// The SQLite file.
    public let path: String
    /// What happened on open when the file was not usable (nil when all was well).
    public let recoveryNote: String?
    /// Internal, for the extensions beside this file (imported rows).
    let db: DatabaseQueue
    private let damaged = Atomic<Int>(0)
    /// Opened read-only (the file or its folder is not writable): lookups work, stores are skipped.
    public let isReadOnly: Bool
    /// The schema this code writes; an older file's tables are dropped and rebuilt.
    static let schemaVersion = 2

    /// Rows dropped because their checksum did not match, since this cache was opened.
    public var damagedRows: Int { damaged.load(ordering: .relaxed) }

    /// Opens (or creates) the cache at `path`. A file that cannot be written is read only; a
    /// damaged one is kept aside and a new one started; either is said in `recoveryNote`.
    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            db = try Self.open(path)
            isReadOnly = false
            recoveryNote = nil
        } catch let error where !Self.isDamage(error) {
            // Not damaged, only not writable (a read-only file or folder, a full disk): read
            // what is there and write nothing; the caller reports it.
            guard FileManager.default.fileExists(atPath: path), let readOnly = try? Self.open(path, readOnly: true) else {
                throw ScoringError.cache(path: path, reason: Self.brief(error))
            }
            db = readOnly
            isReadOnly = true
            recoveryNote = "\(path): cannot write to the cache (\(Self.brief(error))); reading it only"
        } catch {
            // Keep the damaged file for inspection; start a new one.
            let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            do { db = try Self.open(path) } catch {
                throw ScoringError.cache(path: path, reason: "\(error)")
            }
            isReadOnly = false
            recoveryNote = "\(path): the cache was unreadable (\(Self.brief(error))); moved to \(aside) and rebuilt"
        }
    }

    /// Whether opening failed because the file is damaged (as opposed to not writable).
    static func isDamage(_ error: Error) -> Bool {
        if let e = error as? DatabaseError { return e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB }
        if case ScoringError.cache = error { return true }  // our integrity check
        return false
    }

    private static func brief(_ error: Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    private static func open(_ path: String, readOnly: Bool = false) throws -> DatabaseQueue {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.readonly = readOnly
        let db = try DatabaseQueue(path: path, configuration: config)
        if readOnly {
            try db.read { db in
                let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
                guard check == "ok" else { throw ScoringError.cache(path: path, reason: "integrity check: \(check)") }
            }
            return db
        }
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            // A checkpoint leaves the log at most this size (it had grown to the database's).
            try db.execute(sql: "PRAGMA journal_size_limit = 16777216")
            let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
            guard check == "ok" else { throw ScoringError.cache(path: path, reason: "integrity check: \(check)") }
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version != schemaVersion {
                // Rows without checksums (version 1) cannot be trusted: start those tables over.
                try db.execute(sql: "DROP TABLE IF EXISTS text_embedding; DROP TABLE IF EXISTS image_embedding")
            }
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS text_embedding (
                        model TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL, checksum INTEGER NOT NULL,
                        PRIMARY KEY (model, text));
                    CREATE TABLE IF NOT EXISTS image_embedding (
                        model TEXT NOT NULL, sha256 TEXT NOT NULL, vector BLOB NOT NULL, checksum INTEGER NOT NULL,
                        PRIMARY KEY (model, sha256));
                    CREATE TABLE IF NOT EXISTS file_hash (
                        path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
                        sha256 TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS imported_image (
                        model TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,
                        PRIMARY KEY (model, sha256));
                    PRAGMA user_version = \(schemaVersion);
                    """)
        }
        return db
    }

    /// Which table: prompts by text, images by content hash.
    public enum Kind: String { case text = "text_embedding", image = "image_embedding" }

    private func keyColumn(_ kind: Kind) -> String { kind == .text ? "text" : "sha256" }

    /// The cached vectors among `keys` for a model. A row whose checksum fails, or whose
    /// vector has the wrong size, is not returned and is deleted.
    public func lookup(_ kind: Kind, model: String, keys: [String], dimension: Int) throws -> [String: [Float]] {
        var found: [String: [Float]] = [:]
        var bad: [String] = []
        func take(_ row: Row) {
            let key: String = row["k"]
            let blob: Data = row["vector"]
            let checksum: Int64 = row["checksum"]
            if checksum == Self.checksum(model: model, key: key, vector: blob), let v = Vector.floats(blob), v.count == dimension {
                found[key] = v
            } else {
                bad.append(key)
            }
        }
        do {
            try db.read { db in
                if keys.count > Self.bulkReadThreshold {
                    // Many keys (80,000 prompts on opening an ImageNet session): one pass over
                    // the model's rows beats thousands of lookups; the rest are skipped.
                    let wanted = Set(keys)
                    let cursor = try Row.fetchCursor(
                        db, sql: "SELECT \(keyColumn(kind)) AS k, vector, checksum FROM \(kind.rawValue) WHERE model = ?",
                        arguments: [model])
                    while let row = try cursor.next() {
                        let key: String = row["k"]
                        if wanted.contains(key) { take(row) }
                    }
                    return
                }
                for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    let rows = try Row.fetchAll(
                        db, sql: "SELECT \(keyColumn(kind)) AS k, vector, checksum FROM \(kind.rawValue) WHERE model = ? AND \(keyColumn(kind)) IN (\(marks))",
                        arguments: StatementArguments([model] + chunk))
                    for row in rows { take(row) }
                }
            }
        } catch {
            throw ScoringError.cache(path: path, reason: Self.brief(error))
        }
        if !bad.isEmpty {
            damaged.add(bad.count, ordering: .relaxed)
            try? db.write { db in
                for key in bad {
                    try db.execute(sql: "DELETE FROM \(kind.rawValue) WHERE model = ? AND \(keyColumn(kind)) = ?", arguments: [model, key])
                }
            }
        }
        return found
    }

    /// FNV-1a (64 bits) over model, key and vector bytes: cheap enough to check on every
    /// read (2 KB per vector), and any changed byte changes it.
    static func checksum(model: String, key: String, vector: Data) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) {
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        // Over raw buffers: Data's byte iterator cost a tenth of opening a large session.
        var m = model, k = key
        m.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { mix($0) }
        k.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { mix($0) }
        vector.withUnsafeBytes { mix($0) }
        return Int64(bitPattern: h)
    }

    /// Above this many keys, a lookup reads the model's rows in one pass.
    static let bulkReadThreshold = 4_000

    /// Stores vectors in one transaction: all of a batch or none of it.
    public func store(_ kind: Kind, model: String, _ entries: [(key: String, vector: [Float])]) throws {
        guard !entries.isEmpty, !isReadOnly else { return }
        do {
            try db.write { db in
                let statement = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO \(kind.rawValue) (model, \(keyColumn(kind)), vector, checksum) VALUES (?, ?, ?, ?)")
                for e in entries {
                    let blob = Data(Vector.bytes(e.vector))
                    try statement.execute(arguments: [model, e.key, blob, Self.checksum(model: model, key: e.key, vector: blob)])
                }
                // A row clip-tui encoded itself replaces an imported one, and is its own.
                if kind == .image {
                    let forget = try db.makeStatement(sql: "DELETE FROM imported_image WHERE model = ? AND sha256 = ?")
                    for e in entries { try forget.execute(arguments: [model, e.key]) }
                }
            }
        } catch {
            throw ScoringError.cache(path: path, reason: Self.brief(error))
        }
    }

    /// What the cache holds, per model fingerprint, and its size on disk.
    public struct Stats: Sendable, Equatable {
        /// Rows per model fingerprint.
        public var models: [String: (texts: Int, images: Int)] = [:]
        /// Bytes of the database and its write-ahead log.
        public var fileBytes = 0
        public static func == (a: Stats, b: Stats) -> Bool {
            a.fileBytes == b.fileBytes && a.models.mapValues { [$0.texts, $0.images] } == b.models.mapValues { [$0.texts, $0.images] }
        }
    }

    /// Counts rows per model and measures the files.
    public func stats() throws -> Stats {
        var s = Stats()
        try db.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT model, COUNT(*) AS n FROM text_embedding GROUP BY model") {
                s.models[row["model"], default: (0, 0)].texts = row["n"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT model, COUNT(*) AS n FROM image_embedding GROUP BY model") {
                s.models[row["model"], default: (0, 0)].images = row["n"]
            }
        }
        for suffix in ["", "-wal"] {
            s.fileBytes += (try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0
        }
        return s
    }

    /// Runs SQL on a cache file with no checks: for tests that damage a cache on purpose.
    static func execute(_ sql: String, onFileAt path: String) throws {
        try DatabaseQueue(path: path).writeWithoutTransaction { try $0.execute(sql: sql) }
    }

    /// What identifies a file's bytes without reading them: if its path, size,
    /// modification time and inode are unchanged, so is its hash.
    public struct FileStamp: Hashable, Sendable {
        /// Bytes.
        public let size: Int64
        /// Modification time, nanoseconds since 1970.
        public let mtimeNanoseconds: Int64
        /// The inode number.
        public let inode: Int64

        /// The stamp of `path`, or nil when it cannot be stat'ed.
        public init?(path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            size = Int64(st.st_size)
            mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            inode = Int64(bitPattern: UInt64(st.st_ino))
        }
    }

    /// The content hashes recorded for these files, where their stamps still match.
    public func knownHashes(_ files: [(path: String, stamp: FileStamp)]) throws -> [String: String] {
        var out: [String: String] = [:]
        let byPath = Dictionary(files.map { ($0.path, $0.stamp) }, uniquingKeysWith: { a, _ in a })
        do {
            try db.read { db in
                let cursor = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns, inode, sha256 FROM file_hash")
                while let row = try cursor.next() {
                    let path: String = row["path"]
                    guard let stamp = byPath[path] else { continue }
                    if stamp.size == row["size"], stamp.mtimeNanoseconds == row["mtime_ns"], stamp.inode == row["inode"] {
                        out[path] = row["sha256"]
                    }
                }
            }
        } catch {
            throw ScoringError.cache(path: path, reason: Self.brief(error))
        }
        return out
    }

    /// Records files' content hashes under their stamps.
    public func recordHashes(_ entries: [(path: String, stamp: FileStamp, sha256: String)]) throws {
        guard !entries.isEmpty, !isReadOnly else { return }
        do {
            try db.write { db in
                let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO file_hash (path, size, mtime_ns, inode, sha256) VALUES (?, ?, ?, ?, ?)")
                for e in entries {
                    try statement.execute(arguments: [e.path, e.stamp.size, e.stamp.mtimeNanoseconds, e.stamp.inode, e.sha256])
                }
            }
        } catch {
            throw ScoringError.cache(path: path, reason: Self.brief(error))
        }
    }

    /// Folds the write-ahead log back into the database and truncates it.
    public func checkpoint() throws {
        guard !isReadOnly else { return }
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Removes the embeddings of one model, or all.
    public func clear(model: String? = nil) throws {
        try db.write { db in
            for table in [Kind.text.rawValue, Kind.image.rawValue, "imported_image"] {
                if let model {
                    try db.execute(sql: "DELETE FROM \(table) WHERE model = ?", arguments: [model])
                } else {
                    try db.execute(sql: "DELETE FROM \(table)")
                }
            }
        }
        try db.vacuum()
    }
}
