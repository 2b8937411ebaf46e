import Foundation
import XCTest

/// The interop paths through the binary: `select --out` in a form clip-tui reads back,
/// `cache import` of embeddings made elsewhere, and `#KEY` on the command line.
final class InteropCommandTests: XCTestCase {
    static let eval = EngineCommandTests.eval
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func engine(_ extra: [String]) -> [String] {
        [
            "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--cache", dir.appendingPathComponent("cache.sqlite").path
        ] + extra
    }

    func testSelectWritesPythonThatReadsBack() throws {
        let py = dir.appendingPathComponent("chosen.py").path
        let select = try runTool(
            ["select"]
                + engine([
                    "--templates", "\(Self.eval)/templates.txt", "--out", py,
                    "--random-control", "0", "--format", "json"
                ]))
        XCTAssertEqual(select.status, 0, select.stderr)
        let chosen = try XCTUnwrap((try JSONSerialization.jsonObject(with: select.stdout) as? [String: Any])?["chosen"] as? [String])
        let text = try String(contentsOfFile: py, encoding: .utf8)
        XCTAssertTrue(text.contains("templates = [") && text.contains("classes = ["), text)
        // The written file is a template file and a label file for every command.
        let eval = try runTool(["eval"] + engine(["--templates", py, "--format", "json"]).map { $0 == "\(Self.eval)/labels.txt" ? py : $0 })
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: eval.stdout) as? [String: Any])
        XCTAssertEqual(object["templates"] as? [String], chosen)
        XCTAssertEqual(object["classes"] as? [String], ["gradient", "noise", "shapes"])
    }

    /// Embeddings from `encode` (as another tool would make them) written as float16 .npy:
    /// imported after the sample check, then used by eval without encoding; rows from the
    /// wrong images are refused with the cosine.
    func testCacheImportChecksAndFeedsEval() throws {
        let images = try FileManager.default.subpathsOfDirectory(atPath: "\(Self.eval)/images")
            .filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
        XCTAssertEqual(images.count, 12)
        let encode = try runTool(["encode", "--model", CLIToolTests.model] + images.flatMap { ["--image", "\(Self.eval)/images/\($0)"] })
        XCTAssertEqual(encode.status, 0, encode.stderr)
        let rows = try XCTUnwrap((try JSONSerialization.jsonObject(with: encode.stdout) as? [String: Any])?["images"] as? [[String: Any]])
            .map { try XCTUnwrap($0["embedding"] as? [Double]).map(Float.init) }
        let paths = dir.appendingPathComponent("paths.txt").path
        try Data((images.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: paths))

        let wrong = dir.appendingPathComponent("wrong.npy").path
        try npyFloat16(rows.reversed(), to: wrong)
        let refused = try runTool([
            "cache", "import", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--embeddings", wrong, "--paths", paths, "--cache", dir.appendingPathComponent("cache.sqlite").path
        ])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("the rows do not match this model: cosine"), refused.stderr)

        let good = dir.appendingPathComponent("good.npy").path
        try npyFloat16(rows, to: good)
        let imported = try runTool([
            "cache", "import", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--embeddings", good, "--paths", paths, "--cache", dir.appendingPathComponent("cache.sqlite").path
        ])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(String(decoding: imported.stdout, as: UTF8.self).hasPrefix("imported 12 rows"), String(decoding: imported.stdout, as: UTF8.self))
        let stats = try runTool(["cache", "stats", "--cache", dir.appendingPathComponent("cache.sqlite").path])
        XCTAssertTrue(
            String(decoding: stats.stdout, as: UTF8.self).contains("12 images (12 imported: 12 from \(good))"),
            String(decoding: stats.stdout, as: UTF8.self))
        let eval = try runTool(["eval"] + engine(["--templates", "\(Self.eval)/templates.txt"]))
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stderr.contains("images: 12/12 from the cache"), "all 12 from the cache: \(eval.stderr)")
        XCTAssertFalse(eval.stderr.contains("embedding images"), "nothing encoded: \(eval.stderr)")
    }

    func testKeysOnTheCommandLine() throws {
        let templates = dir.appendingPathComponent("by-dataset.json").path
        try Data(#"{"cifar10": ["a photo of a {c}."], "mnist": ["a photo of the number: \"{c}\"."]}"#.utf8)
            .write(to: URL(fileURLWithPath: templates))
        let refused = try runTool(["eval"] + engine(["--templates", templates]))
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("holds 2 entries of templates: name one as \(templates)#cifar10"), refused.stderr)
        let picked = try runTool(["eval"] + engine(["--templates", templates + "#mnist", "--format", "json"]))
        XCTAssertEqual(picked.status, 0, picked.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: picked.stdout) as? [String: Any])
        XCTAssertEqual(object["templates"] as? [String], ["a photo of the number: \"{}\"."])
    }

    /// numpy's .npy, version 1.0, float16, C order.
    func npyFloat16(_ rows: [[Float]], to path: String) throws {
        var header = "{'descr': '<f2', 'fortran_order': False, 'shape': (\(rows.count), \(rows[0].count)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data += Data(header.utf8)
        for x in rows.joined() { withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { data += Data($0) } }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
