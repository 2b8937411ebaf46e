import Foundation
import XCTest

/// The session with many candidates, in a real terminal (tmux) at 80×24 and 160×48: five
/// template sets, two models, the leaderboard (`L`) with each candidate's top-1 `eval`'s,
/// choosing A and B, an edit in a third set, `O` adding a set and a model, and the session
/// file keeping all of it.
final class SessionLeaderboardTests: XCTestCase {
    let driver = Tmux(socket: "clip-tui-board-\(getpid())")
    static let eval = EngineCommandTests.eval
    static let siglip = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures/siglip-tiny/model").path
    static let openclip = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures/openclip-quickgelu/model").path

    @discardableResult
    func tmux(_ args: [String]) throws -> String { try driver.run(args) }
    func keys(_ keys: String...) throws { for k in keys { try tmux(["send-keys", "-t", "e2e", k]) } }
    func type(_ text: String) throws { try driver.type(text) }
    func waitFor(_ what: String, timeout: Double = 30, settled: Bool = false, _ condition: (String) -> Bool) throws -> String {
        try driver.waitFor(what, timeout: timeout, settled: settled, condition)
    }

    func start(_ dir: URL, width: Int, height: Int, _ arguments: [String]) throws {
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        let command =
            ([binary, "session", "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt"] + arguments + [
                "--session", "\(dir.path)/session.json", "--cache", "\(dir.path)/cache.sqlite"
            ]).map { "'\($0)'" }.joined(separator: " ") + "; echo \"EXIT=$?\" > \(dir.path)/exit; echo CLIP-TUI-EXITED; sleep 60"
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)", command])
    }

    func quit() throws {
        try keys("Escape", "q")
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        try tmux(["kill-server"])
    }

    /// The leaderboard's rows as drawn: mark (A, B or blank), rank, name, top-1 text.
    struct Row: Equatable { var mark: String, rank: Int, name: String, top1: String }
    func rows(_ screen: String) -> [Row] {
        let pattern = try! NSRegularExpression(pattern: #"│+ ([AB ]) +(\d+) (.+?) +(\d+\.\d)% \["#)
        return screen.split(separator: "\n").compactMap { line in
            let s = String(line)
            guard let m = pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
            func group(_ i: Int) -> String { String(s[Range(m.range(at: i), in: s)!]) }
            return Row(mark: group(1), rank: Int(group(2))!, name: group(3), top1: group(4))
        }
    }

    /// `eval`'s top-1 of a model and a set, as the leaderboard prints it.
    func evalTop1(model: String, templates: String, dir: URL) throws -> String {
        let r = try runTool([
            "eval", "--model", model, "--images", "\(Self.eval)/images", "--labels", "\(Self.eval)/labels.txt",
            "--templates", templates, "--format", "json", "--cache", "\(dir.path)/cache.sqlite"
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        return String(format: "%.1f", 100 * (try XCTUnwrap((object["metrics"] as? [String: Any])?["top1"] as? Double)))
    }

    func session(_ dir: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("session.json"))) as? [String: Any])
    }

    func testFiveSetsAt80x24() throws { try fiveSets(width: 80, height: 24) }
    func testFiveSetsAt160x48() throws { try fiveSets(width: 160, height: 48) }

    /// Five sets: five candidates ranked, each with `eval`'s top-1; set 3 made B and edited;
    /// the session file keeps the five sets and the pair, and opens again with them after
    /// the set files are gone.
    func fiveSets(width: Int, height: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        let files = try LeaderboardCommandTests.fiveSets(in: dir)
        try start(dir, width: width, height: height, ["--model", CLIToolTests.model] + files.flatMap { ["--templates", $0] })
        _ = try waitFor("scores") { $0.contains("scored in") }
        try keys("L")
        let board = try waitFor("the leaderboard", settled: true) { self.rows($0).count == 5 && $0.contains("best") }
        let ranked = rows(board)
        XCTAssertEqual(ranked.map(\.rank), [1, 2, 3, 4, 5])
        XCTAssertEqual(Set(ranked.map(\.name)), Set((1...5).map { "set\($0).txt" }), board)
        XCTAssertEqual(ranked.first { $0.mark == "A" }?.name, "set1.txt")
        XCTAssertEqual(ranked.first { $0.mark == "B" }?.name, "set2.txt")
        XCTAssertEqual(ranked.map(\.top1).map(Double.init).map { $0! }, ranked.map(\.top1).map(Double.init).map { $0! }.sorted(by: >), "best first")
        for row in ranked {
            let file = dir.appendingPathComponent(row.name).path
            XCTAssertEqual(row.top1, try evalTop1(model: CLIToolTests.model, templates: file, dir: dir), row.name)
        }
        XCTAssertTrue(board.contains("Holm"), "the screen names the correction:\n\(board)")
        // Set 3 becomes B.
        let at = try XCTUnwrap(ranked.firstIndex { $0.name == "set3.txt" })
        try keys("g")
        for _ in 0..<at { try keys("j") }
        try keys("b")
        let chosen = try waitFor("set 3 as B", settled: true) { self.rows($0).first { $0.mark == "B" }?.name == "set3.txt" }
        XCTAssertEqual(rows(chosen).first { $0.mark == "A" }?.name, "set1.txt")
        // Its one line edited in the Templates B pane: B's top-1 becomes eval's of the edited set.
        try keys("Escape", "4", "Enter", "End")
        try type(" art")
        try keys("Enter")
        let edited = dir.appendingPathComponent("set3-edited.txt")
        try "{} art\n".write(to: edited, atomically: true, encoding: .utf8)
        let expected = try evalTop1(model: CLIToolTests.model, templates: edited.path, dir: dir)
        _ = try waitFor("B scored after the edit") { $0.contains("{} art") && $0.contains("B \(expected)%") && $0.contains("scored in") }
        try keys("L")
        let after = try waitFor("the leaderboard after the edit", settled: true) { s in
            self.rows(s).first { $0.name == "set3.txt" }?.top1 == expected
        }
        XCTAssertEqual(rows(after).count, 5)
        try quit()
        let saved = try session(dir)
        let savedSets = try XCTUnwrap(saved["template_sets"] as? [[String: Any]])
        XCTAssertEqual(savedSets.compactMap { $0["name"] as? String }, (1...5).map { "set\($0).txt" })
        XCTAssertEqual(savedSets[2]["lines"] as? [String], ["{} art"])
        XCTAssertEqual(saved["pair"] as? [Int], [0, 2])
        // The set files go; the session opens with its five sets and its pair.
        for f in files { try FileManager.default.removeItem(atPath: f) }
        try start(dir, width: width, height: height, [])
        _ = try waitFor("scores again") { $0.contains("scored in") }
        try keys("L")
        let reopened = try waitFor("the leaderboard again", settled: true) { self.rows($0).count == 5 && $0.contains("best") }
        XCTAssertEqual(rows(reopened).first { $0.mark == "B" }?.name, "set3.txt", reopened)
        XCTAssertEqual(rows(reopened).first { $0.name == "set3.txt" }?.top1, expected)
        try quit()
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8), "EXIT=0\n")
    }

    func testTwoModelsAt80x24() throws { try twoModels(width: 80, height: 24) }
    func testTwoModelsAt160x48() throws { try twoModels(width: 160, height: 48) }

    /// A CLIP and a SigLIP model on two sets: four candidates, each with that model's
    /// `eval` top-1; a SigLIP candidate made B labels the scores with its rule; `O` refuses a
    /// model folder that does not load (named), adds a set and a third model; the session
    /// file keeps the models.
    func twoModels(width: Int, height: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        let singular = CLIToolTests.root.appendingPathComponent("Prompts/demo-templates-singular.txt").path
        let sets = ["\(Self.eval)/templates.txt", singular]
        try start(
            dir, width: width, height: height,
            ["--model", CLIToolTests.model, "--model", Self.siglip, "--templates", sets[0], "--templates", sets[1]])
        _ = try waitFor("scores") { $0.contains("scored in") }
        try keys("L")
        let board = try waitFor("the leaderboard", settled: true) { self.rows($0).count == 4 && $0.contains("best") }
        for row in rows(board) {
            let model = row.name.hasPrefix("sigli") ? Self.siglip : CLIToolTests.model
            // At 80 columns names are cut ("clip-… · …ates-singular.txt"): matched by what shows.
            let set = row.name.contains("singular") ? sets[1] : sets[0]
            XCTAssertEqual(row.top1, try evalTop1(model: model, templates: set, dir: dir), "\(row.name)\n\(board)")
        }
        // The SigLIP candidate of the first set becomes B.
        let at = try XCTUnwrap(rows(board).firstIndex { $0.name.hasPrefix("sigli") && $0.name.hasSuffix("· templates.txt") }, board)
        try keys("g")
        for _ in 0..<at { try keys("j") }
        try keys("b", "Escape")
        let main = try waitFor("B on SigLIP", settled: true) { $0.contains("B (sig") && $0.contains("scored in") }
        if width >= 160 {
            XCTAssertTrue(main.contains("sigmoid"), "the Scores pane names B's rule:\n\(main)")
        }
        // O on the leaderboard: a folder that is no model, then a set, then a third model.
        let broken = dir.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try keys("L", "O")
        _ = try waitFor("the add prompt") { $0.contains("add a template set") }
        try type(broken.path)
        try keys("Enter")
        _ = try waitFor("the broken model named") { $0.contains("broken") && $0.contains("config.json") }
        try keys("O")
        try type(CLIToolTests.root.appendingPathComponent("Prompts/demo-templates-plain.txt").path)
        try keys("Enter")
        _ = try waitFor("six candidates") { self.rows($0).count == 6 }
        try keys("O")
        try type(Self.openclip)
        try keys("Enter")
        _ = try waitFor("nine candidates", timeout: 60) { self.rows($0).count == 9 && $0.contains("best") }
        try quit()
        let saved = try session(dir)
        XCTAssertEqual(saved["other_models"] as? [String], [Self.siglip, Self.openclip])
        XCTAssertEqual((saved["template_sets"] as? [Any])?.count, 3)
        XCTAssertEqual(saved["pair"] as? [Int], [0, 3], "A: clip-tiny · set 1, B: siglip · set 1 (of 2 sets then, index 3 of 3 sets now)")
    }
}
