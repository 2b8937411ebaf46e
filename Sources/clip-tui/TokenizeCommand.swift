import ArgumentParser
import CLIP
import Foundation
import Tokenization

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Token ids of texts, as the model's tokenizer gives them (JSON).")

    @Option(
        help: "Checkpoint folder (CLIP's vocab.json and merges.txt, or SigLIP's SentencePiece model, are read); default: $CLIP_TUI_MODEL, else the demo model.")
    var model: String?
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
            let located = try ModelLocator.locate(model)
            if let note = located.note, model == nil { warn(note) }
            let folder = located.folder
            let tokenize = try Self.tokenizer(folder: folder)
            let entries = texts.map { text -> Entry in
                let t = tokenize(text)
                return Entry(
                    text: text, ids: t.ids, count: t.ids.count, untruncated_count: t.untruncatedCount,
                    truncated: t.isTruncated)
            }
            try printJSON(Output(model: model ?? folder, texts: entries))
        }
    }

    /// The folder's tokenizer alone (no weights are read): SigLIP's SentencePiece model
    /// with its context from `config.json`, else CLIP's BPE.
    static func tokenizer(folder: String) throws -> (String) -> TokenizedText {
        func file(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath }
        if let sentencePiece = try SentencePieceTokenizer.load(folder: folder) {
            let context =
                SigLIPConfig.isSigLIP(configPath: file("config.json"))
                ? try SigLIPConfig.load(path: file("config.json")).textConfig.maxPositionEmbeddings : 64
            return { sentencePiece.tokenize($0, contextLength: context) }
        }
        let tokenizer = try Tokenizer(vocabPath: file("vocab.json"), mergesPath: file("merges.txt"))
        return { tokenizer.tokenize($0) }
    }
}
