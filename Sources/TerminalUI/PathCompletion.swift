import Foundation

/// Completes a typed path as a shell does: to the longest common prefix of the entries that
/// start with what was typed, a folder ending in '/'; `~/` is the home folder. Hidden
/// entries are offered only when a '.' was typed.
public enum PathCompletion {
    /// What Tab gives: the completed text and the names it could still become.
    public struct Result: Equatable, Sendable {
        /// The typed path, completed as far as it is unambiguous.
        public var text: String
        /// The matching entries when there is more than one (shown on the status line).
        public var candidates: [String]
        /// A completion and its remaining candidates.
        public init(text: String, candidates: [String]) { self.text = text; self.candidates = candidates }
    }

    /// - Parameters: `list` gives a folder's entries (nil: not a folder); `isFolder` says
    ///   whether a path is one; `home` expands `~`.
    public static func complete(
        _ typed: String, home: String, list: (String) -> [String]?,
        isFolder: (String) -> Bool
    ) -> Result {
        let expanded = typed == "~" ? home + "/" : (typed.hasPrefix("~/") ? home + typed.dropFirst(1) : typed)
        let folder: String, stem: String
        if let slash = expanded.lastIndex(of: "/") {
            folder = String(expanded[...slash])
            stem = String(expanded[expanded.index(after: slash)...])
        } else {
            folder = ""
            stem = expanded
        }
        guard let entries = list(folder.isEmpty ? "." : folder) else { return Result(text: typed, candidates: []) }
        let matches = entries.filter { $0.hasPrefix(stem) && (stem.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted()
        guard let first = matches.first else { return Result(text: typed, candidates: []) }
        var common = first
        for m in matches.dropFirst() {
            while !m.hasPrefix(common) { common.removeLast() }
        }
        var text = folder + common
        if matches.count == 1, isFolder(text) { text += "/" }
        return Result(text: text, candidates: matches.count > 1 ? matches : [])
    }
}
