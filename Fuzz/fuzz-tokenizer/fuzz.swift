import Foundation
import Tokenization

/// The tokenizer: any bytes as text (invalid UTF-8 repaired as Swift's String does),
/// through normalisation, pre-tokenising and byte-pair encoding, with CLIP's vocabulary.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/TokenizationTests/Fixtures")
let tokenizer = try! Tokenizer(vocabPath: fixtures.appendingPathComponent("vocab.json").path,
                               mergesPath: fixtures.appendingPathComponent("merges.txt").path)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let t = tokenizer.tokenize(text)
    // Invariants any text keeps: bounded, framed by start and end, ids in the vocabulary.
    precondition(t.ids.count >= 2 && t.ids.count <= Tokenizer.contextLength)
    precondition(t.ids.first == tokenizer.startToken && t.ids.last == tokenizer.endToken)
    precondition(t.ids.allSatisfy { $0 >= 0 && $0 < tokenizer.vocabularySize })
    return 0
}
