import Foundation

/// The one way an untrusted JSON document is read: its size checked before it is read,
/// its size and depth checked before it is parsed, then decoded into a `Decodable` type or
/// into a `JSONValue` where the shape is open. One error, whose reason names what was wrong
/// in words (and, for a decoding error, the key); callers wrap it in their own typed error
/// with the path.
public enum BoundedJSON {
    /// Why a document was not read: its path and the reason in words.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// Whether the file could not be read at all, broke a limit, or is not the shape asked for.
        public enum Kind: Sendable, Equatable {
            /// The file could not be read at all.
            case unreadable
            /// Over a size or depth limit: refused before parsing.
            case limit
            /// Parsed, and not what was expected.
            case invalid
        }
        /// Why, in words: "not valid JSON: …", "'vision_config.hidden_size': …", a limit.
        public let reason: String
        /// What kind of failure it was.
        public let kind: Kind
        /// True when the file could not be opened or read.
        public var unreadable: Bool { kind == .unreadable }
        public var description: String { reason }
        init(reason: String, kind: Kind) { self.reason = reason; self.kind = kind }
    }

    /// Reads `path` within `limits` and decodes it.
    public static func decode<T: Decodable>(_ type: T.Type, path: String, limits: JSONLimits = .documents) throws -> T {
        try decode(type, from: try read(path, limits: limits), limits: limits)
    }

    /// Decodes bytes already in memory (a header inside another file, an HTTP answer).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, limits: JSONLimits = .documents) throws -> T {
        if let problem = limits.violation(in: data) { throw Failure(reason: problem, kind: .limit) }
        do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
            throw Failure(reason: describe(error), kind: .invalid)
        }
    }

    /// Reads `path` within `limits` as an order-keeping `JSONValue`.
    public static func value(path: String, limits: JSONLimits = .documents) throws -> JSONValue {
        let data = try read(path, limits: limits)
        do { return try JSONValue.parse(data, limits: limits) } catch let e as JSONValue.ParseError {
            throw Failure(reason: e.description, kind: e.isLimit ? .limit : .invalid)
        }
    }

    private static func read(_ path: String, limits: JSONLimits) throws -> Data {
        do { return try BoundedFile.read(path, maxBytes: limits.maxBytes) } catch let e as BoundedFile.Failure {
            switch e {
            case .cannotOpen: throw Failure(reason: e.description, kind: .unreadable)
            case .tooLarge: throw Failure(reason: e.description, kind: .limit)
            }
        }
    }

    /// A decoding error as a sentence that names the key.
    static func describe(_ error: DecodingError) -> String {
        func key(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON: \(context.debugDescription)" : "'\(key(context))': \(context.debugDescription)"
        case let .keyNotFound(missing, context):
            let at = key(context)
            return "no '\(missing.stringValue)'" + (at.isEmpty ? "" : " in '\(at)'")
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "'\(key(context))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
