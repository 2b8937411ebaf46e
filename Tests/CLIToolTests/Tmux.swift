import Foundation
import XCTest

/// A tmux server of the tests' own (its socket name), driving the real binary in a real
/// terminal: keys in with send-keys, the screen out with capture-pane, window "e2e".
struct Tmux {
    let socket: String

    /// Runs tmux through /bin/sh with output to a file: the tmux server inherits the
    /// client's descriptors, so neither a pipe nor Foundation's Process wait suits it.
    @discardableResult
    func run(_ args: [String]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-out-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let quoted = (["tmux", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var status = system(quoted.joined(separator: " ") + " > '\(out)' 2>/dev/null < /dev/null")
        // A server still going away after the last test's kill-server refuses a new session
        // for a moment (seen once in CI): try again, a fifth of a second apart.
        var attempts = 1
        while status != 0, args.first == "new-session", attempts < 10 {
            usleep(200_000)
            status = system(quoted.joined(separator: " ") + " > '\(out)' 2>/dev/null < /dev/null")
            attempts += 1
        }
        guard status == 0 else { throw NSError(domain: "tmux", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "tmux \(args.first ?? "") failed"]) }
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    func screen() throws -> String { try run(["capture-pane", "-p", "-t", "e2e"]) }

    /// Types `text` as keys, then waits past the session's burst window: keys within 3 ms of
    /// each other are taken as pasted text, so an Enter sent at once after them would be a
    /// pasted newline rather than the key a person presses later.
    func type(_ text: String) throws {
        try run(["send-keys", "-t", "e2e", "-l", text])
        usleep(150_000)
    }

    /// The screen once `condition` holds; a test failure naming `what` after `timeout` seconds.
    /// - Parameter settled: also wait until two captures 100 ms apart are the same, for a
    ///   caller that reads more of the screen than the condition: a capture can land in the
    ///   middle of a redraw (an overlay's first row drawn, its others not yet).
    func waitFor(_ what: String, timeout: Double = 20, settled: Bool = false, _ condition: (String) -> Bool) throws -> String {
        let end = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < end {
            last = try screen()
            if condition(last) {
                guard settled else { return last }
                usleep(100_000)
                let again = try screen()
                if again == last { return last }
                continue
            }
            usleep(100_000)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)")
        return last
    }
}
