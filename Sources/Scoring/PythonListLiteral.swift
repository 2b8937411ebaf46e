/// Reads Python list literals of strings (and lists of strings), as OpenAI's notebooks
/// write template and class lists: `templates = ['a photo of a {}.', ...]`.
enum PythonListLiteral {
    indirect enum Value: Equatable {
        case string(String)
        case list([Value])
    }

    struct ParseError: Error {
        let line: Int
        let reason: String
    }

    /// The list assigned to `name` (`name = [...]`), or the first list in the text if no
    /// name is given or found.
    static func list(named name: String?, in text: String) throws -> [Value] {
        let s = Array(text.unicodeScalars)
        var start: Int?
        if let name {
            var i = 0
            while i < s.count {
                if matches(s, name, at: i), i == 0 || !isIdentifier(s[i - 1]) {
                    var j = i + name.unicodeScalars.count
                    while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
                    if j < s.count, s[j] == "=" {
                        j += 1
                        while j < s.count, s[j].properties.isWhitespace { j += 1 }
                        if j < s.count, s[j] == "[" { start = j; break }
                    }
                }
                i += 1
            }
        }
        if start == nil { start = firstListStart(s) }
        guard let begin = start else { throw ParseError(line: 1, reason: "no Python list literal found") }
        var parser = Parser(s: s, i: begin)
        guard case let .list(items) = try parser.value() else { throw ParseError(line: parser.line, reason: "not a list") }
        return items
    }

    private static func firstListStart(_ s: [Unicode.Scalar]) -> Int? {
        var i = 0
        var inComment = false
        while i < s.count {
            if inComment { if s[i] == "\n" { inComment = false }; i += 1; continue }
            if s[i] == "#" { inComment = true } else if s[i] == "[" { return i }
            i += 1
        }
        return nil
    }

    private static func matches(_ s: [Unicode.Scalar], _ word: String, at i: Int) -> Bool {
        let w = Array(word.unicodeScalars)
        guard i + w.count <= s.count else { return false }
        for k in 0..<w.count where s[i + k] != w[k] { return false }
        return i + w.count == s.count || !isIdentifier(s[i + w.count])
    }

    private static func isIdentifier(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c)
    }

    private struct Parser {
        let s: [Unicode.Scalar]
        var i: Int
        /// Lists inside lists: two levels are all a prompt file needs; the parser recurses
        /// per level, so the depth is bounded before the stack is.
        var depth = 0
        static let maxDepth = 16
        var line: Int { s[..<min(i, s.count)].filter { $0 == "\n" }.count + 1 }

        mutating func skip() {
            while i < s.count {
                if s[i].properties.isWhitespace || s[i] == "\\" { i += 1; continue }
                if s[i] == "#" { while i < s.count, s[i] != "\n" { i += 1 }; continue }
                break
            }
        }

        mutating func value() throws -> Value {
            skip()
            guard i < s.count else { throw ParseError(line: line, reason: "unexpected end of file") }
            if s[i] == "[" {
                i += 1
                depth += 1
                defer { depth -= 1 }
                if depth > Self.maxDepth { throw ParseError(line: line, reason: "lists nested deeper than \(Self.maxDepth) levels") }
                var items: [Value] = []
                while true {
                    skip()
                    guard i < s.count else { throw ParseError(line: line, reason: "unclosed '['") }
                    if s[i] == "]" { i += 1; return .list(items) }
                    items.append(try value())
                    skip()
                    if i < s.count, s[i] == "," { i += 1; continue }
                    if i < s.count, s[i] == "]" { continue }
                    throw ParseError(line: line, reason: "expected ',' or ']'")
                }
            }
            // One or more adjacent string literals, concatenated as Python does.
            var text = ""
            var any = false
            while true {
                skip()
                guard i < s.count else { break }
                var prefixRaw = false
                if (s[i] == "r" || s[i] == "R"), i + 1 < s.count, s[i + 1] == "'" || s[i + 1] == "\"" { prefixRaw = true; i += 1 }
                else if (s[i] == "u" || s[i] == "U"), i + 1 < s.count, s[i + 1] == "'" || s[i + 1] == "\"" { i += 1 }
                guard s[i] == "'" || s[i] == "\"" else { break }
                text += try string(raw: prefixRaw)
                any = true
            }
            guard any else { throw ParseError(line: line, reason: "expected a string or a list") }
            return .string(text)
        }

        mutating func string(raw: Bool) throws -> String {
            let quote = s[i]
            let triple = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
            i += triple ? 3 : 1
            var out = String.UnicodeScalarView()
            while i < s.count {
                let c = s[i]
                if c == quote {
                    if !triple { i += 1; return String(out) }
                    if i + 2 < s.count, s[i + 1] == quote, s[i + 2] == quote { i += 3; return String(out) }
                }
                if c == "\n", !triple { throw ParseError(line: line, reason: "unterminated string") }
                if c == "\\", !raw, i + 1 < s.count {
                    let e = s[i + 1]
                    i += 2
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "\\", "'", "\"": out.append(e)
                    case "\n": break
                    case "x", "u", "U":
                        let n = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        guard i + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + n)])), radix: 16),
                              let scalar = Unicode.Scalar(v) else {
                            throw ParseError(line: line, reason: "bad \\\(e) escape")
                        }
                        out.append(scalar)
                        i += n
                    default: out.append("\\"); out.append(e)
                    }
                    continue
                }
                out.append(c)
                i += 1
            }
            throw ParseError(line: line, reason: "unterminated string")
        }
    }
}
