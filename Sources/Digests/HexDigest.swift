import Crypto

/// Digests as the lowercase hex text the cache keys, fingerprints and the Hub's file hashes
/// are written in: one spelling for every module.
extension Digest {
    /// The digest's bytes as lower-case hex, two characters a byte.
    public var hex: String {
        let digits: [Character] = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
}
