import Foundation
import InputLimits

/// The images of a folder (recursively), with their true class where one is known: from an
/// ImageFolder layout (the first subfolder names the class) or from a truth file.
public struct ImageCollection: Sendable {
    public struct Item: Sendable, Equatable {
        public let path: String
        /// Path relative to the folder.
        public let relativePath: String
        /// The true class as named by the image's folder or the truth file, if any: a
        /// name, never a position in a label list the user can edit. It is matched against
        /// the current labels at every evaluation (`LabelSet.truthIndices`).
        public var truthName: String?
        /// Where its bytes are: the file at `path`, or a member of a webdataset shard.
        public let location: ImageLocation

        public init(path: String, relativePath: String, truthName: String?, location: ImageLocation? = nil) {
            self.path = path
            self.relativePath = relativePath
            self.truthName = truthName
            self.location = location ?? .file(path)
        }
    }

    public let root: String
    public private(set) var items: [Item]
    /// Subfolder or truth-file names that match no class (reported, not fatal).
    public private(set) var unmatchedClasses: [String] = []

    /// The file names taken as images (the decoder then goes by the content).
    static let extensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif", "webp", "gif", "bmp", "dib", "ppm", "pgm", "pbm", "pnm"]

    /// The webdataset the images come from, if they do (its class names and templates).
    public private(set) var dataset: WebDataset?

