#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the time of a forward pass goes, by kind of operation (`--profile`).
public enum ProfiledOperation: String, CaseIterable, Sendable {
    case embedding, matmul, attention, norms, elementwise, logits, sampling, network, loading
}

/// Accumulates wall-clock time per operation when enabled; costs one branch when not.
public final class Profiler: @unchecked Sendable {  // unchecked: used by its node's thread only
    public let enabled: Bool
    private var nanoseconds: [ProfiledOperation: UInt64] = [:]

    public init(enabled: Bool) { self.enabled = enabled }

    @inline(__always)
    public func measure<T>(_ operation: ProfiledOperation, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let start = Self.now()
        defer { nanoseconds[operation, default: 0] += Self.now() - start }
        return try body()
    }

    /// Milliseconds spent per operation so far.
    public var milliseconds: [ProfiledOperation: Double] { nanoseconds.mapValues { Double($0) / 1e6 } }

    public func reset() { nanoseconds.removeAll() }

    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
