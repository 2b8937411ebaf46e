import Foundation
import TerminalUI
import XCTest

/// The session's views through the real binary in tmux, at the three recorded sizes: the
/// per-class view and its filter, the image search, Esc putting a line back, opening a
/// labels file from inside with Tab completion, the focusable Scores pane, and Esc twice
/// back to the main screen from anywhere.
extension SessionEndToEndTests {
    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", "e2e"] + keys) }
    func type(_ text: String) throws { try driver.type(text) }

    func testViewsAtEverySize() throws {
        for (width, height) in [(80, 24), (120, 40), (160, 48)] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-views-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
            let size = "\(width)×\(height)"
            try tmux(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)", sessionCommand(dir)])
            let main = try waitFor("scores at \(size)", settled: true) { $0.contains("▸") && $0.contains("%") && $0.contains("A:") }
            // Class names whole in the Scores pane; every prediction shown is whole (at 80
            // columns a row keeps only the wrong ones, after the truth).
            XCTAssertTrue(main.contains("gradient") && main.contains("shapes"), "\(size):\n\(main)")
            let paneWidth = Layout(width: width, height: height)!.panes[.images]!.width
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
            _ = try waitFor("the class filter at \(size)") {
                !$0.contains("Classes: recall") && $0.range(of: #"Images [345] "#, options: .regularExpression) != nil
            }

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
            // (`type` waits past the burst window: a person's Tab comes later than 3 ms.)
            try send("Tab")
            _ = try waitFor("the completed path at \(size)") { $0.contains("two-labels.txt") }
            try send("Enter")
            _ = try waitFor("the opened labels at \(size)") { $0.contains("2 classes (u undoes)") }
            try send("u")
            _ = try waitFor("undone at \(size)") { $0.contains("undid: open of") }

            // A file of several entries named alone: its keys offered in a list; j, Enter opens
            // the second into the Templates B pane (FILE#KEY), u undoes it.
            try #"{"plain": ["a photo of a {}."], "zqsets": ["a zq {} render.", "zq art of {}."], "other": ["{}"]}"#
                .write(to: short.appendingPathComponent("sets.json"), atomically: true, encoding: .utf8)
            try send("4")
            try send("O")
            _ = try waitFor("the open prompt for B at \(size)") { $0.contains("open templates B:") }
            try send("C-u")
            try type(short.path + "/sets.json")
            try send("Enter")
            // The whole list drawn (a capture can land between the overlay's first row and the rest).
            let chooser = try waitFor("the list of entries at \(size)", settled: true) {
                $0.contains("3 entries of templates") && $0.contains("#plain") && $0.contains("#zqsets") && $0.contains("#other")
            }
            XCTAssertTrue(chooser.contains("Enter opens"), chooser)
            try send("j")
            try send("Enter")
            _ = try waitFor("the chosen entry in B at \(size)") { $0.contains("a zq {} render.") && $0.contains("sets.json#zqsets") }
            try send("u")
            _ = try waitFor("its undo at \(size)") { !$0.contains("a zq {} render.") }

            try send("q")
            _ = try waitFor("exit at \(size)") { $0.contains("CLIP-TUI-EXITED") }
            XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8), "EXIT=0\n")
            let saved = try String(contentsOfFile: "\(dir.path)/session.json", encoding: .utf8)
            XCTAssertFalse(saved.contains("ZQXJ"), "Esc left nothing of the edit")
            XCTAssertTrue(saved.contains("gradient"), "the undo of the opened labels is saved")
            _ = try? tmux(["kill-server"])
        }
    }

    /// The prompts view of a template over ImageNet's 1,000 names at 80×24: its place in the
    /// list in the title, G to the end, k back up at once, g to the top.
    func testLongViewsShowTheirPlaceAndTakeGAndG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-long-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        let labels = CLIToolTests.root.appendingPathComponent("Prompts/imagenet-labels.txt").path
        let command =
            [
                binary, "session", "--model", CLIToolTests.model, "--images", "\(EngineCommandTests.eval)/images", "--labels", labels,
                "--templates", "\(EngineCommandTests.eval)/templates.txt", "--session", "\(dir.path)/session.json",
                "--cache", "\(dir.path)/cache.sqlite"
            ].joined(separator: " ") + "; echo CLIP-TUI-EXITED; sleep 60"
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", command])
        _ = try waitFor("scores", timeout: 60) { $0.contains("scored in") }
        try tmux(["send-keys", "-t", "e2e", "3", "p"])
        // 24 rows: the overlay's 21, less its frame: 19 prompts at a time.
        _ = try waitFor("the prompts view") { $0.contains("(1000)") && $0.contains("1–19/1000") }
        try tmux(["send-keys", "-t", "e2e", "G"])
        _ = try waitFor("the end") { $0.contains("982–1000/1000") && $0.contains("toilet paper") }
        try tmux(["send-keys", "-t", "e2e", "k"])
        _ = try waitFor("one up at once") { $0.contains("981–999/1000") }
        try tmux(["send-keys", "-t", "e2e", "g"])
        _ = try waitFor("the top") { $0.contains("1–19/1000") }
        try tmux(["send-keys", "-t", "e2e", "Escape", "q"])
        _ = try waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
    }

    /// COLORTERM=truecolor gets the preview in direct colour (the terminal's `-direct`
    /// terminfo entry, from ncurses-term); without it, the 256-colour cube.
    func testDirectColourWhenTheTerminalAnnouncesIt() throws {
        for announced in [true, false] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-colour-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir); _ = try? tmux(["kill-server"]) }
            try tmux([
                "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
                sessionCommand(dir, environment: announced ? "COLORTERM=truecolor" : "COLORTERM=")
            ])
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