    /// Scans `root` for image files (PNG, JPEG, WebP, GIF, BMP, PPM/PGM/PBM), sorted by
    /// relative path. A folder in CLIP_benchmark's webdataset layout (`split/nshards.txt`)
    /// or a `.tar` shard is read in place instead: its samples in shard order, named
    /// `SHARD/KEY`, the truth the `.cls` index into the folder's `classnames.txt`.
    public init(root: String, labels: LabelSet, split: String = "test") throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue, root.lowercased().hasSuffix(".tar") {
            self = try Self(dataset: try WebDataset(shards: [root]), root: root, labels: labels)
        } else if exists, isDirectory.boolValue, WebDataset.isDataset(folder: root, split: split) {
            self = try Self(dataset: try WebDataset(folder: root, split: split), root: root, labels: labels)
        } else {
            guard exists, isDirectory.boolValue else { throw ScoringError.cannotRead(path: root, reason: "not a folder") }
            self = try Self(folder: root, labels: labels)
        }
    }

    /// The samples of several `.tar` shards, in the order given.
    public init(shards: [String], labels: LabelSet) throws {
        self = try Self(dataset: try WebDataset(shards: shards), root: shards.joined(separator: ", "), labels: labels)
    }

    /// The image files under `root`, sorted by relative path.
    private init(folder root: String, labels: LabelSet) throws {
        self.root = root
        let base = URL(fileURLWithPath: root).standardizedFileURL
        var found: [Item] = []
        if let e = FileManager.default.enumerator(
            at: base, includingPropertiesForKeys: [.isRegularFileKey],
            options: [.skipsHiddenFiles])
        {
            for case let url as URL in e where Self.extensions.contains(url.pathExtension.lowercased()) {
                let full = url.standardizedFileURL.path
                let relative = String(full.dropFirst(base.path.count).drop(while: { $0 == "/" }))
                let parts = relative.split(separator: "/")
                found.append(Item(path: full, relativePath: relative, truthName: parts.count >= 2 ? String(parts[0]) : nil))
            }
        }
        items = found.sorted { $0.relativePath < $1.relativePath }
        unmatchedClasses = Self.unmatched(items, labels)
    }

    /// The samples of `dataset`, in shard order.
    private init(dataset: WebDataset, root: String, labels: LabelSet) throws {
        self.root = root
        self.dataset = dataset
        // Bare shards have no classnames.txt: the `.cls` indexes the labels given instead.
        let names = dataset.classNames ?? (labels.classes.isEmpty ? nil : labels.classes.map(\.name))
        items = try dataset.samples().map { s in
            let shardName = URL(fileURLWithPath: s.shard).lastPathComponent
            var truth: String?
            if let index = s.classIndex, let names {
                guard index < names.count else {
                    throw ScoringError.badFormat(
                        path: "\(s.shard)/\(s.key).cls", line: nil,
                        reason:
                            "class index \(index) is outside \(dataset.classNames == nil ? "the labels'" : "classnames.txt's") \(names.count) classes")
                }
                truth = names[index]
            }
            return Item(
                path: "\(s.shard)/\(s.key)", relativePath: "\(shardName)/\(s.key)", truthName: truth,
                location: .member(shard: s.shard, offset: s.image.offset, size: s.image.size, name: s.image.name))
        }
        unmatchedClasses = Self.unmatched(items, labels)
    }

    /// Applies a truth file: CSV (`path,class` per line, an optional header) or JSON
    /// (`{"path": "class"}`); paths relative to the folder. Replaces folder-derived truth.
    public mutating func applyTruth(file: String, labels: LabelSet) throws {
        var map: [String: String] = [:]
        if file.lowercased().hasSuffix(".json") {
            let members = try Self.jsonObject(file, expected: "a JSON object of path → class")
            guard members.allSatisfy({ $0.value.string != nil }) else {
                throw ScoringError.badFormat(path: file, line: nil, reason: "expected a JSON object of path → class")
            }
            for m in members { map[m.key] = m.value.string }
        } else {
            for (n, line) in PromptFiles.lines(try Self.text(file)).enumerated() {
                let fields = Self.csvFields(line)
                guard fields.count >= 2 else {
                    throw ScoringError.badFormat(path: file, line: n + 1, reason: "expected 'path,class'")
                }
                if n == 0, fields[0].lowercased() == "path" { continue }
                map[fields[0]] = fields[1]
            }
        }
        for i in items.indices {
            items[i].truthName = map[items[i].relativePath] ?? map[items[i].path] ?? map[URL(fileURLWithPath: items[i].path).lastPathComponent]
        }
        unmatchedClasses = Self.unmatched(items, labels)
    }

    /// Renames folder-derived truth through a map of folder name → class name: lines
    /// `FOLDER NAME[, synonym…]` (ImageNet's `LOC_synset_mapping.txt`: the first name is
    /// taken) or a JSON object. For WordNet-id folders with a label list in another order.
    public mutating func applyFolderNames(file: String, labels: LabelSet) throws {
        var map: [String: String] = [:]
        if file.lowercased().hasSuffix(".json") {
            for m in try Self.jsonObject(file, expected: "a JSON object of folder → class name") {
                guard let name = m.value.string else {
                    throw ScoringError.badFormat(path: file, line: nil, reason: "\"\(m.key)\": expected a class name")
                }
                map[m.key] = name
            }
        } else {
            for (n, line) in PromptFiles.lines(try Self.text(file)).enumerated() {
                guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                    throw ScoringError.badFormat(path: file, line: n + 1, reason: "expected 'FOLDER NAME'")
                }
                let name = line[space...].split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                guard !name.isEmpty else { throw ScoringError.badFormat(path: file, line: n + 1, reason: "expected 'FOLDER NAME'") }
                map[String(line[..<space])] = name
            }
        }
        for i in items.indices { if let t = items[i].truthName, let name = map[t] { items[i].truthName = name } }
        unmatchedClasses = Self.unmatched(items, labels)
    }

    /// Truth files list every image: a whole ImageNet train set's is tens of megabytes.
    static let truthFileLimits = JSONLimits(maxBytes: 256 << 20, maxDepth: 8)

    /// A truth or folder-name file as text (read once, size-checked).
    private static func text(_ file: String) throws -> String {
        guard let data = try? BoundedFile.read(file, maxBytes: truthFileLimits.maxBytes),
            let text = String(data: data, encoding: .utf8)
        else {
            throw ScoringError.cannotRead(path: file, reason: "missing or not UTF-8")
        }
        return text
    }

    /// A JSON truth or folder-name file's members, through the bounded reader.
    private static func jsonObject(_ file: String, expected: String) throws -> [(key: String, value: JSONValue)] {
        do {
            guard case let .object(members) = try BoundedJSON.value(path: file, limits: truthFileLimits) else {
                throw ScoringError.badFormat(path: file, line: nil, reason: "expected \(expected)")
            }
            return members
        } catch let e as BoundedJSON.Failure {
            if e.unreadable { throw ScoringError.cannotRead(path: file, reason: "missing or not UTF-8") }
            throw ScoringError.badFormat(path: file, line: nil, reason: "expected \(expected)")
        }
    }

    /// Truth names that no class of `labels` has (matched once per name, not per image).
    static func unmatched(_ items: [Item], _ labels: LabelSet) -> [String] {
        let names = items.map(\.truthName)
        return Set(zip(names, labels.truthIndices(names)).compactMap { $1 == nil ? $0 : nil }).sorted()
    }

    /// One CSV line's fields, with "quoted, fields" and "" escapes.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(field.trimmingCharacters(in: .whitespaces)); field = ""
            } else {
                field.append(c)
            }
        }
        fields.append(field.trimmingCharacters(in: .whitespaces))
        return fields
    }

    /// Images whose truth names a class of `labels`.
    public func labelledCount(_ labels: LabelSet) -> Int {
        labels.truthIndices(items.map(\.truthName)).filter { $0 != nil }.count
    }
}
