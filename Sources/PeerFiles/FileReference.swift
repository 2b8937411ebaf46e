import Foundation
import ScoringCore

/// A file as named on a command line or in a session: a path, and optionally `#KEY` for one
/// entry of a file that holds several (a JSON key such as `templates.json#cifar10`, a Python
/// variable such as `zero_shot_metadata.py#SIMPLE_IMAGENET_TEMPLATES`, a set of an export:
/// `export.json#A`). A path that exists as written is a path, `#` and all.
public struct FileReference: Hashable, Sendable, CustomStringConvertible {
    public let path: String
    public let key: String?

    public init(path: String, key: String?) {
        self.path = path
        self.key = key
    }

    public init(_ text: String) {
        if !FileManager.default.fileExists(atPath: text), let hash = text.lastIndex(of: "#") {
            let path = String(text[..<hash]), key = String(text[text.index(after: hash)...])
            if !path.isEmpty, !key.isEmpty {
                self.init(path: path, key: key)
                return
            }
        }
        self.init(path: text, key: nil)
    }

    public var description: String { key.map { "\(path)#\($0)" } ?? path }

    /// The name a set read from here takes when the file gives none: the key, else the
    /// file's name without extension (and without `.cb`).
    public var defaultName: String {
        if let key { return key }
        var name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if name.hasSuffix(".cb") { name = String(name.dropLast(3)) }
        return name
    }
}
