/// One line being edited in place: the text and a cursor between characters.
public struct LineEditor: Equatable, Sendable {
    public private(set) var characters: [Character]
    public private(set) var cursor: Int

    /// An editor over `text`, the cursor at its end.
    public init(_ text: String) {
        characters = Array(text)
        cursor = characters.count
    }

    /// The line as edited so far.
    public var text: String { String(characters) }

    /// One editing step, as the key bindings produce them.
    public enum Edit: Equatable, Sendable {
        case insert(String)
        case backspace, delete
        case left, right, home, end
        case wordLeft, wordRight, deleteWordLeft, deleteToEnd, deleteToStart
    }

    public mutating func apply(_ edit: Edit) {
        switch edit {
        case let .insert(s):
            let clean = s.filter { !$0.isNewline && $0 != "\t" }
            characters.insert(contentsOf: clean, at: cursor)
            cursor += clean.count
        case .backspace:
            if cursor > 0 { characters.remove(at: cursor - 1); cursor -= 1 }
        case .delete:
            if cursor < characters.count { characters.remove(at: cursor) }
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(characters.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = characters.count
        case .wordLeft: cursor = wordStart(before: cursor)
        case .wordRight: cursor = wordEnd(after: cursor)
        case .deleteWordLeft:
            let start = wordStart(before: cursor)
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .deleteToEnd: characters.removeSubrange(cursor...)
        case .deleteToStart:
            characters.removeSubrange(..<cursor)
            cursor = 0
        }
    }

    private func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    private func wordStart(before i: Int) -> Int {
        var j = i
        while j > 0, !isWord(characters[j - 1]) { j -= 1 }
        while j > 0, isWord(characters[j - 1]) { j -= 1 }
        return j
    }

    private func wordEnd(after i: Int) -> Int {
        var j = i
        while j < characters.count, !isWord(characters[j]) { j += 1 }
        while j < characters.count, isWord(characters[j]) { j += 1 }
        return j
    }

    /// Columns from the start of the line to the cursor.
    public var cursorColumn: Int { characters[..<cursor].reduce(0) { $0 + TextWidth.columns($1) } }
}
