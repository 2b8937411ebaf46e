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
        if let around { return around.before + name + around.after }
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
