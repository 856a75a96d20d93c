import Foundation
import Testing
@testable import Transport

/// `PollWait`, the waiting of transports without a blocking wait (MPI): it returns as soon as the
/// condition holds, gives up after the timeout naming what it waited for, and reads its mode from
/// the environment.
@Suite("waiting by polling")
struct PollWaitTests {
    @Test("returns once the condition holds, polling until then, in every mode", arguments: PollWait.Mode.allCases)
    func completes(mode: PollWait.Mode) throws {
        var polls = 0
        try PollWait(mode: mode).until(timeout: 10, peer: "rank 1", waitingFor: "a test") {
            polls += 1
            return polls == 50
        }
        #expect(polls == 50)
    }

    @Test("gives up after the timeout with the peer and what it waited for", arguments: PollWait.Mode.allCases)
    func timesOut(mode: PollWait.Mode) {
        #expect(throws: TransportError.timedOut(peer: "rank 2", seconds: 0.05, waitingFor: "its partial sums")) {
            try PollWait(mode: mode).until(timeout: 0.05, peer: "rank 2", waitingFor: "its partial sums") { false }
        }
    }

    @Test("a failing poll ends the wait with its error")
    func pollError() {
        #expect(throws: TransportError.mpi(call: "MPI_Testall", reason: "MPI_ERR_TRUNCATE")) {
            try PollWait().until(timeout: nil, peer: "rank 1", waitingFor: "a test") {
                throw TransportError.mpi(call: "MPI_Testall", reason: "MPI_ERR_TRUNCATE")
            }
        }
    }

    @Test("DLLAMA_MPI_WAIT picks the mode; sleep by default; an unknown mode is refused by name")
    func environment() throws {
        #expect(try PollWait.fromEnvironment([:]).mode == .sleep)
        #expect(try PollWait.fromEnvironment(["DLLAMA_MPI_WAIT": "spin"]).mode == .spin)
        #expect(throws: TransportError.malformed(message: "DLLAMA_MPI_WAIT", reason: "\"busy\" is not one of sleep, yield, spin")) {
            try PollWait.fromEnvironment(["DLLAMA_MPI_WAIT": "busy"])
        }
    }
}
