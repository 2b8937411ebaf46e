/// Problems with a checkpoint folder or with the inputs given to the encoders.
public enum CLIPError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case badConfig(path: String, reason: String)
    case missingTensor(key: String, path: String)
    case wrongShape(key: String, path: String, expected: [Int], actual: [Int])
    case unknownTensors(keys: [String], path: String)
    case badIndex(path: String, reason: String)
    case badInput(String)
    /// Only open_clip's pickled weights: not read, since unpickling runs code.
    case pickleOnly(path: String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "\(path): no such file (a CLIP checkpoint folder holds config.json, model.safetensors, vocab.json, merges.txt)"
        case let .badConfig(path, reason): return "\(path): \(reason)"
        case let .missingTensor(key, path): return "\(path): missing tensor '\(key)'"
        case let .wrongShape(key, path, expected, actual):
            return "\(path): tensor '\(key)' has shape \(actual), the config says \(expected)"
        case let .unknownTensors(keys, path):
            let shown = keys.prefix(5).joined(separator: ", ")
            return "\(path): \(keys.count) tensor(s) this CLIP architecture does not use: \(shown)\(keys.count > 5 ? ", …" : "")"
        case let .badIndex(path, reason): return "\(path): \(reason)"
        case let .badInput(reason): return reason
        case let .pickleOnly(path):
            return "\(path): open_clip's pickled weights are not read (unpickling can run code); "
                + "fetch the repository's open_clip_model.safetensors, or convert with "
                + "safetensors.torch.save_file(torch.load(PATH, weights_only=True), 'open_clip_model.safetensors')"
        }
    }
}
