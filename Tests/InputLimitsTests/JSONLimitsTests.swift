import XCTest
@testable import InputLimits

final class JSONLimitsTests: XCTestCase {
    let limits = JSONLimits(maxBytes: 1000, maxDepth: 4, maxTopLevelMembers: 3)

    func testWithinLimits() {
        XCTAssertNil(limits.violation(in: Array(#"{"a": [1, {"b": [2]}], "c": 3}"#.utf8)))
        XCTAssertNil(limits.violation(in: Array("".utf8)))
        // Brackets and commas inside strings, escaped quotes, do not count.
        XCTAssertNil(limits.violation(in: Array(#"{"x": "[[[[[[,,,,\"[[[[", "y": 1}"#.utf8)))
    }

    func testDepth() {
        XCTAssertEqual(limits.violation(in: Array("[[[[[1]]]]]".utf8)), "JSON nested deeper than 4 levels")
        XCTAssertNil(limits.violation(in: Array("[[[[1]]]]".utf8)))
        // A million opening brackets are refused in one pass, before any parser recurses.
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 1000)
        XCTAssertEqual(JSONLimits.documents.violation(in: deep), "JSON nested deeper than 64 levels")
    }

    func testSizeAndMembers() {
        XCTAssertEqual(limits.violation(in: [UInt8](repeating: 0x20, count: 1001)), "1001 bytes of JSON is over the limit of 1000")
        XCTAssertEqual(limits.violation(in: Array(#"{"a":1,"b":2,"c":3,"d":4}"#.utf8)), "more than 3 entries at the top level")
        XCTAssertNil(limits.violation(in: Array(#"{"a":1,"b":2,"c":[1,2,3,4,5]}"#.utf8)))
    }
}
