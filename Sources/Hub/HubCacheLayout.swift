import FileWriting
import Foundation

/// The Hugging Face cache layout that Python tools share:
/// `models--ORG--NAME/{blobs/ETAG, snapshots/COMMIT/FILE -> ../../blobs/ETAG, refs/REVISION}`.
/// Files appear in a snapshot only once complete and verified, so a reader never sees a
/// partial file.
public struct HubCacheLayout: Sendable {
    /// The Hub cache folder (`HF_HUB_CACHE`, else `HF_HOME/hub`).
    public let cache: String
    /// The repository id, `ORG/NAME`.
    public let repo: String

    /// The layout of `repo` under `cache`; nothing is touched on disk.
    public init(cache: String, repo: String) {
        self.cache = cache
        self.repo = repo
    }

    /// `CACHE/models--ORG--NAME`.
    public var repoFolder: String {
        let parts = repo.split(separator: "/")
        return URL(fileURLWithPath: cache).appendingPathComponent("models--\(parts.joined(separator: "--"))").relativePath
    }

    /// Where a verified file's bytes live, by the Hub's etag.
    public func blob(_ etag: String) -> String { repoFolder + "/blobs/" + etag }
    /// Where a download in progress lives (huggingface_hub's own name, so either tool resumes it).
    public func incomplete(_ etag: String) -> String { blob(etag) + ".incomplete" }
    /// The folder of links that is the repository at `commit`.
    public func snapshot(_ commit: String) -> String { repoFolder + "/snapshots/" + commit }
    /// One file's link in a snapshot (`name` may hold folders).
    public func snapshotFile(_ commit: String, _ name: String) -> String { snapshot(commit) + "/" + name }

    /// Takes the exclusive lock huggingface_hub takes for a blob
    /// (`CACHE/.locks/models--ORG--NAME/ETAG.lock`, flock), waiting for another download.
    public func lock(_ etag: String) throws -> Int32 {
        let folder = URL(fileURLWithPath: cache).appendingPathComponent(".locks/" + URL(fileURLWithPath: repoFolder).lastPathComponent).relativePath
        let path = folder + "/" + etag + ".lock"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheWrite(path: folder, reason: error.localizedDescription)
        }
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError.cacheWrite(path: path, reason: String(cString: strerror(errno))) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return fd
    }

    /// Links `snapshots/COMMIT/NAME` to the blob with a relative link (as huggingface_hub does).
    public func link(commit: String, name: String, etag: String) throws {
        let path = snapshotFile(commit, name)
        let depth = name.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            if (try? fm.destinationOfSymbolicLink(atPath: path)) == target { return }
            if fm.fileExists(atPath: path) || (try? fm.destinationOfSymbolicLink(atPath: path)) != nil {
                try fm.removeItem(atPath: path)
            }
            try fm.createSymbolicLink(atPath: path, withDestinationPath: target)
        } catch {
            throw HubError.cacheWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// The snapshot folder of `revision` (a branch or tag through `refs/REVISION`, or a commit
    /// id), if it is in the cache.
    public func existingSnapshot(revision: String = "main") -> String? {
        var commit = revision
        if let text = try? String(contentsOfFile: repoFolder + "/refs/" + revision, encoding: .utf8) {
            commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let folder = snapshot(commit)
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue ? folder : nil
    }

    /// Records which commit a branch or tag name points to (not for commit ids themselves).
    public func writeRef(_ revision: String, commit: String) throws {
        guard revision != commit else { return }
        let path = repoFolder + "/refs/" + revision
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try AtomicFile.write(Data(commit.utf8), to: path)
        } catch let error as AtomicFile.WriteError {
            throw HubError.cacheWrite(path: path, reason: error.reason)
        } catch {
            throw HubError.cacheWrite(path: path, reason: error.localizedDescription)
        }
    }
}
