/// Limits checked on JSON bytes before any parser allocates for them: total size, nesting
/// depth and the number of members at the top level. Foundation's parsers recurse per level
/// and allocate per member, so a hostile file must be refused before it reaches them.
public struct JSONLimits: Sendable, Equatable {
    /// Largest document accepted, in bytes.
    public var maxBytes: Int
    /// Deepest nesting of arrays and objects accepted.
    public var maxDepth: Int
    /// Most members the top-level object or array may have.
    public var maxTopLevelMembers: Int

    /// Limits checked before a parser allocates for the document.
    public init(maxBytes: Int, maxDepth: Int, maxTopLevelMembers: Int = .max) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxTopLevelMembers = maxTopLevelMembers
    }

    /// Configuration files: 16 MiB, 64 levels.
    public static let documents = JSONLimits(maxBytes: 16 << 20, maxDepth: 64)

    /// Prompt data a user writes or a peer ships (label and template files, session files,
    /// exports): 512 MiB, 64 levels. Class sentences make these large: CuPL's ImageNet set
    /// twice over (300,000 sentences) is a 30 MB session file, and a session must always
    /// reopen the file it wrote.
    public static let promptData = JSONLimits(maxBytes: 512 << 20, maxDepth: 64)

    /// Why `bytes` exceeds these limits, in words for an error message; nil when within them.
    /// One pass, no allocation: strings (and the brackets inside them) are skipped.
    public func violation<Bytes: Collection>(in bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        if bytes.count > maxBytes { return "\(bytes.count) bytes of JSON is over the limit of \(maxBytes)" }
        var depth = 0, members = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxDepth { return "JSON nested deeper than \(maxDepth) levels" }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 {
                    members += 1
                    if members >= maxTopLevelMembers { return "more than \(maxTopLevelMembers) entries at the top level" }
                }
            default:
                continue
            }
        }
        return nil
    }
}
