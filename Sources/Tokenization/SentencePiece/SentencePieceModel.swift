import CSentencePiece
import Foundation
import InputLimits

/// A SentencePiece model (`spiece.model`, `tokenizer.model`) through Debian's
/// libsentencepiece: the library the Python tokenizers wrap, so that its segmentation is
/// theirs exactly.
public final class SentencePieceModel: Sendable {
    /// The file it was read from, for errors.
    public let path: String
    /// Pieces in the vocabulary (ids are `0..<pieceCount`).
    public let pieceCount: Int
    /// The id unknown text maps to.
    public let unknownId: Int
    /// The processor is only read after loading (`Encode` is const in SentencePiece), so
    /// threads share it without a lock; it is freed with this object.
    nonisolated(unsafe) private let handle: OpaquePointer

    /// Model files are protobufs of a few MB (Gemma's is 4 MB); anything far larger is not one.
    public static let maxFileBytes = 64 << 20

    /// Reads and parses a model file.
    /// - Throws: `TokenizerError.cannotRead` naming the file and SentencePiece's reason.
    public init(path: String) throws {
        self.path = path
        let data: Data
        do { data = try BoundedFile.read(path, maxBytes: Self.maxFileBytes) } catch {
            throw TokenizerError.cannotRead(path: path, reason: "\(error)")
        }
        var error: UnsafeMutablePointer<CChar>?
        let loaded = data.withUnsafeBytes { raw -> OpaquePointer? in
            guard let base = raw.baseAddress else { return nil }
            return csp_load(base.assumingMemoryBound(to: CChar.self), raw.count, &error)
        }
        guard let loaded else {
            let reason = error.map { String(cString: $0) } ?? "an empty file"
            csp_free_string(error)
            throw TokenizerError.cannotRead(path: path, reason: "not a SentencePiece model: \(reason)")
        }
        handle = loaded
        pieceCount = Int(csp_piece_size(loaded))
        unknownId = Int(csp_unk_id(loaded))
    }

    deinit { csp_free(handle) }

    /// The ids of UTF-8 text, as `SentencePieceProcessor.encode` gives them.
    public func encode(_ text: String) -> [Int] {
        // A NUL after the text, so that even the empty text has an address to pass.
        let utf8 = Array(text.utf8) + [0]
        var capacity = max(16, utf8.count + 2)
        while true {
            var ids = [Int32](repeating: 0, count: capacity)
            var error: UnsafeMutablePointer<CChar>?
            let n = utf8.withUnsafeBufferPointer { bytes in
                ids.withUnsafeMutableBufferPointer { out in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        csp_encode(handle, chars.baseAddress!, chars.count - 1, out.baseAddress, capacity, &error)
                    }
                }
            }
            // Encoding fails only on a processor that did not load, which init refuses.
            guard n >= 0 else {
                csp_free_string(error)
                return []
            }
            if n <= capacity { return ids[0..<n].map(Int.init) }
            capacity = n
        }
    }

    /// The id of a piece, or `unknownId` when there is no such piece.
    public func id(of piece: String) -> Int {
        let utf8 = Array(piece.utf8) + [0]
        return utf8.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { Int(csp_piece_to_id(handle, $0.baseAddress!, $0.count - 1)) }
        }
    }

    /// Whether the vocabulary holds `piece` as itself (not mapped to the unknown id).
    public func contains(_ piece: String) -> Bool {
        let i = id(of: piece)
        return i != unknownId || self.piece(i) == piece
    }

    /// The piece of an id ("▁a", "<0x0A>", "</s>"), nil outside the vocabulary.
    public func piece(_ id: Int) -> String? {
        guard id >= 0, id < pieceCount, let s = csp_id_to_piece(handle, Int32(id)) else { return nil }
        defer { csp_free_string(s) }
        return String(cString: s)
    }

    /// Whether an id is a control symbol (`<pad>`, `</s>`, …) or the unknown symbol: pieces
    /// the segmentation never produces from text.
    public func isControl(_ id: Int) -> Bool { csp_is_control(handle, Int32(id)) != 0 }
}
