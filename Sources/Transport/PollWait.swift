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
/// `sleep` (the default) polls, yielding the core between polls, for `pollingNanoseconds`, then
/// sleeps between polls for growing intervals up to `maxSleepNanoseconds` (`idleSleepNanoseconds`
/// once a wait has lasted 100 ms: a rank idle between steps costs almost nothing); `yield` polls
/// and yields only (Open MPI's `mpi_yield_when_idle`); `spin` only polls, for ranks with cores of
/// their own where every microsecond counts. docs/performance.md has the measurements.
///
///     try PollWait(mode: .sleep).until(timeout: 60, peer: "rank 2", waitingFor: "its partial sums") { try request.isDone() }
public struct PollWait: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case sleep, yield, spin
    }

    public var mode: Mode
    /// How long `sleep` polls (yielding between polls) before its first sleep: most waits inside
    /// a step end sooner, and a sleep costs tens of microseconds of latency.
    public var pollingNanoseconds: UInt64
    /// The first sleep, doubled after each up to `maxSleepNanoseconds`.
    public var firstSleepNanoseconds: Int
    public var maxSleepNanoseconds: Int
    /// The longest sleep once a wait has lasted 100 ms (a rank waiting for the next step).
    public var idleSleepNanoseconds: Int

    public init(mode: Mode = .sleep, pollingNanoseconds: UInt64 = 1_000_000, firstSleepNanoseconds: Int = 20_000,
                maxSleepNanoseconds: Int = 200_000, idleSleepNanoseconds: Int = 5_000_000) {
        self.mode = mode
        self.pollingNanoseconds = pollingNanoseconds
        self.firstSleepNanoseconds = firstSleepNanoseconds
        self.maxSleepNanoseconds = maxSleepNanoseconds
        self.idleSleepNanoseconds = idleSleepNanoseconds
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
        var waited: UInt64 = 0
        while true {
            switch mode {
            case .spin:
                break
            case .yield:
                sched_yield()
            case .sleep:
                if waited < pollingNanoseconds {
                    sched_yield()
                } else {
                    var interval = timespec(tv_sec: sleep / 1_000_000_000, tv_nsec: sleep % 1_000_000_000)
                    nanosleep(&interval, nil)
                    sleep = min(sleep * 2, waited > 100_000_000 ? idleSleepNanoseconds : maxSleepNanoseconds)
                }
            }
            polls += 1
            if try done() { return }
            // The clock costs little next to a poll, but a spinning wait spares it most of the time.
            if mode == .sleep || polls % 64 == 0 {
                waited = DispatchTime.now().uptimeNanoseconds - start
                if let limit, waited > limit {
                    throw TransportError.timedOut(peer: peer(), seconds: timeout!, waitingFor: what())
                }
            }
        }
    }
}
