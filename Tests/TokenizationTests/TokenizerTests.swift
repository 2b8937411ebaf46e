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
        for (text, ids) in zip(c.texts, c.token_ids) where !Self.knownDifferences.contains(text) {
            XCTAssertEqual(t.tokenize(text).ids, ids, text.debugDescription)
        }
    }

    /// Where this tokenizer and ftfy part ways, on purpose (see README, "Tokenizer").
    static let knownDifferences: Set<String> = [
        "cafÃ© mojibake"  // ftfy repairs mojibake with its own tables; not ported
    ]

    func testKnownDifferencesStillDiffer() throws {
        // If one of these starts to match, it belongs in the checked set instead.
        let t = try tokenizer()
        let c = try cases("cases-extra")
        for (text, ids) in zip(c.texts, c.token_ids) where Self.knownDifferences.contains(text) {
            XCTAssertNotEqual(t.tokenize(text).ids, ids, text)
        }
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
