import Foundation

/// A network link as a rate and a one-way latency, written as `1gbit,0.3ms`: what `dllama plan
/// --link` predicts for, and what the benchmark-only shaper imitates on loopback.
///
///     let link = try LinkShape(parsing: "100mbit,1ms")   // 1e8 bit/s, 0.001 s one way
public struct LinkShape: Sendable, Equatable, Codable, CustomStringConvertible {
    public var bitsPerSecond: Double
    /// One way, sender to receiver.
    public var latencySeconds: Double

    public init(bitsPerSecond: Double, latencySeconds: Double) {
        self.bitsPerSecond = bitsPerSecond
        self.latencySeconds = latencySeconds
    }

    /// The environment variable that turns the shaper on for every TCP link a process opens or
    /// accepts (root and workers alike): for benchmarks on one machine, never for a real cluster.
    public static let environmentKey = "DLLAMA_LINK_SHAPE"

    /// Parses `RATE,LATENCY`: a rate in `kbit`, `mbit` or `gbit` per second and a one-way latency in
    /// `us`, `ms` or `s` (`10gbit,50us`, `1gbit,0.3ms`, `100mbit,1ms`).
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2,
              let rate = Self.number(parts[0], units: [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3)]), rate > 0,
              let latency = Self.number(parts[1], units: [("us", 1e-6), ("ms", 1e-3), ("s", 1)]), latency >= 0
        else {
            throw LinkShapeError(text: text)
        }
        self.init(bitsPerSecond: rate, latencySeconds: latency)
    }

    /// The shape asked for in `DLLAMA_LINK_SHAPE`, nil when it is not set.
    public static func fromEnvironment() throws -> LinkShape? {
        guard let text = ProcessInfo.processInfo.environment[environmentKey], !text.isEmpty else { return nil }
        do { return try LinkShape(parsing: text) } catch { throw LinkShapeError(text: text, variable: environmentKey) }
    }

    /// Seconds `bytes` take to leave a sender at this rate.
    public func transmissionSeconds(_ bytes: Int) -> Double { Double(bytes) * 8 / bitsPerSecond }

    public var description: String {
        let rate = bitsPerSecond >= 1e9 ? "\(Self.trimmed(bitsPerSecond / 1e9))gbit"
            : bitsPerSecond >= 1e6 ? "\(Self.trimmed(bitsPerSecond / 1e6))mbit" : "\(Self.trimmed(bitsPerSecond / 1e3))kbit"
        let latency = latencySeconds < 1e-4 ? "\(Self.trimmed(latencySeconds * 1e6))us" : "\(Self.trimmed(latencySeconds * 1e3))ms"
        return "\(rate),\(latency)"
    }

    private static func number(_ text: String, units: [(String, Double)]) -> Double? {
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite else { return nil }
            return value * scale
        }
        return nil
    }

    private static func trimmed(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }
}

public struct LinkShapeError: Error, CustomStringConvertible, Equatable {
    public var text: String
    public var variable: String?

    public var description: String {
        "\(variable ?? "--link") \(text) is not RATE,LATENCY: a rate in kbit, mbit or gbit and a one-way latency in us, ms or s, "
            + "such as 1gbit,0.3ms or 100mbit,1ms"
    }
}

/// The benchmark-only shaper: a `ByteStream` whose writes reach the other side as if they had
/// crossed a link of `shape`. Each write is serialized through this process's one network card
/// (shared by all its shaped streams, as one machine's links share its NIC), then delivered
/// `latency` later by a thread of the stream's own. The writer never waits (as with a socket
/// buffer); reads are the underlying stream's. On loopback this imitates a switch that buffers,
/// without `tc netem` (which needs a kernel module and privileges).
public final class ShapedStream: ByteStream, @unchecked Sendable {
    public let shape: LinkShape
    private let inner: ByteStream
    private let condition = NSCondition()
    private var queue: [(bytes: [UInt8], due: UInt64)] = []
    private var failure: Error?
    private var closed = false

    public var peer: String { inner.peer }

    public init(_ inner: ByteStream, shape: LinkShape) {
        self.inner = inner
        self.shape = shape
        // The thread holds the stream until `close` lets it finish. It is not kept: Foundation keeps
        // a thread's closure after the thread ends, so holding it would make a cycle and a leak.
        let thread = Thread { self.deliver() }
        thread.name = "link shaper"
        thread.start()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let departure = NetworkCard.shared.transmit(seconds: shape.transmissionSeconds(bytes.count))
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        if closed { throw TransportError.connectionClosed(peer: peer) }
        queue.append((Array(bytes), departure + UInt64(shape.latencySeconds * 1e9)))
        condition.signal()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?, waitingFor: String) throws -> Int {
        condition.lock()
        let failed = failure
        condition.unlock()
        if let failed { throw failed }
        return try inner.read(into: buffer, timeout: timeout, waitingFor: waitingFor)
    }

    /// The default 50 us timer slack would add to every delay: 1 ns for this thread
    /// (`prctl(PR_SET_TIMERSLACK)`, looked up at run time: Swift's Glibc module leaves out sys/prctl.h).
    private static func tightenTimerSlack() {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return }
        let setTimerSlack: Int32 = 29  // PR_SET_TIMERSLACK
        _ = unsafeBitCast(symbol, to: Prctl.self)(setTimerSlack, 1, 0, 0, 0)
        #endif
    }

    /// Delivers what is queued, then closes the underlying stream.
    public func close() {
        condition.lock()
        let wasClosed = closed
        closed = true
        condition.signal()
        let deadline = Date(timeIntervalSinceNow: 5)  // a peer that stopped reading must not hold us
        while !queue.isEmpty && failure == nil && condition.wait(until: deadline) {}
        condition.unlock()
        if !wasClosed { inner.close() }
    }

    /// The delivery thread: each write at its due time, in order (due times never decrease, since
    /// departures through one card never do and the latency is fixed).
    private func deliver() {
        Self.tightenTimerSlack()
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            guard let next = queue.first else {
                condition.unlock()
                return
            }
            condition.unlock()
            NetworkCard.sleep(until: next.due)
            do {
                try next.bytes.withUnsafeBytes { try inner.write($0) }
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            queue.removeFirst()
            condition.broadcast()
            condition.unlock()
        }
    }
}

/// This process's network card: bytes leave one after another at the link's rate.
final class NetworkCard: @unchecked Sendable {
    static let shared = NetworkCard()
    private let lock = NSLock()
    private var freeAt: UInt64 = 0

    /// Reserves the card for `seconds` from when it is next free; returns when the last byte leaves.
    func transmit(seconds: Double) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        freeAt = max(freeAt, DispatchTime.now().uptimeNanoseconds) + UInt64(seconds * 1e9)
        return freeAt
    }

    static func sleep(until due: UInt64) {
        while true {  // again after a signal
            let now = DispatchTime.now().uptimeNanoseconds
            guard due > now else { return }
            var request = timespec(tv_sec: Int((due - now) / 1_000_000_000), tv_nsec: Int((due - now) % 1_000_000_000))
            if nanosleep(&request, nil) == 0 { return }
        }
    }
}
