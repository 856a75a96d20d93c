import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected TCP socket as a `ByteStream`: blocking reads that wait in `poll` (never spin),
/// `TCP_NODELAY` (a step's small messages go out at once), keep-alive (a vanished peer is noticed),
/// and writes that report a closed peer instead of raising `SIGPIPE`.
public final class SocketStream: ByteStream, @unchecked Sendable {  // unchecked: the descriptor is closed under `lock`; one thread reads, one writes
    public let peer: String
    private var descriptor: Int32
    private let lock = NSLock()

    init(descriptor: Int32, peer: String) {
        self.descriptor = descriptor
        self.peer = peer
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
        #if os(Linux)
        var idle: Int32 = 30, interval: Int32 = 10, probes: Int32 = 3
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_KEEPCNT, &probes, socklen_t(MemoryLayout<Int32>.size))
        #else
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit { close() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            #if os(Linux)
            let flags = Int32(MSG_NOSIGNAL)
            #else
            let flags: Int32 = 0
            #endif
            let sent = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, flags)
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET || errno == EBADF { throw TransportError.connectionClosed(peer: peer) }
                throw TransportError.socket(peer: peer, operation: "sending", reason: String(cString: strerror(errno)))
            }
            offset += sent
        }
    }

    /// Reads wait in the kernel (`SO_RCVTIMEO`), one system call per read: a node blocked here
    /// uses no CPU, and data that is already there costs no extra `poll`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?, waitingFor: String) throws -> Int {
        try setReceiveTimeout(timeout)
        if timeout != nil && SocketStream.yieldingNanoseconds > 0, let got = try pollYielding(into: buffer) { return got }
        while true {
            let got = recv(descriptor, buffer.baseAddress!, buffer.count, 0)
            if got >= 0 { return got }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw TransportError.timedOut(peer: peer, seconds: timeout ?? 0, waitingFor: waitingFor)
            case ECONNRESET, EBADF, ENOTCONN: return 0
            default: throw TransportError.socket(peer: peer, operation: "receiving", reason: String(cString: strerror(errno)))
            }
        }
    }

    /// Inside a step (reads with a timeout), how long a read first polls, yielding the core between
    /// polls, before it blocks: the partial sums of the other nodes usually arrive within tens of
    /// microseconds, and a sleep and wake-up costs about as much again (more in a virtual machine).
    /// `sched_yield` hands the core to any other runnable thread, so nodes sharing cores do not
    /// starve each other. 0 blocks at once; `DLLAMA_TCP_YIELD_US` sets it in microseconds.
    nonisolated(unsafe) public static var yieldingNanoseconds: UInt64 = {
        ProcessInfo.processInfo.environment["DLLAMA_TCP_YIELD_US"].flatMap { UInt64($0) }.map { $0 * 1000 } ?? 200_000
    }()

    /// Non-blocking reads with `sched_yield` between them, for up to `yieldingNanoseconds`; nil when
    /// nothing came (the caller then blocks).
    private func pollYielding(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        let start = DispatchTime.now().uptimeNanoseconds
        var polls = 0
        while true {
            let got = recv(descriptor, buffer.baseAddress!, buffer.count, Int32(MSG_DONTWAIT))
            if got >= 0 { return got }
            switch errno {
            case EAGAIN, EWOULDBLOCK, EINTR: break
            case ECONNRESET, EBADF, ENOTCONN: return 0
            default: throw TransportError.socket(peer: peer, operation: "receiving", reason: String(cString: strerror(errno)))
            }
            polls += 1
            if polls % 8 == 0 && DispatchTime.now().uptimeNanoseconds - start > SocketStream.yieldingNanoseconds { return nil }
            sched_yield()
        }
    }

    private var receiveTimeout: Double? = nil
    private var receiveTimeoutSet = false

    private func setReceiveTimeout(_ timeout: Double?) throws {
        guard !receiveTimeoutSet || receiveTimeout != timeout else { return }
        let seconds = max(timeout ?? 0, timeout == nil ? 0 : 0.001)
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw TransportError.socket(peer: peer, operation: "setting the receive timeout", reason: String(cString: strerror(errno)))
        }
        receiveTimeout = timeout
        receiveTimeoutSet = true
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard descriptor >= 0 else { return }
        shutdown(descriptor, Int32(SHUT_RDWR))
        #if canImport(Glibc)
        Glibc.close(descriptor)
        #else
        Darwin.close(descriptor)
        #endif
        descriptor = -1
    }
}

