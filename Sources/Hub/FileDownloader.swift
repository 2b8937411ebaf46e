import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Downloads one URL into a partial file, appending: when the file already holds bytes it
/// asks for the rest with a Range request, and starts over when the server ignores it.
final class FileDownloader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Outcome {
        case complete
        /// The connection failed after `received` new bytes; the partial file is kept.
        case interrupted(received: Int, reason: String)
        /// No connection could be made.
        case unreachable(String)
        case status(Int)
    }

    private let lock = NSLock()
    private var handle: FileHandle?
    private var written = 0
    private var received = 0
    private var status = 0
    private var failure: Error?
    private var progress: ((Int) -> Void)?
    private let done = DispatchSemaphore(value: 0)

    /// Fetches `request` into `partial`; `progress` gets the partial file's size as it grows.
    static func fetch(
        _ request: URLRequest, into partial: String, timeout: TimeInterval,
        progress: @escaping (Int) -> Void
    ) -> Outcome {
        let downloader = FileDownloader()
        return downloader.run(request, partial: partial, timeout: timeout, progress: progress)
    }

    private func run(_ base: URLRequest, partial: String, timeout: TimeInterval, progress: @escaping (Int) -> Void) -> Outcome {
        let fm = FileManager.default
        // A file that cannot be made shows up just below, where opening it fails and says so.
        if !fm.fileExists(atPath: partial) { _ = fm.createFile(atPath: partial, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: partial) else {
            return .interrupted(received: 0, reason: "cannot open \(partial) for writing")
        }
        defer { try? handle.close() }
        written = Int((try? handle.seekToEnd()) ?? 0)
        self.handle = handle
        self.progress = progress
        var request = base
        request.timeoutInterval = timeout
        if written > 0 { request.setValue("bytes=\(written)-", forHTTPHeaderField: "Range") }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()
        lock.lock(); defer { lock.unlock() }
        if let failure {
            let error = failure as NSError
            let noConnection: Set<Int> = [
                NSURLErrorCannotConnectToHost, NSURLErrorCannotFindHost, NSURLErrorNotConnectedToInternet,
                NSURLErrorDNSLookupFailed
            ]
            if error.domain == NSURLErrorDomain && noConnection.contains(error.code) && received == 0 {
                return .unreachable(error.localizedDescription)
            }
            return .interrupted(received: received, reason: error.localizedDescription)
        }
        if status != 200 && status != 206 { return .status(status) }
        return .complete
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        lock.lock(); defer { lock.unlock() }
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if status == 200 && written > 0 {
            // The server sent the whole file: start the partial file over.
            do {
                try handle?.truncate(atOffset: 0)
                written = 0
            } catch {
                failure = error
                completionHandler(.cancel)
                return
            }
        }
        completionHandler(status == 200 || status == 206 ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        do {
            try handle?.write(contentsOf: data)
            written += data.count
            received += data.count
        } catch {
            failure = error
            dataTask.cancel()
        }
        let size = written, progress = self.progress
        lock.unlock()
        progress?(size)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if let error, failure == nil, !(status != 0 && status != 200 && status != 206) { failure = error }
        lock.unlock()
        done.signal()
    }
}
