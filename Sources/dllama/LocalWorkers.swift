import Foundation
import Transport

/// `dllama-worker` processes started on 127.0.0.1 for `dllama bench`, each on a port it picks
/// itself (port 0, so no two runs race for a port) and reads back from the worker's log. Exactly
/// these processes are stopped: by `stop()`, and on Ctrl-C or SIGTERM through `ChildReaper`.
final class LocalWorkers {
    let addresses: [NodeAddress]
    private let processes: [Process]
    private let logs: [URL]

    /// Starts `count` workers of `model` with `threads` threads each and waits until every one listens.
    init(count: Int, model: String, threads: Int, binary: URL, timeout: Double = 60) throws {
        var processes: [Process] = [], logs: [URL] = [], addresses: [NodeAddress] = []
        do {
            for _ in 0..<count {
                let log = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-bench-worker-\(UUID().uuidString).log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                logs.append(log)
                let process = Process()
                process.executableURL = binary
                process.arguments = ["--model", model, "--host", "127.0.0.1", "--port", "0", "--nthreads", String(threads)]
                process.standardOutput = FileHandle.nullDevice
                let output = try FileHandle(forWritingTo: log)
                process.standardError = output
                try process.run()
                try? output.close()
                ChildReaper.shared.adopt(process.processIdentifier)
                processes.append(process)
            }
            for (process, log) in zip(processes, logs) {
                addresses.append(try Self.waitForAddress(process, log: log, timeout: timeout))
            }
        } catch {
            Self.stop(processes)
            for log in logs { try? FileManager.default.removeItem(at: log) }
            throw error
        }
        self.processes = processes
        self.logs = logs
        self.addresses = addresses
    }

    deinit { stop() }

    /// Stops the workers (SIGTERM, then SIGKILL after 5 s) and removes their logs.
    func stop() {
        Self.stop(processes)
        for log in logs { try? FileManager.default.removeItem(at: log) }
    }

    private static func stop(_ processes: [Process]) {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes {
            let deadline = Date(timeIntervalSinceNow: 5)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            ChildReaper.shared.release(process.processIdentifier)
        }
    }

    /// The address in the worker's "listening on 127.0.0.1:PORT" line.
    private static func waitForAddress(_ process: Process, log: URL, timeout: Double) throws -> NodeAddress {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on 127\.0\.0\.1:\d+"#, options: .regularExpression),
               let address = NodeAddress(String(text[range].dropFirst("listening on ".count))) {
                return address
            }
            if !process.isRunning {
                throw BenchError("a local dllama-worker exited before listening (status \(process.terminationStatus)): "
                                 + text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            usleep(20_000)
        }
        throw BenchError("a local dllama-worker did not start listening within \(Int(timeout)) s (its log: \(log.path))")
    }
}

/// The child processes to stop when the user interrupts the benchmark.
final class ChildReaper: @unchecked Sendable {
    static let shared = ChildReaper()
    private let lock = NSLock()
    private var children: Set<pid_t> = []
    private var sources: [DispatchSourceSignal] = []

    func adopt(_ pid: pid_t) {
        lock.lock()
        children.insert(pid)
        lock.unlock()
    }

    func release(_ pid: pid_t) {
        lock.lock()
        children.remove(pid)
        lock.unlock()
    }

    /// From now on Ctrl-C and SIGTERM stop the adopted children, then this process.
    func stopChildrenOnInterrupt() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                let pids = children
                lock.unlock()
                for pid in pids { kill(pid, SIGKILL) }
                FileHandle.standardError.write(Data("\ninterrupted: stopped \(pids.count) local worker\(pids.count == 1 ? "" : "s")\n".utf8))
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
