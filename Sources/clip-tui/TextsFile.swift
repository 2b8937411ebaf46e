import Foundation

/// A texts file: one text per line, split at "\n", a "\r" before it dropped; a final
/// newline ends the last line rather than starting an empty one; empty lines are texts.
public enum TextsFile {
    public struct ReadError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public static func read(path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReadError(path: path, reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(path: path, reason: "not UTF-8 text")
        }
        return parse(text)
    }

    public static func parse(_ text: String) -> [String] {
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split at "\n".
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return [] }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...], as: UTF8.self)
        }
        if bytes.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines
    }
}
