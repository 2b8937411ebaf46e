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

    func testFiveTemplateSetsAreFiveCandidatesInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leaderboard-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache.sqlite").path
        let sets = [
            ["a photo of a {}."], ["a blurry photo of the {}.", "itap of a {}."], ["{}"], ["a {{curly}} drawing of {}.", "a photo of a {}."],
            ["itap of a {}.", "{} everywhere", "a close-up of the {}."]
        ]
        var files: [String] = []
        for (i, lines) in sets.enumerated() {
            let file = dir.appendingPathComponent("set\(i + 1).txt").path
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
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
        XCTAssertTrue(eval.stderr.contains("only compare takes several models"), eval.stderr)
    }
}
