import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file by writing a temporary file beside it, syncing it, and renaming it over
/// the target: a reader sees the old file or the new one, never half of one. The one
/// writer of session files, exports and the Hub cache's refs.
public enum AtomicFile {
    /// Why a file could not be written, with its path.
    public struct WriteError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let reason: String
        public var description: String { "\(path): cannot write: \(reason)" }
    }

    /// Replaces (or creates) `path` with `data`, mode 0644.
    public static func write(_ data: Data, to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var reason: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    reason = String(cString: strerror(errno))
                    return
                }
                offset += n
            }
        }
        if reason == nil && fsync(fd) != 0 { reason = String(cString: strerror(errno)) }
        close(fd)
        if reason == nil && rename(temp, path) != 0 { reason = String(cString: strerror(errno)) }
        if let reason {
            unlink(temp)
            throw WriteError(path: path, reason: reason)
        }
    }
}
