import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP(S) GET of a file, or of its rest from `offset` (a `Range` request), appended to a
/// partial file. URLSession does HTTPS, proxies (`https_proxy`) and redirects (keeping the `Range`
/// header); this type adds what a resumable, checked download needs on top.
final class HTTPTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// How a transfer ended without an error.
    enum Outcome: Equatable {
        /// Every byte the server announced arrived; `total` is the whole file's length, when announced.
        case complete(total: Int?)
        /// The server says the file is exactly `offset` bytes long: nothing was left to fetch.
        case alreadyComplete(total: Int)
    }

    /// A failure that a later attempt may get past (a cut connection, a timeout, a busy server).
    struct Interruption: Error {
        var reason: String
        /// Whether an automatic retry makes sense (not for an unknown host or a refused connection).
        var transient: Bool
    }

    /// The server has the file, but not beyond `total` bytes: the partial file is longer, or another file.
    struct RangeNotSatisfiable: Error {
        var total: Int?
    }

    private let url: URL
    /// Where this file (or part) begins in `file`, and how much of it `file` already holds.
    private let partStart: Int
    private let offset: Int
    private let file: PartialFile
    private let expectedTotal: Int?
    private let fileName: String
    private let progress: (Int) -> Void
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var failure: Error?
    private var total: Int?
    private var rangeEnd: Int?
    private var alreadyComplete = false
    private var lastActivity = Date()

    private init(url: URL, partStart: Int, file: PartialFile, expectedTotal: Int?, fileName: String, progress: @escaping (Int) -> Void) {
        self.url = url
        self.partStart = partStart
        self.offset = file.size - partStart
        self.file = file
        self.expectedTotal = expectedTotal
        self.fileName = fileName
        self.progress = progress
    }

    /// Fetches `url` into `file`, where it begins at byte `partStart` (a part of a file split in
    /// several), from what `file` already holds of it on. A server that ignores the range sends the
    /// whole file (or part), and `file` is cut back to `partStart` first. `expectedTotal` (the
    /// catalogue's size) is compared with what the server announces before any byte is written.
    /// `timeout` bounds every wait for the server: to connect, and between two pieces of data.
    /// `progress` gets the file's size as it grows. Throws `Interruption`, `RangeNotSatisfiable`
    /// or a `PullError`.
    static func fetch(_ url: URL, partStart: Int = 0, into file: PartialFile, expectedTotal: Int?, fileName: String,
                      timeout: TimeInterval, progress: @escaping (Int) -> Void) throws -> Outcome {
        let transfer = HTTPTransfer(url: url, partStart: partStart, file: file, expectedTotal: expectedTotal, fileName: fileName, progress: progress)
        return try transfer.run(timeout: timeout)
    }

    private func run(timeout: TimeInterval) throws -> Outcome {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = 30 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        var request = URLRequest(url: url)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("dllama-pull", forHTTPHeaderField: "User-Agent")
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let task = session.dataTask(with: request)
        task.resume()
        // URLSession enforces `timeout`; this watchdog only makes sure that no stuck transfer can
        // keep the command waiting forever.
        while finished.wait(timeout: .now() + 1) == .timedOut {
            if locked({ Date().timeIntervalSince(lastActivity) }) > timeout + 10 {
                task.cancel()
                if finished.wait(timeout: .now() + 5) == .timedOut {
                    throw Interruption(reason: "no answer for \(Int(timeout)) s", transient: true)
                }
                break
            }
        }
        return try locked {
            if let failure { throw failure }
            if alreadyComplete, let total { return .alreadyComplete(total: total) }
            if let rangeEnd, file.size != rangeEnd {
                throw Interruption(reason: "the connection closed after \(file.size - partStart) of \(rangeEnd - partStart) bytes",
                                   transient: true)
            }
            return .complete(total: total)
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func fail(_ error: Error) {
        locked { if failure == nil { failure = error } }
    }

    // MARK: URLSessionDataDelegate (called on the session's serial queue)

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        do {
            try accept(response)
            completionHandler(locked { alreadyComplete } ? .cancel : .allow)
        } catch {
            fail(error)
            completionHandler(.cancel)
        }
    }

    /// Checks the status and the announced range against what was asked, before any byte is kept.
    private func accept(_ response: URLResponse) throws {
        locked { lastActivity = Date() }
        guard let http = response as? HTTPURLResponse else {
            throw PullError.unexpectedResponse(url: url.absoluteString, reason: "not an HTTP response")
        }
        let where_ = http.url?.absoluteString ?? url.absoluteString
        let contentRange = http.value(forHTTPHeaderField: "Content-Range").flatMap(ContentRange.init)
        switch http.statusCode {
        case 200:
            // The whole file: a first download, or a server that does not resume.
            if offset > 0 { try file.truncate(to: partStart) }
            let length = http.expectedContentLength >= 0 ? Int(http.expectedContentLength) : nil
            locked {
                total = length
                rangeEnd = length.map { partStart + $0 }
            }
        case 206:
            guard let contentRange, let start = contentRange.start, let end = contentRange.end else {
                throw PullError.unexpectedResponse(url: where_, reason: "a partial answer (206) without a usable Content-Range")
            }
            guard start == offset else {
                throw PullError.unexpectedResponse(url: where_, reason: "bytes \(offset) on were asked for, bytes \(start) on came")
            }
            locked {
                total = contentRange.total
                rangeEnd = partStart + end + 1
            }
        case 416:
            let length = contentRange?.total
            if let length, length == offset {
                locked {
                    total = length
                    alreadyComplete = true
                }
                return
            }
            throw RangeNotSatisfiable(total: length)
        case 429, 500...599:
            throw Interruption(reason: "the server answered HTTP \(http.statusCode)", transient: true)
        default:
            throw PullError.httpStatus(url: where_, status: http.statusCode, file: fileName)
        }
        if let expectedTotal, let announced = locked({ total }), announced != expectedTotal {
            throw PullError.sizeMismatch(file: fileName, size: announced, expected: expectedTotal, source: "the server's")
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        do {
            try file.append(data)
            let size = file.size
            locked { lastActivity = Date() }
            if let end = locked({ rangeEnd }), size > end {
                throw PullError.unexpectedResponse(url: url.absoluteString, reason: "more bytes came than the server announced")
            }
            progress(size)
        } catch {
            fail(error)
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, locked({ failure == nil && !alreadyComplete }) {
            fail(Self.interruption(error, url: url, timeout: session.configuration.timeoutIntervalForRequest))
        }
        finished.signal()
    }

    /// What a URLSession error means for the user, and whether to retry.
    static func interruption(_ error: Error, url: URL, timeout: TimeInterval) -> Interruption {
        let nsError = error as NSError
        let host = url.host.map { h in url.port.map { "\(h):\($0)" } ?? h } ?? url.absoluteString
        let detail = (nsError.userInfo[NSLocalizedDescriptionKey] as? String).map { " (\($0))" } ?? ""
        switch nsError.code {
        case NSURLErrorTimedOut:
            return Interruption(reason: "no data from \(host) for \(Int(timeout)) s", transient: true)
        case NSURLErrorCannotConnectToHost:
            return Interruption(reason: "cannot connect to \(host): nothing listens there, or a firewall is in the way\(detail)", transient: false)
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed:
            return Interruption(reason: "cannot resolve the host name \(host)\(detail)", transient: false)
        case NSURLErrorNotConnectedToInternet:
            return Interruption(reason: "this machine has no network connection\(detail)", transient: false)
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
             NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid:
            return Interruption(reason: "the TLS connection to \(host) failed\(detail)", transient: false)
        default:
            return Interruption(reason: "the connection to \(host) failed\(detail)", transient: true)
        }
    }
}

/// `Content-Range: bytes START-END/TOTAL` (either side may be `*`).
struct ContentRange: Equatable {
    var start: Int?
    var end: Int?
    var total: Int?
}

extension ContentRange {
    init?(_ header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes ") else { return nil }
        let parts = text.dropFirst(6).split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return nil }
        total = parts[1] == "*" ? nil : Int(parts[1])
        if parts[1] != "*" && total == nil { return nil }
        if parts[0] != "*" {
            let bounds = parts[0].split(separator: "-", maxSplits: 1)
            guard bounds.count == 2, let start = Int(bounds[0]), let end = Int(bounds[1]), start <= end else { return nil }
            self.start = start
            self.end = end
        }
    }
}
