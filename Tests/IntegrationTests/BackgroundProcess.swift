import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A built executable running in the background (a worker, or a root that a test interrupts),
/// its output in files. Stopping it kills exactly this process; so does deinit.
final class BackgroundProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    private let scratch: URL
    private let outURL: URL
    private let errURL: URL

    init(_ name: String, _ arguments: [String], environment: [String: String] = [:], directory: URL = Executables.productsDirectory) throws {
        self.name = name
        process.executableURL = directory.appendingPathComponent(name)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outURL = scratch.appendingPathComponent("stdout")
        errURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: scratch)
    }

    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    /// Waits until `predicate` holds for the output, or `timeout` seconds pass; returns whether it held.
    @discardableResult
    func wait(timeout: TimeInterval, until predicate: (BackgroundProcess) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(self) { return true }
            usleep(20_000)
        }
        return predicate(self)
    }

    /// The port a server logs after `marker` (it picked a free one), once it does; nil if it ends
    /// or `timeout` seconds pass first.
    func port(after marker: String, timeout: TimeInterval) -> Int? {
        var found: Int?
        wait(timeout: timeout) { process in
            found = process.stderr.components(separatedBy: marker).dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
            return found != nil || !process.isRunning
        }
        return found
    }

    /// Waits for the process to end by itself; nil if it did not within `timeout` seconds.
    func exitStatus(timeout: TimeInterval) -> Int32? {
        guard wait(timeout: timeout, until: { !$0.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func kill(_ signal: Int32 = SIGKILL) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !wait(timeout: 5, until: { !$0.isRunning }) { kill() }
        process.waitUntilExit()
    }
}

/// A `dllama-worker` on 127.0.0.1 (or `host`) at a free port it picks itself (and prints).
final class WorkerProcess: @unchecked Sendable {
    let background: BackgroundProcess
    let port: Int
    let host: String
    var address: String { NodeAddressText.format(host: host, port: port) }
    var log: String { background.stderr }

    /// `port` 0 lets the worker pick a free one; a given port brings a worker back where one was.
    init(model: String, host: String = "127.0.0.1", port requested: Int = 0, arguments: [String] = [], environment: [String: String] = [:],
         directory: URL = Executables.productsDirectory) throws {
        self.host = host
        // One thread unless a test asks for more: several nodes share this machine's cores.
        let threads = arguments.contains("--nthreads") ? [] : ["--nthreads", "1"]
        background = try BackgroundProcess("dllama-worker", ["--model", model, "--host", host, "--port", "\(requested)"] + threads + arguments,
                                           environment: environment, directory: directory)
        let marker = "listening on " + NodeAddressText.format(host: host, port: 0).dropLast(1)
        var found: Int?
        background.wait(timeout: 60) { process in
            found = process.stderr.components(separatedBy: marker).dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
            return found != nil || !process.isRunning
        }
        guard let found else {
            throw WorkerStartFailure(log: background.stderr)
        }
        port = found
    }

    func stop() { background.stop() }

    struct WorkerStartFailure: Error, CustomStringConvertible {
        var log: String
        var description: String { "the worker did not start listening: \(log)" }
    }
}

/// `HOST:PORT`, with an IPv6 host in brackets.
enum NodeAddressText {
    static func format(host: String, port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
