import Foundation

/// The regular files of a tar archive (ustar, GNU long names, pax paths), listed by reading
/// only the 512-byte headers and seeking over the data: memory stays bounded whatever the
/// archive's size, and nothing is extracted.
public enum TarArchive {
    /// One regular file in an archive.
    public struct Member: Sendable, Equatable {
        /// Its path inside the archive.
        public let name: String
        /// Where its bytes start in the archive, and how many there are.
        public let offset: Int64
        public let size: Int64
    }

    /// Every regular file of the archive at `path`, in order.
    /// - Throws: `ScoringError` naming the archive: unreadable, a damaged header (bad
    ///   checksum or size), or truncated (the file ends inside a header or a member).
    public static func members(of path: String) throws -> [Member] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ScoringError.cannotRead(path: path, reason: "no such file or not readable")
        }
        defer { try? handle.close() }
        let length = Int64((try? handle.seekToEnd()) ?? 0)
        func damaged(_ reason: String) -> ScoringError { .badFormat(path: path, line: nil, reason: "not a readable tar archive: \(reason)") }
        var members: [Member] = []
        var offset: Int64 = 0
        var longName: String?  // a GNU 'L' record or a pax 'path' for the next member
        while true {
            try? handle.seek(toOffset: UInt64(offset))
            let header = [UInt8]((try? handle.read(upToCount: 512)) ?? Data())
            if header.count == 512 && header.allSatisfy({ $0 == 0 }) {
                // The end: zero blocks (two by the standard; one is accepted).
                guard longName == nil else { throw damaged("truncated after a long-name record at byte \(offset)") }
                return members
            }
            // Every writer ends an archive with zero blocks: a file that stops between
            // members has lost some (a sample's .cls, whole samples).
            guard !header.isEmpty else { throw damaged("truncated: the archive ends at byte \(offset) without its end blocks") }
            guard header.count == 512 else { throw damaged("truncated inside the header at byte \(offset)") }
            guard checksumMatches(header) else { throw damaged("bad header checksum at byte \(offset)") }
            guard let size = number(header[124..<136]), size >= 0 else { throw damaged("bad member size at byte \(offset)") }
            let data = offset + 512
            guard data + size <= length else {
                throw damaged("truncated: \(string(header[0..<100])) needs \(size) bytes at byte \(data), the file has \(length - data)")
            }
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"):
                guard size <= 1 << 20 else { throw damaged("a \(size)-byte name record at byte \(offset)") }
                try handle.seek(toOffset: UInt64(data))
                let bytes = [UInt8]((try? handle.read(upToCount: Int(size))) ?? Data())
                if type == UInt8(ascii: "L") {
                    longName = string(bytes[...])
                } else if let path = paxPath(bytes) {
                    longName = path
                }
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                var name = longName ?? string(header[0..<100])
                if longName == nil, Array(header[257..<262]) == Array("ustar".utf8) {
                    let prefix = string(header[345..<500])
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                members.append(Member(name: name, offset: data, size: size))
                longName = nil
            default:
                longName = nil  // directories, links, devices: not images
            }
            offset = data + (size + 511) / 512 * 512
        }
    }

    /// The bytes of `member` of the archive at `path`.
    public static func read(_ member: Member, of path: String) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ScoringError.cannotRead(path: path, reason: "no such file or not readable")
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(member.offset))
        let data = (try? handle.read(upToCount: Int(member.size))) ?? Data()
        guard data.count == Int(member.size) else {
            throw ScoringError.cannotRead(path: "\(path)/\(member.name)", reason: "the archive ends inside this member")
        }
        return data
    }

    /// A NUL-terminated header field.
    private static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (spaces and NULs around it), or base-256 when its first bit is set.
    private static func number(_ field: ArraySlice<UInt8>) -> Int64? {
        if let first = field.first, first & 0x80 != 0 {
            var v: Int64 = Int64(first & 0x7F)
            for b in field.dropFirst() {
                guard v < Int64.max >> 8 else { return nil }
                v = v << 8 | Int64(b)
            }
            return v
        }
        let digits = field.drop { $0 == 0x20 }.prefix { $0 != 0 && $0 != 0x20 }
        guard !digits.isEmpty else { return 0 }
        var v: Int64 = 0
        for d in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(d), v < Int64.max >> 3 else { return nil }
            v = v << 3 | Int64(d - UInt8(ascii: "0"))
        }
        return v
    }

    /// The header's checksum: the sum of its bytes with the checksum field read as spaces.
    private static func checksumMatches(_ header: [UInt8]) -> Bool {
        guard let stored = number(header[148..<156]) else { return false }
        var sum: Int64 = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int64(b) }
        return sum == stored
    }

    /// The `path` record of a pax extended header (`LEN path=VALUE\n` records).
    private static func paxPath(_ bytes: [UInt8]) -> String? {
        var at = 0
        while at < bytes.count {
            // A record's length counts its own digits and space (found by fuzz-tar: a length
            // shorter than that once made an inverted range).
            guard let space = bytes[at...].firstIndex(of: 0x20), let length = Int(String(decoding: bytes[at..<space], as: UTF8.self)),
                length > space - at, at + length <= bytes.count
            else { return nil }
            let record = String(decoding: bytes[(space + 1)..<(at + length)], as: UTF8.self)
            if record.hasPrefix("path=") { return String(record.dropFirst(5).dropLast(record.hasSuffix("\n") ? 1 : 0)) }
            at += length
        }
        return nil
    }
}
