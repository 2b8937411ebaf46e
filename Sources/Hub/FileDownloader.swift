import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Downloads one URL into a partial file, appending: when the file already holds bytes it
/// asks for the rest with a Range request, and starts over when the server ignores it.
///
/// Linux's `URLSession` has no `bytes(for:)`, so a streaming delegate hands each chunk to an
/// `AsyncThrowingStream` and the caller writes it as it arrives: weights never sit whole in
/// memory, and no lock is taken by hand.
enum FileDownloader {
    enum Outcome: Equatable {
        case complete
        /// The connection failed after `received` new bytes; the partial file is kept.
        case interrupted(received: Int, reason: String)
        /// No connection could be made.
        case unreachable(String)
        case status(Int)
    }

    /// What the delegate sees, in order: the status line, the body's chunks, the end.
    enum Event: Sendable {
        case response(status: Int)
        case data(Data)
    }

    /// Runs `request` and hands each event to `handle` as it comes, until the answer ends
    /// or `handle` returns false (the request is then cancelled). Connection errors, and
    /// what `handle` throws, are thrown.
    /// - Parameter acceptAny: read a body whatever the status (API answers), or only for 200
    ///   and 206 (downloads).
    private static func run(
        _ request: URLRequest, configuration: URLSessionConfiguration = .ephemeral, acceptAny: Bool,
        _ handle: (Event) throws -> Bool
    ) async throws {
        let (events, continuation) = AsyncThrowingStream.makeStream(of: Event.self)
        let session = URLSession(configuration: configuration, delegate: StreamingDelegate(continuation, acceptAny: acceptAny), delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        task.resume()
        do {
            for try await event in events {
                if try !handle(event) {
                    task.cancel()
                    return
                }
            }
        } catch {
            task.cancel()
            throw error
        }
    }

    /// Runs `request`, handing the body to `body` chunk by chunk (return false to stop);
    /// the answer's status. Connection errors are thrown.
    static func stream(_ request: URLRequest, _ body: (Data) -> Bool) async throws -> Int {
        var status = 0
        try await run(request, acceptAny: true) { event in
            switch event {
            case let .response(code): status = code; return true
            case let .data(chunk): return body(chunk)
            }
        }
        return status
    }

    /// Fetches `request` into `partial`; `progress` gets the partial file's size as it grows.
    static func fetch(
        _ base: URLRequest, into partial: String, timeout: TimeInterval,
        progress: (Int) -> Void
    ) async -> Outcome {
        let fm = FileManager.default
        // A file that cannot be made shows up just below, where opening it fails and says so.
        if !fm.fileExists(atPath: partial) { _ = fm.createFile(atPath: partial, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: partial) else {
            return .interrupted(received: 0, reason: "cannot open \(partial) for writing")
        }
        defer { try? handle.close() }
        var written = Int((try? handle.seekToEnd()) ?? 0)
        var received = 0
        var status = 0
        var request = base
        request.timeoutInterval = timeout
        if written > 0 { request.setValue("bytes=\(written)-", forHTTPHeaderField: "Range") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData

        do {
            try await run(request, configuration: configuration, acceptAny: false) { event in
                switch event {
                case let .response(code):
                    status = code
                    if code == 200 && written > 0 {
                        // The server sent the whole file: start the partial file over.
                        try handle.truncate(atOffset: 0)
                        written = 0
                    }
                case let .data(chunk):
                    try handle.write(contentsOf: chunk)
                    written += chunk.count
                    received += chunk.count
                    progress(written)
                }
                return true
            }
        } catch {
            if status != 0 && status != 200 && status != 206 { return .status(status) }
            let e = error as NSError
            let noConnection: Set<Int> = [
                NSURLErrorCannotConnectToHost, NSURLErrorCannotFindHost, NSURLErrorNotConnectedToInternet,
                NSURLErrorDNSLookupFailed
            ]
            if e.domain == NSURLErrorDomain && noConnection.contains(e.code) && received == 0 {
                return .unreachable(e.localizedDescription)
            }
            return .interrupted(received: received, reason: e.localizedDescription)
        }
        if status != 200 && status != 206 { return .status(status) }
        return .complete
    }
}

/// Forwards a data task's callbacks into a stream; holds nothing mutable.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let continuation: AsyncThrowingStream<FileDownloader.Event, Error>.Continuation
    /// Whether a body is read whatever the status (API answers), or only for 200 and 206.
    private let acceptAny: Bool

    init(_ continuation: AsyncThrowingStream<FileDownloader.Event, Error>.Continuation, acceptAny: Bool = false) {
        self.continuation = continuation
        self.acceptAny = acceptAny
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        continuation.yield(.response(status: status))
        completionHandler(acceptAny || status == 200 || status == 206 ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        continuation.yield(.data(data))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        continuation.finish(throwing: error)
    }
}
