import Foundation
import XCTest

/// The real binary in a real terminal (tmux): open a session, edit a template, watch a
/// probability change, export, quit, and find the terminal as it was.
final class SessionEndToEndTests: XCTestCase {
    let driver = Tmux(socket: "clip-tui-test-\(getpid())")

    @discardableResult
    func tmux(_ args: [String]) throws -> String { try driver.run(args) }

    func screen() throws -> String { try driver.screen() }

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
            "echo \"EXIT=$?\" > \(dir.path)/exit; stty -g > \(dir.path)/stty.after; echo CLIP-TUI-EXITED; sleep 60"
        ].joined(separator: " ")
    }

    func waitFor(_ what: String, timeout: Double = 20, settled: Bool = false, _ condition: (String) -> Bool) throws -> String {
        try driver.waitFor(what, timeout: timeout, settled: settled, condition)
    }

    func testEditExportQuit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", sessionCommand(dir)])
        // Scores appear once the 12 images are encoded; the Scores pane shows percentages.
        let first = try waitFor("scores", settled: true) { $0.contains("scored in") && $0.contains("%") && $0.contains("▸") }
        let scoresBefore = scoreLines(first)
        XCTAssertFalse(scoresBefore.isEmpty, first)
        // Edit the first template of A: the probabilities must move.
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        try driver.type(" seen from above at night")
        let edited = try waitFor("new scores", settled: true) { self.scoreLines($0) != scoresBefore && $0.contains("seen from") }
        XCTAssertNotEqual(scoreLines(edited), scoresBefore)
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        usleep(300_000)
        try tmux(["send-keys", "-t", "e2e", "e"])
        _ = try waitFor("the export prompt") { $0.contains("export to:") }
        try tmux(["send-keys", "-t", "e2e", "C-u"])
        try driver.type("\(dir.path)/export.json")
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        _ = try waitFor("the export") { $0.contains("exported to") }
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        XCTAssertEqual(
            try String(contentsOfFile: "\(dir.path)/stty.before", encoding: .utf8),
            try String(contentsOfFile: "\(dir.path)/stty.after", encoding: .utf8), "terminal restored")
        let export = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("export.json"))) as? [String: Any])
        XCTAssertEqual(export["schema"] as? String, "clip-tui.prompt-set/3")
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
        let r = try runTool([
            "eval", "--model", CLIToolTests.model, "--images", "\(eval)/images", "--labels", file.path,
            "--templates", "\(eval)/templates.txt", "--format", "json", "--no-cache"
        ])
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
        let first = try waitFor("scores", settled: true) { $0.contains("scored in") && self.summaryTop1A($0) != nil }
        let all = ["gradient", "noise | static | random pixels", "shapes"]
        XCTAssertEqual(summaryTop1A(first), try evalTop1(labels: all, dir: dir))
        // The Labels pane (key 2), delete "gradient".
        try tmux(["send-keys", "-t", "e2e", "2"])
        try tmux(["send-keys", "-t", "e2e", "d"])
        let deleted = try evalTop1(labels: Array(all.dropFirst()), dir: dir)
        let afterDelete = try waitFor("scores without gradient", settled: true) { $0.contains("deleted line 1") && self.summaryTop1A($0) == deleted }
        XCTAssertTrue(afterDelete.contains("?gradient"), "gradient's images shown as unlabelled:\n\(afterDelete)")
        // Added back after "noise": its images are labelled again.
        try tmux(["send-keys", "-t", "e2e", "a"])
        try driver.type("gradient")
        try tmux(["send-keys", "-t", "e2e", "Enter"])
        let inserted = try evalTop1(labels: [all[1], all[0], all[2]], dir: dir)
        let afterInsert = try waitFor("scores with gradient second", settled: true) {
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
        let pasted = try waitFor("the pasted lines", settled: true) { $0.contains("pasted 4 lines") }
        XCTAssertTrue(pasted.contains("x {} one"), pasted)
        XCTAssertFalse(pasted.contains("CLIP-TUI-EXITED"), "q in a paste does not quit")
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        let session = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("session.json"))) as? [String: Any])
        let a = try XCTUnwrap((session["template_sets"] as? [[String: Any]])?.first?["lines"] as? [String])
        XCTAssertEqual(
            a,
            [
                "a photo of a {}.", "x {} one", "d", "s", "q", "a blurry photo of the {}.", "itap of a {}.",
                "a {{curly}} drawing of {}."
            ], "added after the cursor's line; A and B not swapped")
        XCTAssertEqual(
            try String(contentsOfFile: "\(dir.path)/stty.before", encoding: .utf8),
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
        try tmux([
            "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
            "cd \(eval.path) && \(binary) session --model \(CLIToolTests.model) --images images \(common); echo CLIP-TUI-EXITED; sleep 60"
        ])
        _ = try waitFor("scores") { $0.contains("scored in") && $0.contains("Images 12") }
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        _ = try tmux(["kill-server"])
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("session.json"))) as? [String: Any])
        XCTAssertEqual(saved["images"] as? String, eval.appendingPathComponent("images").path)
        try tmux([
            "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
            "cd / && \(binary) session \(common); echo CLIP-TUI-EXITED; sleep 60"
        ])
        _ = try waitFor("the same images from /") { $0.contains("scored in") && $0.contains("Images 12") }
        try tmux(["send-keys", "-t", "e2e", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
    }

    /// A SigLIP checkpoint in the session: it opens, scores with its sigmoid and says so,
    /// and a typed template is scored too.
    func testSigLIPSession() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        let eval = EngineCommandTests.eval
        let model = CLIToolTests.root.appendingPathComponent("Tests/CLIPTests/Fixtures/siglip-tiny/model").path
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        try tmux([
            "new-session", "-d", "-s", "e2e", "-x", "140", "-y", "36",
            "\(binary) session --model \(model) --images \(eval)/images --labels \(eval)/labels.txt --templates \(eval)/templates.txt "
                + "--session \(dir.path)/session.json --cache \(dir.path)/cache.sqlite; echo CLIP-TUI-EXITED; sleep 60"
        ])
        _ = try waitFor("SigLIP scores") { $0.contains("scored in") && $0.contains("sigmoid(10·cos") }
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
                try driver.type(" crash-now")
            }
            _ = try waitFor("exit after \(fault)") { $0.contains("CLIP-TUI-EXITED") }
            XCTAssertEqual(
                try String(contentsOfFile: "\(dir.path)/stty.before", encoding: .utf8),
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
            let right = String(chars[84...])  // the Scores column at 120 columns
            return right.contains("%") && !right.contains("─") ? right : nil
        }
    }
}
