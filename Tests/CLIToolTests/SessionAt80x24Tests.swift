import Foundation
import XCTest

/// The session at the sizes people use, through the real binary in tmux (issue 24): what
/// must stay whole at 80×24, 120×40 and 160×48, and the keys a daily user needs at 80×24
/// (the preview hidden and shown, a pane zoomed, an export at the path typed, a cancelled
/// edit that leaves nothing to undo, a new line without figures, forward selection with its
/// held-out figure, the message log).
final class SessionAt80x24Tests: XCTestCase {
    let driver = Tmux(socket: "clip-tui-80x24-\(getpid())")
    static let longTemplate = "a low resolution photo of the {}."  // 33 characters
    static let longClass = "random noise texture"  // 20 characters

    func keys(_ k: String...) throws { try driver.run(["send-keys", "-t", "e2e"] + k) }
    func waitFor(_ what: String, timeout: Double = 30, settled: Bool = false, _ condition: (String) -> Bool) throws -> String {
        try driver.waitFor(what, timeout: timeout, settled: settled, condition)
    }

    /// A session on the eval fixture whose noise folder is named with a 20-character class,
    /// A holding a 33-character template, at T 1.25.
    func start(_ dir: URL, width: Int, height: Int) throws {
        let eval = EngineCommandTests.eval
        try "gradient\n\(Self.longClass)\nshapes\n".write(to: dir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        try "noise \(Self.longClass)\n".write(to: dir.appendingPathComponent("folders.txt"), atomically: true, encoding: .utf8)
        try "\(Self.longTemplate)\na photo of a {}.\nitap of a {}.\n".write(
            to: dir.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        let command =
            [
                binary, "session", "--model", CLIToolTests.model, "--images", "\(eval)/images", "--labels", "\(dir.path)/labels.txt",
                "--folder-names", "\(dir.path)/folders.txt", "--templates", "\(dir.path)/a.txt", "--temperature", "1.25",
                "--session", "\(dir.path)/session.json", "--cache", "\(dir.path)/cache.sqlite"
            ].map { "'\($0)'" }.joined(separator: " ") + "; echo \"EXIT=$?\" > \(dir.path)/exit; echo CLIP-TUI-EXITED; sleep 60"
        try driver.run(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)", command])
    }

    func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-80x24-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func testWhatStaysWholeAtEverySize() throws {
        for (width, height) in [(80, 24), (120, 40), (160, 48)] {
            let dir = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: dir); _ = try? driver.run(["kill-server"]) }
            let size = "\(width)×\(height)"
            try start(dir, width: width, height: height)
            // The full statistics stage: NLL and ECE are in the titles from then on.
            let screen = try waitFor("scores at \(size)", settled: true) { $0.contains("scored in") && $0.contains("ECE") }
            let lines = screen.split(separator: "\n").map(String.init)
            let summary = lines[lines.count - 2]
            XCTAssertTrue(summary.contains("T 1.25") && summary.contains("scored in"), "\(size): the summary's T and state:\n\(summary)")
            XCTAssertTrue(screen.contains(Self.longTemplate), "\(size): the 33-character template whole:\n\(screen)")
            XCTAssertTrue(screen.contains("▸" + Self.longClass) || screen.contains(" " + Self.longClass + " "), "\(size): the class name whole:\n\(screen)")
            // Every image row names its true class (whole where the pane holds it).
            let rows = lines.filter { $0.range(of: #"^│[✓✗·]{2} "#, options: .regularExpression) != nil }
            XCTAssertFalse(rows.isEmpty, screen)
            for row in rows {
                XCTAssertTrue(["gradient", "random noise", "shapes"].contains { row.contains($0) }, "\(size): a row without its truth: \(row)")
            }
            if width >= 120 {
                let titles = lines.filter { $0.contains("top-1") }
                XCTAssertEqual(titles.filter { $0.contains("NLL") && $0.contains("ECE") }.count, 2, "\(size): NLL and ECE in both titles:\n\(screen)")
            }
            try keys("q")
            _ = try waitFor("exit at \(size)") { $0.contains("CLIP-TUI-EXITED") }
        }
    }

    func testDailyKeysAt80x24() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir); _ = try? driver.run(["kill-server"]) }
        try start(dir, width: 80, height: 24)
        _ = try waitFor("scores") { $0.contains("scored in") && $0.contains("ECE") }

