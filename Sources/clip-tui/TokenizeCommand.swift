import ArgumentParser
import CLIP
import Foundation
import Tokenization

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Token ids of texts, as CLIP's tokenizer gives them (JSON).")

    @Option(help: "Checkpoint folder (vocab.json and merges.txt are read).") var model: String
    @Argument(help: "Texts to tokenize.") var texts: [String]

    struct Output: Encodable {
        let model: String
        let texts: [Entry]
    }

    struct Entry: Encodable {
        let text: String
        let ids: [Int]
        let count: Int
        let untruncated_count: Int
        let truncated: Bool
    }

    func run() throws {
        try reportingErrors {
            let folder = try ModelLocator.locate(model).folder
            let vocab = URL(fileURLWithPath: folder).appendingPathComponent("vocab.json").relativePath
            let merges = URL(fileURLWithPath: folder).appendingPathComponent("merges.txt").relativePath
            let tokenizer = try Tokenizer(vocabPath: vocab, mergesPath: merges)
            let entries = texts.map { text -> Entry in
                let t = tokenizer.tokenize(text)
                return Entry(
                    text: text, ids: t.ids, count: t.ids.count, untruncated_count: t.untruncatedCount,
                    truncated: t.isTruncated)
            }
            try printJSON(Output(model: model, texts: entries))
        }
    }
}
