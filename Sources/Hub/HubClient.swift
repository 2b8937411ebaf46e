import Crypto
import Digests
import Foundation
import UserPaths
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fetches a model's files from the Hugging Face Hub into the shared Hub cache:
/// `HF_ENDPOINT` and `HF_TOKEN` honoured, partial files resumed, every file checked
/// against the hash the Hub lists before it is moved into place.
public struct HubClient: Sendable {
    /// How far a fetch is: the file being fetched and its bytes so far.
    public struct Progress: Sendable {
        /// The file's name in the repository.
        public let file: String
        /// Its place among the files fetched, from 0.
        public let fileIndex: Int
        /// How many files the fetch takes.
        public let fileCount: Int
        /// Bytes of this file on disk so far (a resumed file starts above 0).
        public let bytes: Int
        /// The file's size as the Hub lists it, when it does.
        public let totalBytes: Int?
    }

    /// The Hub's address without a trailing slash.
    public let endpoint: String
    /// Sent as a bearer token, for gated and private repositories.
    public let token: String?
    /// The Hub cache folder files are written into.
    public let cache: String
    /// Seconds without data before a request is given up (and resumed by the next attempt).
    public var timeout: TimeInterval = 60
    /// Attempts per file: an interrupted download resumes where it stopped.
    public var attempts = 5
    /// Seconds before the first retry; the n-th waits n times as long.
    public var retryDelay: TimeInterval = 1

