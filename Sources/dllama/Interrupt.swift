import Dispatch
import Engine
import Foundation

/// Ctrl-C while generating: the first one stops generation after the current token, so the
/// command still prints the text's final newline and its summary; a second one, or one while
/// nothing is generating, exits at once (status 130, as a shell reports SIGINT).
final class Interrupt: @unchecked Sendable {  // `generating` is guarded by `lock`
    private let lock = NSLock()
    private var generating = false
    /// Raised by Ctrl-C while generating: the generator's `stop` flag.
    let stop = StopFlag()
    private let source: DispatchSourceSignal

    /// Takes over SIGINT for the rest of the process.
    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in received() }
        source.resume()
    }

    /// Whether Ctrl-C stopped the last generation.
    var isRequested: Bool { stop.isRaised }

    /// Runs `body` with Ctrl-C stopping it instead of the process.
    func generating<T>(_ body: () throws -> T) rethrows -> T {
        stop.lower()
        lock.withLock { generating = true }
        defer { lock.withLock { generating = false } }
        return try body()
    }

    private func received() {
        let stopGeneration = lock.withLock { () -> Bool in
            guard generating && !stop.isRaised else { return false }
            stop.raise()
            return true
        }
        guard !stopGeneration else { return }
        FileHandle.standardOutput.write(Data("\n".utf8))
        exit(130)
    }
}
