/// Terminal columns a character takes: 2 for East Asian wide and full-width characters and
/// emoji, 0 for combining marks and zero-width characters, 1 otherwise (as wcwidth does).
public enum TextWidth {
    /// Columns of a grapheme: an emoji sequence takes 2, otherwise its first scalar decides.
    public static func columns(_ c: Character) -> Int {
        guard let first = c.unicodeScalars.first else { return 0 }
        if c.unicodeScalars.count > 1, c.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation || $0.value == 0xFE0F }) {
            return 2
        }
        return columns(first)
    }

    /// Columns of one scalar: 0, 1 or 2.
    public static func columns(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v == 0 { return 0 }
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if s.properties.isEmojiPresentation { return 2 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD
        ]
        return wide.contains { $0.contains(v) } ? 2 : 1
    }

    /// Columns of a string, grapheme by grapheme.
    public static func columns(_ s: String) -> Int { s.reduce(0) { $0 + columns($1) } }

    /// The longest prefix of `s` that fits in `width` columns.
    public static func prefix(_ s: String, fitting width: Int) -> String {
        var used = 0
        var out = ""
        for c in s {
            let w = columns(c)
            if used + w > width { break }
            used += w
            out.append(c)
        }
        return out
    }

    /// Lines of at most `width` columns, broken after a space where one is near (the help's
    /// descriptions, the message log).
    public static func wrap(_ text: String, width: Int) -> [String] {
        var out: [String] = [], rest = Substring(text)
        repeat {
            let piece = prefix(String(rest), fitting: max(1, width))
            var cut = piece.count
            if piece.count < rest.count, let space = piece.lastIndex(of: " "), piece.distance(from: piece.startIndex, to: space) > 0 {
                cut = piece.distance(from: piece.startIndex, to: space) + 1
            }
            out.append(String(rest.prefix(max(1, cut))))
            rest = rest.dropFirst(max(1, cut))
        } while !rest.isEmpty
        return out
    }
}
