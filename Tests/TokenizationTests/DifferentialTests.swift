import Foundation
import Tokenization
import XCTest

/// 3,000 seeded generated texts (scripts/make_tokenizer_differential.py) against OpenAI's
/// `SimpleTokenizer` with ftfy 6.3.1: every text must give OpenAI's ids exactly, the ones
/// ftfy's encoding repair changes (mojibake) included.
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
        var repaired = 0
        for c in fixture.cases {
            if c.repaired { repaired += 1 }
            checked[c.kind, default: 0] += 1
            if t.encode(c.text) != c.ids { mismatches.append("\(c.kind): \(c.text.debugDescription)") }
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) of \(checked.values.reduce(0, +)) differ")
        XCTAssertEqual(Set(checked.keys).count, 13, "\(checked)")
        // The mojibake among them, which only the encoding repair gets right.
        XCTAssertGreaterThan(repaired, 200)
    }
}
