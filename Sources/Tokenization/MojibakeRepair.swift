import Foundation

/// ftfy 6's `fix_encoding`: text that was UTF-8 decoded with a single-byte code page
/// ("cafÃ©", "donâ€™t", "Ð¿Ñ€Ð¸Ð²ÐµÑ‚") encoded back and decoded as UTF-8, step by step
/// until nothing changes; only where ftfy's badness heuristic says the text looks like
/// mojibake. A port of `ftfy._fix_encoding_one_step_and_explain` and the fixes it calls
/// (`restore_byte_a0`, `replace_lossy_sequences`, `decode_inconsistent_utf8`,
/// `fix_c1_controls`, the `utf-8-variants` codec), over the tables and expressions that
/// `scripts/make_ftfy_tables.py` takes from ftfy itself (`MojibakeTables`).
enum MojibakeRepair {
    private struct CodePage {
        let name: String
        let decode: [Unicode.Scalar]
        let encode: [UInt32: UInt8]
        /// What a text may hold to be encodable: ASCII but 0x1A, and what bytes 0x80…0xFF
        /// and 0x1A decode to (ftfy's `possible_encoding`).
        let allowed: Set<UInt32>
    }

    private static let codePages: [CodePage] = MojibakeTables.codePages.map { name, scalars in
        var encode: [UInt32: UInt8] = [:]
        for (byte, v) in scalars.enumerated() where encode[v] == nil { encode[v] = UInt8(byte) }
        let allowed = Set((Array(0x80...0xFF) + [0x1A]).map { scalars[$0] })
        return CodePage(name: name, decode: scalars.map { Unicode.Scalar($0)! }, encode: encode, allowed: allowed)
    }

    // The expressions are generated from ftfy and checked by the tests: a failure to
    // compile is a build defect, not an input error.
    private static let badness = try! NSRegularExpression(pattern: MojibakeTables.badness)
    private static let utf8Detector = try! NSRegularExpression(pattern: MojibakeTables.utf8Detector)
    private static let alteredUTF8 = try! NSRegularExpression(pattern: MojibakeTables.alteredUTF8)
    private static let lossyUTF8 = try! NSRegularExpression(pattern: MojibakeTables.lossyUTF8)
    private static let aGraveWord = try! NSRegularExpression(pattern: MojibakeTables.aGraveWord)

    /// `ftfy.fix_encoding`.
    static func fixEncoding(_ text: String) -> String {
        var text = text
        while true {
            let fixed = oneStep(text)
            if fixed == text { return text }
            text = fixed
        }
    }

