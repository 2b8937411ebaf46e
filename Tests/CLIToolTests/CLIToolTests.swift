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
        let r = try run(["encode", "--model", Self.model, "--image", image, "--text", "a photo of a cat.",
                         "--texts-file", textsFile.path, "--normalize", "--format", "json"])
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
        for key in ["image_ms_per_image", "text_ms_per_prompt", "text77_ms_per_prompt", "image_gflops", "sgemm_gflops",
                    "load_ms", "peak_rss_mb"] {
            let value = try XCTUnwrap((object[key] as? NSNumber)?.doubleValue, key)
            XCTAssertGreaterThan(value, 0, key)
        }
        XCTAssertEqual(object["prompts"] as? Int, 32)
    }
}

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
            let r = try run(["eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                             "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
                             "--cache", dir.appendingPathComponent("cache.sqlite").path, "--format", "json"])
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

    func testCompareFailIfWorseAndExport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache.sqlite").path
        let same = try run(["compare", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                            "--labels", "\(Self.eval)/labels.txt", "--templates-a", "\(Self.eval)/templates.txt",
                            "--templates-b", "\(Self.eval)/templates.txt", "--cache", cache, "--format", "json", "--fail-if-worse"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: same.stdout) as? [String: Any])
        let comparison = try XCTUnwrap(object["comparison"] as? [String: Any])
        let mcnemar = try XCTUnwrap(comparison["mcnemar"] as? [String: Any])
        XCTAssertEqual(mcnemar["p_value"] as? Double, 1)
        XCTAssertEqual(object["b_significantly_worse"] as? Bool, false)

        let out = dir.appendingPathComponent("best.json").path
        let export = try run(["export", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                              "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
                              "--cache", cache, "--out", out])
        XCTAssertEqual(export.status, 0, export.stderr)
        let written = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        XCTAssertEqual(written["schema"] as? String, "clip-tui.prompt-set/2")
        let sets = try XCTUnwrap(written["template_sets"] as? [[String: Any]])
        XCTAssertEqual((sets.first?["templates"] as? [String])?.count, 4)
        XCTAssertEqual((sets.first?["per_template"] as? [[String: Any]])?.count, 4, "each template's figures")
        XCTAssertEqual(written["images"] as? String, URL(fileURLWithPath: "\(Self.eval)/images").standardizedFileURL.path)
        XCTAssertNotNil((written["model"] as? [String: Any])?["fingerprint"])
        let confusions = try XCTUnwrap((sets.first?["metrics"] as? [String: Any])?["confusions"] as? [[String: Any]])
        XCTAssertTrue(confusions.allSatisfy { $0["truth"] is String && $0["predicted"] is String }, "classes by name")

        // clip_benchmark's files, into a folder, keyed by the dataset asked for.
        let folder = dir.appendingPathComponent("cb").path
        let cb = try run(["export", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                          "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
                          "--cache", cache, "--out", folder, "--format", "clip-benchmark", "--dataset", "cifar10"])
        XCTAssertEqual(cb.status, 0, cb.stderr)
        // "noise" has two synonyms: clip_benchmark's per-class form, every prompt clip-tui averages.
        let templatesJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/templates.json"))) as? [String: [String: [String]]])
        XCTAssertEqual(templatesJSON["cifar10"]?.keys.sorted(), ["gradient", "noise", "shapes"])
        XCTAssertEqual(templatesJSON["cifar10"]?["noise"]?.count, 12)
        XCTAssertTrue(cb.stderr.contains("synonyms and sentences are only in templates.json"), cb.stderr)
        let wds = try String(contentsOfFile: folder + "/zeroshot_classification_templates.txt", encoding: .utf8)
        XCTAssertEqual(wds.split(separator: "\n").count, 4)
        XCTAssertTrue(wds.split(separator: "\n").allSatisfy { $0.contains("{c}") })
        let noDataset = try run(["export", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                                 "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
                                 "--cache", cache, "--out", folder])
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
        let eval = try runTool(["eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
                                "--labels", "/no/such/labels.txt", "--templates", "\(Self.eval)/templates.txt"], environment: env)
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
        let r = try run(["eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels",
                         "\(Self.eval)/labels.txt", "--templates", bad.path, "--no-cache"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains(bad.path) && r.stderr.contains("not valid JSON"), r.stderr)
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

/// The real binary in a real terminal (tmux): open a session, edit a template, watch a
/// probability change, export, quit, and find the terminal as it was.
final class SessionEndToEndTests: XCTestCase {
    let socket = "clip-tui-test-\(getpid())"

    /// Runs tmux through /bin/sh with output to a file: the tmux server inherits the
    /// client's descriptors, so neither a pipe nor Foundation's Process wait suits it.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-out-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let quoted = (["tmux", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let status = system(quoted.joined(separator: " ") + " > '\(out)' 2>/dev/null < /dev/null")
        guard status == 0 else { throw NSError(domain: "tmux", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "tmux \(args.first ?? "") failed"]) }
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "e2e"]) }

    /// The shell line tmux runs: `stty -g` before and after a session on the eval fixture,
    /// the exit status in DIR/exit, and a marker line once it has ended.
    func sessionCommand(_ dir: URL, environment: String = "") -> String {
        let eval = EngineCommandTests.eval
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        return [
            "stty -g > \(dir.path)/stty.before;", environment,
            binary, "session", "--model", CLIToolTests.model, "--images", "\(eval)/images",
            "--labels", "\(eval)/labels.txt", "--templates", "\(eval)/templates.txt",
            "--session", "\(dir.path)/session.json", "--cache", "\(dir.path)/cache.sqlite;",
            "echo \"EXIT=$?\" > \(dir.path)/exit; stty -g > \(dir.path)/stty.after; echo CLIP-TUI-EXITED; sleep 60",
        ].joined(separator: " ")
    }

    func waitFor(_ what: String, timeout: Double = 20, _ condition: (String) -> Bool) throws -> String {
        let end = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < end {
            last = try screen()
            if condition(last) { return last }
            usleep(100_000)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)")
        return last
    }

    func testEditExportQuit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", sessionCommand(dir)])
        // Scores appear once the 12 images are encoded; the Scores pane shows percentages.
        let first = try waitFor("scores") { $0.contains("scored in") && $0.contains("%") && $0.contains("▸") }
        let scoresBefore = scoreLines(first)
        XCTAssertFalse(scoresBefore.isEmpty, first)
        // Edit the first template of A: the probabilities must move.
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        try tmux(["send-keys", "-t", "e2e", "-l", " seen from above at night"])
        let edited = try waitFor("new scores") { self.scoreLines($0) != scoresBefore && $0.contains("seen from") }
        XCTAssertNotEqual(scoreLines(edited), scoresBefore)
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        usleep(300_000)
        try tmux(["send-keys", "-t", "e2e", "e"])
        _ = try waitFor("the export prompt") { $0.contains("export to:") }
        try tmux(["send-keys", "-t", "e2e", "C-u"])
        try tmux(["send-keys", "-t", "e2e", "-l", "\(dir.path)/export.json"])
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        _ = try waitFor("the export") { $0.contains("exported to") }
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/stty.before", encoding: .utf8),
                       try String(contentsOfFile: "\(dir.path)/stty.after", encoding: .utf8), "terminal restored")
        let export = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("export.json"))) as? [String: Any])
        XCTAssertEqual(export["schema"] as? String, "clip-tui.prompt-set/2")
        let sets = try XCTUnwrap(export["template_sets"] as? [[String: Any]])
        XCTAssertEqual(Set(sets.compactMap { $0["role"] as? String }), ["A", "B"])
        XCTAssertTrue(sets.contains { ($0["templates"] as? [String])?.first == "a photo of a {}. seen from above at night" })
        let session = try String(contentsOfFile: "\(dir.path)/session.json", encoding: .utf8)
        XCTAssertTrue(session.contains("seen from above at night"), "autosaved")
    }

    /// The top-1 of A on the summary line ("A 66.7% [...").
    func summaryTop1A(_ screen: String) -> String? {
        guard let r = screen.range(of: #"A \d+\.\d%"#, options: .regularExpression) else { return nil }
        return String(screen[r].dropFirst(2).dropLast())
    }

    /// `eval`'s top-1 for a label file with these lines, as the summary prints it.
    func evalTop1(labels: [String], dir: URL) throws -> String {
        let file = dir.appendingPathComponent("labels-\(UUID()).txt")
        try (labels.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let eval = EngineCommandTests.eval
        let r = try runTool(["eval", "--model", CLIToolTests.model, "--images", "\(eval)/images", "--labels", file.path,
                             "--templates", "\(eval)/templates.txt", "--format", "json", "--no-cache"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let top1 = try XCTUnwrap((object["metrics"] as? [String: Any])?["top1"] as? Double)
        return String(format: "%.1f", 100 * top1)
    }

    /// Truth is a class name: deleting a label leaves its images unlabelled (the figures
    /// are `eval`'s on the edited file, and nothing crashes), adding it back elsewhere
    /// labels them again.
    func testTruthFollowsLabelDeletionAndInsertion() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", sessionCommand(dir)])
        let first = try waitFor("scores") { $0.contains("scored in") && self.summaryTop1A($0) != nil }
        let all = ["gradient", "noise | static | random pixels", "shapes"]
        XCTAssertEqual(summaryTop1A(first), try evalTop1(labels: all, dir: dir))
        // The Labels pane (key 2), delete "gradient".
        try tmux(["send-keys", "-t", "e2e", "2"])
        try tmux(["send-keys", "-t", "e2e", "d"])
        let deleted = try evalTop1(labels: Array(all.dropFirst()), dir: dir)
        let afterDelete = try waitFor("scores without gradient") { $0.contains("deleted line 1") && self.summaryTop1A($0) == deleted }
        XCTAssertTrue(afterDelete.contains("?gradient"), "gradient's images shown as unlabelled:\n\(afterDelete)")
        // Added back after "noise": its images are labelled again.
        try tmux(["send-keys", "-t", "e2e", "a"])
        try tmux(["send-keys", "-t", "e2e", "-l", "gradient"])
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        let inserted = try evalTop1(labels: [all[1], all[0], all[2]], dir: dir)
        let afterInsert = try waitFor("scores with gradient second") {
            !$0.contains("?gradient") && self.summaryTop1A($0) == inserted && $0.contains("scored in")
        }
        XCTAssertEqual(summaryTop1A(afterInsert), summaryTop1A(first), "the same classes in another order")
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8), "EXIT=0\n")
    }

    /// A multi-line bracketed paste (tmux wraps it in ESC[200~ … ESC[201~ once the session
    /// asks for that) adds lines as text: "d", "s" and "q" delete, swap and quit nothing.
    func testBracketedPasteIsText() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", sessionCommand(dir)])
        _ = try waitFor("scores") { $0.contains("scored in") }
        try tmux(["set-buffer", "-b", "clip", "x {} one\nd\ns\nq"])
        try tmux(["paste-buffer", "-p", "-b", "clip", "-t", "e2e"])
        let pasted = try waitFor("the pasted lines") { $0.contains("pasted 4 lines") }
        XCTAssertTrue(pasted.contains("x {} one"), pasted)
        XCTAssertFalse(pasted.contains("CLIP-TUI-EXITED"), "q in a paste does not quit")
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        let session = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("session.json"))) as? [String: Any])
        let a = try XCTUnwrap(session["templates_a"] as? [String])
        XCTAssertEqual(a, ["a photo of a {}.", "x {} one", "d", "s", "q", "a blurry photo of the {}.", "itap of a {}.",
                           "a {{curly}} drawing of {}."], "added after the cursor's line; A and B not swapped")
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/stty.before", encoding: .utf8),
                       try String(contentsOfFile: "\(dir.path)/stty.after", encoding: .utf8), "terminal restored")
    }

    /// A session started with a relative images folder opens again from another directory:
    /// the session file holds absolute paths.
    func testSessionOpensFromAnotherDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        let eval = URL(fileURLWithPath: EngineCommandTests.eval)
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        let common = "--session \(dir.path)/session.json --cache \(dir.path)/cache.sqlite"
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
                  "cd \(eval.path) && \(binary) session --model \(CLIToolTests.model) --images images \(common); echo CLIP-TUI-EXITED; sleep 60"])
        _ = try waitFor("scores") { $0.contains("scored in") && $0.contains("Images 12") }
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        _ = try tmux(["kill-server"])
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("session.json"))) as? [String: Any])
        XCTAssertEqual(saved["images"] as? String, eval.appendingPathComponent("images").path)
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
                  "cd / && \(binary) session \(common); echo CLIP-TUI-EXITED; sleep 60"])
        _ = try waitFor("the same images from /") { $0.contains("scored in") && $0.contains("Images 12") }
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
    }

    /// SIGTERM, and a crash on the encoder thread (fault injected with CLIP_TUI_FAULT): the
    /// terminal comes back either way (`stty -g` equal), and a crash is still a crash.
    func testTerminalIsRestoredAfterSignalAndCrash() throws {
        for fault in ["SIGTERM", "crash-encoder"] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-fault-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
            let env = fault == "crash-encoder" ? "CLIP_TUI_FAULT=crash-encoder" : ""
            try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", sessionCommand(dir, environment: env)])
            _ = try waitFor("scores") { $0.contains("scored in") }
            if fault == "SIGTERM" {
                let pids = try tmux(["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]).split(separator: "\n").compactMap { Int32($0) }
                // The pane runs sh; clip-tui is its child.
                for shell in pids { system("pkill -TERM -P \(shell) clip-tui") }
            } else {
                // A new prompt sends the encoder thread to work, where the fault waits.
                try tmux(["send-keys", "-t", "e2e", "Enter"])
                try tmux(["send-keys", "-t", "e2e", "-l", " crash-now"])
            }
            _ = try waitFor("exit after \(fault)") { $0.contains("CLIP-TUI-EXITED") }
            XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/stty.before", encoding: .utf8),
                           try String(contentsOfFile: "\(dir.path)/stty.after", encoding: .utf8), "terminal restored after \(fault)")
            let exit = try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8)
            if fault == "SIGTERM" {
                XCTAssertEqual(exit, "EXIT=0\n", "SIGTERM ends the session in order")
            } else {
                XCTAssertNotEqual(exit, "EXIT=0\n", "the injected crash must be a crash")
            }
            _ = try? tmux(["kill-server"])
        }
    }

    /// The rows of the Scores pane: the right-hand column of lines that hold a percentage.
    func scoreLines(_ screen: String) -> [String] {
        screen.split(separator: "\n").compactMap { line -> String? in
            let chars = Array(line)
            guard chars.count >= 120 else { return nil }
            let right = String(chars[84...])   // the Scores column at 120 columns
            return right.contains("%") && !right.contains("─") ? right : nil
        }
    }
}