/// Host names and `HOST:PORT` addresses as users write them (`node2:9999`, `10.0.0.2:9999`,
/// `[fe80::1]:9999`).
public struct NodeAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; an IPv6 host is written in brackets.
    public init?(_ text: String) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { return nil }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Resolves `host` to socket addresses (IPv4 and IPv6).
func resolve(_ host: String, port: Int, passive: Bool) throws -> [(family: Int32, address: Data)] {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if os(Linux)
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
    hints.ai_socktype = SOCK_STREAM
    #endif
    hints.ai_flags = passive ? AI_PASSIVE : 0
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &list)
    guard status == 0, let first = list else {
        throw TransportError.cannotResolve(host: host, reason: String(cString: gai_strerror(status)))
    }
    defer { freeaddrinfo(list) }
    var out: [(Int32, Data)] = []
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let e = entry {
        out.append((e.pointee.ai_family, Data(bytes: e.pointee.ai_addr, count: Int(e.pointee.ai_addrlen))))
        entry = e.pointee.ai_next
    }
    return out
}

func makeSocket(_ family: Int32) -> Int32 {
    #if os(Linux)
    return socket(family, Int32(SOCK_STREAM.rawValue), 0)
    #else
    return socket(family, SOCK_STREAM, 0)
    #endif
}

func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

extension SocketStream {
    /// Connects to `address`, trying each address the host resolves to, within `timeout` seconds.
    public static func connect(to address: NodeAddress, timeout: Double) throws -> SocketStream {
        let candidates = try resolve(address.host, port: address.port, passive: false)
        var lastError = "no address"
        for (family, sockaddrData) in candidates {
            let fd = makeSocket(family)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let started = sockaddrData.withUnsafeBytes { raw in
                Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            var failure: String?
            if started != 0 && errno != EINPROGRESS {
                failure = String(cString: strerror(errno))
            } else if started != 0 {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&poller, 1, Int32(timeout * 1000))
                if ready == 0 {
                    failure = "no answer within \(TransportError.seconds(timeout))"
                } else {
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    if code != 0 { failure = String(cString: strerror(code)) }
                }
            }
            if let failure {
                closeDescriptor(fd)
                lastError = failure
                continue
            }
            _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
            return SocketStream(descriptor: fd, peer: address.description)
        }
        throw TransportError.cannotConnect(peer: address.description, reason: lastError)
    }
}

/// A listening TCP socket. `accept` waits in `poll` with a timeout, so a server loop can stop.
public final class TCPListener: @unchecked Sendable {  // unchecked: the descriptor is read and replaced under `lock`
    private var descriptor: Int32
    private let lock = NSLock()
    /// The port actually bound (useful after asking for port 0).
    public let port: Int
    public let host: String

    /// Binds `host:port` (`0.0.0.0` or `::` for every interface; port 0 picks a free port).
    public init(host: String, port: Int, backlog: Int32 = 16) throws {
        let label = NodeAddress(host: host, port: port).description
        let candidates = try resolve(host, port: port, passive: true)
        var lastError = "no address"
        for (family, sockaddrData) in candidates {
            let fd = makeSocket(family)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            let bound = sockaddrData.withUnsafeBytes { raw in
                bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            guard bound == 0, listen(fd, backlog) == 0 else {
                lastError = String(cString: strerror(errno))
                closeDescriptor(fd)
                continue
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            descriptor = fd
            self.host = host
            self.port = Self.port(of: storage)
            return
        }
        throw TransportError.cannotListen(address: label, reason: lastError)
    }

    deinit { close() }

    /// The next connection, or nil when none arrived within `timeout` seconds.
    public func accept(timeout: Double) throws -> SocketStream? {
        lock.lock()
        let descriptor = self.descriptor
        lock.unlock()
        guard descriptor >= 0 else { return nil }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        if ready <= 0 { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(descriptor, $0, &length) }
        }
        guard fd >= 0 else {
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { return nil }
            throw TransportError.socket(peer: "listening socket", operation: "accepting", reason: String(cString: strerror(errno)))
        }
        return SocketStream(descriptor: fd, peer: Self.describe(storage))
    }

    public func close() {
        lock.lock()
        let closing = descriptor
        descriptor = -1
        lock.unlock()
        if closing >= 0 { closeDescriptor(closing) }
    }

    static func port(of storage: sockaddr_storage) -> Int {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            if Int32(storage.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// `HOST:PORT` of a peer address.
    static func describe(_ storage: sockaddr_storage) -> String {
        var copy = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let isV6 = Int32(storage.ss_family) == AF_INET6
        withUnsafePointer(to: &copy) { pointer in
            if isV6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                    var address = a.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                    var address = a.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                }
            }
        }
        return NodeAddress(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: port(of: storage)).description
    }
}
