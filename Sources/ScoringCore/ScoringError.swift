/// Problems with prompt files, image folders, ground truth and the cache; each names its source.
public enum ScoringError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case badFormat(path: String, line: Int?, reason: String)
    case cannotWrite(path: String, reason: String)
    case cache(path: String, reason: String)
    case invalid(String)
    /// A file of several entries opened without `#KEY`: its keys, in order, so that a front
    /// end can offer them to choose from (`what`: "templates", "class names", …).
    case needsKey(path: String, what: String, keys: [String])

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .badFormat(path, line, reason):
            return line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        case let .cache(path, reason): return "\(path): embedding cache: \(reason)"
        case let .invalid(reason): return reason
        case let .needsKey(path, what, keys):
            // Every key up to 20, else the first 20 and the count: the list is what the user needs.
            let listed = keys.count <= 20 ? keys.joined(separator: ", ") : keys.prefix(20).joined(separator: ", ") + " … (\(keys.count) in all)"
            return "\(path): holds \(keys.count) entries of \(what): name one as \(path)#\(keys.first ?? "KEY") (entries: \(listed))"
        }
    }
}
