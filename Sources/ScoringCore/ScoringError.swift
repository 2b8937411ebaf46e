/// Problems with prompt files, image folders, ground truth and the cache; each names its source.
public enum ScoringError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case badFormat(path: String, line: Int?, reason: String)
    case cannotWrite(path: String, reason: String)
    case cache(path: String, reason: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .badFormat(path, line, reason):
            return line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        case let .cache(path, reason): return "\(path): embedding cache: \(reason)"
        case let .invalid(reason): return reason
        }
    }
}
