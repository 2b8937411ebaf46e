/// GPT-2 style byte-level BPE as OpenAI's `SimpleTokenizer.bpe`: the word's last symbol
/// carries `</w>`, and the pair of lowest merge rank is merged everywhere until none is left.
struct BytePairEncoder {
    struct Pair: Hashable {
        let first: String
        let second: String
    }

    let ranks: [Pair: Int]

    /// `bytes_to_unicode()`: printable bytes map to themselves, the rest to U+0100 onwards,
    /// so every byte string is a string of visible characters.
    static let byteSymbols: [String] = {
        var symbols = [String](repeating: "", count: 256)
        // The other bytes take 256, 257, … in byte order, as Python builds the table.
        var next: UInt32 = 256
        for b in 0..<256 {
            let isPrintable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if isPrintable {
                symbols[b] = String(Character(Unicode.Scalar(UInt32(b))!))
            } else {
                symbols[b] = String(Character(Unicode.Scalar(next)!))
                next += 1
            }
        }
        return symbols
    }()

    /// The merged symbols of one pre-token (already mapped to byte symbols).
    func encode(_ symbols: [String]) -> [String] {
        guard var word = Optional(symbols), !word.isEmpty else { return [] }
        word[word.count - 1] += "</w>"
        while word.count > 1 {
            var best: Pair?
            var bestRank = Int.max
            for k in 0..<(word.count - 1) {
                let pair = Pair(first: word[k], second: word[k + 1])
                if let rank = ranks[pair], rank < bestRank {
                    bestRank = rank
                    best = pair
                }
            }
            guard let merge = best else { break }
            var merged: [String] = []
            merged.reserveCapacity(word.count)
            var k = 0
            while k < word.count {
                if k < word.count - 1, word[k] == merge.first, word[k + 1] == merge.second {
                    merged.append(merge.first + merge.second)
                    k += 2
                } else {
                    merged.append(word[k])
                    k += 1
                }
            }
            word = merged
        }
        return word
    }
}
