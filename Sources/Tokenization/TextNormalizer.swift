import Foundation

/// The text cleaning of OpenAI's `SimpleTokenizer` (`basic_clean`, `whitespace_clean`, lower case),
/// with `ftfy.fix_text` before it, as OpenAI's `basic_clean` calls it.
///
/// All of ftfy 6's defaults: HTML entities unescaped (ftfy's rules, upper-case forms
/// included) while the text has no '<', mojibake repaired (`MojibakeRepair`, ftfy's
/// `fix_encoding` over its own tables), terminal escapes removed, C1 controls read as
/// Windows-1252, Latin ligatures split, full-width characters narrowed, curly quotes
/// straightened, line breaks unified, control characters removed, NFC; line by line, each
/// line until nothing changes. Surrogates (`fix_surrogates`) cannot occur in a Swift string.
public enum TextNormalizer {
    /// The whole pipeline: what `SimpleTokenizer.encode` sees before its regular expression.
    public static func normalize(_ text: String) -> String {
        normalizedPrintableASCII(text) ?? normalizedFully(text)
    }

    /// `normalize` without the ASCII shortcut.
    static func normalizedFully(_ text: String) -> String {
        var t = fixText(text)
        t = HTMLUnescaper.unescape(HTMLUnescaper.unescape(t))
        t = collapseWhitespace(t)
        return lowercased(t)
    }

    /// The same for printable ASCII without `&` (almost every prompt), in one pass over the
    /// bytes: ftfy changes no such text (its fixes are of non-ASCII text, controls, line
    /// breaks and HTML entities), so what remains is spaces collapsed, the ends trimmed and
    /// ASCII lower case (a test checks it against the full path). Nil for any other text.
    /// A keystroke tokenizes 1,000 new prompts; the full path took 16 µs a prompt.
    static func normalizedPrintableASCII(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            var out = [UInt8]()
            out.reserveCapacity(bytes.count)
            var pendingSpace = false
            for b in bytes {
                guard b >= 0x20, b <= 0x7E, b != UInt8(ascii: "&") else { return nil }
                if b == 0x20 {
                    pendingSpace = !out.isEmpty
                    continue
                }
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Python's `str.lower()`: Swift's full lower-case mapping, plus Python's final-sigma
    /// rule (Σ at the end of a word becomes ς), which Swift's `lowercased()` leaves out.
    static func lowercased(_ text: String) -> String {
        guard text.unicodeScalars.contains("\u{3A3}") else { return text.lowercased() }
        let s = Array(text.unicodeScalars)
        var out = ""
        for (i, c) in s.enumerated() {
            guard c == "\u{3A3}" else { out += String(c).lowercased(); continue }
            let before = s[..<i].reversed().first { !$0.properties.isCaseIgnorable }
            let after = s[(i + 1)...].first { !$0.properties.isCaseIgnorable }
            let final = (before?.properties.isCased ?? false) && !(after?.properties.isCased ?? false)
            out += final ? "\u{3C2}" : "\u{3C3}"
        }
        return out
    }

    /// `ftfy.fix_text` as described above, in ftfy's order and with its loop: the
    /// text is fixed line by line, each line until a pass changes nothing; HTML is unescaped
    /// until a line with '<' is met (ftfy's "auto").
    static func fixText(_ text: String) -> String {
        var out = ""
        var unescape = true
        var rest = Substring(text)
        while !rest.isEmpty {
            // ftfy cuts after each "\n": the break ends its line, so the next one starts at
            // its first character (the badness pattern anchors at a segment's start).
            let end = rest.firstIndex(of: "\n").map { rest.index(after: $0) } ?? rest.endIndex
            let line = String(rest[..<end])
            rest = rest[end...]
            if line.unicodeScalars.contains("<") { unescape = false }
            out += fixSegment(line, unescape: unescape)
        }
        return out
    }

    private static func fixSegment(_ text: String, unescape: Bool) -> String {
        var text = text
        while true {
            let before = text
            if unescape { text = unescapeHTML(text) }
            text = MojibakeRepair.fixEncoding(text)
            text = mapScalars(text)
            text = removeControls(removeTerminalEscapes(text)).precomposedStringWithCanonicalMapping
            if text == before { return text }
        }
    }

    /// ftfy's fix_c1_controls, fix_latin_ligatures, fix_character_width, uncurl_quotes and
    /// fix_line_breaks, one scalar at a time (each maps scalars independently).
    private static func mapScalars(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var previousCR = false
        for original in text.unicodeScalars {
            let c = MojibakeRepair.c1Control(original)
            let v = c.value
            defer { previousCR = v == 0x0D }
            if let lig = ligatures[c] { scalars.append(contentsOf: lig.unicodeScalars); continue }
            if v == 0x3000 { scalars.append(" "); continue }
            if (0xFF01...0xFF5E).contains(v) { scalars.append(Unicode.Scalar(v - 0xFEE0)!); continue }
            if (0xFF61...0xFFDC).contains(v) || (0xFFE8...0xFFEE).contains(v) {
                // Half-width katakana and forms: NFKC, as ftfy's fix_character_width.
                scalars.append(
                    contentsOf: String(c).decomposedStringWithCompatibilityMapping
                        .precomposedStringWithCanonicalMapping.unicodeScalars)
                continue
            }
            if v == 0x02BC || (0x2018...0x201B).contains(v) { scalars.append("'"); continue }
            if (0x201C...0x201F).contains(v) { scalars.append("\""); continue }
            // Line breaks: "\r\n", "\r", U+2028, U+2029 and U+0085 become "\n".
            if v == 0x0A && previousCR { continue }
            if v == 0x0D || v == 0x2028 || v == 0x2029 || v == 0x85 { scalars.append("\n"); continue }
            scalars.append(c)
        }
        return String(scalars)
    }

    private static func removeControls(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for c in text.unicodeScalars where !isControl(c.value) { scalars.append(c) }
        return String(scalars)
    }

    /// ftfy's `unescape_html`: only `&#?[0-9A-Za-z]{1,24};`, by the HTML5 names that end in ';'
    /// and the upper-case forms of the lower-case ones ("P&EACUTE;REZ" → "PÉREZ"); numeric
    /// references as `html.unescape` reads them when it consumes the ';'.
    static func unescapeHTML(_ text: String) -> String {
        guard text.unicodeScalars.contains("&") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func isAlnum(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        while i < s.count {
            guard s[i] == "&" else { out.append(s[i]); i += 1; continue }
            var j = i + 1
            if j < s.count, s[j] == "#" { j += 1 }
            let start = j
            while j < s.count, j - start < 24, isAlnum(s[j]) { j += 1 }
            guard j > start, j < s.count, s[j] == ";" else { out.append(s[i]); i += 1; continue }
            let entity = String(String.UnicodeScalarView(s[i...j]))
            if let value = HTMLUnescaper.ftfyEntities[entity] {
                out.append(contentsOf: value.unicodeScalars)
            } else if entity.hasPrefix("&#") {
                let decoded = HTMLUnescaper.unescape(entity)
                out.append(contentsOf: (decoded.contains(";") ? entity : decoded).unicodeScalars)
            } else {
                out.append(contentsOf: entity.unicodeScalars)
            }
            i = j + 1
        }
        return String(out)
    }

    /// `re.sub(r'\s+', ' ', text).strip()` after `.strip()`.
    static func collapseWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for c in text.unicodeScalars {
            if isWhitespace(c) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(c)
            }
        }
        return String(out)
    }

    /// The `\s` of Python's `regex` module: Unicode White_Space.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        // ASCII's: \t \n \v \f \r, the space, and the separators 0x1C–0x1F.
        if c.isASCII { return (0x09...0x0D).contains(c.value) || (0x1C...0x20).contains(c.value) }
        return c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
    }

