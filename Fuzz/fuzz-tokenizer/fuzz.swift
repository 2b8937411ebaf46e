import Foundation
import Tokenization

/// The tokenizers: any bytes as text (invalid UTF-8 repaired as Swift's String does),
/// through normalisation, pre-tokenising and byte-pair encoding with CLIP's vocabulary, and
/// through SigLIP's and SigLIP 2's rules and SentencePiece models (the test fixtures').
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/TokenizationTests/Fixtures")
let tokenizer = try! Tokenizer(
    vocabPath: fixtures.appendingPathComponent("vocab.json").path,
    mergesPath: fixtures.appendingPathComponent("merges.txt").path)
let sentencePiece = ["siglip-tiny", "siglip2-tiny"].map {
    try! SentencePieceTokenizer.load(folder: fixtures.appendingPathComponent("sentencepiece/\($0)").path)!
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let t = tokenizer.tokenize(text)
    // Invariants any text keeps: bounded, framed by start and end, ids in the vocabulary.
    precondition(t.ids.count >= 2 && t.ids.count <= Tokenizer.contextLength)
    precondition(t.ids.first == tokenizer.startToken && t.ids.last == tokenizer.endToken)
    precondition(t.ids.allSatisfy { $0 >= 0 && $0 < tokenizer.vocabularySize })
    for s in sentencePiece {
        let t = s.tokenize(text, contextLength: 64)
        precondition(!t.ids.isEmpty && t.ids.count <= 64 && t.ids.last == s.endToken)
        precondition(t.ids.allSatisfy { $0 >= 0 && $0 < s.model.pieceCount })
    }
    return 0
}
