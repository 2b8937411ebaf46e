import Foundation
import InputLimits

/// The Hub's answer to `GET /api/models/ORG/NAME/revision/REV?blobs=true`: the commit a
/// revision points to and its files, with the hashes the cache is keyed by.
public struct HubRepoInfo: Equatable, Sendable {
    /// One file of the repository as the Hub's API lists it.
    public struct File: Equatable, Sendable {
        /// Path in the repository.
        public let name: String
        /// Size of the git object: the file itself, or its LFS pointer.
        public let size: Int?
        /// Git blob id (SHA-1 of `blob SIZE\0` + bytes): the cache's blob name for small files.
        public let blobId: String?
        /// For files stored with Git LFS: the SHA-256 of the content and its size.
        public let lfsSHA256: String?
        /// Size of the LFS object, for files stored in LFS.
        public let lfsSize: Int?

        /// The blob name in `blobs/`, as huggingface_hub names it (the ETag): the LFS SHA-256,
        /// else the git blob id.
        public var etag: String? { lfsSHA256 ?? blobId }
        /// The size the downloaded file must have.
        public var expectedSize: Int? { lfsSize ?? size }
    }

    /// The commit id the revision resolved to (40 hex digits).
    public let commit: String
    /// Every file at that commit.
    public let files: [File]

    /// Largest answer accepted: the listing of a model with thousands of files is well under.
    public static let maxAnswerBytes = 16 << 20

    /// Parses and validates the answer: the commit must be a 40-digit hex id, hashes hex, and
    /// every file name a relative path that stays inside the snapshot folder.
    public static func parse(_ data: Data, repo: String, url: String) throws -> HubRepoInfo {
        let root: JSONValue
        do {
            root = try JSONValue.parse(data, limits: JSONLimits(maxBytes: maxAnswerBytes, maxDepth: 64))
        } catch let e as JSONValue.ParseError {
            throw HubError.badAnswer(url: url, problem: e.isLimit ? e.reason : "not JSON")
        }
        guard root.members != nil else { throw HubError.badAnswer(url: url, problem: "not a JSON object") }
        guard let commit = root["sha"]?.string, isHex(commit, lengths: [40]) else {
            throw HubError.badAnswer(url: url, problem: "no commit id (\"sha\")")
        }
        guard let siblings = root["siblings"]?.array else {
            throw HubError.badAnswer(url: url, problem: "no file list (\"siblings\")")
        }
        var files: [File] = []
        for entry in siblings where entry.members != nil {
            guard let name = entry["rfilename"]?.string else { continue }
            guard isSafeRelativePath(name) else { throw HubError.unsafeFileName(repo: repo, name: name) }
            let lfs = entry["lfs"].flatMap { $0.members != nil ? $0 : nil }
            let blobId = entry["blobId"]?.string.flatMap { isHex($0, lengths: [40]) ? $0 : nil }
            let sha256 = lfs?["sha256"]?.string.flatMap { isHex($0, lengths: [64]) ? $0.lowercased() : nil }
            if lfs != nil && sha256 == nil {
                throw HubError.badAnswer(url: url, problem: "\(name): LFS entry without a SHA-256")
            }
            files.append(
                File(
                    name: name, size: nonNegative(entry["size"]), blobId: blobId?.lowercased(),
                    lfsSHA256: sha256, lfsSize: nonNegative(lfs?["size"])))
        }
        return HubRepoInfo(commit: commit.lowercased(), files: files)
    }

    /// What clip-tui needs of a CLIP checkpoint: the config, the tokenizer and preprocessor
    /// files, and the safetensors weights (one file, or an index and its shards). Where the
    /// repository has open_clip's files, those decide: `open_clip_config.json` and
    /// `open_clip_model.safetensors`, not a timm `config.json` and image-only weights beside them.
    public func filesToFetch(repo: String) throws -> [File] {
        var tokenizer: Set<String> = [
            "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spiece.model", "tokenizer.model"
        ]
        // SigLIP's SentencePiece model is what clip-tui reads; the same model converted to
        // tokenizer.json is 34 MB for SigLIP 2's Gemma vocabulary, and not needed beside it.
        if files.contains(where: { $0.name == "spiece.model" || $0.name == "tokenizer.model" }) { tokenizer.remove("tokenizer.json") }
        let picked: [File]
        if files.contains(where: { $0.name == "open_clip_config.json" }) {
            picked = files.filter { tokenizer.contains($0.name) || $0.name == "open_clip_config.json" || $0.name == "open_clip_model.safetensors" }
        } else {
            let wanted = tokenizer.union(["config.json", "preprocessor_config.json", "model.safetensors.index.json"])
            picked = files.filter { file in
                if wanted.contains(file.name) { return true }
                return !file.name.contains("/") && file.name.hasPrefix("model") && file.name.hasSuffix(".safetensors")
            }
        }
        guard picked.contains(where: { $0.name.hasSuffix(".safetensors") }) else {
            throw HubError.noWeights(repo: repo, files: files.map(\.name))
        }
        return picked
    }

    static func isHex(_ s: String, lengths: Set<Int>) -> Bool {
        lengths.contains(s.utf8.count) && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
    }

    /// A name like `config.json` or `text/config.json`: no `..`, no absolute path, no
    /// backslash or NUL, no empty parts.
    static func isSafeRelativePath(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 1024, !name.hasPrefix("/"),
            !name.contains("\\"), !name.contains("\0")
        else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != "" && $0 != "." && $0 != ".." }
    }

    private static func nonNegative(_ value: JSONValue?) -> Int? {
        guard case let .number(d)? = value, d >= 0, d < 1e15, d == d.rounded() else { return nil }
        return Int(d)
    }
}
