#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// Reads a whole file with its size checked first (from `fstat`, before any buffer is
/// allocated), with plain POSIX calls: Foundation's reader leaks 4 KiB on every empty file
/// (LeakSanitizer, found by fuzz-config), and an untrusted file can be empty.
public enum BoundedFile {
    /// Why the file was not read, with its path.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case cannotOpen(reason: String)
        case tooLarge(size: Int, limit: Int)

        public var description: String {
            switch self {
            case let .cannotOpen(reason): return reason
            case let .tooLarge(size, limit): return "\(size) bytes is over the limit of \(limit)"
            }
        }
    }

    /// The whole file, refused without reading when larger than `maxBytes`.
    /// - Throws: `Failure` naming the path.
    public static func read(_ path: String, maxBytes: Int) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.cannotOpen(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure.cannotOpen(reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw Failure.cannotOpen(reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size <= maxBytes else { throw Failure.tooLarge(size: size, limit: maxBytes) }
        var data = Data(count: size)
        var offset = 0
        try data.withUnsafeMutableBytes { raw in
            while offset < size {
                let n = Glibc.read(fd, raw.baseAddress! + offset, size - offset)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw Failure.cannotOpen(reason: String(cString: strerror(errno))) }
                if n == 0 { break }  // shrank while being read
                offset += n
            }
        }
        return data.prefix(offset)
    }
}
