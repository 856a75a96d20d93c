import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a node waits on a transport that has no blocking wait of its own: MPI's shared-memory and
/// InfiniBand paths make progress only when polled, so MPI libraries spin inside their blocking
/// calls (Open MPI busy-polls, or calls `sched_yield` between polls when told a host is
/// oversubscribed). A spinning rank takes the core from the very rank it waits for when ranks
/// share cores, and from its own compute threads between collectives.
///
/// `sleep` (the default) polls a few times, then sleeps between polls for growing intervals up to
/// `maxSleepNanoseconds`, so a waiting rank costs almost nothing; `yield` polls and yields the core
/// between polls (Open MPI's `mpi_yield_when_idle`); `spin` only polls, for ranks with dedicated
/// cores where every microsecond counts. docs/performance.md has the measurements.
///
///     try PollWait(mode: .sleep).until(timeout: 60, peer: "rank 2", waitingFor: "its partial sums") { try request.isDone() }
public struct PollWait: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case sleep, yield, spin
    }

    public var mode: Mode
    /// Polls (each followed by `sched_yield`) before the first sleep.
    public var eagerPolls: Int
    /// The first sleep, doubled after each until `maxSleepNanoseconds`.
    public var firstSleepNanoseconds: Int
    public var maxSleepNanoseconds: Int

    public init(mode: Mode = .sleep, eagerPolls: Int = 20, firstSleepNanoseconds: Int = 2_000, maxSleepNanoseconds: Int = 200_000) {
        self.mode = mode
        self.eagerPolls = eagerPolls
        self.firstSleepNanoseconds = firstSleepNanoseconds
        self.maxSleepNanoseconds = maxSleepNanoseconds
    }

    /// The mode named by `DLLAMA_MPI_WAIT` (sleep, yield or spin), else `sleep`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PollWait {
        guard let name = environment["DLLAMA_MPI_WAIT"], !name.isEmpty else { return PollWait() }
        guard let mode = Mode(rawValue: name) else {
            throw TransportError.malformed(message: "DLLAMA_MPI_WAIT", reason: "\"\(name)\" is not one of sleep, yield, spin")
        }
        return PollWait(mode: mode)
    }

    /// Polls `done` until it returns true; throws `timedOut` (naming `peer` and what was awaited)
    /// after `timeout` seconds (nil: waits as long as it takes).
    public func until(timeout: Double?, peer: @autoclosure () -> String, waitingFor what: @autoclosure () -> String,
                      _ done: () throws -> Bool) throws {
        if try done() { return }
        let start = DispatchTime.now().uptimeNanoseconds
        let limit = timeout.map { UInt64(max($0, 0) * 1e9) }
        var polls = 0
        var sleep = firstSleepNanoseconds
        while true {
            switch mode {
            case .spin:
                break
            case .yield:
                sched_yield()
            case .sleep:
                if polls < eagerPolls {
                    sched_yield()
                } else {
                    var interval = timespec(tv_sec: sleep / 1_000_000_000, tv_nsec: sleep % 1_000_000_000)
                    nanosleep(&interval, nil)
                    sleep = min(sleep * 2, maxSleepNanoseconds)
                }
            }
            polls += 1
            if try done() { return }
            // Reading the clock costs little next to a poll, but spare it on every spin.
            if let limit, polls % 64 == 0 || mode == .sleep, DispatchTime.now().uptimeNanoseconds - start > limit {
                throw TransportError.timedOut(peer: peer(), seconds: timeout!, waitingFor: what())
            }
        }
    }
}
