/// OpenAI's split pattern, as a scanner over Unicode scalars:
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (case-insensitive). Alternatives are tried in order at each position, as a regex
/// engine does; scalars that start no match (white space) are skipped.
enum PreTokenizer {
    static let specials = ["<|startoftext|>", "<|endoftext|>"].map { Array($0.unicodeScalars) }
    static let contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }
    /// Tried first at each position, in the pattern's order.
    static let literals = specials + contractions

    static func split(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var pieces: [String] = []
        var i = 0
        while i < s.count {
            let end = matchEnd(s, at: i)
            if end > i {
                pieces.append(String(String.UnicodeScalarView(s[i..<end])))
                i = end
            } else {
                i += 1
            }
        }
        return pieces
    }

    private static func matchEnd(_ s: [Unicode.Scalar], at i: Int) -> Int {
        for literal in literals where hasPrefix(s, literal, at: i) {
            return i + literal.count
        }
        if isLetter(s[i]) {
            var j = i + 1
            while j < s.count, isLetter(s[j]) { j += 1 }
            return j
        }
        if isNumber(s[i]) { return i + 1 }
        if isOther(s[i]) {
            var j = i + 1
            while j < s.count, isOther(s[j]) { j += 1 }
            return j
        }
        return i
    }

    private static func hasPrefix(_ s: [Unicode.Scalar], _ literal: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + literal.count <= s.count else { return false }
        for k in 0..<literal.count where !equalIgnoringASCIICase(s[i + k], literal[k]) { return false }
        return true
    }

    /// Python `regex`'s IGNORECASE on the pattern's letters: ASCII case, and the long s
    /// (U+017F), which case-folds to "s".
    private static func equalIgnoringASCIICase(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        if a == b { return true }
        if a == "\u{17F}" { return b == "s" }
        if ("A"..."Z").contains(a) { return Unicode.Scalar(a.value + 32) == b }
        return false
    }

    // ASCII first: its letters are A–Z and a–z, its numbers 0–9, by the Unicode tables too.
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return (c.value | 0x20) >= 0x61 && (c.value | 0x20) <= 0x7A }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return c.value >= 0x30 && c.value <= 0x39 }
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    private static func isOther(_ c: Unicode.Scalar) -> Bool {
        !TextNormalizer.isWhitespace(c) && !isLetter(c) && !isNumber(c)
    }
}
