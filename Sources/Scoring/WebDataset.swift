import Foundation
import PeerFiles

/// An evaluation set in CLIP_benchmark's webdataset layout (`build_wds_dataset` in
/// clip_benchmark 1.6.2's `datasets/builder.py`), read in place:
///
///     DIR/{split}/nshards.txt          the shard count n
///     DIR/{split}/0.tar … (n−1).tar    samples: members grouped by key (the name up to the
///                                      first dot), an image (.webp, .png, .jpg, .jpeg) and
///                                      a .cls holding the class index as text
///     DIR/classnames.txt               a class name a line
///     DIR/zeroshot_classification_templates.txt   templates written with {c}
///     DIR/dataset_type.txt             optional; retrieval and multilabel are other tasks
///
/// Also a bare `.tar` (or several) in the same sample layout, with no class names.
public struct WebDataset: Sendable {
    /// One image of a shard: where its bytes are, and its class index when it has a `.cls`.
    public struct Sample: Sendable, Equatable {
        public let shard: String
        public let key: String
        public let image: TarArchive.Member
        public let classIndex: Int?
    }

    /// The shards, in order.
    public let shards: [String]
    /// `classnames.txt` (a line per class index, as clip_benchmark strips them) and the
    /// templates file (read as `--templates` reads it), when the folder has them.
    public let classNames: [String]?
    public let templates: [String]?

    /// Suffixes taken as the sample's image, as clip_benchmark's `to_tuple` lists them.
    static let imageSuffixes = ["webp", "png", "jpg", "jpeg"]
    /// A member larger than this is refused (images of this size are not evaluation data).
    public static let maxMemberBytes: Int64 = 256 << 20

    /// A webdataset folder's `classnames.txt`, when `folder` is one and has it.
    public static func classNamesFile(folder: String, split: String) -> String? {
        let names = URL(fileURLWithPath: folder).appendingPathComponent("classnames.txt").path
        return isDataset(folder: folder, split: split) && FileManager.default.fileExists(atPath: names) ? names : nil
    }

    /// A webdataset folder's templates file, when `folder` is one and has it.
    public static func templatesFile(folder: String, split: String) -> String? {
        let file = URL(fileURLWithPath: folder).appendingPathComponent("zeroshot_classification_templates.txt").path
        return isDataset(folder: folder, split: split) && FileManager.default.fileExists(atPath: file) ? file : nil
    }