/// Seeded random keys through the real binary in tmux: 10,000 keys (edits, motions, list
/// commands, undo and redo, swaps, views, prompts for export, search and open, pastes,
/// wide characters) with resizes between 79×23 and 200×60. The process must be alive at
/// the end, quit on `q` with status 0, and leave a session file that opens.
extension SessionEndToEndTests {
    func testTenThousandKeysThroughTheBinary() throws {
        let e2e = self
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-keys-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir); _ = try? e2e.tmux(["kill-server"]) }
        // From the temporary folder, so that an export or an open stays inside it.
        try e2e.tmux(["new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", "cd \(dir.path) && " + e2e.sessionCommand(dir)])
        _ = try e2e.waitFor("scores") { $0.contains("▸") && $0.contains("%") }
        var rng = Seeded(seed: 12)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        let pool = [
            "a", "o", "d", "y", "u", "C-r", "s", ">", "<", "f", "S", "F", "?", "c", "/", "t", "T", "p", "j", "k",
            "g", "G", "1", "2", "3", "4", "5", "!", "O", "i", "x", "{", "}", "Space", "猫", "🐱", "é", "Up", "Down",
            "Left", "Right", "Home", "End", "PPage", "NPage", "Enter", "Escape", "Tab", "BTab", "BSpace", "DC",
            "C-w", "C-k", "C-u", "C-a", "C-e", "e", "M-b", "M-f", "L", "b", "v", "z", "m"
        ]
        var sent = 0
        while sent < 10_000 {
            if rng.next() % 25 == 0 {
                try e2e.tmux(["resize-window", "-t", "e2e", "-x", "\(79 + Int(rng.next() % 122))", "-y", "\(23 + Int(rng.next() % 38))"])
            }
            if rng.next() % 30 == 0 {
                // A bracketed paste of several lines (tmux wraps it: the session asked for that).
                try e2e.tmux(["set-buffer", "-b", "k", pick(["one {}\ntwo\nd\ns", "a {} 🐱", "q\nq"])])
                try e2e.tmux(["paste-buffer", "-p", "-b", "k", "-t", "e2e"])
            }
            let batch = (0..<50).map { _ in pick(pool) }
            try e2e.tmux(["send-keys", "-t", "e2e"] + batch)
            sent += batch.count
            if sent % 1_000 == 0 {
                XCTAssertFalse(try e2e.screen().contains("CLIP-TUI-EXITED"), "the session ended after \(sent) keys")
            }
        }
        // Let the last keys land, leave any view or prompt, and quit.
        usleep(500_000)
        try e2e.tmux(["resize-window", "-t", "e2e", "-x", "120", "-y", "40"])
        for _ in 0..<3 { try e2e.tmux(["send-keys", "-t", "e2e", "Escape"]); usleep(100_000) }
        XCTAssertFalse(try e2e.screen().contains("CLIP-TUI-EXITED"), "alive after 10,000 keys")
        try e2e.tmux(["send-keys", "-t", "e2e", "q"])
        _ = try e2e.waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit", encoding: .utf8), "EXIT=0\n")
        _ = try e2e.tmux(["kill-server"])
        // The keys reached the session: its lists are not the files it started from.
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("session.json"))) as? [String: Any])
        let started = try String(contentsOfFile: "\(EngineCommandTests.eval)/templates.txt", encoding: .utf8).split(separator: "\n")
            .map { $0.replacingOccurrences(of: "{c}", with: "{}") }  // as the session stores a template
        let sets = (saved["template_sets"] as? [[String: Any]])?.compactMap { $0["lines"] as? [String] } ?? []
        XCTAssertGreaterThanOrEqual(sets.count, 2)
        XCTAssertNotEqual(sets.first ?? [], started, "the keys edited the session")
        // The session file it left opens.
        let binary = Bundle.main.bundleURL.appendingPathComponent("clip-tui").path
        try e2e.tmux([
            "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40",
            "cd \(dir.path) && \(binary) session --session \(dir.path)/session.json --cache \(dir.path)/cache.sqlite; echo \"EXIT=$?\" > \(dir.path)/exit2; echo CLIP-TUI-EXITED; sleep 60"
        ])
        _ = try e2e.waitFor("the saved session") { $0.contains("Labels") && !$0.contains("CLIP-TUI-EXITED") }
        try e2e.tmux(["send-keys", "-t", "e2e", "Escape", "Escape", "q"])
        _ = try e2e.waitFor("exit") { $0.contains("CLIP-TUI-EXITED") }
        XCTAssertEqual(try String(contentsOfFile: "\(dir.path)/exit2", encoding: .utf8), "EXIT=0\n")
    }
}

/// SplitMix64, so that a failing seed replays.
struct Seeded {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
