import Foundation
import XCTest

/// `compare` with any number of candidates: every (model, set) pair, model-major, each
/// candidate's top-1 what `eval` gives that model and set alone.
final class LeaderboardCommandTests: XCTestCase {
    static let eval = EngineCommandTests.eval
    static let fixtures = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures").path

    func json(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func evalTop1(model: String, templates: String, cache: String) throws -> Double {
        let r = try runTool([
            "eval", "--model", model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--templates", templates, "--cache", cache, "--format", "json"
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap((try json(r.stdout)["metrics"] as? [String: Any])?["top1"] as? Double)
    }

    func compare(_ arguments: [String], cache: String) throws -> [String: Any] {
        let r = try runTool(
            ["compare", "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt", "--cache", cache, "--format", "json"]
                + arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertValid(r.stdout, schema: "compare", "compare \(arguments)")
        return try json(r.stdout)
    }

    /// Five small template sets, written as `set1.txt` … `set5.txt` in `dir` (their paths, in order).
    static func fiveSets(in dir: URL) throws -> [String] {
        let sets = [
            ["a photo of a {}."], ["a blurry photo of the {}.", "itap of a {}."], ["{}"], ["a {{curly}} drawing of {}.", "a photo of a {}."],
            ["itap of a {}.", "{} everywhere", "a close-up of the {}."]
        ]
        return try sets.enumerated().map { i, lines in
            let file = dir.appendingPathComponent("set\(i + 1).txt").path
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
    }

    func testFiveTemplateSetsAreFiveCandidatesInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache.sqlite").path
        let files = try LeaderboardCommandTests.fiveSets(in: dir)
        let object = try compare(["--model", CLIToolTests.model] + files.flatMap { ["--templates", $0] }, cache: cache)
        let candidates = try XCTUnwrap(object["candidates"] as? [[String: Any]])
        XCTAssertEqual(candidates.count, 5)
        XCTAssertEqual(candidates.compactMap { ($0["set"] as? [String: Any])?["file"] as? String }, files, "in the order given")
        for (file, candidate) in zip(files, candidates) {
            let top1 = try XCTUnwrap((candidate["metrics"] as? [String: Any])?["top1"] as? Double)
            XCTAssertEqual(top1, try evalTop1(model: CLIToolTests.model, templates: file, cache: cache), accuracy: 1e-12, file)
        }
        // The leaderboard: every candidate once, best first, the best without a comparison.
        let board = try XCTUnwrap(object["leaderboard"] as? [[String: Any]])
        XCTAssertEqual(Set(board.compactMap { $0["id"] as? String }), Set(candidates.compactMap { $0["id"] as? String }))
        let top1s = board.compactMap { $0["top1"] as? Double }
        XCTAssertEqual(top1s, top1s.sorted(by: >))
        XCTAssertTrue(board[0]["versus_best"] is NSNull)
        XCTAssertTrue(board.dropFirst().allSatisfy { $0["versus_best"] is [String: Any] })
        XCTAssertEqual(object["correction"] as? String, "holm")
        XCTAssertNil(object["comparison"], "A/B fields only with two candidates")
    }

    /// Two models on one set (two CLIP checkpoints; a CLIP beside a SigLIP), each with
    /// its own `eval` top-1 and its own rule.
    func testModelsAreCandidatesEachWithItsOwnEvalTop1() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache.sqlite").path
        let templates = "\(Self.eval)/templates.txt"
        for second in ["\(Self.fixtures)/openclip-quickgelu/model", "\(Self.fixtures)/siglip-tiny/model"] {
            let models = [CLIToolTests.model, second]
            let object = try compare(models.flatMap { ["--model", $0] } + ["--templates", templates], cache: cache)
            let candidates = try XCTUnwrap(object["candidates"] as? [[String: Any]])
            XCTAssertEqual(candidates.compactMap { $0["model"] as? String }, models)
            for (model, candidate) in zip(models, candidates) {
                let top1 = try XCTUnwrap((candidate["metrics"] as? [String: Any])?["top1"] as? Double)
                XCTAssertEqual(top1, try evalTop1(model: model, templates: templates, cache: cache), accuracy: 1e-12, model)
            }
            let rules = candidates.compactMap { $0["score_rule"] as? String }
            XCTAssertTrue(rules[0].hasPrefix("softmax"))
            XCTAssertTrue(rules[1].hasPrefix(second.contains("siglip") ? "sigmoid" : "softmax"), rules[1])
            // Two candidates: today's A/B fields are there for CI scripts.
            XCTAssertNotNil(object["comparison"] as? [String: Any])
            XCTAssertNotNil(object["b_significantly_worse"] as? Bool)
        }
        // Models × sets, model-major.
        let object = try compare(
            [
                "--model", CLIToolTests.model, "--model", "\(Self.fixtures)/siglip-tiny/model", "--templates", templates,
                "--templates", "\(CLIToolTests.root.path)/Prompts/demo-templates-singular.txt"
            ], cache: cache)
        let ids = try XCTUnwrap(object["candidates"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.count, 4)
        XCTAssertTrue(ids[0].hasPrefix("clip-tiny") && ids[1].hasPrefix("clip-tiny") && ids[2].hasPrefix("siglip-tiny"), "\(ids)")
    }

    func testOneCandidateIsRefusedAndASecondModelElsewhereToo() throws {
        let one = try runTool([
            "compare", "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt",
            "--no-cache"
        ])
        XCTAssertNotEqual(one.status, 0)
        XCTAssertTrue(one.stderr.contains("two candidates"), one.stderr)
        let eval = try runTool([
            "eval", "--model", CLIToolTests.model, "--model", CLIToolTests.model, "--images", "\(Self.eval)/images",
            "--labels", "\(Self.eval)/labels.txt", "--templates", "\(Self.eval)/templates.txt", "--no-cache"
        ])
        XCTAssertNotEqual(eval.status, 0)
        XCTAssertTrue(eval.stderr.contains("only compare, export and session take several models"), eval.stderr)
    }

    /// `export` writes any candidate or all of them (schema 3): each entry with its own
    /// model when there are two, its top-1 `eval`'s for that model and set, and its
    /// difference to the best written candidate; an unknown `--candidate` lists them.
    func testExportWritesChosenCandidatesOfTwoModels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache.sqlite").path
        let siglip = "\(Self.fixtures)/siglip-tiny/model"
        let sets = ["\(Self.eval)/templates.txt", "\(CLIToolTests.root.path)/Prompts/demo-templates-singular.txt"]
        let base =
            [
                "export", "--model", CLIToolTests.model, "--model", siglip, "--images", "\(Self.eval)/images", "--labels",
                "\(Self.eval)/labels.txt", "--cache", cache
            ] + sets.flatMap { ["--templates", $0] }
        // Candidates 2 (clip-tiny · singular) and 3 (siglip-tiny · templates), by number and by name.
        let out = dir.appendingPathComponent("two.json").path
        let r = try runTool(base + ["--candidate", "2", "--candidate", "siglip-tiny/model · templates", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        try assertValid(data, schema: "prompt-set", "export of two candidates")
        let object = try json(data)
        XCTAssertEqual(object["schema"] as? String, "clip-tui.prompt-set/3")
        XCTAssertEqual(object["correction"] as? String, "holm")
        let entries = try XCTUnwrap(object["template_sets"] as? [[String: Any]])
        XCTAssertEqual(Set(entries.compactMap { $0["candidate"] as? String }), ["clip-tiny/model · demo-templates-singular", "siglip-tiny/model · templates"])
        for entry in entries {
            let model = try XCTUnwrap((entry["model"] as? [String: Any])?["name"] as? String)
            let file = (entry["candidate"] as? String)!.hasSuffix("singular") ? sets[1] : sets[0]
            let top1 = try XCTUnwrap((entry["metrics"] as? [String: Any])?["top1"] as? Double)
            XCTAssertEqual(top1, try evalTop1(model: model, templates: file, cache: cache), accuracy: 1e-12, "\(model) \(file)")
            XCTAssertEqual(
                ((entry["model"] as? [String: Any])?["score_rule"] as? String)?.hasPrefix("sigmoid"), model.contains("siglip"))
        }
        XCTAssertNil(entries[0]["versus_best"], "the best has no difference to itself")
        XCTAssertNotNil(entries[1]["versus_best"] as? [String: Any])
        // Read back by role, as any export: the written file feeds eval.
        let back = try runTool([
            "eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--templates", out + "#" + ((entries[0]["name"] as? String) ?? ""), "--cache", cache
        ])
        XCTAssertEqual(back.status, 0, back.stderr)
        // All four without --candidate.
        let all = dir.appendingPathComponent("all.json").path
        XCTAssertEqual(try runTool(base + ["--out", all]).status, 0)
        XCTAssertEqual((try json(Data(contentsOf: URL(fileURLWithPath: all)))["template_sets"] as? [Any])?.count, 4)
        // A candidate that is not there: the list of those that are.
        let bad = try runTool(base + ["--candidate", "9", "--out", all])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("there are 4 candidates"), bad.stderr)
        let unknown = try runTool(base + ["--candidate", "nope", "--out", all])
        XCTAssertTrue(unknown.stderr.contains("no such candidate") && unknown.stderr.contains("4: siglip-tiny/model · demo-templates-singular"), unknown.stderr)
    }

    /// An export written before candidates (schema 2) still reads: its sets by role.
    func testAVersion2ExportStillReads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("old.json")
        try Data(
            #"""
            {"schema": "clip-tui.prompt-set/2", "created": "2026-11-29T05:40:00Z",
             "model": {"name": "m", "fingerprint": "f", "score_rule": "softmax(100·cos) over classes", "temperature": 1},
             "labels": {"name": "l", "classes": [{"name": "gradient", "synonyms": [], "sentences": []}, {"name": "noise", "synonyms": [], "sentences": []}, {"name": "shapes", "synonyms": [], "sentences": []}]},
             "template_sets": [{"name": "best", "role": "B", "templates": ["a photo of a {}."]}, {"name": "other", "role": "A", "templates": ["{}"]}]}
            """#.utf8
        ).write(to: old)
        let r = try runTool([
            "eval", "--model", CLIToolTests.model, "--images", "\(Self.eval)/images", "--labels", old.path,
            "--templates", old.path + "#B", "--no-cache", "--format", "json"
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual((try json(r.stdout)["templates"] as? [String]) ?? [], ["a photo of a {}."])
    }

    /// Bad input, named: a model folder that does not load, and labels a model's tokenizer
    /// cannot spell (SigLIP's `<unk>`), said with the model and the names.
    func testAModelThatDoesNotLoadAndLabelsATokenizerCannotRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: broken.appendingPathComponent("config.json"))
        let common = ["--images", "\(Self.eval)/images", "--templates", "\(Self.eval)/templates.txt", "--no-cache"]
        let r = try runTool(["compare", "--model", CLIToolTests.model, "--model", broken.path, "--labels", "\(Self.eval)/labels.txt"] + common)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains(broken.path) && r.stderr.contains("config.json"), r.stderr)
        let labels = dir.appendingPathComponent("labels.txt")
        try Data("gradient\nnoise | 猫\nshapes\n".utf8).write(to: labels)
        let siglip = "\(Self.fixtures)/siglip-tiny/model"
        let u = try runTool(["compare", "--model", CLIToolTests.model, "--model", siglip, "--labels", labels.path] + common)
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertTrue(u.stderr.contains("\(siglip): its tokenizer cannot spell 1 label name") && u.stderr.contains("'猫' (1 unknown)"), u.stderr)
        XCTAssertFalse(u.stderr.contains("\(CLIToolTests.model): its tokenizer"), "CLIP's BPE spells anything")
    }
}
