import Foundation
import XCTest

/// The engine commands on the fixture checkpoint, against PyTorch's probabilities.
final class EngineCommandTests: XCTestCase {
    static let eval = CLIToolTests.root.appendingPathComponent("Tests/CLIToolTests/Fixtures/eval").path

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        try runTool(arguments)
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func testEvalProbabilitiesEqualPyTorch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.eval)/expected.json"))) as? [String: Any])
        let expectedImages = try XCTUnwrap(expected["images"] as? [String: [Double]])
        // Twice: the second run reads every embedding from the cache and must agree.
        for round in 0..<2 {
            let r = try run([
                "eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
                "--cache", dir.appendingPathComponent("cache.sqlite").path, "--format", "json"
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            XCTAssertEqual(object["classes"] as? [String], ["gradient", "noise", "shapes"])
            XCTAssertEqual((object["templates"] as? [String])?.last, "a {{curly}} drawing of {}.")
            let images = try XCTUnwrap(object["images"] as? [[String: Any]])
            XCTAssertEqual(images.count, expectedImages.count)
            for image in images {
                let path = try XCTUnwrap(image["path"] as? String)
                let relative = String(path.dropFirst("\(Self.eval)/images/".count))
                let probs = try XCTUnwrap(image["probs"] as? [Double])
                let reference = try XCTUnwrap(expectedImages[relative], relative)
                for (p, q) in zip(probs, reference) { XCTAssertEqual(p, q, accuracy: 1e-4, "round \(round): \(relative)") }
                XCTAssertEqual(image["truth"] as? String, String(relative.prefix(while: { $0 != "/" })))
            }
            let metrics = try XCTUnwrap(object["metrics"] as? [String: Any])
            XCTAssertEqual(metrics["count"] as? Int, 12)
            for key in ["top1", "top5", "mean_per_class_recall", "nll", "ece"] { XCTAssertNotNil(metrics[key], key) }
        }
    }

    /// A CLIP_benchmark webdataset folder (two shards, lossless WebP, `.cls`, class names and
    /// templates; `scripts/make_webdataset_fixture.py`) and the class folders it was made
    /// from give the same per-image probabilities and truth; without `--labels` the
    /// dataset's own class names are used, and stderr says so.
    func testEvalOnAWebDatasetEqualsEvalOnItsClassFolders() throws {
        let wds = CLIToolTests.root.appendingPathComponent("Tests/CLIToolTests/Fixtures/wds").path
        let common = ["--model", CLIToolTests.model, "--templates", "\(Self.eval)/templates.txt", "--no-cache", "--format", "json"]
        let fromShards = try run(["eval", "--images", wds] + common)
        XCTAssertEqual(fromShards.status, 0, fromShards.stderr)
        // Without --templates either: the dataset's own file, {c} and all.
        let own = try run(["eval", "--images", wds, "--model", CLIToolTests.model, "--no-cache", "--format", "json"])
        XCTAssertEqual(own.status, 0, own.stderr)
        XCTAssertTrue(own.stderr.contains("templates: \(wds)/zeroshot_classification_templates.txt (the dataset's own)"), own.stderr)
        let ownObject = try XCTUnwrap(JSONSerialization.jsonObject(with: own.stdout) as? [String: Any])
        XCTAssertEqual(ownObject["templates"] as? [String], ["a photo of a {}.", "itap of a {}."])
        // Not a webdataset: both files are still needed, and the error says which.
        let plain = try run(["eval", "--images", "\(Self.eval)/images", "--model", CLIToolTests.model, "--no-cache"])
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.stderr.contains("give --templates"), plain.stderr)
        XCTAssertTrue(fromShards.stderr.contains("labels: \(wds)/classnames.txt (the dataset's own class names)"), fromShards.stderr)
        XCTAssertTrue(fromShards.stderr.contains("12 samples from 2 webdataset shards"), fromShards.stderr)
        let fromFolders = try run(["eval", "--images", "\(Self.eval)/images", "--labels", "\(wds)/classnames.txt"] + common)
        XCTAssertEqual(fromFolders.status, 0, fromFolders.stderr)
        let index = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(wds)/samples.json"))) as? [String: String])
        func images(_ r: (status: Int32, stdout: Data, stderr: String)) throws -> [[String: Any]] {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            XCTAssertEqual(object["classes"] as? [String], ["gradient", "noise", "shapes"])
            return try XCTUnwrap(object["images"] as? [[String: Any]])
        }
        let a = try images(fromShards), b = try images(fromFolders)
        XCTAssertEqual(a.count, 12)
        XCTAssertEqual(b.count, 12)
        for (x, y) in zip(a, b) {
            let shardKey = try XCTUnwrap(x["path"] as? String).components(separatedBy: "/test/").last ?? ""
            let file = try XCTUnwrap(y["path"] as? String)
            XCTAssertTrue(file.hasSuffix("/" + (index[shardKey] ?? "?")), "\(shardKey) is \(file)")
            XCTAssertEqual(x["truth"] as? String, y["truth"] as? String, shardKey)
            let p = try XCTUnwrap(x["probs"] as? [Double]), q = try XCTUnwrap(y["probs"] as? [Double])
            for (u, v) in zip(p, q) { XCTAssertEqual(u, v, accuracy: 1e-6, shardKey) }
        }
        // The two shards given one by one: the same samples (no class names there: --labels).
        let shards = try run(
            ["eval", "--images", "\(wds)/test/0.tar", "--images", "\(wds)/test/1.tar", "--labels", "\(wds)/classnames.txt"] + common)
        XCTAssertEqual(shards.status, 0, shards.stderr)
        let fromTars = try images(shards)
        XCTAssertEqual(fromTars.map { $0["truth"] as? String }, a.map { $0["truth"] as? String }, "the .cls indexes --labels")
        XCTAssertEqual(fromTars.map { $0["probs"] as? [Double] }, a.map { $0["probs"] as? [Double] })
        let mixed = try run(["eval", "--images", "\(wds)/test/0.tar", "--images", "\(Self.eval)/images"] + common)
        XCTAssertNotEqual(mixed.status, 0)
        XCTAssertTrue(mixed.stderr.contains("--images more than once takes .tar shards only"), mixed.stderr)
    }

    /// `select` and `compare` fall back on a webdataset's own templates as `eval` does: select
    /// chooses from them, compare makes them the one set of each model's candidate.
    func testSelectAndCompareTakeAWebDatasetsOwnTemplates() throws {
        let wds = CLIToolTests.root.appendingPathComponent("Tests/CLIToolTests/Fixtures/wds").path
        let own = "templates: \(wds)/zeroshot_classification_templates.txt (the dataset's own)"
        let select = try run(["select", "--images", wds, "--model", CLIToolTests.model, "--no-cache", "--random-control", "0", "--format", "json"])
        XCTAssertEqual(select.status, 0, select.stderr)
        XCTAssertTrue(select.stderr.contains(own), select.stderr)
        let chosen = try XCTUnwrap(JSONSerialization.jsonObject(with: select.stdout) as? [String: Any])
        XCTAssertEqual(chosen["templates"] as? [String], ["a photo of a {}.", "itap of a {}."])
        let siglip = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures/siglip-tiny/model").path
        let compare = try run([
            "compare", "--images", wds, "--model", CLIToolTests.model, "--model", siglip, "--no-cache", "--format", "json"
        ])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertTrue(compare.stderr.contains(own), compare.stderr)
        let board = try XCTUnwrap(JSONSerialization.jsonObject(with: compare.stdout) as? [String: Any])
        let candidates = try XCTUnwrap(board["candidates"] as? [[String: Any]])
        XCTAssertEqual(candidates.count, 2)
        // B alone would sit beside an A nobody named: refused.
        let bAlone = try run(["compare", "--images", wds, "--model", CLIToolTests.model, "--templates-b", "\(Self.eval)/templates.txt"])
        XCTAssertNotEqual(bAlone.status, 0)
        XCTAssertTrue(bAlone.stderr.contains("--templates-b is the second set"), bAlone.stderr)
    }

    /// A SigLIP checkpoint through `eval`: the same folder and prompts, sigmoid probabilities
    /// per class equal to transformers' (make_expected_siglip.py), compared as logits
    /// (log p/(1−p)): with the bias at −10 the probabilities themselves are near 0.
    func testEvalWithSigLIPEqualsTransformers() throws {
        let model = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures/siglip-tiny/model").path
        let expected = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.eval)/expected-siglip.json"))) as? [String: Any])
        let expectedImages = try XCTUnwrap(expected["images"] as? [String: [Double]])
        let r = try run([
            "eval", "--model", model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--templates", "\(Self.eval)/templates.txt", "--no-cache", "--format", "json"
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        XCTAssertEqual(object["rule"] as? String, "sigmoid(10·cos − 10) per class")
        let images = try XCTUnwrap(object["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, expectedImages.count)
        func logit(_ p: Double) -> Double { log(p / (1 - p)) }
        for image in images {
            let path = try XCTUnwrap(image["path"] as? String)
            let relative = String(path.dropFirst("\(Self.eval)/images/".count))
            let probs = try XCTUnwrap(image["probs"] as? [Double])
            let reference = try XCTUnwrap(expectedImages[relative], relative)
            XCTAssertEqual(probs.count, 3)
            // |logit| ≤ 20 from float32 cosines (≈1e-6) times the scale 10: 1e-3 is far above.
            for (p, q) in zip(probs, reference) { XCTAssertEqual(logit(p), logit(q), accuracy: 1e-3, relative) }
        }
    }

    func testCompareFailIfWorseAndExport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache.sqlite").path
        let same = try run([
            "compare", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--labels", "\(Self.eval)/labels.txt", "--templates-a", "\(Self.eval)/templates.txt",
            "--templates-b", "\(Self.eval)/templates.txt", "--cache", cache, "--format", "json", "--fail-if-worse"
        ])
        XCTAssertEqual(same.status, 0, same.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: same.stdout) as? [String: Any])
        let comparison = try XCTUnwrap(object["comparison"] as? [String: Any])
        let mcnemar = try XCTUnwrap(comparison["mcnemar"] as? [String: Any])
        XCTAssertEqual(mcnemar["p_value"] as? Double, 1)
        XCTAssertEqual(object["b_significantly_worse"] as? Bool, false)

        let out = dir.appendingPathComponent("best.json").path
        let export = try run([
            "export", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
            "--cache", cache, "--out", out
        ])
        XCTAssertEqual(export.status, 0, export.stderr)
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        XCTAssertEqual(written["schema"] as? String, "clip-tui.prompt-set/3")
        let sets = try XCTUnwrap(written["template_sets"] as? [[String: Any]])
        XCTAssertEqual((sets.first?["templates"] as? [String])?.count, 4)
        XCTAssertEqual((sets.first?["per_template"] as? [[String: Any]])?.count, 4, "each template's figures")
        XCTAssertEqual(written["images"] as? String, URL(fileURLWithPath: "\(Self.eval)/images").standardizedFileURL.path)
        XCTAssertNotNil((written["model"] as? [String: Any])?["fingerprint"])
        XCTAssertEqual((written["model"] as? [String: Any])?["score_rule"] as? String, "softmax(100·cos) over classes")
        let confusions = try XCTUnwrap((sets.first?["metrics"] as? [String: Any])?["confusions"] as? [[String: Any]])
        XCTAssertTrue(confusions.allSatisfy { $0["truth"] is String && $0["predicted"] is String }, "classes by name")

        // clip_benchmark's files, into a folder, keyed by the dataset asked for.
        let folder = dir.appendingPathComponent("cb").path
        let cb = try run([
            "export", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
            "--cache", cache, "--out", folder, "--format", "clip-benchmark", "--dataset", "cifar10"
        ])
        XCTAssertEqual(cb.status, 0, cb.stderr)
        // "noise" has two synonyms: clip_benchmark's per-class form, every prompt clip-tui averages.
        let templatesJSON = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/templates.json"))) as? [String: [String: [String]]])
        XCTAssertEqual(templatesJSON["cifar10"]?.keys.sorted(), ["gradient", "noise", "shapes"])
        XCTAssertEqual(templatesJSON["cifar10"]?["noise"]?.count, 12)
        XCTAssertTrue(cb.stderr.contains("synonyms and sentences are only in templates.json"), cb.stderr)
        let wds = try String(contentsOfFile: folder + "/zeroshot_classification_templates.txt", encoding: .utf8)
        XCTAssertEqual(wds.split(separator: "\n").count, 4)
        XCTAssertTrue(wds.split(separator: "\n").allSatisfy { $0.contains("{c}") })
        let noDataset = try run([
            "export", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
            "--cache", cache, "--out", folder
        ])
        XCTAssertEqual(noDataset.status, 1)
        XCTAssertTrue(noDataset.stderr.contains("give --dataset NAME"), noDataset.stderr)

        let stats = try run(["cache", "stats", "--cache", cache])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertTrue(String(decoding: stats.stdout, as: UTF8.self).contains("12 images"))
    }

    /// Files named on the command line are checked before the screen opens, as `eval`
    /// checks them: the same message, exit status 1.
    func testSessionRefusesMissingFilesBeforeTheScreen() throws {
        let home = NSTemporaryDirectory() + "home-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let env = ["HOME": home, "CLIP_TUI_CACHE": home + "/c.sqlite"]
        let session = try runTool(["session", "--model", CLIToolTests.model, "--labels", "/no/such/labels.txt"], environment: env)
        let eval = try runTool(
            [
                "eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                "--labels", "/no/such/labels.txt", "--templates", "\(Self.eval)/templates.txt"
            ], environment: env)
        XCTAssertEqual(session.status, 1)
        XCTAssertEqual(eval.status, 1)
        XCTAssertTrue(session.stderr.contains("error: /no/such/labels.txt: cannot read"), session.stderr)
        XCTAssertTrue(eval.stderr.contains("error: /no/such/labels.txt: cannot read"), eval.stderr)
        let images = try runTool(["session", "--model", CLIToolTests.model, "--images", "/no/such/folder"], environment: env)
        XCTAssertEqual(images.status, 1)
        XCTAssertTrue(images.stderr.contains("/no/such/folder: cannot read: not a folder"), images.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: home + "/.local/state/clip-tui/session.json"), "no session was started")
    }

    func testBadTemplateFileIsNamed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("t.json")
        try Data("{\"templates\": [1, 2".utf8).write(to: bad)
        let r = try run([
            "eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels",
            "\(Self.eval)/labels.txt", "--templates", bad.path, "--no-cache"
        ])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(bad.path) && r.stderr.contains("not valid JSON"), r.stderr)
    }
}
