import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 client over a socket to 127.0.0.1, for checking exactly what the server
/// sends (status, headers, raw body) and for leaving in the middle of a stream. Every read has a
/// time limit, so a silent server fails the test instead of hanging it.
struct HTTPTestResponse {
    var status: Int
    var headers: [String: String]   // names lowercased
    var body: String

    /// The body as JSON (an object), or nil.
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    /// OpenAI's `error.message`, `error.code`.
    var errorMessage: String? { (json?["error"] as? [String: Any])?["message"] as? String }
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
}

final class HTTPTestConnection {
    private let socket: Int32
    private var received: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: Int, timeout: TimeInterval = 120) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket() failed") }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { Glibc.close(socket) }

    /// Sends a request; `body` is sent as given (malformed JSON included).
    func send(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        let bytes = Array((head + "\r\n" + (body ?? "")).utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw Failure(description: "could not send the request") }
    }

    /// Reads until `predicate` holds for what has arrived, the server closes, or the time limit.
    @discardableResult
    func read(until predicate: (String) -> Bool = { _ in false }) -> String {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while !predicate(String(decoding: received, as: UTF8.self)) {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// The whole response (the server closes after it: `Connection: close`).
    func response() throws -> HTTPTestResponse {
        let raw = read()
        guard let split = raw.range(of: "\r\n\r\n") else { throw Failure(description: "no complete response: \(raw.prefix(300))") }
        let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw Failure(description: "no status line: \(raw.prefix(200))")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = Self.unchunk(body) }
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }

    /// Leaves without reading the rest: the server sees the connection close.
    func close() { shutdown(socket, Int32(SHUT_RDWR)) }

    static func unchunk(_ text: String) -> String {
        var rest = Substring(text), out = ""
        while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 {
            let start = rest.utf8.index(end.upperBound, offsetBy: 0)
            let stop = rest.utf8.index(start, offsetBy: size, limitedBy: rest.utf8.endIndex) ?? rest.utf8.endIndex
            out += String(rest[start..<stop])
            // "\r\n" is one Character: step over its two bytes in the UTF-8 view.
            rest = Substring(rest.utf8[stop...].dropFirst(2))
        }
        return out
    }
}

extension HTTPTestConnection {
    /// One request on a fresh connection, answered in full.
    static func request(port: Int, _ method: String, _ path: String, body: String? = nil,
                        headers: [String: String] = [:]) throws -> HTTPTestResponse {
        let connection = try HTTPTestConnection(port: port)
        try connection.send(method, path, body: body, headers: headers)
        return try connection.response()
    }
}
