import Foundation
import Scoring
import XCTest

/// `.npy` files as numpy writes them, and the import's check against a sample encoded here.
final class EmbeddingImportTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// A `.npy` file as numpy 2.x writes it: magic, version 1.0, a header padded with spaces
    /// to a multiple of 64 bytes and ending in a newline, then the data.
    func npy(
        _ name: String, _ rows: [[Float]], descr: String = "<f4", fortran: Bool = false, version: UInt8 = 1,
        dropLast: Int = 0
    ) throws -> String {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(rows.count), \(rows[0].count)), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [version, 0])
        let n = header.utf8.count
        data += version == 1 ? Data([UInt8(n & 0xFF), UInt8(n >> 8)]) : Data([UInt8(n & 0xFF), UInt8(n >> 8), 0, 0])
        data += Data(header.utf8)
        let cells = fortran ? (0..<rows[0].count).flatMap { j in rows.map { $0[j] } } : rows.flatMap { $0 }
        for x in cells {
            switch descr {
            case "<f2": withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { data += Data($0) }
            case "<f8": withUnsafeBytes(of: Double(x).bitPattern.littleEndian) { data += Data($0) }
            default: withUnsafeBytes(of: x.bitPattern.littleEndian) { data += Data($0) }
            }
        }
        let path = dir.appendingPathComponent(name).path
        try data.dropLast(dropLast).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testNumpyFloat16To64AndBothOrders() throws {
        let rows: [[Float]] = [[1, 2, 3], [-0.5, 0.25, 65504]]
        for (descr, fortran, version) in [("<f4", false, UInt8(1)), ("<f2", false, 1), ("<f8", true, 2), ("<f4", true, 3)] {
            let m = try NumpyMatrix(path: try npy("a.npy", rows, descr: descr, fortran: fortran, version: version))
            XCTAssertEqual(m.rows, 2); XCTAssertEqual(m.columns, 3)
            XCTAssertEqual(m.row(0), rows[0], "\(descr) fortran \(fortran)")
            XCTAssertEqual(m.row(1), rows[1], "\(descr) fortran \(fortran)")
        }
        let errors = [
            (try npy("t.npy", rows, dropLast: 1), "needs 24 (truncated?)"),
            (try npy("b.npy", rows, descr: ">f4"), "expected little-endian float16, float32 or float64"),
            (try npy("i.npy", rows, descr: "<i4"), "expected little-endian")
        ]
        for (path, message) in errors {
            XCTAssertThrowsError(try NumpyMatrix(path: path)) { XCTAssertTrue("\($0)".hasPrefix(path) && "\($0)".contains(message), "\($0)") }
        }
        let text = dir.appendingPathComponent("x.npy")
        try Data("not numpy".utf8).write(to: text)
        XCTAssertThrowsError(try NumpyMatrix(path: text.path)) { XCTAssertTrue("\($0)".contains("no \\x93NUMPY magic"), "\($0)") }
    }

    /// Ten images; the fake encoder knows each one's vector. Rows that match (as float16
    /// would round them) are imported and marked; rows from "another model" are refused with
    /// the cosine, and nothing is stored.
    func testImportChecksASampleAndKeepsTheSource() throws {
        let provider = FakeProvider(dimension: 8)
        var rows: [[Float]] = []
        var names: [String] = []
        for i in 0..<10 {
            let name = "img\(i).png"
            try Data("image \(i)".utf8).write(to: dir.appendingPathComponent(name))
            let v = (0..<8).map { Float(sin(Double(i * 8 + $0))) }
            provider.imageVectors[name] = v
            rows.append(v.map { $0 * 3 })  // not normalised, as open_clip saves them
            names.append(name)
        }
        let cache = try EmbeddingCache(path: dir.appendingPathComponent("c.sqlite").path)
        let store = EmbeddingStore(provider: provider, cache: cache)

        // Rows of another model: refused with the figure; nothing stored.
        let wrong = rows.map { $0.reversed().map { -$0 } }
        XCTAssertThrowsError(
            try EmbeddingImport.run(
                store: store, matrix: NumpyMatrix(path: npy("w.npy", wrong)),
                paths: names, root: dir.path, source: "w.npy")
        ) { e in
            XCTAssertTrue("\(e)".contains("the rows do not match this model: cosine"), "\(e)")
            XCTAssertTrue("\(e)".contains("lowest of 8 sampled images"), "\(e)")
        }
        XCTAssertEqual(try cache.stats().models[provider.fingerprint]?.images ?? 0, 0)

        let before = provider.encodedImages.count
        let report = try EmbeddingImport.run(
            store: store, matrix: NumpyMatrix(path: npy("e.npy", rows, descr: "<f2")),
            paths: names + [], root: dir.path, source: "e.npy")
        XCTAssertEqual(provider.encodedImages.count - before, 8, "a sample of 8 encoded, not all 10")
        XCTAssertEqual(report.added, 10)
        XCTAssertEqual(report.sampleSize, 8)
        XCTAssertGreaterThan(report.sampleCosineMin, 0.999)
        XCTAssertEqual(try cache.importedImages()[provider.fingerprint], ["e.npy": 10])

        // Now served from the cache: nothing more is encoded, and the vectors are the rows'.
        let encodedBefore = provider.encodedImages.count
        let fresh = EmbeddingStore(provider: provider, cache: cache)
        let served = fresh.imageEmbeddings(names.map { dir.appendingPathComponent($0).path })
        XCTAssertEqual(provider.encodedImages.count, encodedBefore)
        let first = try served[0].get()
        let expected = Vector.normalized(rows[0].map { Float(Float16($0)) })
        for (a, b) in zip(first, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }

        // Rows that do not match the paths' count, or the model's dimension, are refused.
        XCTAssertThrowsError(
            try EmbeddingImport.run(
                store: store, matrix: NumpyMatrix(path: npy("e.npy", rows)),
                paths: Array(names.prefix(9)), root: dir.path, source: "e.npy")
        ) {
            XCTAssertTrue("\($0)".contains("10 rows, but the paths file lists 9 images"), "\($0)")
        }
        XCTAssertThrowsError(
            try EmbeddingImport.run(
                store: store, matrix: NumpyMatrix(path: npy("d.npy", rows.map { Array($0.prefix(4)) })),
                paths: names, root: dir.path, source: "d.npy")
        ) {
            XCTAssertTrue("\($0)".contains("rows have 4 values; this model's image embeddings have 8"), "\($0)")
        }
        // Clearing the model clears its import marks too.
        try cache.clear(model: provider.fingerprint)
        XCTAssertNil(try cache.importedImages()[provider.fingerprint])
    }
}
