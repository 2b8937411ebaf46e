import Foundation
import InputLimits
import XCTest

/// The one reader of untrusted JSON: each way a file can fail gives its kind and a reason
/// that names the key.
final class BoundedJSONTests: XCTestCase {
    struct Config: Decodable, Equatable { let name: String; let size: Int }

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bj-\(UUID()).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func failure(_ body: () throws -> Any) -> BoundedJSON.Failure? {
        do { _ = try body(); XCTFail("expected a failure"); return nil } catch { return error as? BoundedJSON.Failure }
    }

    func testKindsAndReasons() throws {
        XCTAssertEqual(try BoundedJSON.decode(Config.self, path: try write(#"{"name": "a", "size": 3}"#)), Config(name: "a", size: 3))
        let missing = failure { try BoundedJSON.decode(Config.self, path: "/nonexistent/x.json") }
        XCTAssertEqual(missing?.kind, .unreadable)
        let deep = failure { try BoundedJSON.decode(Config.self, path: try self.write(String(repeating: "[", count: 100))) }
        XCTAssertEqual(deep?.kind, .limit)
        XCTAssertEqual(deep?.reason, "JSON nested deeper than 64 levels")
        let big = failure { try BoundedJSON.decode(Config.self, path: try self.write("[1, 2, 3]"), limits: JSONLimits(maxBytes: 4, maxDepth: 8)) }
        XCTAssertEqual(big?.kind, .limit)
        XCTAssertEqual(big?.reason, "9 bytes is over the limit of 4")
        let type = failure { try BoundedJSON.decode(Config.self, path: try self.write(#"{"name": "a", "size": "wide"}"#)) }
        XCTAssertEqual(type?.kind, .invalid)
        XCTAssertTrue(type?.reason.hasPrefix("'size': ") ?? false, type?.reason ?? "")
        let key = failure { try BoundedJSON.decode(Config.self, path: try self.write(#"{"name": "a"}"#)) }
        XCTAssertEqual(key?.reason, "no 'size'")
        let broken = failure { try BoundedJSON.value(path: try self.write(#"{"a": [1,}"#)) }
        XCTAssertEqual(broken?.kind, .invalid)
        XCTAssertTrue(broken?.reason.hasPrefix("not valid JSON at byte") ?? false, broken?.reason ?? "")
        XCTAssertEqual(try BoundedJSON.value(path: try write(#"{"b": 1, "a": 2}"#)).keys, ["b", "a"])
    }
}
