/// Problems with the tokenizer files of a checkpoint.
public enum TokenizerError: Error, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case badVocabulary(path: String, reason: String)
    case badMerge(path: String, line: Int, text: String)
    case missingToken(path: String, token: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .badVocabulary(path, reason): return "\(path): not a token → id JSON object: \(reason)"
        case let .badMerge(path, line, text): return "\(path):\(line): a merge is two symbols, got '\(text)'"
        case let .missingToken(path, token): return "\(path): the vocabulary has no '\(token)'"
        }
    }
}