    private static func isControl(_ v: UInt32) -> Bool {
        // ftfy's CONTROL_CHARS: keeps \t \n \f \r.
        (v <= 0x08) || v == 0x0B || (0x0E...0x1F).contains(v) || v == 0x7F
            || (0x206A...0x206F).contains(v) || v == 0xFEFF || (0xFFF9...0xFFFC).contains(v)
            || (0x1D173...0x1D17A).contains(v) || (0xE0000...0xE007F).contains(v)
    }

    private static func removeTerminalEscapes(_ text: String) -> String {
        // ftfy: \x1b\[((?:\d|;)*)([a-zA-Z])
        guard text.unicodeScalars.contains("\u{1B}") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if s[i] == "\u{1B}", i + 1 < s.count, s[i + 1] == "[" {
                var j = i + 2
                while j < s.count, ("0"..."9").contains(s[j]) || s[j] == ";" { j += 1 }
                if j < s.count, ("a"..."z").contains(s[j]) || ("A"..."Z").contains(s[j]) { i = j + 1; continue }
            }
            out.append(s[i]); i += 1
        }
        return String(out)
    }

    private static let ligatures: [Unicode.Scalar: String] = [
        "\u{132}": "IJ", "\u{133}": "ij", "\u{149}": "\u{2BC}n", "\u{1F1}": "DZ", "\u{1F2}": "Dz",
        "\u{1F3}": "dz", "\u{1C4}": "D\u{17D}", "\u{1C5}": "D\u{17E}", "\u{1C6}": "d\u{17E}",
        "\u{1C7}": "LJ", "\u{1C8}": "Lj", "\u{1C9}": "lj", "\u{1CA}": "NJ", "\u{1CB}": "Nj",
        "\u{1CC}": "nj", "\u{FB00}": "ff", "\u{FB01}": "fi", "\u{FB02}": "fl", "\u{FB03}": "ffi",
        "\u{FB04}": "ffl", "\u{FB05}": "\u{17F}t", "\u{FB06}": "st"
    ]
}
