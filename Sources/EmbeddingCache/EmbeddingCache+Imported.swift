import Foundation
import GRDB
import ScoringCore

/// Image rows brought in from elsewhere (`EmbeddingImport`): stored like clip-tui's own, and
/// marked with where they came from, since they are not bit-equal to what clip-tui would
/// compute. A row clip-tui later encodes itself replaces the imported one.
extension EmbeddingCache {
    /// Stores imported unit vectors where the model has no row for that content yet (a row
    /// clip-tui computed is kept), in one transaction. Returns how many were added.
    public func storeImported(model: String, _ entries: [(key: String, vector: [Float])], source: String) throws -> Int {
        guard !isReadOnly else { throw ScoringError.cache(path: path, reason: "opened read-only: nothing can be imported") }
        var added = 0
        do {
            try db.write { db in
                let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO image_embedding (model, sha256, vector, checksum) VALUES (?, ?, ?, ?)")
                let mark = try db.makeStatement(sql: "INSERT OR REPLACE INTO imported_image (model, sha256, source) VALUES (?, ?, ?)")
                for e in entries {
                    let blob = Data(Vector.bytes(e.vector))
                    try insert.execute(arguments: [model, e.key, blob, Self.checksum(model: model, key: e.key, vector: blob)])
                    if db.changesCount > 0 {
                        added += 1
                        try mark.execute(arguments: [model, e.key, source])
                    }
                }
            }
        } catch {
            throw ScoringError.cache(path: path, reason: (error as? DatabaseError)?.message ?? "\(error)")
        }
        return added
    }

    /// For each model, how many of its image rows were imported, by source.
    public func importedImages() throws -> [String: [String: Int]] {
        var out: [String: [String: Int]] = [:]
        try db.read { db in
            guard try db.tableExists("imported_image") else { return }
            for row in try Row.fetchAll(db, sql: "SELECT model, source, COUNT(*) AS n FROM imported_image GROUP BY model, source") {
                out[row["model"], default: [:]][row["source"]] = row["n"]
            }
        }
        return out
    }
}
