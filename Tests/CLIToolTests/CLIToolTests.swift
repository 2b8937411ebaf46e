import Foundation
import XCTest

/// The `clip-tui` binary as scripts use it: JSON on stdout, errors on stderr, exit codes.
final class CLIToolTests: XCTestCase {
    /// The package root, found from this file's path (tests run from a fresh clone).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let model = root.appendingPathComponent("Tests/CLIPTests/Fixtures/clip-tiny/model").path
    static let images = root.appendingPathComponent("Tests/CLIPTests/Fixtures/clip-tiny/images").path

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try runTool(arguments)
    }

    func testEncodePrintsOneJSONObject() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let textsFile = dir.appendingPathComponent("texts.txt")
        try Data("a photo of a dog.\r\n\nthird\n".utf8).write(to: textsFile)
        let image = "\(Self.images)/noise-rgb-37x53.png"
        let r = try run([
            "encode", "--model", Self.model, "--image", image, "--text", "a photo of a cat.",
            "--texts-file", textsFile.path, "--normalize", "--format", "json"
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        XCTAssertEqual(object["model"] as? String, Self.model)
        XCTAssertEqual((object["logit_scale"] as? NSNumber)?.doubleValue ?? 0, 100, accuracy: 1e-3)
        let images = try XCTUnwrap(object["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images[0]["path"] as? String, image)
        let texts = try XCTUnwrap(object["texts"] as? [[String: Any]])
        XCTAssertEqual(texts.map { $0["text"] as? String }, ["a photo of a cat.", "a photo of a dog.", "", "third"])
        XCTAssertEqual(texts[0]["tokens"] as? [Int], [49406, 320, 1125, 539, 320, 2368, 269, 49407])
        for entry in texts + images {
            let e = try XCTUnwrap(entry["embedding"] as? [Double])
            XCTAssertEqual(e.count, 24)
            XCTAssertEqual(e.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5, "normalised")
        }
    }

    func testTokenizeReportsCounts() throws {
        let r = try run(["tokenize", "--model", Self.model, "cat", String(repeating: "word ", count: 90)])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let texts = try XCTUnwrap(object["texts"] as? [[String: Any]])
        XCTAssertEqual(texts[0]["ids"] as? [Int], [49406, 2368, 49407])
        XCTAssertEqual(texts[1]["count"] as? Int, 77)
        XCTAssertEqual(texts[1]["untruncated_count"] as? Int, 92)
        XCTAssertEqual(texts[1]["truncated"] as? Bool, true)
    }

    /// SigLIP's tokenizer from its folder: canonicalised, so case and punctuation do not
    /// make another prompt; cut at its 64.
    func testTokenizeSigLIP() throws {
        let model = Self.root.appendingPathComponent("Tests/CLIPTests/Fixtures/siglip-tiny/model").path
        let r = try run(["tokenize", "--model", model, "a photo of a cat.", "A Photo of a CAT", String(repeating: "word ", count: 90)])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let texts = try XCTUnwrap(object["texts"] as? [[String: Any]])
        XCTAssertEqual(texts[0]["ids"] as? [Int], [3, 6, 7, 3, 5, 1])
        XCTAssertEqual(texts[1]["ids"] as? [Int], [3, 6, 7, 3, 5, 1])
        XCTAssertEqual(texts[2]["count"] as? Int, 64)
        XCTAssertEqual(texts[2]["truncated"] as? Bool, true)
    }

    func testErrorsNameTheFileAndExitNonZero() throws {
        let missing = try run(["encode", "--model", Self.model, "--image", "/nonexistent/cat.png"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/cat.png"), missing.stderr)
        XCTAssertTrue(missing.stdout.isEmpty)
        let noModel = try run(["encode", "--model", "/nonexistent/model", "--text", "x"])
        XCTAssertNotEqual(noModel.status, 0)
        XCTAssertTrue(noModel.stderr.contains("/nonexistent/model"), noModel.stderr)
    }

    func testBenchRunsOnTheFixture() throws {
        let r = try run(["bench", "--model", Self.model, "--images", "2", "--repeats", "1", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        for key in [
            "image_ms_per_image", "text_ms_per_prompt", "text77_ms_per_prompt", "image_gflops", "sgemm_gflops",
            "load_ms", "peak_rss_mb"
        ] {
            let value = try XCTUnwrap((object[key] as? NSNumber)?.doubleValue, key)
            XCTAssertGreaterThan(value, 0, key)
        }
        XCTAssertEqual(object["prompts"] as? Int, 32)
    }
}


/// Runs the built `clip-tui` (XCTest bundles sit beside the products on Linux).
func runTool(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("clip-tui")
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read stderr on another thread so that neither pipe can fill and block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let stderr = Box()
    let reader = Thread { stderr.data = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { usleep(1000) }
    return (process.terminationStatus, stdout, String(decoding: stderr.data, as: UTF8.self))
}
