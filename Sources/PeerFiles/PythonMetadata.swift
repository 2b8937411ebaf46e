import ScoringCore

/// Reads the prompt data of a Python file without running Python: every top-level
/// assignment of a list or tuple (`templates = [...]`, `IMAGENET_CLASSNAMES = (...)`), in
/// file order. Items are string literals (adjacent ones joined, as Python does), nested
/// lists or tuples of them, and templates written as lambdas, as open_clip's
/// `zero_shot_metadata.py` writes them: `lambda c: f'a photo of a {c}.'` or
/// `lambda c: 'a photo of a {}.'.format(c)`.
public enum PythonMetadata {
    public indirect enum Value: Equatable, Sendable {
        case string(String)
        /// A lambda template, in clip-tui's `{}` form.
        case template(String)
        case list([Value])
    }

    public struct Assignment: Equatable, Sendable {
        public let name: String
        public let line: Int
        public let items: [Value]
    }

    public struct ParseError: Error, Equatable {
        public let line: Int
        public let reason: String
    }

    /// The list and tuple assignments of `text`, in order. An assignment whose value is not a
    /// list or tuple (`x = 3`, `f = g()`) is not data and is passed over; one that starts
    /// as a list but does not parse is an error, since it is likely the data asked for.
    public static func assignments(in text: String) throws -> [Assignment] {
        let s = Array(text.unicodeScalars)
        var found: [Assignment] = []
        var parser = Parser(s: s, i: 0)
        while parser.i < s.count {
            // At the start of a line: `NAME = [` or `NAME = (` at column 0.
            let lineStart = parser.i
            if let name = parser.identifier() {
                parser.skipInline()
                if parser.peek(":") {
                    // An annotation: `NAME: list[str] = [...]`; skip to the `=`.
                    while parser.i < s.count, s[parser.i] != "=", s[parser.i] != "\n" { parser.i += 1 }
                }
                if parser.peek("="), !parser.peek("==") {
                    parser.i += 1
                    parser.skipInline()
                    if parser.peek("[") || parser.peek("(") {
                        let line = parser.line
                        guard case let .list(items) = try parser.value() else {
                            throw ParseError(line: line, reason: "\(name) is not a list or tuple")
                        }
                        found.append(Assignment(name: name, line: line, items: items))
                    }
                }
            } else {
                parser.i = lineStart
            }
            parser.skipToNextLine()
        }
        return found
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    private static func isIdentifier(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || ("0"..."9").contains(c) }

    private struct Parser {
        let s: [Unicode.Scalar]
        var i: Int
        /// Lists inside lists: two levels are all a prompt file needs; the parser recurses
        /// per level, so the depth is bounded before the stack is.
        var depth = 0
        static let maxDepth = 16
        var line: Int { s[..<min(i, s.count)].filter { $0 == "\n" }.count + 1 }

        func peek(_ text: String) -> Bool {
            var j = i
            for c in text.unicodeScalars {
                guard j < s.count, s[j] == c else { return false }
                j += 1
            }
            return true
        }

        mutating func identifier() -> String? {
            guard i < s.count, isIdentifierStart(s[i]) else { return nil }
            let start = i
            while i < s.count, isIdentifier(s[i]) { i += 1 }
            return String(String.UnicodeScalarView(s[start..<i]))
        }

        mutating func skipInline() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }

        /// To the start of the next line, over a string literal that spans lines.
        mutating func skipToNextLine() {
            while i < s.count, s[i] != "\n" {
                if s[i] == "#" { while i < s.count, s[i] != "\n" { i += 1 }; break }
                if s[i] == "'" || s[i] == "\"" {
                    if (try? string(raw: true)) == nil { i += 1 }
                    continue
                }
                i += 1
            }
            if i < s.count { i += 1 }
        }

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
            if s[i] == "[" || s[i] == "(" {
                let close: Unicode.Scalar = s[i] == "[" ? "]" : ")"
                let isTuple = s[i] == "("
                i += 1
                depth += 1
                defer { depth -= 1 }
                if depth > Self.maxDepth { throw ParseError(line: line, reason: "lists nested deeper than \(Self.maxDepth) levels") }
                var items: [Value] = []
                var sawComma = false
                while true {
                    skip()
                    guard i < s.count else { throw ParseError(line: line, reason: "unclosed '\(isTuple ? "(" : "[")'") }
                    if s[i] == close {
                        i += 1
                        // `("text")` is the string, not a tuple.
                        if isTuple, items.count == 1, !sawComma { return items[0] }
                        return .list(items)
                    }
                    items.append(try value())
                    skip()
                    if i < s.count, s[i] == "," { i += 1; sawComma = true; continue }
                    if i < s.count, s[i] == close { continue }
                    throw ParseError(line: line, reason: "expected ',' or '\(close)'")
                }
            }
            if peek("lambda"), i + 6 < s.count, !isIdentifier(s[i + 6]) { return .template(try lambda()) }
            let (text, formatted) = try strings()
            if formatted { throw ParseError(line: line, reason: "an f-string outside a lambda") }
            return .string(text)
        }

        /// One or more adjacent string literals, joined as Python joins them; `formatted`
        /// when one of them is an f-string (its braces still as written).
        mutating func strings() throws -> (String, formatted: Bool) {
            var text = ""
            var any = false, formatted = false
            while true {
                skip()
                guard i < s.count else { break }
                var raw = false, f = false
                var j = i
                while j < s.count, j - i < 2, "rRuUfFbB".unicodeScalars.contains(s[j]) {
                    if s[j] == "r" || s[j] == "R" { raw = true }
                    if s[j] == "f" || s[j] == "F" { f = true }
                    j += 1
                }
                guard j < s.count, s[j] == "'" || s[j] == "\"" else { break }
                i = j
                var piece = try string(raw: raw)
                // In a plain string next to an f-string, a brace is a brace: escape it so that
                // the joined text reads the same way throughout.
                if !f { piece = piece.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}") }
                text += piece
                formatted = formatted || f
                any = true
            }
            guard any else { throw ParseError(line: line, reason: "expected a string, a list or a lambda") }
            if !formatted { text = text.replacingOccurrences(of: "{{", with: "{").replacingOccurrences(of: "}}", with: "}") }
            return (text, formatted)
        }

        /// `lambda c: f'… {c} …'` or `lambda c: '… {} …'.format(c)`, as a `{}` template.
        mutating func lambda() throws -> String {
            let at = line
            i += 6
            skipInline()
            guard let parameter = identifier() else { throw ParseError(line: at, reason: "a lambda without a parameter") }
            skipInline()
            guard peek(":") else { throw ParseError(line: at, reason: "a lambda with more than one parameter") }
            i += 1
            let (body, formatted) = try strings()
            if formatted {
                return try Self.fString(body, parameter: parameter, line: at)
            }
            skip()
            // `.format(c)` or `.format(c=c)`
            guard peek(".format(") else {
                throw ParseError(line: at, reason: "a lambda's body must be an f-string or '….format(\(parameter))'")
            }
            i += 8
            skip()
            let argument = identifier()
            skip()
            if argument == "c", peek("=") {
                i += 1; skip()
                guard identifier() == parameter else { throw ParseError(line: at, reason: ".format must be given the lambda's parameter") }
                skip()
            } else if argument != parameter {
                throw ParseError(line: at, reason: ".format must be given the lambda's parameter")
            }
            guard peek(")") else { throw ParseError(line: at, reason: ".format takes one argument here") }
            i += 1
            return Template(body).text
        }

        /// An f-string whose only field is the parameter, in `{}` form (`{{` stays `{{`).
        static func fString(_ body: String, parameter: String, line: Int) throws -> String {
            var out = ""
            var rest = Substring(body)
            while let c = rest.first {
                if rest.hasPrefix("{{") || rest.hasPrefix("}}") { out += rest.prefix(2); rest = rest.dropFirst(2); continue }
                if c == "{" {
                    guard let close = rest.firstIndex(of: "}") else { throw ParseError(line: line, reason: "an unclosed '{' in an f-string") }
                    let field = rest[rest.index(after: rest.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                    guard field == parameter else {
                        throw ParseError(line: line, reason: "the f-string field {\(field)} is not the lambda's parameter \(parameter)")
                    }
                    out += "{}"
                    rest = rest[rest.index(after: close)...]
                    continue
                }
                if c == "}" { throw ParseError(line: line, reason: "a single '}' in an f-string") }
                out.append(c)
                rest = rest.dropFirst()
            }
            return out
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
                if c == "\\", i + 1 < s.count {
                    let e = s[i + 1]
                    i += 2
                    if raw { out.append("\\"); out.append(e); continue }
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "\\", "'", "\"": out.append(e)
                    case "\n": break
                    case "x", "u", "U":
                        let n = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        guard i + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + n)])), radix: 16),
                            let scalar = Unicode.Scalar(v)
                        else {
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
