import Foundation
import Testing
@_exported import TestSupport

/// Runs the built executables as a user would, with a time limit, and collects what they print.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Executables {
    static let repository = Paths.repository
    static let fixtures = Paths.fixtures

    /// The products directory SwiftPM built these tests into also holds the executables.
    static var productsDirectory: URL {
        Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? Bundle.main.bundleURL
    }

    /// `environment` entries are added to (or replace) this process's environment; `input`,
    /// when given, is what the process reads on standard input. `name` is looked up in
    /// `directory` (the products of this build unless given).
    static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:],
                    input: Data? = nil, timeout: TimeInterval = 60, directory: URL = productsDirectory) throws -> CommandResult {
        try runTool(directory.appendingPathComponent(name).path, arguments, environment: environment, input: input, timeout: timeout)
    }

    /// Like `run`, for any program given by its path (a Python script's interpreter, a shell script).
    static func runTool(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                        input: Data? = nil, timeout: TimeInterval = 60) throws -> CommandResult {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        // Output goes to files, so no pipe can fill up and block the process while we wait.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dllama-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if let input {
            let inURL = scratch.appendingPathComponent("stdin")
            try input.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("\(name) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let stdout = try Data(contentsOf: outURL), stderr = try Data(contentsOf: errURL)
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
