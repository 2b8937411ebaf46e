import Foundation
import InputLimits

extension SentencePieceTokenizer {
    /// The tokenizer of a SigLIP checkpoint folder:
    /// - `spiece.model`: SigLIP's (`SiglipTokenizer`), with `tokenizer_config.json`'s
    ///   `eos_token`, `unk_token` and `pad_token` (default `</s>`, `<unk>`, `</s>`);
    /// - `tokenizer.model`: SigLIP 2's Gemma tokenizer, with `tokenizer_config.json`'s
    ///   `do_lower_case` (default false), `add_bos_token` and `add_eos_token` (default false
    ///   and true, as SigLIP 2 checkpoints set them), `pad_token` (default `<pad>`); the
    ///   model's control symbols are the special tokens. `tokenizer.json` is not needed:
    ///   it is the same model converted for the tokenizers library.
    /// - Returns: nil when the folder has neither model file.
    /// - Throws: `TokenizerError` naming the file and the problem.
    public static func load(folder: String) throws -> SentencePieceTokenizer? {
        func file(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).relativePath }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }
        let configPath = file("tokenizer_config.json")
        var config = JSONValue.object([])
        if exists("tokenizer_config.json") {
            do { config = try BoundedJSON.value(path: configPath) } catch let e as BoundedJSON.Failure {
                throw TokenizerError.cannotRead(path: configPath, reason: e.reason)
            }
        }
        /// A token given as a string or as an AddedToken object (`{"content": …}`).
        func token(_ key: String, _ fallback: String) -> String {
            config[key]?.string ?? config[key]?["content"]?.string ?? fallback
        }
        func flag(_ key: String, _ fallback: Bool) -> Bool {
            if case let .bool(b) = config[key] { return b }
            return fallback
        }
        func id(_ model: SentencePieceModel, _ text: String, path: String) throws -> Int {
            guard model.contains(text) else { throw TokenizerError.missingToken(path: path, token: text) }
            return model.id(of: text)
        }
        if exists("spiece.model") {
            let model = try SentencePieceModel(path: file("spiece.model"))
            let eos = try id(model, token("eos_token", "</s>"), path: model.path)
            let unk = try id(model, token("unk_token", "<unk>"), path: model.path)
            let pad = try id(model, token("pad_token", "</s>"), path: model.path)
            // The pad token is usually the end token itself.
            var specials: [String: Int] = [:]
            for (text, id) in [(token("pad_token", "</s>"), pad), (token("unk_token", "<unk>"), unk), (token("eos_token", "</s>"), eos)] {
                specials[text] = id
            }
            return SentencePieceTokenizer(model: model, style: .siglip, specials: specials, startToken: nil, endToken: eos, padToken: pad)
        }
        if exists("tokenizer.model") {
            let model = try SentencePieceModel(path: file("tokenizer.model"))
            var specials: [String: Int] = [:]
            for i in 0..<model.pieceCount where model.isControl(i) {
                if let p = model.piece(i) { specials[p] = i }
            }
            let bos = flag("add_bos_token", false) ? try id(model, token("bos_token", "<bos>"), path: model.path) : nil
            let eos = flag("add_eos_token", true) ? try id(model, token("eos_token", "<eos>"), path: model.path) : nil
            let pad = try id(model, token("pad_token", "<pad>"), path: model.path)
            return SentencePieceTokenizer(
                model: model, style: .gemma(lowercase: flag("do_lower_case", false)), specials: specials,
                startToken: bos, endToken: eos, padToken: pad)
        }
        if exists("tokenizer.json") {
            throw TokenizerError.cannotRead(
                path: file("tokenizer.json"),
                reason: "a SentencePiece model (spiece.model or tokenizer.model) is needed beside it; fetch it from the same repository")
        }
        return nil
    }
}