    /// Whether `folder` has the layout's shard count for `split`.
    public static func isDataset(folder: String, split: String) -> Bool {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: folder).appendingPathComponent("\(split)/nshards.txt").path)
    }

    /// Reads the layout of `folder` for `split`.
    /// - Throws: `ScoringError` naming the file: a missing or bad `nshards.txt`, a shard it
    ///   lists that is missing, a `dataset_type.txt` naming another task.
    public init(folder: String, split: String) throws {
        let base = URL(fileURLWithPath: folder)
        func file(_ name: String) -> String { base.appendingPathComponent(name).path }
        func text(_ path: String) -> String? {
            (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { String(data: $0, encoding: .utf8) }
        }
        let typePath = file("dataset_type.txt")
        if let type = text(typePath)?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(), !type.isEmpty, type != "classification" {
            throw ScoringError.badFormat(
                path: typePath, line: nil, reason: "a \(type) dataset: clip-tui evaluates zero-shot classification only")
        }
        let countPath = file("\(split)/nshards.txt")
        guard let countText = text(countPath) else { throw ScoringError.cannotRead(path: countPath, reason: "missing or not UTF-8") }
        guard let n = Int(countText.trimmingCharacters(in: .whitespacesAndNewlines)), n > 0, n <= 1_000_000 else {
            throw ScoringError.badFormat(path: countPath, line: 1, reason: "expected a positive shard count")
        }
        let shards = (0..<n).map { file("\(split)/\($0).tar") }
        for s in shards where !FileManager.default.fileExists(atPath: s) {
            throw ScoringError.cannotRead(path: s, reason: "missing: \(countPath) lists \(n) shards")
        }
        self.shards = shards
        /// A file's lines, stripped as clip_benchmark strips them, trailing empty ones dropped.
        func lines(_ path: String) -> [String]? {
            guard let t = text(path) else { return nil }
            var l = t.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            while l.last == "" { l.removeLast() }
            return l
        }
        classNames = lines(file("classnames.txt"))
        templates = Self.templatesFile(folder: folder, split: split).flatMap { try? PromptFiles.readTemplates(path: $0) }?
            .templates.map(\.text)
    }

    /// Bare tar shards, in the order given.
    public init(shards: [String]) throws {
        for s in shards where !FileManager.default.fileExists(atPath: s) { throw ScoringError.cannotRead(path: s, reason: "no such file") }
        self.shards = shards
        classNames = nil
        templates = nil
    }

    /// Every sample of every shard, in order. A sample is the run of consecutive members
    /// sharing a key, as webdataset groups them.
    /// - Throws: `ScoringError` naming the shard and key: a truncated or damaged shard, a
    ///   key with two images, a `.cls` that is not an index, a member over the size limit.
    public func samples() throws -> [Sample] {
        var out: [Sample] = []
        for shard in shards {
            var key: String?
            var image: TarArchive.Member?
            var classIndex: Int?
            func flush() {
                if let key, let image { out.append(Sample(shard: shard, key: key, image: image, classIndex: classIndex)) }
                image = nil
                classIndex = nil
            }
            for member in try TarArchive.members(of: shard) {
                let (k, suffix) = Self.split(member.name)
                if k != key {
                    flush()
                    key = k
                }
                let named = "\(shard)/\(k)"
                if Self.imageSuffixes.contains(suffix) {
                    guard image == nil else {
                        throw ScoringError.badFormat(path: named, line: nil, reason: "two images in one sample (.\(suffix) and another)")
                    }
                    guard member.size <= Self.maxMemberBytes else {
                        throw ScoringError.badFormat(path: named, line: nil, reason: "a \(member.size)-byte image is over the limit of \(Self.maxMemberBytes)")
                    }
                    image = member
                } else if suffix == "cls" {
                    guard member.size <= 64, let text = String(data: try TarArchive.read(member, of: shard), encoding: .utf8),
                        let index = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), index >= 0
                    else {
                        throw ScoringError.badFormat(path: "\(named).cls", line: nil, reason: "expected a class index")
                    }
                    classIndex = index
                }
            }
            flush()
        }
        return out
    }

    /// Where the image named `SHARD.tar/KEY` is (items of a webdataset are named so): for
    /// what has only the name, the session's preview. Nil when the name is no such member.
    public static func location(named path: String) -> ImageLocation? {
        guard let r = path.range(of: ".tar/", options: .backwards) else { return nil }
        let shard = String(path[..<r.upperBound].dropLast()), key = String(path[r.upperBound...])
        guard let members = try? TarArchive.members(of: shard) else { return nil }
        for m in members {
            let (k, suffix) = split(m.name)
            if k == key, imageSuffixes.contains(suffix) { return .member(shard: shard, offset: m.offset, size: m.size, name: m.name) }
        }
        return nil
    }

    /// How views name an image of `path`: its file name, or `SHARD.tar/KEY` for a member.
    public static func shortName(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().lastPathComponent
        return parent.lowercased().hasSuffix(".tar") ? "\(parent)/\(url.lastPathComponent)" : url.lastPathComponent
    }

    /// webdataset's `base_plus_ext`: the key is the path up to the first dot of its last
    /// component, the suffix the rest, lowercased.
    static func split(_ name: String) -> (key: String, suffix: String) {
        let slash = name.lastIndex(of: "/").map { name.index(after: $0) } ?? name.startIndex
        guard let dot = name[slash...].firstIndex(of: ".") else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]).lowercased())
    }
}

/// Where an image's bytes are: a file, or a member of a tar shard.
public enum ImageLocation: Sendable, Hashable {
    case file(String)
    case member(shard: String, offset: Int64, size: Int64, name: String)

    /// Reads the bytes, named in errors by `name` (a file's path, a shard member's `shard/key`).
    public func read(name: String) throws -> ImageFile {
        switch self {
        case let .file(path): return try ImageFile(path: path)
        case let .member(shard, offset, size, member):
            let data = try TarArchive.read(TarArchive.Member(name: member, offset: offset, size: size), of: shard)
            return ImageFile(path: name, bytes: data)
        }
    }

    /// The key of the cache's record of content hashes: a file's path; a shard's path and
    /// the member's offset (the shard's size, modification time and inode are its stamp).
    public var hashIndexKey: String {
        switch self {
        case let .file(path): return path
        case let .member(shard, offset, _, _): return "\(shard)#\(offset)"
        }
    }

    /// The file whose stamp says whether a recorded hash still holds.
    public var stampedFile: String {
        switch self {
        case let .file(path): return path
        case let .member(shard, _, _, _): return shard
        }
    }
}
