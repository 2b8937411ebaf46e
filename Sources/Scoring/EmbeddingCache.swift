import Foundation
import GRDB

/// Embeddings on disk: one SQLite file (WAL, transactions), keyed by the model's
/// fingerprint and by an image's content hash (a renamed file is not re-encoded) or a
/// prompt's exact text. A corrupt file is moved aside and rebuilt, and that is reported.
public final class EmbeddingCache: @unchecked Sendable {
    public let path: String
    /// What happened on open when the file was not usable (nil when all was well).
    public private(set) var recoveryNote: String?
    private let db: DatabaseQueue

    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            db = try Self.open(path)
        } catch {
            // Keep the damaged file for inspection; start a new one.
            let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            do { db = try Self.open(path) } catch {
                throw ScoringError.cache(path: path, reason: "\(error)")
            }
            recoveryNote = "\(path): the cache was unreadable (\(Self.brief(error))); moved to \(aside) and rebuilt"
        }
    }

    private static func brief(_ error: Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.busyMode = .timeout(5)
        let db = try DatabaseQueue(path: path, configuration: config)
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
            guard check == "ok" else { throw ScoringError.cache(path: path, reason: "integrity check: \(check)") }
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS text_embedding (
                    model TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text));
                CREATE TABLE IF NOT EXISTS image_embedding (
                    model TEXT NOT NULL, sha256 TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, sha256));
                """)
        }
        return db
    }

    public enum Kind: String { case text = "text_embedding", image = "image_embedding" }

    private func keyColumn(_ kind: Kind) -> String { kind == .text ? "text" : "sha256" }

    /// The cached vectors among `keys` for a model; vectors of the wrong size are ignored.
    public func lookup(_ kind: Kind, model: String, keys: [String], dimension: Int) throws -> [String: [Float]] {
        var found: [String: [Float]] = [:]
        try db.read { db in
            for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(db, sql: "SELECT \(keyColumn(kind)) AS k, vector FROM \(kind.rawValue) WHERE model = ? AND \(keyColumn(kind)) IN (\(marks))",
                                            arguments: StatementArguments([model] + chunk))
                for row in rows {
                    let blob: Data = row["vector"]
                    if let v = Vector.floats(Array(blob)), v.count == dimension { found[row["k"]] = v }
                }
            }
        }
        return found
    }

    /// Stores vectors in one transaction: all of a batch or none of it.
    public func store(_ kind: Kind, model: String, _ entries: [(key: String, vector: [Float])]) throws {
        guard !entries.isEmpty else { return }
        do {
            try db.write { db in
                let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO \(kind.rawValue) (model, \(keyColumn(kind)), vector) VALUES (?, ?, ?)")
                for e in entries { try statement.execute(arguments: [model, e.key, Data(Vector.bytes(e.vector))]) }
            }
        } catch {
            throw ScoringError.cache(path: path, reason: Self.brief(error))
        }
    }

    public struct Stats: Sendable, Equatable {
        public var models: [String: (texts: Int, images: Int)] = [:]
        public var fileBytes = 0
        public static func == (a: Stats, b: Stats) -> Bool {
            a.fileBytes == b.fileBytes && a.models.mapValues { [$0.texts, $0.images] } == b.models.mapValues { [$0.texts, $0.images] }
        }
    }

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

    /// Removes the embeddings of one model, or all.
    public func clear(model: String? = nil) throws {
        try db.write { db in
            for table in [Kind.text, Kind.image] {
                if let model {
                    try db.execute(sql: "DELETE FROM \(table.rawValue) WHERE model = ?", arguments: [model])
                } else {
                    try db.execute(sql: "DELETE FROM \(table.rawValue)")
                }
            }
        }
        try db.vacuum()
    }
}
