/// One prompt template: text with a `{}` placeholder for the class name, as OpenAI and
/// open_clip write them. `{{` and `}}` are literal braces; CLIP_benchmark's `{c}` is read
/// as the placeholder.
public struct Template: Hashable, Sendable, Codable {
    /// The template in `{}` form.
    public let text: String

    private enum Piece: Hashable { case literal(String), placeholder }
    private let pieces: [Piece]
    /// The text around the placeholder when there is exactly one (almost every template):
    /// a render is then one concatenation (a keystroke renders thousands of prompts).
    private let around: (before: String, after: String)?

    public static func == (a: Template, b: Template) -> Bool { a.text == b.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    public init(_ text: String) {
        // Almost every template has one `{}` and no other brace: split at it and keep the
        // text as it is. A key re-reads every template of the sets (87 at ImageNet × 80 +
        // 7), and the general scan below cost 10 µs each.
        let utf8 = text.utf8
        let brace = UInt8(ascii: "{"), closing = UInt8(ascii: "}")
        if let open = utf8.firstIndex(where: { $0 == brace || $0 == closing }), utf8[open] == brace,
            case let close = utf8.index(after: open), close < utf8.endIndex, utf8[close] == closing,
            text[open...].hasPrefix("{}"),  // not a brace a combining mark is part of
            case let after = utf8.index(after: close), !utf8[after...].contains(where: { $0 == brace || $0 == closing })
        {
            let before = String(text[..<open]), rest = String(text[after...])
            self.text = text
            pieces = [.literal(before), .placeholder, .literal(rest)]
            around = (before, rest)
            return
        }
        if !utf8.contains(where: { $0 == brace || $0 == closing }) {
            self.text = text
            pieces = [.literal(text)]
            around = nil
            return
        }
        var pieces: [Piece] = []
        var literal = ""
        var i = text.startIndex
        while i < text.endIndex {
            let rest = text[i...]
            if rest.hasPrefix("{{") { literal += "{"; i = text.index(i, offsetBy: 2); continue }
            if rest.hasPrefix("}}") { literal += "}"; i = text.index(i, offsetBy: 2); continue }
            if rest.hasPrefix("{}") || rest.hasPrefix("{c}") {
                pieces.append(.literal(literal)); literal = ""
                pieces.append(.placeholder)
                i = text.index(i, offsetBy: rest.hasPrefix("{}") ? 2 : 3)
                continue
            }
            literal.append(text[i])
            i = text.index(after: i)
        }
        pieces.append(.literal(literal))
        self.pieces = pieces
        if pieces.count == 3, case let .literal(before) = pieces[0], case let .literal(after) = pieces[2] {
            around = (before, after)
        } else {
            around = nil
        }
        // Normalise {c} to {} so that equal templates compare equal.
        self.text = pieces.map { piece -> String in
            switch piece {
            case .placeholder: return "{}"
            case let .literal(s): return s.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
            }
        }.joined()
    }

    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }

    public var placeholderCount: Int { pieces.filter { $0 == .placeholder }.count }

    /// The text before the first placeholder (nil without one): every class's prompt
    /// starts with it, so an edit there changes every prompt from that point on.
    public var beforePlaceholder: String? {
        guard let first = pieces.firstIndex(of: .placeholder) else { return nil }
        return pieces[..<first].map { piece -> String in
            if case let .literal(s) = piece { return s }
            return ""
        }.joined()
    }
    public var hasPlaceholder: Bool { placeholderCount > 0 }

    /// The prompt for a class name: every placeholder replaced by it, escapes resolved.
    public func render(_ name: String) -> String {
        if let around {
            // One allocation, not one per concatenation (a key renders 6,000 prompts).
            var prompt = ""
            prompt.reserveCapacity(around.before.utf8.count + name.utf8.count + around.after.utf8.count)
            prompt += around.before
            prompt += name
            prompt += around.after
            return prompt
        }
        return pieces.map { piece -> String in
            switch piece {
            case .placeholder: return name
            case let .literal(s): return s
            }
        }.joined()
    }

    /// The template in CLIP_benchmark's `{c}` form.
    public var benchmarkText: String { text.replacingOccurrences(of: "{}", with: "{c}") }
}