        // The undo case: Enter, End, " wow", a bracketed paste, Esc: nothing left to undo.
        try keys("3", "Enter", "End")
        try driver.type(" wow")
        try driver.run(["set-buffer", "abc"])
        try driver.run(["paste-buffer", "-p", "-t", "e2e"])
        _ = try waitFor("the pasted text") { $0.contains("wowabc") }
        try keys("Escape")
        _ = try waitFor("the edit undone") { $0.contains("edit undone") && !$0.contains("wow") }
        try keys("u")
        _ = try waitFor("nothing to undo") { $0.contains("nothing to undo") }

        // A new empty line shows no other template's figures; u takes it away, naming it.
        try keys("o")
        usleep(200_000)
        try keys("Escape")
        let empty = try waitFor("the empty line", settled: true) { $0.contains("(empty)") }
        let row = try XCTUnwrap(empty.split(separator: "\n").first { $0.contains("(empty)") })
        XCTAssertFalse(row.contains("%"), "no figures on a new empty line: \(row)")
        try keys("u")
        _ = try waitFor("the new line undone") { $0.contains("undid: new template 2 in A") && !$0.contains("(empty)") }

        // The preview: hidden at 80 columns until v, hidden again by v (kept in the file).
        XCTAssertFalse(try driver.screen().contains("▀"), "no preview by default at 80 columns")
        try keys("v")
        _ = try waitFor("the preview") { $0.contains("▀") }
        try keys("v")
        _ = try waitFor("the preview hidden") { !$0.contains("▀") && $0.contains(Self.longTemplate) }

        // Zoom: Templates A over the whole body; Esc back.
        try keys("z")
        let zoomed = try waitFor("the zoomed pane", settled: true) { !$0.contains("Images") && $0.contains(Self.longTemplate) }
        let top = try XCTUnwrap(zoomed.split(separator: "\n").dropFirst().first)
        XCTAssertTrue(top.hasPrefix("┌─ A") || top.hasPrefix("┌─ Templates A"), "the pane from the first column:\n\(zoomed)")
        XCTAssertTrue(top.hasSuffix("┐") && top.count == 80, zoomed)
        try keys("Escape")
        _ = try waitFor("back from zoom") { $0.contains("Images") }

        // e, then a path typed over the suggestion: written at exactly that path.
        let typed = dir.appendingPathComponent("typed.json").path
        try keys("e")
        _ = try waitFor("the export prompt") { $0.contains("export to:") }
        try driver.type(typed)
        try keys("Enter")
        _ = try waitFor("the export") { $0.contains("exported to") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: typed), "written at the typed path")
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSHomeDirectory() + "/clip-tui-export.json" + typed))

        // F: forward selection, judged on held-out folds, its figure in the message log.
        try keys("F")
        _ = try waitFor("the selection", timeout: 60) { $0.contains("forward selection put") }
        try keys("m")
        let log = try waitFor("the message log", settled: true) { $0.contains("Messages, newest last") }
        let text = log.replacingOccurrences(of: "│", with: "").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        XCTAssertTrue(text.contains("held-out top-1"), log)
        XCTAssertTrue(text.contains("-fold"), log)
        XCTAssertTrue(text.contains("edit undone") && text.contains("exported to"), "earlier messages kept:\n\(log)")
        try keys("Escape", "q")
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8), "EXIT=0\n")
        let saved = try String(contentsOfFile: "\(dir.path)/session.json", encoding: .utf8)
        XCTAssertTrue(saved.contains(#""preview" : "hidden""#), saved)
        try assertValid(Data(saved.utf8), schema: "session", "the session file with the preview's choice")
    }
}
