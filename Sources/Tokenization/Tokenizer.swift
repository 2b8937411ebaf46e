import Foundation
import Synchronization
import InputLimits

/// Token ids of one text, as `clip.tokenize(text, truncate=True)` gives them, without padding.
public struct TokenizedText: Sendable, Equatable {
    /// Start token, the text's tokens, end token; at most the context length.
    public let ids: [Int]
    /// How many ids the text needs before truncation (start and end included); for a text
    /// over `Tokenizer.maxTextBytes`, how many its first `maxTextBytes` need.
    public let untruncatedCount: Int
    /// The text was longer than `Tokenizer.maxTextBytes` and only its start was read.
    public var isClipped = false
    /// Whether tokens were cut to fit the context length.
    public var isTruncated: Bool { untruncatedCount > ids.count }
}

/// CLIP's tokenizer: OpenAI's `SimpleTokenizer` over a Hugging Face `vocab.json` + `merges.txt`.
public final class Tokenizer: Sendable {
    /// CLIP's context length: start token, at most 75 text tokens, end token.
    public static let contextLength = 77
    /// Only this much of a text is tokenized: 77 tokens need a few hundred bytes, and the
    /// byte-pair loop is quadratic in a word's length, so a pasted megabyte must not reach it.
    public static let maxTextBytes = 16 << 10
    /// Longer runs of letters or digits (no real word is) are encoded in pieces of this
    /// size, which bounds the byte-pair work per piece (about 0.1 s at worst); up to it the
    /// result is exactly OpenAI's (the fixtures hold a 300-letter word).
    public static let maxPieceBytes = 1024
    /// Id of `<|startoftext|>`.
    public let startToken: Int
    /// Id of `<|endoftext|>` (also the padding id).
    public let endToken: Int
    /// Ids in the vocabulary.
    public let vocabularySize: Int

    private let encoder: [String: Int]
    private let bpe: BytePairEncoder
    /// BPE results by pre-token, shared by the threads that tokenize.
    private let cache = Mutex<[String: [Int]]>([:])
    /// Ids by whole text, for the texts seen last: a keystroke's prompts are tokenized to be
    /// encoded and again for their token counts, and normalising and splitting a prompt
    /// costs more than its pieces' lookups (30 ms for 1,000 prompts). Emptied when full, so
    /// it holds at most `recentTexts` entries.
    private let recent = Mutex<[String: [Int]]>([:])
    static let recentTexts = 16_384

