import Foundation
import XCTest

/// The session's views through the real binary in tmux, at the three recorded sizes: the
/// per-class view and its filter, the image search, Esc putting a line back, opening a
/// labels file from inside with Tab completion, the focusable Scores pane, and Esc twice
/// back to the main screen from anywhere.
extension SessionEndToEndTests {
    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", "e2e"] + keys) }
    func type(_ text: String) throws { try tmux(["send-keys", "-t", "e2e", "-l", text]) }

    func testViewsAtEverySize() throws {
        for (width, height) in [(80, 24), (120, 40), (160, 48)] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-views-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
            let size = "\(width)×\(height)"
            try tmux(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)", sessionCommand(dir)])
            let main = try waitFor("scores at \(size)") { $0.contains("▸") && $0.contains("%") && $0.contains("A:") }
            // Class names whole in the Scores pane; every prediction shown is whole (at 80
            // columns a row keeps only the wrong ones, after the truth).
            XCTAssertTrue(main.contains("gradient") && main.contains("shapes"), "\(size):\n\(main)")
            let paneWidth = width * (width < 110 ? 30 : 34) / 100
            let imageRows = main.split(separator: "\n").map { String($0.prefix(paneWidth)) }.filter { $0.contains("A:") || $0.contains("B:") }
            XCTAssertFalse(imageRows.isEmpty, "\(size):\n\(main)")
            for row in imageRows {
                for part in row.components(separatedBy: ":").dropFirst() {
                    let shown = part.replacingOccurrences(of: "│", with: "").split(separator: " ").first.map(String.init) ?? ""
                    XCTAssertTrue(["gradient", "noise", "shapes"].contains(shown), "\(size): a prediction cut in '\(row)'")
                }
            }

            // The per-class view, Enter filters the images to a class, Esc Esc back.
            try send("c")
            _ = try waitFor("the per-class view at \(size)") { $0.contains("Classes: recall under A and B") && $0.contains("noise") }
            try send("Enter")
            // One class's images: 3, 4 or 5 of the 12.
            _ = try waitFor("the class filter at \(size)") { !$0.contains("Classes: recall") && $0.range(of: #"Images [345] "#, options: .regularExpression) != nil }

            // The image search ranks by a text.
            try send("/")
            _ = try waitFor("the search prompt at \(size)") { $0.contains("search images:") }
            try send("C-u")
            try type("random noise")
            try send("Enter")
            // Each row starts with its cosine to the text.
            _ = try waitFor("the search at \(size)") { $0.range(of: #"[✓✗·]{2} +-?0\.\d\d "#, options: .regularExpression) != nil }
            try send("/")
            try send("C-u")
            try send("Enter")
            _ = try waitFor("the search cleared at \(size)") { $0.contains("search cleared") }

            // Esc puts an edited line back as it was; nothing of the edit is saved.
            try send("3")
            try send("Enter")
            try type(" ZQXJ")
            _ = try waitFor("the edit at \(size)") { $0.contains("ZQXJ") }
            try send("Escape")
            _ = try waitFor("the line put back at \(size)") { !$0.contains("ZQXJ") }

            // The Scores pane takes the focus and scrolls; Esc Esc from there is harmless.
            try send("5")
            try send("j")
            try send("Escape")
            try send("Escape")

            // Open a labels file from inside, with Tab completion; u undoes it.
            // A short path, so that the prompt line holds it at 80 columns.
            let short = URL(fileURLWithPath: "/tmp/ctv\(getpid())-\(width)")
            try FileManager.default.createDirectory(at: short, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: short) }
            try "noise\nshapes\n".write(to: short.appendingPathComponent("two-labels.txt"), atomically: true, encoding: .utf8)
            try send("2")
            try send("O")
            _ = try waitFor("the open prompt at \(size)") { $0.contains("open labels:") }
            try send("C-u")
            try type(short.path + "/two-l")
            // A key within 3 ms of the last is taken as pasted text (the burst rule): a person's
            // Tab comes later than that.
            usleep(150_000)
            try send("Tab")
            _ = try waitFor("the completed path at \(size)") { $0.contains("two-labels.txt") }
            try send("Enter")
            _ = try waitFor("the opened labels at \(size)") { $0.contains("2 classes (u undoes)") }
            try send("u")
            _ = try waitFor("undone at \(size)") { $0.contains("undone") }

            try send("q")
            _ = try waitFor("exit at \(size)") { $0.contains("CLIP-TUI-EXITED") }
            XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8), "EXIT=0\n")
            let saved = try String(contentsOfFile: "\(dir.path)/session.json", encoding: .utf8)
            XCTAssertFalse(saved.contains("ZQXJ"), "Esc left nothing of the edit")
            XCTAssertTrue(saved.contains("gradient"), "the undo of the opened labels is saved")
            _ = try? tmux(["kill-server"])
        }
    }

    /// COLORTERM=truecolor gets the preview in direct colour (the terminal's `-direct`
    /// terminfo entry, from ncurses-term); without it, the 256-colour cube.
    func testDirectColourWhenTheTerminalAnnouncesIt() throws {
        for announced in [true, false] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-colour-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
            try tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
                      sessionCommand(dir, environment: announced ? "COLORTERM=truecolor" : "COLORTERM=")])
            _ = try waitFor("scores") { $0.contains("scored in") && $0.contains("▸") }
            usleep(300_000)  // the preview is made on its own queue
            let coloured = try tmux(["capture-pane", "-e", "-p", "-t", "e2e"])
            if announced {
                XCTAssertTrue(coloured.contains("38;2;") || coloured.contains("48;2;"), "direct colour expected:\n\(coloured.prefix(2000))")
            } else {
                XCTAssertFalse(coloured.contains("38;2;") || coloured.contains("48;2;"), "no direct colour without COLORTERM")
                XCTAssertTrue(coloured.contains("38;5;") || coloured.contains("48;5;"), "the 256-colour cube")
            }
            try send("q")
            _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
            _ = try? tmux(["kill-server"])
        }
    }
}
