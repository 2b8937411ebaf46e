import XCTest

@testable import Tokenization

/// The tokenizer's ASCII shortcuts against the full Unicode paths they stand in for.
final class ASCIIShortcutTests: XCTestCase {
    /// Printable ASCII without `&` normalises the same through the shortcut as through
    /// ftfy's fixes, HTML unescaping, white space and lower case; other texts take the full
    /// path. Seeded texts weighted toward what the full path treats specially: spaces at
    /// the ends and in runs, quotes, `<` (which stops ftfy's HTML unescaping), `;` and `#`,
    /// upper case, digits, and CLIP's special tokens.
    func testPrintableASCIIShortcutEqualsTheFullPath() {
        var state: UInt64 = 11
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        let pieces = [" ", "  ", "'", "\"", "<", ">", ";", "#", "x", "A", "Photo", "0", "9", "'s", "'LL", "<|endoftext|>", "{}", "~", "-", "_"]
        var checked = 0
        for _ in 0..<5_000 {
            var text = ""
            for _ in 0..<next(12) {
                if next(3) == 0 {
                    text.unicodeScalars.append(Unicode.Scalar(UInt8(0x20 + next(95))))
                } else {
                    text += pieces[next(pieces.count)]
                }
            }
            let short = TextNormalizer.normalizedPrintableASCII(text)
            if text.contains("&") {
                XCTAssertNil(short, "\(text.debugDescription) has an &: the full path")
                continue
            }
            XCTAssertEqual(short, TextNormalizer.normalizedFully(text), text.debugDescription)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 3_000)
        for text in ["a\tb", "caf\u{E9}", "x\u{7F}", "line\nbreak", "&amp;", "\u{1B}[1m"] {
            XCTAssertNil(TextNormalizer.normalizedPrintableASCII(text), text.debugDescription)
        }
        XCTAssertEqual(TextNormalizer.normalize("  A  Photo of a {}.  "), "a photo of a {}.")
    }

    /// The character classes' ASCII answers are the Unicode tables' for all 128 scalars.
    func testASCIIClassesEqualTheUnicodeTables() {
        for v in UInt8(0)...127 {
            let c = Unicode.Scalar(v)
            let category = c.properties.generalCategory
            let letter = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter].contains(category)
            let number = [.decimalNumber, .letterNumber, .otherNumber].contains(category)
            XCTAssertEqual(PreTokenizer.isLetter(c), letter, "\(v)")
            XCTAssertEqual(PreTokenizer.isNumber(c), number, "\(v)")
            XCTAssertEqual(TextNormalizer.isWhitespace(c), c.properties.isWhitespace || (0x1C...0x1F).contains(v), "\(v)")
        }
    }
}
