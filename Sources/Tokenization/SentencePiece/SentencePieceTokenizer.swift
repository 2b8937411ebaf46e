import Foundation

/// SigLIP's and SigLIP 2's tokenizers: a SentencePiece model with the text rules of the
/// Python tokenizer that goes with it.
///
/// - SigLIP (`SiglipTokenizer`, `spiece.model`): the text is canonicalised first (lower
///   case, ASCII punctuation removed, white space collapsed and trimmed, big_vision's
///   rule), and each piece of text between special tokens is encoded behind an `<unk>`
///   prefix that is cut off again (transformers' way of keeping the model's dummy prefix
///   out), so "a photo of a {}." and "a photo of a {}" are one prompt.
/// - SigLIP 2 (Gemma's `tokenizer.model`): no canonicalisation; lower case when the
///   checkpoint's `do_lower_case` asks for it, character by character as the tokenizers
///   library's `Lowercase` does.
///
/// Both split special tokens out of the text first, append the end token and truncate to
/// the context length; the text encoder pads (`padToken`) to it.
public final class SentencePieceTokenizer: Sendable {
    /// How the text is prepared before SentencePiece sees it.
    public enum Style: Sendable, Equatable {
        /// SigLIP: big_vision's canonicalisation and transformers' `<unk>` prefix.
        case siglip
        /// SigLIP 2: Gemma's tokenizer, optionally lower-cased.
        case gemma(lowercase: Bool)
    }

    public let model: SentencePieceModel
    public let style: Style
    /// Added before the text (Gemma's `<bos>` when `add_bos_token`), or none.
    public let startToken: Int?
    /// Appended after the text (`</s>`, `<eos>`), or none.
    public let endToken: Int?
    /// What the text encoder pads with to its context length.
    public let padToken: Int
    /// Special tokens matched in the raw text before anything else, longest first.
    private let specials: [(text: [UInt8], id: Int)]
    /// `encode("<unk>")`'s length: the prefix cut off each encoded chunk (SigLIP).
    private let unknownPrefixLength: Int
    /// The id of the lone "▁" piece, if the vocabulary has one (SigLIP).
    private let spaceId: Int?

    /// - Parameters:
    ///   - specials: the special tokens' texts and ids, as the Python tokenizer splits them out.
    public init(model: SentencePieceModel, style: Style, specials: [String: Int], startToken: Int?, endToken: Int?, padToken: Int) {
        self.model = model
        self.style = style
        self.startToken = startToken
        self.endToken = endToken
        self.padToken = padToken
        self.specials = specials.map { (Array($0.key.utf8), $0.value) }.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
        unknownPrefixLength = model.encode("<unk>").count
        spaceId = model.contains("▁") ? model.id(of: "▁") : nil
    }

    /// Start token if any, the text's ids, end token; over `contextLength` the text's ids
    /// are cut so that the special tokens still fit, as transformers' `truncation=True` does.
    public func tokenize(_ text: String, contextLength: Int) -> TokenizedText {
        // Only the first `Tokenizer.maxTextBytes` are read, as for CLIP (64 tokens need far less).
        var ids = encode(Tokenizer.clipped(text))
        // SiglipTokenizer appends its end token only when the text does not already end
        // with one (a literal "</s>"); Gemma's template always appends.
        func needsEnd(_ ids: [Int]) -> Bool { endToken != nil && !(style == .siglip && ids.last == endToken) }
        let full = ids.count + (startToken == nil ? 0 : 1) + (needsEnd(ids) ? 1 : 0)
        let room = max(0, contextLength - (startToken == nil ? 0 : 1) - (endToken == nil ? 0 : 1))
        if ids.count > room { ids.removeLast(ids.count - room) }
        if let s = startToken { ids.insert(s, at: 0) }
        if let e = endToken, needsEnd(ids) { ids.append(e) }
        var result = TokenizedText(ids: ids, untruncatedCount: full)
        result.isClipped = text.utf8.count > Tokenizer.maxTextBytes
        return result
    }

    /// The text's ids without start, end or padding.
    public func encode(_ text: String) -> [Int] {
        switch style {
        case .siglip:
            // transformers' SiglipTokenizer.tokenize: "▁" + text with "▁" made a space, split
            // at special tokens, each chunk canonicalised and encoded behind "<unk>".
            var ids: [Int] = []
            var fromSpecial: [Bool] = []
            for chunk in split("▁" + text.replacingOccurrences(of: "▁", with: " ")) {
                switch chunk {
                case let .special(id):
                    ids.append(id); fromSpecial.append(true)
                case let .text(t):
                    let encoded = model.encode("<unk>" + TextCanonicalizer.canonicalize(t))
                    let kept = encoded.count >= unknownPrefixLength ? Array(encoded[unknownPrefixLength...]) : encoded
                    ids += kept; fromSpecial += Array(repeating: false, count: kept.count)
                }
            }
            // A lone "▁" before a special token at the start is dropped.
            if ids.count > 1, let spaceId, ids[0] == spaceId, !fromSpecial[0], fromSpecial[1] { ids.removeFirst() }
            return ids
        case let .gemma(lowercase):
            var ids: [Int] = []
            for chunk in split(text) {
                switch chunk {
                case let .special(id): ids.append(id)
                case let .text(t): ids += model.encode(lowercase ? TextCanonicalizer.lowercasedPerCharacter(t) : t)
                }
            }
            return ids
        }
    }

    private enum Chunk { case text(String), special(Int) }

    /// The text cut at special tokens (leftmost, longest match), as the Python tokenizers'
    /// added-token trie cuts it.
    private func split(_ text: String) -> [Chunk] {
        guard !specials.isEmpty else { return [.text(text)] }
        let bytes = Array(text.utf8)
        var chunks: [Chunk] = []
        var start = 0, i = 0
        while i < bytes.count {
            if let hit = specials.first(where: { s in
                i + s.text.count <= bytes.count && bytes[i..<(i + s.text.count)].elementsEqual(s.text)
            }) {
                if start < i { chunks.append(.text(String(decoding: bytes[start..<i], as: UTF8.self))) }
                chunks.append(.special(hit.id))
                i += hit.text.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { chunks.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        return chunks
    }
}
