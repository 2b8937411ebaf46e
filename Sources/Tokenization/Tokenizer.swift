import Foundation

/// Token ids of one text, as `clip.tokenize(text, truncate=True)` gives them, without padding.
public struct TokenizedText: Sendable, Equatable {
    /// Start token, the text's tokens, end token; at most the context length.
    public let ids: [Int]
    /// How many ids the text needs before truncation (start and end included).
    public let untruncatedCount: Int
    public var isTruncated: Bool { untruncatedCount > ids.count }
}

/// CLIP's tokenizer: OpenAI's `SimpleTokenizer` over a Hugging Face `vocab.json` + `merges.txt`.
public final class Tokenizer: @unchecked Sendable {
    public static let contextLength = 77
    public let startToken: Int
    public let endToken: Int
    public let vocabularySize: Int

    private let encoder: [String: Int]
    private let bpe: BytePairEncoder
    private var cache: [String: [Int]] = [:]
    private let lock = NSLock()

    /// Loads the files of a checkpoint folder.
    public convenience init(vocabPath: String, mergesPath: String) throws {
        func read(_ path: String) throws -> Data {
            do { return try Data(contentsOf: URL(fileURLWithPath: path)) }
            catch { throw TokenizerError.cannotRead(path: path, reason: error.localizedDescription) }
        }
        let vocabData = try read(vocabPath)
        let vocab: [String: Int]
        do { vocab = try JSONDecoder().decode([String: Int].self, from: vocabData) }
        catch { throw TokenizerError.badVocabulary(path: vocabPath, reason: "\(error)") }
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
        var ids: [Int] = []
        for piece in PreTokenizer.split(TextNormalizer.normalize(text)) {
            ids.append(contentsOf: encodePiece(piece))
        }
        return ids
    }

    /// Start token, ids, end token; over `contextLength` the tail is cut and the last id
    /// becomes the end token again, as `clip.tokenize(..., truncate=True)` does.
    public func tokenize(_ text: String, contextLength: Int = Tokenizer.contextLength) -> TokenizedText {
        var ids = [startToken] + encode(text) + [endToken]
        let full = ids.count
        if ids.count > contextLength {
            ids.removeLast(ids.count - contextLength)
            ids[contextLength - 1] = endToken
        }
        return TokenizedText(ids: ids, untruncatedCount: full)
    }

    private func encodePiece(_ piece: String) -> [Int] {
        if piece == "<|startoftext|>" { return [startToken] }
        if piece == "<|endoftext|>" { return [endToken] }
        lock.lock()
        if let hit = cache[piece] { lock.unlock(); return hit }
        lock.unlock()
        let symbols = piece.utf8.map { BytePairEncoder.byteSymbols[Int($0)] }
        // A symbol missing from the vocabulary cannot happen with CLIP's files (every byte
        // symbol and its </w> form are in it); skip it rather than invent an id.
        let ids = bpe.encode(symbols).compactMap { encoder[$0] }
        lock.lock()
        if cache.count < 100_000 { cache[piece] = ids }
        lock.unlock()
        return ids
    }
}
