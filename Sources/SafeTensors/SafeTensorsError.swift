import Foundation

/// Everything that can be wrong with a safetensors file, with the path and the detail.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case tooSmall(path: String, size: Int)
    case headerLengthOutOfRange(path: String, length: UInt64, fileSize: Int)
    case headerNotJSON(path: String, reason: String)
    case badEntry(path: String, key: String, reason: String)
    case dataOutOfRange(path: String, key: String, begin: Int, end: Int, dataSize: Int)
    case unsupportedDType(path: String, key: String, dtype: String)
    case missingTensor(path: String, key: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason)"
        case let .tooSmall(path, size):
            return "\(path): \(size) bytes is too small for a safetensors file (truncated?)"
        case let .headerLengthOutOfRange(path, length, fileSize):
            return "\(path): header length \(length) does not fit in a file of \(fileSize) bytes (truncated or not safetensors)"
        case let .headerNotJSON(path, reason):
            return "\(path): header is not a JSON object: \(reason)"
        case let .badEntry(path, key, reason):
            return "\(path): tensor '\(key)': \(reason)"
        case let .dataOutOfRange(path, key, begin, end, dataSize):
            return "\(path): tensor '\(key)': data offsets [\(begin), \(end)) outside the \(dataSize) data bytes (file truncated?)"
        case let .unsupportedDType(path, key, dtype):
            return "\(path): tensor '\(key)': dtype \(dtype) is not supported here (CLIP weights are F32, F16 or BF16)"
        case let .missingTensor(path, key):
            return "\(path): no tensor named '\(key)'"
        }
    }
}
