import Crypto
import Digests
import Foundation
import SafeTensors

/// An identity for a checkpoint folder, so that embeddings cached for one model are never
/// served for another, and weights replaced under a running session are noticed.
///
/// SHA-256 of the config, tokenizer and preprocessor files, and of each weight file's size,
/// header and 64 samples of 4 KiB spread over its data: a fine-tune with the same shapes
/// changes nearly every sample, and hashing stays fast (a full hash of 1.7 GB would cost a
/// second on every start).
public enum ModelFingerprint {
    /// The folder's fingerprint as hex: its config, tokenizer and preprocessor files whole,
    /// and its weight files sampled as described above.
    /// - Throws: when a weight file cannot be mapped.
    public static func compute(folder: String) throws -> String {
        var hasher = SHA256()
        hasher.update(data: Data("clip-tui fingerprint 1".utf8))
        let names = [
            "config.json", "vocab.json", "merges.txt", "preprocessor_config.json", "model.safetensors.index.json", "open_clip_config.json",
            "spiece.model", "tokenizer.model", "tokenizer_config.json"
        ]
        for name in names {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath
            hasher.update(data: Data("\(name)\n".utf8))
            if let data = FileManager.default.contents(atPath: path) { hasher.update(data: data) }
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        for name in files {
            let file = try MappedFile(path: URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath)
            let bytes = file.bytes
            hasher.update(data: Data("\(name) \(bytes.count)\n".utf8))
            guard bytes.count >= 8 else { continue }
            let headerEnd = min(bytes.count, 8 + Int(min(UInt64(bytes.count), UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)))))
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[0..<headerEnd]))
            let samples = 64, chunk = 4096
            let span = bytes.count - headerEnd
            for k in 0..<samples where span > 0 {
                let start = headerEnd + Int(Double(span) * Double(k) / Double(samples))
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + chunk)]))
            }
        }
        return hasher.finalize().hex
    }
}
