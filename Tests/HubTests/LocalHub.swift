import Foundation
import XCTest

/// The stand-in Hub (`Fixtures/hub_server.py`, Python's standard library only) on a free
/// loopback port, stopped when the test ends.
final class LocalHub {
    let process = Process()
    let port: Int
    let log: String
    /// Signalled when the server has exited. `Process.waitUntilExit` spins a run loop that an
    /// async test's thread never runs on Linux, so the exit is awaited through this instead.
    private let exited = DispatchSemaphore(value: 0)
    var endpoint: String { "http://127.0.0.1:\(port)" }

    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    init(root: String, repo: String, extra: [String] = []) throws {
        log = NSTemporaryDirectory() + "hub-log-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", Self.fixtures.appendingPathComponent("hub_server.py").path,
                "--root", root, "--repo", repo, "--log", log
            ] + extra
        let out = Pipe()
        process.standardOutput = out
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        // The first line is "PORT n" once the server listens.
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw NSError(domain: "LocalHub", code: 1, userInfo: [NSLocalizedDescriptionKey: "hub_server.py did not start (python3 is needed): \(text)"])
        }
        self.port = port
    }

    /// Requests the server saw, as "METHOD PATH RANGE" lines.
    var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func stop() {
        process.terminate()
        exited.wait()
        try? FileManager.default.removeItem(atPath: log)
    }
}
