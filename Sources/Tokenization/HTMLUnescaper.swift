/// Python's `html.unescape`, character for character (CPython 3.11 `Lib/html/__init__.py`).
enum HTMLUnescaper {
    static let named: [String: String] = {
        var table: [String: String] = [:]
        for line in HTMLEntityTables.named.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
        }
        return table
    }()

    /// ftfy's `HTML_ENTITIES`: `&NAME;` for every HTML5 name that ends in ';', and for the
    /// all-lower-case ones their upper-case form (`&EACUTE;` → "É", `&SZLIG;` → "SS") where
    /// `html.unescape` would leave that form alone.
    static let ftfyEntities: [String: String] = {
        var table: [String: String] = [:]
        for (name, value) in named where name.hasSuffix(";") {
            table["&" + name] = value
        }
        for (name, value) in named where name.hasSuffix(";") && name == name.lowercased() {
            let upper = "&" + name.uppercased()
            if table[upper] == nil, unescape(upper) == upper { table[upper] = value.uppercased() }
        }
        return table
    }()

    static func unescape(_ text: String) -> String {
        guard text.unicodeScalars.contains("&") else { return text }
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&", let (replacement, end) = reference(s, at: i + 1) else {
                out.append(s[i]); i += 1; continue
            }
            out.append(contentsOf: replacement.unicodeScalars)
            i = end
        }
        return String(out)
    }

    /// Matches `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` after the '&'.
    private static func reference(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        guard start < s.count else { return nil }
        if s[start] == "#" {
            var j = start + 1
            var hex = false
            if j < s.count, s[j] == "x" || s[j] == "X" { hex = true; j += 1 }
            let digitsStart = j
            while j < s.count, isDigit(s[j], hex: hex) { j += 1 }
            guard j > digitsStart else { return nil }
            let digits = String(String.UnicodeScalarView(s[digitsStart..<j]))
            if j < s.count, s[j] == ";" { j += 1 }
            return (numeric(digits, radix: hex ? 16 : 10), j)
        }
        var j = start
        while j < s.count, j - start < 32, !"\t\n\u{0C} <&#;".unicodeScalars.contains(s[j]) { j += 1 }
        guard j > start else { return nil }
        if j < s.count, s[j] == ";" { j += 1 }
        let name = String(String.UnicodeScalarView(s[start..<j]))
        if let value = named[name] { return (value, j) }
        // The longest known prefix, as the standard says (for legacy names without ';').
        let scalars = Array(name.unicodeScalars)
        var length = scalars.count - 1
        while length > 1 {
            let prefix = String(String.UnicodeScalarView(scalars[0..<length]))
            if let value = named[prefix] {
                return (value + String(String.UnicodeScalarView(scalars[length...])), j)
            }
            length -= 1
        }
        return ("&" + name, j)
    }

    private static func isDigit(_ c: Unicode.Scalar, hex: Bool) -> Bool {
        switch c {
        case "0"..."9": return true
        case "a"..."f", "A"..."F": return hex
        default: return false
        }
    }

    private static func numeric(_ digits: String, radix: Int) -> String {
        // Python's int() has no overflow: anything this long is past 0x10FFFF.
        let trimmed = digits.drop(while: { $0 == "0" })
        guard trimmed.count <= 8, let value = UInt32(trimmed.isEmpty ? "0" : String(trimmed), radix: radix) else {
            return "\u{FFFD}"
        }
        if let replacement = HTMLEntityTables.invalidCharrefs[value] { return replacement }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return "\u{FFFD}" }
        if HTMLEntityTables.invalidCodepoints.contains(value) { return "" }
        return Unicode.Scalar(value).map { String(Character($0)) } ?? "\u{FFFD}"
    }
}
