import Foundation
import Tokenization
import XCTest

/// SigLIP's and SigLIP 2's tokenizers against transformers' (`SiglipTokenizer`,
/// `Siglip2Tokenizer`) on SentencePiece models trained by the `sentencepiece` package
/// (scripts/make_siglip_fixtures.py): 1,066 texts each, every id equal.
final class SentencePieceTokenizerTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
        }
        let cases: [Case]
    }

    func folder(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/sentencepiece/\(name)", withExtension: nil)).path
    }

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> SentencePieceTokenizer {
        let dir = try folder(name)
        let t = try XCTUnwrap(try SentencePieceTokenizer.load(folder: dir))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/cases.json")))
        XCTAssertEqual(fixture.cases.count, 1066, file: file, line: line)
        var mismatches: [String] = []
        for c in fixture.cases where t.tokenize(c.text, contextLength: 64).ids != c.ids {
            mismatches.append("\(c.text.debugDescription): \(t.tokenize(c.text, contextLength: 64).ids) ≠ \(c.ids)")
        }
        XCTAssertEqual(mismatches, [], "\(name): \(mismatches.count) of \(fixture.cases.count) differ", file: file, line: line)
        return t
    }

    func testSigLIPEqualsTransformers() throws {
        let t = try check("siglip-tiny")
        XCTAssertEqual(t.style, .siglip)
        XCTAssertEqual(t.padToken, 1, "</s> pads")
        XCTAssertEqual(t.endToken, 1)
        // Canonicalisation: punctuation, case and spacing do not make another prompt.
        XCTAssertEqual(t.tokenize("a photo of a cat.", contextLength: 64).ids, t.tokenize("A  photo of a cat", contextLength: 64).ids)
        // Truncated to 63 ids and the end token, with the full count kept.
        let long = t.tokenize(String(repeating: "word ", count: 80), contextLength: 64)
        XCTAssertEqual(long.ids.count, 64)
        XCTAssertEqual(long.ids.last, 1)
        XCTAssertTrue(long.isTruncated)
    }

    func testSigLIP2EqualsTransformers() throws {
        let t = try check("siglip2-tiny")
        XCTAssertEqual(t.style, .gemma(lowercase: true))
        XCTAssertEqual(t.padToken, 0)
        XCTAssertNil(t.startToken, "add_bos_token false")
        XCTAssertEqual(t.endToken, 1)
        // No canonicalisation: punctuation stays a token.
        XCTAssertNotEqual(t.tokenize("a photo of a cat.", contextLength: 64).ids, t.tokenize("a photo of a cat", contextLength: 64).ids)
    }

    func testPythonLowerCaseRules() {
        // Python's str.lower() makes a word-final Σ a final sigma; the tokenizers library does not.
        XCTAssertEqual(TextCanonicalizer.canonicalize("ΟΔΟΣ ΚΑΙ ΣΑ"), "οδος και σα")
        XCTAssertEqual(TextCanonicalizer.lowercasedPerCharacter("ΟΔΟΣ"), "οδοσ")
        XCTAssertEqual(TextCanonicalizer.canonicalize("  Hello,\u{1C}World!\u{3000}x\u{200B} "), "hello world x\u{200B}")
    }

    func testBadModelFileIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spm-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not a protobuf at all".utf8).write(to: dir.appendingPathComponent("spiece.model"))
        XCTAssertThrowsError(try SentencePieceTokenizer.load(folder: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("spiece.model"), "\(error)")
            XCTAssertTrue("\(error)".contains("not a SentencePiece model"), "\(error)")
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("spiece.model"))
        XCTAssertNil(try SentencePieceTokenizer.load(folder: dir.path), "no model file: not a SentencePiece folder")
    }
}
