/// A colour as the views ask for it; the driver maps it to what the terminal has.
public enum TerminalColor: Equatable, Sendable {
    case normal
    case ansi(Int)  // 0–7
    case rgb(UInt8, UInt8, UInt8)
}

public struct CellStyle: Equatable, Sendable {
    public var foreground: TerminalColor = .normal
    public var background: TerminalColor = .normal
    public var bold = false
    public var reverse = false
    public var dim = false

    public init(
        foreground: TerminalColor = .normal, background: TerminalColor = .normal,
        bold: Bool = false, reverse: Bool = false, dim: Bool = false
    ) {
        self.foreground = foreground; self.background = background
        self.bold = bold; self.reverse = reverse; self.dim = dim
    }

    public static let plain = CellStyle()
}

/// One screen cell. A wide character fills its cell and marks the next as a continuation.
public struct Cell: Equatable, Sendable {
    public var character: Character = " "
    public var style = CellStyle.plain
    public var isContinuation = false
}

/// The screen, off-screen: views draw into it, the curses driver copies it out, and tests
/// compare its text with recorded screens.
public struct CellGrid: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Writes text from column `x` of row `y`, clipped at `maxX` (exclusive) and the edge;
    /// returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxX: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(maxX ?? width, width)
        var col = x
        for ch in text {
            var safe: Character = ch.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) ? ch : "?"
            // A mark with no base (a label that starts with one) would join whatever the
            // terminal shows in the cell before: draw it on a dotted circle, as fonts do.
            if let first = safe.unicodeScalars.first,
                [.nonspacingMark, .spacingMark, .enclosingMark].contains(first.properties.generalCategory)
            {
                safe = Character("\u{25CC}" + String(safe))
            }
            let w = TextWidth.columns(safe)
            if w == 0 { continue }
            if col + w > limit { break }
            if col >= 0 {
                cells[y * width + col] = Cell(character: safe, style: style, isContinuation: false)
                if w == 2 { cells[y * width + col + 1] = Cell(character: " ", style: style, isContinuation: true) }
            }
            col += w
        }
        return col
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: CellStyle = .plain, character: Character = " ") {
        for row in max(0, y)..<min(height, y + h) {
            for col in max(0, x)..<min(width, x + w) {
                cells[row * width + col] = Cell(character: character, style: style, isContinuation: false)
            }
        }
    }

    public mutating func set(x: Int, y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = cell
    }

    /// The characters, one line per row, trailing spaces kept: what snapshot tests compare.
    public var text: String {
        (0..<height).map { y in
            String(
                (0..<width).compactMap { x -> Character? in
                    let c = self[x, y]
                    return c.isContinuation ? nil : c.character
                })
        }.joined(separator: "\n")
    }
}
