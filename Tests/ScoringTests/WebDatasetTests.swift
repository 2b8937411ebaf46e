import Foundation
import XCTest

@testable import Scoring

/// CLIP_benchmark's webdataset layout read in place: samples grouped by key, truth from
/// `.cls`, bytes read from the shard, hashes recorded by shard and offset, and every bad
/// input refused with the shard and key.
final class WebDatasetTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("wds-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("test"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A ustar archive of `members` (name, bytes), ended by two zero blocks.
    static func tar(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, data) in members {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ s: String, at: Int) { for (i, b) in s.utf8.enumerated() { h[at + i] = b } }
            put(name, at: 0)
            put("0000644\0", at: 100)
            put("0000000\0", at: 108)
            put("0000000\0", at: 116)
            put(String(format: "%011o\0", data.count), at: 124)
            put("00000000000\0", at: 136)
            h[156] = UInt8(ascii: "0")
            put("ustar\0", at: 257)
            put("00", at: 263)
            for i in 148..<156 { h[i] = 0x20 }
            put(String(format: "%06o\0 ", h.reduce(0) { $0 + Int($1) }), at: 148)
            out += h + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    func write(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: dir.appendingPathComponent(path)) }
    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }

    /// Two shards of two samples each, classes a and b, and extra members that are ignored.
    func makeDataset() throws {
        try write("test/nshards.txt", "2\n")
        try write("classnames.txt", "cat\ndog\n")
        try write("zeroshot_classification_templates.txt", "a photo of a {c}.\n")
        try write(
            "test/0.tar", Self.tar([("k0.webp", [1, 2, 3]), ("k0.cls", Array("1".utf8)), ("k0.json", [0]), ("k1.png", [4, 5]), ("k1.cls", Array(" 0\n".utf8))]))
        try write("test/1.tar", Self.tar([("sub/k2.jpg", [6]), ("sub/k2.cls", Array("1".utf8)), ("k3.jpeg", [7, 8, 9])]))
    }

    func testSamplesGroupByKeyWithTruthFromClassIndices() throws {
        try makeDataset()
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "cat"), ClassLabel(name: "dog")])
        let c = try ImageCollection(root: dir.path, labels: labels)
        XCTAssertEqual(c.items.map(\.relativePath), ["0.tar/k0", "0.tar/k1", "1.tar/sub/k2", "1.tar/k3"])
        XCTAssertEqual(c.items.map(\.truthName), ["dog", "cat", "dog", nil])
        XCTAssertEqual(c.dataset?.templates, ["a photo of a {}."])
        XCTAssertEqual(c.dataset?.classNames, ["cat", "dog"])
        // The bytes are each sample's image member, read from its shard.
        let bytes = try c.items.map { Array(try $0.location.read(name: $0.path).bytes) }
        XCTAssertEqual(bytes, [[1, 2, 3], [4, 5], [6], [7, 8, 9]])
        // What has only the name (the session's preview) finds the same member; views say SHARD/KEY.
        for item in c.items { XCTAssertEqual(WebDataset.location(named: item.path), item.location, item.path) }
        XCTAssertEqual(WebDataset.shortName(c.items[1].path), "0.tar/k1")
        XCTAssertNil(WebDataset.location(named: dir.appendingPathComponent("test/0.tar/nokey").path))
        // A bare shard: the same samples, no class names.
        let bare = try ImageCollection(root: dir.appendingPathComponent("test/1.tar").path, labels: labels)
        XCTAssertEqual(bare.items.map(\.relativePath), ["1.tar/sub/k2", "1.tar/k3"])
        XCTAssertEqual(bare.items.map(\.truthName), ["dog", nil], "a bare shard's .cls indexes the labels given")
        XCTAssertEqual(try ImageCollection(root: bare.root, labels: LabelSet(name: "", classes: [])).items.map(\.truthName), [nil, nil])
    }

    /// A second embedding of unchanged shards reads no member for its hash: the hash is
    /// recorded by shard path and member offset under the shard's stamp. Proved by changing
    /// a member's bytes behind the stamp's back (same size, same modification time): the
    /// old embedding is served. Touching the shard makes it read again.
    func testUnchangedShardsAreNotHashedAgain() throws {
        try write("test/nshards.txt", "1\n")
        try write("classnames.txt", "cat\n")
        let shard = dir.appendingPathComponent("test/0.tar")
        try write("test/0.tar", Self.tar([("a.webp", [1, 1]), ("a.cls", Array("0".utf8))]))
        let fake = FakeProvider(dimension: 4)
        fake.imageVectors = ["a": [1, 0, 0, 0]]
        let cache = try EmbeddingCache(path: dir.appendingPathComponent("cache.sqlite").path)
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "cat")])
        func embed() throws -> [Float] {
            let c = try ImageCollection(root: dir.path, labels: labels)
            return try EmbeddingStore(provider: fake, cache: cache).imageEmbeddings(located: c.items.map { ($0.path, $0.location) })[0].get()
        }
        // A whole-second modification time, so that putting it back restores it exactly.
        let stamp = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: shard.path)
        XCTAssertEqual(try embed(), [1, 0, 0, 0])
        XCTAssertEqual(fake.encodedImages.count, 1)
        fake.imageVectors = ["a": [0, 1, 0, 0]]
        let handle = try FileHandle(forUpdating: shard)  // in place: same inode, same size
        try handle.seek(toOffset: 512)
        try handle.write(contentsOf: Data([2, 2]))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: stamp], ofItemAtPath: shard.path)
        XCTAssertEqual(try embed(), [1, 0, 0, 0], "hash from the record: the member was not read")
        XCTAssertEqual(fake.encodedImages.count, 1)
        try FileManager.default.setAttributes([.modificationDate: stamp.addingTimeInterval(5)], ofItemAtPath: shard.path)
        XCTAssertEqual(try embed(), [0, 1, 0, 0], "a touched shard is read again")
        XCTAssertEqual(fake.encodedImages, ["\(dir.path)/test/0.tar/a", "\(dir.path)/test/0.tar/a"])
    }

    func testBadDatasetsAreRefusedNamingShardAndKey() throws {
        let labels = LabelSet(name: "l", classes: [ClassLabel(name: "cat"), ClassLabel(name: "dog")])
        func refused(_ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try ImageCollection(root: dir.path, labels: labels), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(message), "'\(error)' says '\(message)'", file: file, line: line)
            }
        }
        try makeDataset()
        let good = Self.tar([("k0.webp", [1, 2, 3]), ("k0.cls", Array("1".utf8))])
        // A truncated shard: cut inside a member's data, and cut between members.
        try write("test/0.tar", Array(good.prefix(514)))
        refused("\(dir.path)/test/0.tar: not a readable tar archive: truncated: k0.webp needs 3 bytes")
        try write("test/0.tar", Array(good.prefix(1024)))
        refused("\(dir.path)/test/0.tar: not a readable tar archive: truncated: the archive ends at byte 1024 without its end blocks")
        // A shard listed in nshards.txt but missing.
        try write("test/0.tar", good)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("test/1.tar"))
        refused("\(dir.path)/test/1.tar: cannot read: missing: \(dir.path)/test/nshards.txt lists 2 shards")
        try write("test/nshards.txt", "1\n")
        // A class index outside classnames.txt.
        try write("test/0.tar", Self.tar([("k0.webp", [1]), ("k0.cls", Array("7".utf8))]))
        refused("\(dir.path)/test/0.tar/k0.cls: class index 7 is outside classnames.txt's 2 classes")
        // A .cls that is not an index.
        try write("test/0.tar", Self.tar([("k0.webp", [1]), ("k0.cls", Array("dog".utf8))]))
        refused("\(dir.path)/test/0.tar/k0.cls: expected a class index")
        // A key with two images.
        try write("test/0.tar", Self.tar([("k0.webp", [1]), ("k0.png", [2]), ("k0.cls", Array("0".utf8))]))
        refused("\(dir.path)/test/0.tar/k0: two images in one sample")
        // A damaged header.
        var damaged = good
        damaged[0] ^= 0xFF
        try write("test/0.tar", damaged)
        refused("bad header checksum at byte 0")
        // Another task.
        try write("test/0.tar", good)
        try write("dataset_type.txt", "retrieval\n")
        refused("\(dir.path)/dataset_type.txt: a retrieval dataset: clip-tui evaluates zero-shot classification only")
    }

    /// `cache import --paths` names samples as the views do (`SHARD/KEY`): their bytes come
    /// from the shard, keyed by content like files.
    func testImportedRowsNameSamplesByShardAndKey() throws {
        try write("test/nshards.txt", "1\n")
        try write("classnames.txt", "cat\n")
        try write("test/0.tar", Self.tar([("a.webp", [1]), ("a.cls", Array("0".utf8)), ("b.webp", [2]), ("b.cls", Array("0".utf8))]))
        let fake = FakeProvider(dimension: 4)
        fake.imageVectors = ["a": [1, 0, 0, 0], "b": [0, 1, 0, 0]]
        // A float32 .npy of the two rows, as numpy writes it.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
        for x: Float in [1, 0, 0, 0, 0, 1, 0, 0] { withUnsafeBytes(of: x.bitPattern.littleEndian) { npy += Data($0) } }
        let npyPath = dir.appendingPathComponent("rows.npy").path
        try npy.write(to: URL(fileURLWithPath: npyPath))
        let cache = try EmbeddingCache(path: dir.appendingPathComponent("cache.sqlite").path)
        let store = EmbeddingStore(provider: fake, cache: cache)
        let report = try EmbeddingImport.run(
            store: store, matrix: try NumpyMatrix(path: npyPath), paths: ["0.tar/a", "0.tar/b"], root: dir.path, source: "rows.npy",
            sampleSize: 2)
        XCTAssertEqual(report.added, 2)
        XCTAssertEqual(report.missing, [])
        XCTAssertEqual(report.sampleSize, 2)
        // The imported rows serve the samples: nothing is encoded again.
        fake.imageVectors = [:]
        let c = try ImageCollection(root: dir.path, labels: LabelSet(name: "l", classes: [ClassLabel(name: "cat")]))
        let served = EmbeddingStore(provider: fake, cache: cache).imageEmbeddings(located: c.items.map { ($0.path, $0.location) })
        XCTAssertEqual(try served.map { try $0.get() }, [[1, 0, 0, 0], [0, 1, 0, 0]])
    }

    /// fuzz-tar's finding: a pax record whose length is shorter than its own length field
    /// made an inverted range (a trap). The record is now ignored and the archive read on.
    func testAPaxRecordShorterThanItsLengthFieldIsIgnored() throws {
        let shard = try XCTUnwrap(Bundle.module.path(forResource: "Fixtures/tar/pax-short-length", ofType: "tar"))
        // The input then ends after the pax record, without end blocks: refused, not a trap.
        XCTAssertThrowsError(try TarArchive.members(of: shard)) {
            XCTAssertTrue("\($0)".hasSuffix("not a readable tar archive: truncated: the archive ends at byte 1024 without its end blocks"), "\($0)")
        }
    }

    /// webdataset's `base_plus_ext`: the key ends at the first dot of the last component.
    func testKeysEndAtTheFirstDotOfTheName() {
        XCTAssertTrue(WebDataset.split("a/b.c/key.seg.webp") == ("a/b.c/key", "seg.webp"))
        XCTAssertTrue(WebDataset.split("key.WEBP") == ("key", "webp"))
        XCTAssertTrue(WebDataset.split("noext") == ("noext", ""))
    }
}