    /// `ftfy.badness.is_bad`.
    static func isBad(_ text: String) -> Bool {
        badness.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    private static func oneStep(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value >= 0x80 }), isBad(text) else { return text }
        var possible: [String] = []
        for page in codePages where text.unicodeScalars.allSatisfy({ isEncodable($0.value, page) }) {
            possible.append(page.name)
            var bytes = text.unicodeScalars.map { $0.value < 0x80 ? UInt8($0.value) : page.encode[$0.value]! }
            if page.name != "macroman" && matches(alteredUTF8, latin1(bytes)) { bytes = restoreByteA0(bytes) }
            if page.name.hasPrefix("sloppy") { bytes = replaceLossy(bytes) }
            let decoded = bytes.contains(0xED) || bytes.contains(0xC0) ? decodeUTF8Variants(bytes) : String(validating: bytes, as: UTF8.self)
            if let decoded { return decoded }
        }
        if matches(utf8Detector, text) {
            let fixed = decodeInconsistentUTF8(text)
            if fixed != text { return fixed }
        }
        // ftfy asks whether "windows-1252" is among the possible encodings, which are named
        // "sloppy-windows-1252": never, so Latin-1 text goes on to a strict Windows-1252 read.
        if possible.contains("latin-1"), let fixed = strictWindows1252(text), fixed != text { return fixed }
        if text.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) { return fixC1Controls(text) }
        return text
    }

    private static func isEncodable(_ v: UInt32, _ page: CodePage) -> Bool {
        v <= 0x19 || (0x1B...0x7F).contains(v) || page.allowed.contains(v)
    }

    /// Bytes as text, byte n as U+00nn: how the byte expressions are matched.
    private static func latin1(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func bytes(latin1 text: String) -> [UInt8] { text.unicodeScalars.map { UInt8($0.value) } }

    private static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// `re.sub` with a function of the matched text. Matches are cut out by Unicode scalar,
    /// not by Character: a match may end inside a grapheme cluster ("Ã©" before a combining
    /// mark is "Ã" and "©́"), where slicing the String itself would round to the cluster.
    private static func substitute(_ regex: NSRegularExpression, in text: String, _ replace: (String) -> String) -> String {
        let utf16 = text.utf16, scalars = text.unicodeScalars
        var out = String.UnicodeScalarView()
        var last = scalars.startIndex
        for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let lo = utf16.index(utf16.startIndex, offsetBy: m.range.location, limitedBy: utf16.endIndex),
                let hi = utf16.index(lo, offsetBy: m.range.length, limitedBy: utf16.endIndex)
            else { continue }
            out.append(contentsOf: scalars[last..<lo])
            out.append(contentsOf: replace(String(scalars[lo..<hi])).unicodeScalars)
            last = hi
        }
        out.append(contentsOf: scalars[last...])
        return String(out)
    }

    /// `fixes.restore_byte_a0`: spaces that stood for byte A0 inside UTF-8 sequences.
    private static func restoreByteA0(_ bytes: [UInt8]) -> [UInt8] {
        var text = substitute(aGraveWord, in: latin1(bytes)) { _ in "\u{C3}\u{A0} " }
        text = substitute(alteredUTF8, in: text) { $0.replacingOccurrences(of: " ", with: "\u{A0}") }
        return Self.bytes(latin1: text)
    }

    /// `fixes.replace_lossy_sequences`: UTF-8 sequences that lost a byte become U+FFFD.
    private static func replaceLossy(_ bytes: [UInt8]) -> [UInt8] {
        Self.bytes(latin1: substitute(lossyUTF8, in: latin1(bytes)) { _ in "\u{EF}\u{BF}\u{BD}" })
    }

    /// `fixes.decode_inconsistent_utf8`: mojibake runs inside otherwise good text.
    private static func decodeInconsistentUTF8(_ text: String) -> String {
        let length = text.unicodeScalars.count
        return substitute(utf8Detector, in: text) { run in
            run.unicodeScalars.count < length && isBad(run) ? fixEncoding(run) : run
        }
    }

    /// `text.encode("latin-1").decode("windows-1252")`, nil where Windows-1252 has no character.
    private static func strictWindows1252(_ text: String) -> String? {
        let page = windows1252
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            guard c.value <= 0xFF else { return nil }
            if [0x81, 0x8D, 0x8F, 0x90, 0x9D].contains(c.value) { return nil }
            out.append(page.decode[Int(c.value)])
        }
        return String(out)
    }

    /// `fixes.fix_c1_controls`: C1 controls read as sloppy Windows-1252.
    private static func fixC1Controls(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map(c1Control)))
    }

    /// A C1 control (U+0080…U+009F) as sloppy Windows-1252 reads its byte (the five bytes
    /// Windows-1252 leaves undefined stay as they are); any other scalar unchanged.
    static func c1Control(_ c: Unicode.Scalar) -> Unicode.Scalar {
        (0x80...0x9F).contains(c.value) ? windows1252.decode[Int(c.value)] : c
    }

    private static let windows1252 = codePages.first { $0.name == "sloppy-windows-1252" }!

    /// ftfy's `utf-8-variants` codec: UTF-8, plus Java's C0 80 for U+0000 and CESU-8's
    /// surrogate pairs; anything else that strict UTF-8 refuses fails the whole decode.
    private static func decodeUTF8Variants(_ bytes: [UInt8]) -> String? {
        var fixed: [UInt8] = []
        fixed.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0xC0, i + 1 < bytes.count, bytes[i + 1] == 0x80 {
                fixed.append(0)
                i += 2
                continue
            }
            if bytes[i] == 0xED, i + 5 < bytes.count, (0xA0...0xAF).contains(bytes[i + 1]), (0x80...0xBF).contains(bytes[i + 2]),
                bytes[i + 3] == 0xED, (0xB0...0xBF).contains(bytes[i + 4]), (0x80...0xBF).contains(bytes[i + 5])
            {
                let high = (UInt32(bytes[i + 1] & 0x0F) << 16) + (UInt32(bytes[i + 2] & 0x3F) << 10)
                let v = high + (UInt32(bytes[i + 4] & 0x0F) << 6) + UInt32(bytes[i + 5] & 0x3F) + 0x10000
                if let scalar = Unicode.Scalar(v) { fixed += Array(String(scalar).utf8) } else { return nil }
                i += 6
                continue
            }
            fixed.append(bytes[i])
            i += 1
        }
        return String(validating: fixed, as: UTF8.self)
    }
}
