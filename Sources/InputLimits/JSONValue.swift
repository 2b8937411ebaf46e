/// A JSON document as written, object members in file order. Foundation's parsers hand
/// back dictionaries, which lose the order of keys; CuPL's class sentences and
/// CLIP_benchmark's per-dataset files name classes by key, and their order is the classes'
/// order. Typed all the way down, so callers match cases instead of casting `Any`.
public indirect enum JSONValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Where and why a document did not parse (or broke a limit).
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// Byte offset of the problem in the document.
        public let offset: Int
        /// What was wrong there.
        public let reason: String
        /// Refused by the size or depth limits before parsing (the reason says which).
        public var isLimit = false
        public var description: String { isLimit ? reason : "not valid JSON at byte \(offset): \(reason)" }
    }

    /// Parses `bytes` after checking `limits` (size and depth, before anything is built).
    /// A key that repeats in an object keeps its last value (as Python's `json` does) at its
    /// first place (as a Python dict does).
    public static func parse<Bytes: Collection>(_ bytes: Bytes, limits: JSONLimits = .documents) throws -> JSONValue
    where Bytes.Element == UInt8 {
        if let problem = limits.violation(in: bytes) { throw ParseError(offset: 0, reason: problem, isLimit: true) }
        var parser = Parser(bytes: Array(bytes), maxDepth: limits.maxDepth)
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.i == parser.bytes.count else { throw parser.error("unexpected text after the document") }
        return value
    }

    // MARK: - Access

    /// The text of a string value, else nil.
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    /// The elements of an array, else nil.
    public var array: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
    /// An object's members in the file's order, else nil.
    public var members: [(key: String, value: JSONValue)]? { if case let .object(m) = self { return m } else { return nil } }
    /// An object's keys in the file's order; empty for anything else.
    public var keys: [String] { members?.map(\.key) ?? [] }

    /// The member named `key` of an object (the last one, if repeated).
    public subscript(key: String) -> JSONValue? { members?.last { $0.key == key }?.value }

    /// An array whose elements are all strings, as strings.
    public var strings: [String]? {
        guard let array else { return nil }
        var out: [String] = []
        out.reserveCapacity(array.count)
        for element in array { guard let s = element.string else { return nil }; out.append(s) }
        return out
    }

    /// A short name of the kind of value, for messages.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// Compact JSON text (for messages).
    public var description: String { text(indent: nil) }

    /// JSON text, object members in their order: compact, or with `indent` spaces per level
    /// (and a newline at the end) for files people read and diff.
    public func text(indent: Int? = 2) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        if indent != nil { out += "\n" }
        return out
    }

    private func write(to out: inout String, indent: Int?, level: Int) {
        func newline(_ level: Int) {
            if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        }
        let separator = indent == nil ? ", " : ","
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(d): out += d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case let .string(s): Self.quote(s, into: &out)
        case let .array(items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += separator }
                newline(level + 1)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "]"
        case let .object(members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += separator }
                newline(level + 1)
                Self.quote(m.key, into: &out)
                out += ": "
                m.value.write(to: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; the rest,
    /// non-ASCII included, as it is.
    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    // MARK: - Parser

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var i = 0
        var depth = 0

        init(bytes: [UInt8], maxDepth: Int) { self.bytes = bytes; self.maxDepth = maxDepth }

        func error(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ word: String) throws {
            for b in word.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw error("expected \(word)") }
                i += 1
            }
        }

        mutating func value() throws -> JSONValue {
            guard i < bytes.count else { throw error("unexpected end of file") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try container(close: UInt8(ascii: "}"))
            case UInt8(ascii: "["): return try container(close: UInt8(ascii: "]"))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func container(close: UInt8) throws -> JSONValue {
            depth += 1
            defer { depth -= 1 }
            if depth > maxDepth { throw error("nested deeper than \(maxDepth) levels") }
            let isObject = close == UInt8(ascii: "}")
            i += 1
            var elements: [JSONValue] = []
            var members: [(key: String, value: JSONValue)] = []
            var position: [String: Int] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == close {
                i += 1
                return isObject ? .object([]) : .array([])
            }
            while true {
                skipSpace()
                if isObject {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                    let key = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
                    i += 1
                    skipSpace()
                    let v = try value()
                    if let existing = position[key] {
                        members[existing].value = v
                    } else {
                        position[key] = members.count
                        members.append((key, v))
                    }
                } else {
                    elements.append(try value())
                }
                skipSpace()
                guard i < bytes.count else { throw error("unexpected end of file") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == close { i += 1; break }
                throw error(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
            return isObject ? .object(members) : .array(elements)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw error("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw error("bad \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    i += 1
                    guard let s = String(validating: out, as: UTF8.self) else { throw error("a string is not UTF-8") }
                    return s
                }
                if b < 0x20 { throw error("a control character inside a string") }
                if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A surrogate pair; a lone half becomes U+FFFD, as Python's json does not
                        // refuse it but no valid UTF-8 can carry it.
                        if i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            let low = try hex4()
                            scalar = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        scalar = 0xFFFD
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
                default: throw error("bad escape \\\(Character(Unicode.Scalar(e)))")
                }
            }
            throw error("unterminated string")
        }

        mutating func number() throws -> Double {
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            guard i > start, let text = String(bytes: bytes[start..<i], encoding: .utf8), let v = Double(text) else {
                i = start
                throw error("expected a value")
            }
            return v
        }
    }
}
