import Foundation
/// Small vector helpers for embeddings.
public enum Vector {
    public static func normalized(_ v: [Float]) -> [Float] {
        var sq: Double = 0
        for x in v { sq += Double(x) * Double(x) }
        guard sq > 0 else { return v }
        let inv = Float(1 / sq.squareRoot())
        return v.map { $0 * inv }
    }

    /// The dot product of two vectors of one length (a mismatch is a programming error:
    /// truncating would silently score against part of an embedding).
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "dot of vectors of \(a.count) and \(b.count) values")
        var s: Float = 0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }

    /// Float32 little-endian bytes, as the cache stores them.
    public static func bytes(_ v: [Float]) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out += $0 } }
        return out
    }

    /// Float32 little-endian bytes back to floats, straight from the blob's memory.
    public static func floats(_ data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        let n = data.count / 4
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            data.withUnsafeBytes { raw in
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
            count = n
        }
    }

    public static func floats(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }
}
