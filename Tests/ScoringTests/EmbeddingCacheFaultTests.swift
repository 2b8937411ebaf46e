import Foundation
import XCTest
@testable import EmbeddingCache
import Scoring

/// The cache under damage: bytes changed inside a record, pages overwritten, an old schema.
/// Each time the next open or lookup reports it and serves nothing wrong.
final class EmbeddingCacheFaultTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("e.sqlite").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cache-faults-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// A vector whose bytes are easy to find in the file.
    static let marker: [Float] = [1234.5, -6789.25, 42.125, 0.5]

    /// Writes a cache, closes it (checkpointing the WAL into the main file), returns its bytes.
    func writeCache(_ entries: [(String, [Float])]) throws -> Data {
        do {
            let cache = try EmbeddingCache(path: path)
            try cache.store(.text, model: "m", entries)
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func testAChangedByteInsideAVectorIsCaughtByItsChecksum() throws {
        _ = try writeCache([("good", [1, 0, 0, 0]), ("hit", Self.marker)])
        // Flip one bit of the marker vector in place: SQLite's page structure stays valid,
        // so only the row checksum can tell.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let needle = Data(Vector.bytes(Self.marker))
        let at = try XCTUnwrap(bytes.range(of: needle), "marker vector not found in the file").lowerBound
        bytes[at + 5] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))

        let cache = try EmbeddingCache(path: path)
        XCTAssertNil(cache.recoveryNote, "structure intact: no rebuild")
        let found = try cache.lookup(.text, model: "m", keys: ["good", "hit"], dimension: 4)
        XCTAssertEqual(found["good"], [1, 0, 0, 0])
        XCTAssertNil(found["hit"], "a damaged vector must not be served")
        XCTAssertEqual(cache.damagedRows, 1)
        // Dropped: the next lookup finds nothing to report, and a store puts it back.
        XCTAssertNil(try cache.lookup(.text, model: "m", keys: ["hit"], dimension: 4)["hit"])
        XCTAssertEqual(cache.damagedRows, 1)
        try cache.store(.text, model: "m", [("hit", Self.marker)])
        XCTAssertEqual(try cache.lookup(.text, model: "m", keys: ["hit"], dimension: 4)["hit"], Self.marker)
    }

    func testOverwrittenPagesNeverServeWrongVectors() throws {
        // Every page in turn overwritten with noise; whatever is served must be what was stored.
        let entries = (0..<300).map { i in ("prompt \(i)", (0..<16).map { Float(i * 16 + $0) }) }
        let clean = try writeCache(entries)
        let pages = clean.count / 4096
        XCTAssertGreaterThan(pages, 3)
        var rebuilt = 0, dropped = 0, served = 0
        var rng = SystemRandomNumberGenerator()
        for page in 0..<pages {
            var bytes = clean
            for k in 0..<4096 { bytes[page * 4096 + k] = UInt8.random(in: 0...255, using: &rng) }
            try bytes.write(to: URL(fileURLWithPath: path))
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let cache = try EmbeddingCache(path: path)
            if cache.recoveryNote != nil { rebuilt += 1 }
            let found = (try? cache.lookup(.text, model: "m", keys: entries.map(\.0), dimension: 16)) ?? [:]
            for (key, vector) in found {
                XCTAssertEqual(vector, entries.first { $0.0 == key }?.1, "page \(page): \(key) served wrong")
            }
            served += found.count
            dropped += cache.damagedRows
            for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.contains(".corrupt-") {
                try FileManager.default.removeItem(atPath: dir.appendingPathComponent(f).path)
            }
        }
        // Some damage was noticed, and every page was tried.
        XCTAssertGreaterThan(rebuilt + dropped, 0, "pages \(pages), rebuilt \(rebuilt), dropped \(dropped), served \(served)")
    }

    func testAnOldSchemaIsRebuilt() throws {
        // A version-1 file: rows without checksums.
        do {
            let cache = try EmbeddingCache(path: path)
            try cache.store(.text, model: "m", [("x", [1, 2])])
        }
        try runSQLite(
            path,
            "DROP TABLE text_embedding; CREATE TABLE text_embedding (model TEXT, text TEXT, vector BLOB); INSERT INTO text_embedding VALUES ('m', 'x', x'0000803f00000040'); PRAGMA user_version = 1;"
        )
        let cache = try EmbeddingCache(path: path)
        XCTAssertEqual(try cache.lookup(.text, model: "m", keys: ["x"], dimension: 2), [:])
        try cache.store(.text, model: "m", [("x", [1, 2])])
        XCTAssertEqual(try cache.lookup(.text, model: "m", keys: ["x"], dimension: 2)["x"], [1, 2])
    }

    func testAStoreThatCannotWriteIsReportedNotFatal() throws {
        let cache = try EmbeddingCache(path: path)
        let fake = FakeProvider()
        let store = EmbeddingStore(provider: fake, cache: cache)
        // The file is swapped for a directory under the open connection's nose? Simpler and
        // real: the table is dropped behind the cache's back, so the insert fails.
        try runSQLite(path, "DROP TABLE text_embedding;")
        let vectors = try store.textEmbeddings(["a photo of a cat."])
        XCTAssertEqual(vectors.count, 1)
        store.flushCache()  // prompts are written off the caller's path; a command waits at its end
        XCTAssertNotNil(store.cacheProblem)
        XCTAssertTrue(store.cacheProblem?.contains(path) == true, store.cacheProblem ?? "")
    }

    /// Runs SQL on a database file through GRDB's own SQLite, with no cache code involved.
    func runSQLite(_ path: String, _ sql: String) throws {
        try EmbeddingCache.execute(sql, onFileAt: path)
    }
}
