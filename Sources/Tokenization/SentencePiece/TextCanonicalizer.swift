/// The text rules of SigLIP's tokenizers, as Python computes them.
public enum TextCanonicalizer {
    /// big_vision's (and transformers' `SiglipTokenizer`'s) canonical form: Python's
    /// `str.lower()`, `string.punctuation` removed, runs of white space made one space,
    /// trimmed.
    public static func canonicalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in pythonLower(text).unicodeScalars {
            if isPythonSpace(scalar) {
                pendingSpace = !out.isEmpty
                continue
            }
            if scalar.isASCII, asciiPunctuation.contains(UInt8(scalar.value)) { continue }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(scalar)
        }
        return String(out)
    }

    /// What the tokenizers library's `Lowercase` normalizer does: each character's full
    /// lower-case mapping, without context (a final Σ becomes σ, not ς).
    public static func lowercasedPerCharacter(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                out.append(scalar.value >= 65 && scalar.value <= 90 ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// Python's `str.lower()`: full lower-case mappings, and Σ as ς at the end of a word
    /// (preceded by a cased letter and not followed by one, case-ignorable marks skipped).
    static func pythonLower(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, scalar) in scalars.enumerated() {
            if scalar.value == 0x03A3 {
                var j = i - 1
                while j >= 0, scalars[j].properties.isCaseIgnorable { j -= 1 }
                var final = j >= 0 && scalars[j].properties.isCased
                if final {
                    var k = i + 1
                    while k < scalars.count, scalars[k].properties.isCaseIgnorable { k += 1 }
                    final = k == scalars.count || !scalars[k].properties.isCased
                }
                out.append(final ? "\u{03C2}" : "\u{03C3}")
            } else if scalar.isASCII {
                out.append(scalar.value >= 65 && scalar.value <= 90 ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// Python's `string.punctuation`: ASCII only.
    static let asciiPunctuation = Set(Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".utf8))

    /// Python's `str.isspace()` (and `re`'s `\s` on text): Unicode white space plus the
    /// information separators U+001C…U+001F.
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}