    /// A client for `endpoint` (e.g. `https://huggingface.co`) writing into `cache`.
    public init(endpoint: String, token: String?, cache: String) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.token = token
        self.cache = cache
    }

    /// The client huggingface_hub would configure from the environment: `HF_ENDPOINT`
    /// (default https://huggingface.co), `HF_TOKEN` else the token file, and the Hub cache.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment, cache: String) -> HubClient {
        let endpoint = env["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://huggingface.co"
        var token = env["HF_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if token == nil {
            let path = UserPaths(environment: env).hubTokenFile
            token = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if token?.isEmpty == true { token = nil }
        }
        return HubClient(endpoint: endpoint, token: token, cache: cache)
    }

    /// Downloads what clip-tui needs of `repo` at `revision` and returns the snapshot folder.
    /// - Parameter progress: called as each file grows, with bytes so far (on the caller's task).
    public func fetch(repo: String, revision: String = "main", progress: (Progress) -> Void = { _ in }) async throws -> String {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ HubRepoInfo.isSafeRelativePath(String($0)) }) else {
            throw HubError.notFound(repo: repo, revision: revision)
        }
        guard HubRepoInfo.isSafeRelativePath(revision) else { throw HubError.notFound(repo: repo, revision: revision) }
        let info = try await repoInfo(repo: repo, revision: revision)
        let files = try info.filesToFetch(repo: repo)
        let layout = HubCacheLayout(cache: cache, repo: repo)
        for (index, file) in files.enumerated() {
            try await fetchFile(file, repo: repo, commit: info.commit, layout: layout) { bytes in
                progress(Progress(file: file.name, fileIndex: index, fileCount: files.count, bytes: bytes, totalBytes: file.expectedSize))
            }
        }
        try layout.writeRef(revision, commit: info.commit)
        return layout.snapshot(info.commit)
    }

    /// The commit `revision` points to and its files.
    public func repoInfo(repo: String, revision: String) async throws -> HubRepoInfo {
        let url = "\(endpoint)/api/models/\(repo)/revision/\(Self.pathEscaped(revision))?blobs=true"
        let (data, status) = try await get(url)
        switch status {
        case 200: return try HubRepoInfo.parse(data, repo: repo, url: url)
        case 401, 403: throw HubError.unauthorized(repo: repo, hasToken: token != nil)
        case 404: throw HubError.notFound(repo: repo, revision: revision)
        default: throw HubError.httpStatus(url: url, status: status)
        }
    }

    private func fetchFile(
        _ file: HubRepoInfo.File, repo: String, commit: String, layout: HubCacheLayout,
        progress: (Int) -> Void
    ) async throws {
        guard let etag = file.etag else {
            throw HubError.badAnswer(url: "\(endpoint)/api/models/\(repo)", problem: "\(file.name): no blob id or SHA-256 to check it by")
        }
        let fm = FileManager.default
        let blob = layout.blob(etag)
        // One writer per blob, across processes and with huggingface_hub, which takes the
        // same flock on the same file.
        let lock = try layout.lock(etag)
        defer { flock(lock, LOCK_UN); close(lock) }
        if fm.fileExists(atPath: blob) {
            // Already in the cache (fetched before, or by a Python tool): verified then.
            try layout.link(commit: commit, name: file.name, etag: etag)
            progress(file.expectedSize ?? 0)
            return
        }
        do {
            try fm.createDirectory(atPath: URL(fileURLWithPath: blob).deletingLastPathComponent().path, withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheWrite(path: blob, reason: error.localizedDescription)
        }
        let partial = layout.incomplete(etag)
        if let expected = file.expectedSize, let size = Self.fileSize(partial), size > expected {
            try? fm.removeItem(atPath: partial)  // Longer than the file can be: not a prefix of it.
        }
        let url = "\(endpoint)/\(repo)/resolve/\(commit)/\(file.name.split(separator: "/").map { Self.pathEscaped(String($0)) }.joined(separator: "/"))"
        guard let address = URL(string: url) else { throw HubError.badAnswer(url: url, problem: "not a URL") }
        var request = URLRequest(url: address)
        authorize(&request)
        var lastReason = ""
        transfer: for attempt in 1...max(1, attempts) {
            if let expected = file.expectedSize, Self.fileSize(partial) == expected { lastReason = ""; break }
            switch await FileDownloader.fetch(request, into: partial, timeout: timeout, progress: progress) {
            case .complete:
                lastReason = ""
                break transfer
            case let .interrupted(_, reason):
                lastReason = reason
                if attempt < attempts { try await Task.sleep(for: .seconds(retryDelay * Double(attempt))) }
                continue
            case let .unreachable(reason):
                throw HubError.unreachable(endpoint: endpoint, reason: reason)
            case let .status(status):
                if status == 401 || status == 403 { throw HubError.unauthorized(repo: repo, hasToken: token != nil) }
                if status == 404 { throw HubError.notFound(repo: repo, revision: commit) }
                throw HubError.httpStatus(url: url, status: status)
            }
        }
        if !lastReason.isEmpty { throw HubError.transfer(file: file.name, reason: lastReason) }
        let size = Self.fileSize(partial) ?? 0
        if let expected = file.expectedSize, size != expected {
            throw HubError.sizeMismatch(file: file.name, expected: expected, actual: size)
        }
        try verify(partial, file: file, size: size)
        guard rename(partial, blob) == 0 else {
            throw HubError.cacheWrite(path: blob, reason: String(cString: strerror(errno)))
        }
        try layout.link(commit: commit, name: file.name, etag: etag)
    }

    /// Checks the SHA-256 the Hub lists for LFS files, else the git blob id (SHA-1 of
    /// `blob SIZE\0` + bytes). A mismatch deletes the download.
    private func verify(_ partial: String, file: HubRepoInfo.File, size: Int) throws {
        let actual: String, expected: String
        if let sha256 = file.lfsSHA256 {
            var hasher = SHA256()
            try Self.stream(partial) { hasher.update(data: $0) }
            actual = hasher.finalize().hex
            expected = sha256
        } else if let blobId = file.blobId {
            var hasher = Insecure.SHA1()
            hasher.update(data: Data("blob \(size)\0".utf8))
            try Self.stream(partial) { hasher.update(data: $0) }
            actual = hasher.finalize().hex
            expected = blobId
        } else {
            return
        }
        if actual != expected {
            try? FileManager.default.removeItem(atPath: partial)
            throw HubError.checksumMismatch(file: file.name, expected: expected, actual: actual)
        }
    }

    private func get(_ url: String) async throws -> (Data, Int) {
        guard let address = URL(string: url) else { throw HubError.badAnswer(url: url, problem: "not a URL") }
        var request = URLRequest(url: address, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        authorize(&request)
        // Read through the same stream as downloads, and stopped once past the limit.
        var data = Data()
        let status: Int
        do {
            status = try await FileDownloader.stream(request) { chunk in
                data.append(chunk)
                return data.count <= HubRepoInfo.maxAnswerBytes
            }
        } catch {
            throw HubError.unreachable(endpoint: endpoint, reason: error.localizedDescription)
        }
        if data.count > HubRepoInfo.maxAnswerBytes {
            throw HubError.badAnswer(url: url, problem: "answer larger than \(HubRepoInfo.maxAnswerBytes) bytes")
        }
        return (data, status)
    }

    private func authorize(_ request: inout URLRequest) {
        request.setValue("clip-tui", forHTTPHeaderField: "User-Agent")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    }

    static func pathEscaped(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    static func stream(_ path: String, _ body: (Data) -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw HubError.cacheWrite(path: path, reason: "cannot read") }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { body(chunk) }
    }
}
