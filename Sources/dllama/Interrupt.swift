import Dispatch
import Foundation

/// Ctrl-C while generating: the first one stops generation after the current token, so the
/// command still prints the text's final newline and its summary; a second one, or one while
/// nothing is generating, exits at once (status 130, as a shell reports SIGINT).
final class Interrupt: @unchecked Sendable {  // `requested` and `generating` are guarded by `lock`
    private let lock = NSLock()
    private var requested = false
    private var generating = false
    private let source: DispatchSourceSignal

    /// Takes over SIGINT for the rest of the process.
    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in received() }
        source.resume()
    }

    /// Whether Ctrl-C was pressed since `generating` began: the generator's `shouldStop`.
    var isRequested: Bool { lock.withLock { requested } }

    /// Runs `body` with Ctrl-C stopping it instead of the process.
    func generating<T>(_ body: () throws -> T) rethrows -> T {
        lock.withLock { requested = false; generating = true }
        defer { lock.withLock { generating = false } }
        return try body()
    }

    private func received() {
        let stopGeneration = lock.withLock { () -> Bool in
            guard generating && !requested else { return false }
            requested = true
            return true
        }
        guard !stopGeneration else { return }
        FileHandle.standardOutput.write(Data("\n".utf8))
        exit(130)
    }
}
