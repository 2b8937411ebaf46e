/// Why an image could not be read; every case names the file.
public enum ImagingError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case empty(path: String)
    case unknownFormat(path: String)
    case corrupt(path: String, format: String, reason: String)
    case tooLarge(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case badPreprocessorConfig(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .empty(path): return "\(path): empty file"
        case let .unknownFormat(path): return "\(path): not a \(ImageDecoder.formatList) file"
        case let .corrupt(path, format, reason): return "\(path): corrupt \(format): \(reason)"
        case let .tooLarge(path, reason): return "\(path): image too large: \(reason)"
        case let .unsupported(path, reason): return "\(path): \(reason)"
        case let .badPreprocessorConfig(path, reason): return "\(path): \(reason)"
        }
    }
}
