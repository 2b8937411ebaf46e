import Foundation
import XCTest
import TestSupport

/// `clip-tui fetch-model` against the stand-in Hub (Tests/HubTests/Fixtures/hub_server.py)
/// on loopback, then the fetched model used by its Hub id.
final class FetchModelCommandTests: XCTestCase {
    static let server = CLIToolTests.root.appendingPathComponent("Tests/HubTests/Fixtures/hub_server.py").path

    func testFetchThenUseByHubId() throws {
        let cache = NSTemporaryDirectory() + "fetch-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", Self.server, "--root", CLIToolTests.model, "--repo", "test-org/clip-tiny"]
        let out = Pipe()
        server.standardOutput = out
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let first = String(decoding: out.fileHandleForReading.availableDataLine(), as: UTF8.self)
        let port = try XCTUnwrap(Int(first.dropFirst(5)), "hub_server.py did not start: \(first)")
        let env = ["HF_ENDPOINT": "http://127.0.0.1:\(port)", "HF_HUB_CACHE": cache, "HF_TOKEN": ""]

        let fetched = try runTool(["fetch-model", "test-org/clip-tiny"], environment: env)
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        let folder = String(decoding: fetched.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(folder.hasPrefix(cache + "/models--test-org--clip-tiny/snapshots/"), folder)
        XCTAssertTrue(fetched.stderr.contains("model.safetensors"), "progress names the files: \(fetched.stderr)")

        let byId = try runTool(["encode", "--model", "test-org/clip-tiny", "--text", "a red circle"], environment: env)
        let byFolder = try runTool(["encode", "--model", CLIToolTests.model, "--text", "a red circle"])
        XCTAssertEqual(byId.status, 0, byId.stderr)
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: byId.stdout) as? [String: Any])
        let b = try XCTUnwrap(JSONSerialization.jsonObject(with: byFolder.stdout) as? [String: Any])
        XCTAssertEqual(
            (a["texts"] as? [[String: Any]])?.first?["embedding"] as? [Double],
            (b["texts"] as? [[String: Any]])?.first?["embedding"] as? [Double])
    }

    func testNoNetworkSaysSo() throws {
        let cache = NSTemporaryDirectory() + "fetch-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let r = try runTool(
            ["fetch-model", "openai/clip-vit-base-patch32"],
            environment: ["HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": cache])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot reach http://127.0.0.1:9"), r.stderr)
    }
}

extension FileHandle {
    /// Reads up to a newline (the server's "PORT n" line).
    func availableDataLine() -> Data {
        var line = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { return line }
            line.append(byte)
        }
    }
}

/// The embedding cache killed mid-write (SIGKILL at several moments of `embed`): the next
/// run opens it and its scores equal scores computed with no cache. `scripts/faults.py`
/// runs this many more times, with the other faults.
final class CacheKillTests: XCTestCase {
    func testKilledEmbedLeavesAUsableCorrectCache() throws {
        let images = CLIToolTests.root.appendingPathComponent("Tests/ImagingTests/Fixtures/pngsuite").path
        let eval = EngineCommandTests.eval
        let dir = NSTemporaryDirectory() + "cache-kill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func scores(_ cacheArgs: [String]) throws -> [String: [Double]] {
            let r = try runTool(
                [
                    "eval", "--model", CLIToolTests.model, "--images", images, "--labels", "\(eval)/labels.txt",
                    "--templates", "\(eval)/templates.txt", "--format", "json"
                ] + cacheArgs)
            XCTAssertEqual(r.status, 0, r.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            var out: [String: [Double]] = [:]
            for image in object["images"] as? [[String: Any]] ?? [] { out[image["path"] as! String] = image["probs"] as? [Double] }
            return out
        }
        let reference = try scores(["--no-cache"])
        XCTAssertEqual(reference.count, 161)
        // Images left for the second run are encoded in other batches than in the reference
        // run, so their embeddings differ by float32 reordering (never more): the bound
        // from the arithmetic, for this model's products and its logit scale of 100.
        let terms = try FloatBounds.visionProductTerms(config: CLIToolTests.model + "/config.json")
        let tolerance = FloatBounds.probability(scale: 100, embeddingChange: FloatBounds.encoderReordering(productTerms: terms))
        XCTAssertLessThan(tolerance, 0.02, "the bound must stay far below a wrong image's difference")
        for (trial, delay) in [0.05, 0.15, 0.3].enumerated() {
            let cache = "\(dir)/c\(trial).sqlite"
            let process = Process()
            process.executableURL = Bundle.main.bundleURL.appendingPathComponent("clip-tui")
            process.arguments = ["embed", images, "--model", CLIToolTests.model, "--cache", cache]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let cached = try scores(["--cache", cache])
            XCTAssertEqual(cached.keys.sorted(), reference.keys.sorted())
            for (path, p) in reference {
                let q = cached[path] ?? []
                for (a, b) in zip(p, q) { XCTAssertEqual(a, b, accuracy: tolerance, "trial \(trial): \(path)") }
                // Where the reference's top two are further apart than the bound allows to
                // move, the prediction must be the same.
                let sorted = p.sorted(by: >)
                if sorted.count > 1, sorted[0] - sorted[1] > 2 * tolerance, let best = p.firstIndex(of: sorted[0]) {
                    XCTAssertEqual(q.firstIndex(of: q.max() ?? -1), best, "trial \(trial): \(path)")
                }
            }
        }
    }
}
