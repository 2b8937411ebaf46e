import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A read-only memory mapping of a whole file, unmapped when released.
///
/// Pages are read on first touch, so opening a multi-gigabyte checkpoint costs nothing
/// until its tensors are read; `release(range:)` drops pages already copied out.
public final class MappedFile: @unchecked Sendable {
    /// The file mapped, as opened.
    public let path: String
    /// Its length in bytes.
    public let size: Int
    private let base: UnsafeMutableRawPointer?

    /// Maps the whole file read-only.
    /// - Throws: `SafeTensorsError` naming the path when it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "not a regular file")
        }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        base = p
    }

    deinit {
        if let base { munmap(base, size) }
    }

    /// The mapped bytes; valid while this object lives.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Tells the kernel the bytes in `range` are no longer needed, so they leave the
    /// resident set (they are re-read from the file if touched again).
    public func release(range: Range<Int>) {
        guard let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        if end > start { madvise(base + start, end - start, MADV_DONTNEED) }
    }
}