    /// Loads the files of a checkpoint folder.
    public convenience init(vocabPath: String, mergesPath: String) throws {
        func read(_ path: String) throws -> Data {
            do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw TokenizerError.cannotRead(path: path, reason: error.localizedDescription)
            }
        }
        let vocab: [String: Int]
        do { vocab = try BoundedJSON.decode([String: Int].self, path: vocabPath, limits: JSONLimits(maxBytes: 64 << 20, maxDepth: 2)) } catch let e
            as BoundedJSON.Failure
        {
            if e.unreadable { throw TokenizerError.cannotRead(path: vocabPath, reason: e.reason) }
            throw TokenizerError.badVocabulary(path: vocabPath, reason: e.reason)
        }
        guard let mergesText = String(data: try read(mergesPath), encoding: .utf8) else {
            throw TokenizerError.cannotRead(path: mergesPath, reason: "not UTF-8")
        }
        var merges: [(String, String)] = []
        for (index, line) in mergesText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty || (index == 0 && trimmed.hasPrefix("#version")) { continue }
            let parts = trimmed.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.badMerge(path: mergesPath, line: index + 1, text: String(trimmed))
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        try self.init(vocabulary: vocab, merges: merges, source: vocabPath)
    }

    /// From a vocabulary (token → id) and ranked merges, as `vocab.json` and `merges.txt`
    /// hold them; `source` names them in errors.
    /// - Throws: `TokenizerError` when the start or end token is missing.
    public init(vocabulary: [String: Int], merges: [(String, String)], source: String = "vocabulary") throws {
        var ranks: [BytePairEncoder.Pair: Int] = [:]
        ranks.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() where ranks[.init(first: a, second: b)] == nil {
            ranks[.init(first: a, second: b)] = rank
        }
        guard let start = vocabulary["<|startoftext|>"] else {
            throw TokenizerError.missingToken(path: source, token: "<|startoftext|>")
        }
        guard let end = vocabulary["<|endoftext|>"] else {
            throw TokenizerError.missingToken(path: source, token: "<|endoftext|>")
        }
        encoder = vocabulary
        bpe = BytePairEncoder(ranks: ranks)
        startToken = start
        endToken = end
        vocabularySize = (vocabulary.values.max() ?? -1) + 1
    }

    /// The token ids of a text without start and end tokens (`SimpleTokenizer.encode`).
    public func encode(_ text: String) -> [Int] {
        if let hit = recent.withLock({ $0[text] }) { return hit }
        let ids = encodeUncached(text)
        recent.withLock { m in
            if m.count >= Self.recentTexts { m.removeAll(keepingCapacity: true) }
            m[text] = ids
        }
        return ids
    }

    /// Forgets the recent texts' ids (not the pieces' BPE): a benchmark's baseline then
    /// tokenizes its prompts as a keystroke does.
    public func forgetRecentTexts() { recent.withLock { $0.removeAll() } }

    private func encodeUncached(_ text: String) -> [Int] {
        var ids: [Int] = []
        for piece in PreTokenizer.split(TextNormalizer.normalize(Self.clipped(text))) {
            if piece.utf8.count <= Self.maxPieceBytes {
                ids.append(contentsOf: encodePiece(piece))
            } else {
                for chunk in Self.chunks(piece, maxBytes: Self.maxPieceBytes) { ids.append(contentsOf: encodePiece(chunk)) }
            }
        }
        return ids
    }

    /// The text's first `maxTextBytes` bytes, cut between Unicode scalars.
    static func clipped(_ text: String) -> String {
        guard text.utf8.count > maxTextBytes else { return text }
        var size = 0
        let scalars = text.unicodeScalars
        var end = scalars.endIndex
        for index in scalars.indices {
            size += UTF8.width(scalars[index])
            if size > maxTextBytes { end = index; break }
        }
        return String(scalars[..<end])
    }

    /// Pieces of at most `maxBytes` UTF-8 bytes, cut between Unicode scalars.
    static func chunks(_ piece: String, maxBytes: Int) -> [String] {
        var result: [String] = [], current = "", size = 0
        for scalar in piece.unicodeScalars {
            let n = UTF8.width(scalar)
            if size + n > maxBytes && !current.isEmpty {
                result.append(current); current = ""; size = 0
            }
            current.unicodeScalars.append(scalar); size += n
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Start token, ids, end token; over `contextLength` the tail is cut and the last id
    /// becomes the end token again, as `clip.tokenize(..., truncate=True)` does.
    public func tokenize(_ text: String, contextLength: Int = Tokenizer.contextLength) -> TokenizedText {
        let body = encode(text)
        var ids: [Int] = []
        ids.reserveCapacity(body.count + 2)  // one allocation (a key counts 1,000 prompts' tokens)
        ids.append(startToken)
        ids.append(contentsOf: body)
        ids.append(endToken)
        let full = ids.count
        if ids.count > contextLength {
            ids.removeLast(ids.count - contextLength)
            ids[contextLength - 1] = endToken
        }
        var result = TokenizedText(ids: ids, untruncatedCount: full)
        result.isClipped = text.utf8.count > Self.maxTextBytes
        return result
    }

    private func encodePiece(_ piece: String) -> [Int] {
        if piece == "<|startoftext|>" { return [startToken] }
        if piece == "<|endoftext|>" { return [endToken] }
        if let hit = cache.withLock({ $0[piece] }) { return hit }
        let symbols = piece.utf8.map { BytePairEncoder.byteSymbols[Int($0)] }
        // A symbol missing from the vocabulary cannot happen with CLIP's files (every byte
        // symbol and its </w> form are in it); skip it rather than invent an id.
        let ids = bpe.encode(symbols).compactMap { encoder[$0] }
        cache.withLock { if $0.count < 100_000 { $0[piece] = ids } }
        return ids
    }
}
