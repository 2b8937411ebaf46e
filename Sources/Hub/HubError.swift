import Foundation

/// Why a fetch from the Hub failed, with the repository, file or address it concerns.
public enum HubError: Error, Equatable, CustomStringConvertible {
    /// No connection could be made at all (no network, DNS failure, refused).
    case unreachable(endpoint: String, reason: String)
    case notFound(repo: String, revision: String)
    case unauthorized(repo: String, hasToken: Bool)
    case httpStatus(url: String, status: Int)
    case badAnswer(url: String, problem: String)
    case noWeights(repo: String, files: [String])
    case unsafeFileName(repo: String, name: String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int, actual: Int)
    case transfer(file: String, reason: String)
    case cacheWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreachable(endpoint, reason):
            return
                "cannot reach \(endpoint) (\(reason)): check the network, or set HF_ENDPOINT to a mirror; models already in the Hugging Face cache work offline"
        case let .notFound(repo, revision):
            return "\(repo)@\(revision): no such model or revision on the Hub"
        case let .unauthorized(repo, hasToken):
            return hasToken
                ? "\(repo): the token in HF_TOKEN was refused (gated or private model: accept its terms on the Hub, or use a token with access)"
                : "\(repo): the Hub asks for a token (gated or private model): set HF_TOKEN"
        case let .httpStatus(url, status):
            return "\(url): HTTP \(status)"
        case let .badAnswer(url, problem):
            return "\(url): unexpected answer from the Hub: \(problem)"
        case let .noWeights(repo, files):
            return "\(repo) has no safetensors weights (files: \(files.prefix(12).joined(separator: ", "))); clip-tui reads model.safetensors"
        case let .unsafeFileName(repo, name):
            return "\(repo): the Hub listed a file name that would leave the cache folder: \(name.debugDescription)"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): checksum mismatch (expected \(expected), got \(actual)); the download was discarded, nothing was moved into the cache"
        case let .sizeMismatch(file, expected, actual):
            return "\(file): expected \(expected) bytes, received \(actual)"
        case let .transfer(file, reason):
            return "\(file): download failed: \(reason) (the partial file is kept; run the command again to resume)"
        case let .cacheWrite(path, reason):
            return "\(path): cannot write to the Hugging Face cache: \(reason)"
        }
    }
}
