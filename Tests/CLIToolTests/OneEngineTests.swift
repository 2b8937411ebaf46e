import Foundation
import XCTest

/// One engine, one meaning for every figure: for the same images, labels, sets and
/// temperature, the session's export (driven in tmux), `eval --format json` and
/// `compare --format json` give the same top-1, top-5, NLL and ECE; every JSON output
/// validates against its committed schema.
final class OneEngineTests: XCTestCase {
    static let eval = EngineCommandTests.eval
    static let siglip = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures/siglip-tiny/model").path

    /// Set A as people keep files: a comment, a blank line, a duplicate, a line without `{}`.
    static let templatesA = """
        # set A, with what real files hold
        a photo of a {}.

        a blurry photo of the {}.
        a photo of a {}.
        itap of a {}.
        no placeholder here
        a {{curly}} drawing of {c}.

        """

    func testSessionExportEvalAndCompareAgreeAtEveryTemperature() throws {
        for model in [CLIToolTests.model, Self.siglip] {
            try agree(model: model)
        }
    }

    func agree(model: String) throws {
        let e2e = Tmux(socket: "clip-tui-one-engine-\(getpid())")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("one-engine-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? e2e.run(["kill-server"]) }
        let fileA = dir.appendingPathComponent("a.txt").path, fileB = "\(Self.eval)/templates.txt"
        try Self.templatesA.write(toFile: fileA, atomically: true, encoding: .utf8)
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        let common = ["--model", model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt"]
        let command =
            ([binary, "session"] + common + [
                "--templates", fileA, "--templates-b", fileB, "--session", "\(dir.path)/session.json",
                "--cache", "\(dir.path)/cache.sqlite"
            ]).map { "'\($0)'" }.joined(separator: " ") + "; echo CLIP-TUI-EXITED; sleep 60"
        try e2e.run(["new-session", "-d", "-s", "e2e", "-x", "140", "-y", "40", command])
        _ = try e2e.waitFor("scores", timeout: 60) { $0.contains("scored in") && $0.contains("%") }
        // The session's own keys: t divides by 1.25 more, T by 0.8 (1 → 1.25 → 1 → 0.8).
        let steps: [(keys: [String], temperature: Double)] = [([], 1), (["t"], 1.25), (["T", "T"], 0.8)]
        for (n, step) in steps.enumerated() {
            for k in step.keys { try e2e.run(["send-keys", "-t", "e2e", k]) }
            let path = dir.appendingPathComponent("export-\(n).json").path
            try e2e.run(["send-keys", "-t", "e2e", "e"])
            _ = try e2e.waitFor("the export prompt") { $0.contains("export to:") }
            try e2e.run(["send-keys", "-t", "e2e", "C-u"])
            try e2e.type(path)
            try e2e.run(["send-keys", "-t", "e2e", "Enter"])
            _ = try e2e.waitFor("the export \(n)", timeout: 60) { $0.contains("exported to \(path)") }
            let exportData = try Data(contentsOf: URL(fileURLWithPath: path))
            try assertValid(exportData, schema: "prompt-set", "session export, \(model), T \(step.temperature)")
            let export = try json(exportData)
            let recorded = try XCTUnwrap((export["model"] as? [String: Any])?["temperature"] as? Double)
            XCTAssertEqual(recorded, step.temperature, accuracy: 1e-6, "the export records the temperature used")
            // The commands at the temperature the session used (to the float it holds).
            let t = ["--temperature", "\(Float(recorded))", "--cache", "\(dir.path)/cache.sqlite", "--format", "json"]
            let evalRun = try runTool(["eval"] + common + ["--templates", fileA] + t)
            XCTAssertEqual(evalRun.status, 0, evalRun.stderr)
            try assertValid(evalRun.stdout, schema: "eval", "eval, \(model)")
            let compareRun = try runTool(["compare"] + common + ["--templates", fileA, "--templates-b", fileB] + t)
            XCTAssertEqual(compareRun.status, 0, compareRun.stderr)
            try assertValid(compareRun.stdout, schema: "compare", "compare, \(model)")
            let evaluated = try json(evalRun.stdout), compared = try json(compareRun.stdout)
            XCTAssertEqual((export["model"] as? [String: Any])?["score_rule"] as? String, evaluated["score_rule"] as? String)
            XCTAssertEqual(compared["score_rule"] as? String, evaluated["score_rule"] as? String)
            let sets = try XCTUnwrap(export["template_sets"] as? [[String: Any]])
            let exportA = try XCTUnwrap(sets.first { $0["role"] as? String == "A" })
            let exportB = try XCTUnwrap(sets.first { $0["role"] as? String == "B" })
            let comparison = try XCTUnwrap(compared["comparison"] as? [String: Any])
            let context = "\(URL(fileURLWithPath: model).lastPathComponent) at T \(step.temperature)"
            for (name, figures) in [
                ("A", [exportA["metrics"], evaluated["metrics"], comparison["a"]]), ("B", [exportB["metrics"], comparison["b"]])
            ] {
                let metrics = try figures.map { try XCTUnwrap($0 as? [String: Any], "\(name) metrics, \(context)") }
                for key in ["top1", "top5", "nll", "ece"] {
                    let values = try metrics.map { try XCTUnwrap($0[key] as? Double, "\(key), \(context)") }
                    for v in values.dropFirst() { XCTAssertEqual(v, values[0], accuracy: 1e-6, "\(name) \(key), \(context)") }
                }
            }
            // A figure for every distinct template with {}; the line without one listed as left out.
            let distinct = ["a photo of a {}.", "a blurry photo of the {}.", "itap of a {}.", "a {{curly}} drawing of {}."]
            let perTemplate = try XCTUnwrap(exportA["per_template"] as? [[String: Any]])
            XCTAssertEqual(perTemplate.compactMap { $0["template"] as? String }, distinct, context)
            XCTAssertEqual(exportA["left_out"] as? [String], ["no placeholder here"], context)
            XCTAssertEqual(evaluated["left_out"] as? [String], ["no placeholder here"], context)
        }
        try e2e.run(["send-keys", "-t", "e2e", "q"])
        _ = try e2e.waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        try assertValid(Data(contentsOf: dir.appendingPathComponent("session.json")), schema: "session", "session file")
    }

    /// The other commands' JSON: `export` (its file and its report), `select`, `tokenize`,
    /// `encode` and `bench`, each against its schema; `export` keeps a figure for every
    /// distinct template with `{}` as the session's export does.
    func testEveryJSONOutputValidates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schemas-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fileA = dir.appendingPathComponent("a.txt").path
        try Self.templatesA.write(toFile: fileA, atomically: true, encoding: .utf8)
        let common = [
            "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--cache", dir.appendingPathComponent("cache.sqlite").path
        ]
        let out = dir.appendingPathComponent("export.json").path
        let export = try runTool(["export"] + common + ["--templates", fileA, "--templates-b", "\(Self.eval)/templates.txt", "--out", out, "--format", "json"])
        XCTAssertEqual(export.status, 0, export.stderr)
        try assertValid(export.stdout, schema: "export-report", "export --format json")
        let file = try Data(contentsOf: URL(fileURLWithPath: out))
        try assertValid(file, schema: "prompt-set", "export file")
        let sets = try XCTUnwrap(try json(file)["template_sets"] as? [[String: Any]])
        let a = try XCTUnwrap(sets.first { $0["role"] as? String == "A" })
        XCTAssertEqual(
            (a["per_template"] as? [[String: Any]])?.compactMap { $0["template"] as? String },
            ["a photo of a {}.", "a blurry photo of the {}.", "itap of a {}.", "a {{curly}} drawing of {}."])
        // The old spelling of --out-format still works, and says so.
        let old = try runTool(["export"] + common + ["--templates", fileA, "--out", dir.appendingPathComponent("a.py").path, "--format", "python"])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertTrue(old.stderr.contains("--out-format python"), old.stderr)

        let select = try runTool(["select"] + common + ["--templates", fileA, "--folds", "3", "--random-control", "4", "--format", "json"])
        XCTAssertEqual(select.status, 0, select.stderr)
        try assertValid(select.stdout, schema: "select", "select --format json")
        // Its progress on stderr (not a terminal here: a line per fold, then the end).
        for fold in 1...3 { XCTAssertTrue(select.stderr.contains("fold \(fold)/3"), select.stderr) }
        XCTAssertTrue(select.stderr.contains("the final choice on all images") && select.stderr.contains("selecting: done in"), select.stderr)
        // The demo model by default, for the two commands that once had no default.
        let tokenize = try runTool(["tokenize", "a photo of a cat."])
        XCTAssertEqual(tokenize.status, 0, tokenize.stderr)
        try assertValid(tokenize.stdout, schema: "tokenize", "tokenize")
        let encode = try runTool([
            "encode", "--model", CLIToolTests.model, "--text", "a cat", "--image", "\(Self.eval)/images/noise/noise-rgb-224x224.png", "--format", "json"
        ])
        XCTAssertEqual(encode.status, 0, encode.stderr)
        try assertValid(encode.stdout, schema: "encode", "encode")
        let bench = try runTool(["bench", "--model", CLIToolTests.model, "--images", "1", "--repeats", "1"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        try assertValid(bench.stdout, schema: "bench", "bench")
        let version = try runTool(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(String(decoding: version.stdout, as: UTF8.self).isEmpty)
    }

    /// A temperature divides the model's logits: T = 1 is the checkpoint's rule; with
    /// `--logit-scale` the scale is absolute, and both together are refused.
    func testTemperatureMeansTheModelsLogitsDivided() throws {
        let common = [
            "eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--templates", "\(Self.eval)/templates.txt", "--no-cache", "--format", "json"
        ]
        func rule(_ extra: [String]) throws -> (String, [Double]) {
            let r = try runTool(common + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let object = try json(r.stdout)
            let probs = try XCTUnwrap((object["images"] as? [[String: Any]])?.first?["probs"] as? [Double])
            return (try XCTUnwrap(object["score_rule"] as? String), probs)
        }
        let (asTrained, p1) = try rule([])
        let (one, q1) = try rule(["--temperature", "1"])
        XCTAssertEqual(one, asTrained)
        XCTAssertEqual(p1, q1)
        let scale = try XCTUnwrap(Double(asTrained.dropFirst("softmax(".count).prefix { $0 != "·" }))
        let (warmer, _) = try rule(["--temperature", "2"])
        let halved = try XCTUnwrap(Double(warmer.dropFirst("softmax(".count).prefix { $0 != "·" }))
        XCTAssertEqual(halved, scale / 2, accuracy: 0.01)
        let (absolute, _) = try rule(["--logit-scale", "100"])
        XCTAssertEqual(absolute, "softmax(100·cos) over classes")
        let both = try runTool(common + ["--temperature", "2", "--logit-scale", "100"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
    }

    func json(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// Validates JSON against a committed schema (Schemas/NAME.schema.json, draft 2020-12)
/// with Python's `jsonschema`, which scripts/setup installs: a real validator, not a
/// check of the keys.
func assertValid(_ data: Data, schema: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID()).json")
    try data.write(to: path)
    defer { try? FileManager.default.removeItem(at: path) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", CLIToolTests.root.appendingPathComponent("scripts/validate_json.py").path, schema, path.path]
    let err = Pipe()
    process.standardError = err
    try process.run()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "\(context) does not validate against \(schema).schema.json:\n\(message)", file: file, line: line)
}
