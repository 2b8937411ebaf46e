import Foundation
import Tokenization
import XCTest

/// 3,000 seeded generated texts (scripts/make_tokenizer_differential.py) against OpenAI's
/// `SimpleTokenizer` with ftfy 6.3.1: every kind of text but the ones ftfy's encoding
/// repair changes (mojibake, which is not ported yet) must give OpenAI's ids exactly.
final class DifferentialTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let kind: String
            let text: String
            let ids: [Int]
            let repaired: Bool
        }
        let cases: [Case]
    }

    func testGeneratedTextsEqualOpenAI() throws {
        let t = try XCTUnwrap(TokenizerTests.tokenizer)
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/differential", withExtension: "json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 3000)
        var checked: [String: Int] = [:]
        var mismatches: [String] = []
        for c in fixture.cases where !c.repaired {
            checked[c.kind, default: 0] += 1
            if t.encode(c.text) != c.ids { mismatches.append("\(c.kind): \(c.text.debugDescription)") }
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) of \(checked.values.reduce(0, +)) differ")
        // Every kind is represented among the checked texts.
        XCTAssertEqual(Set(checked.keys).count, 13, "\(checked)")
        XCTAssertGreaterThan(checked.values.reduce(0, +), 2700)
    }
}
