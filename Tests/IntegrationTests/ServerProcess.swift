import Foundation
import Testing

/// `dllama serve` on SmolLM2 at 127.0.0.1 and a free port it picks itself (and logs); stopping
/// it (or deinit) ends exactly this process. A test's arguments come after the defaults, so they
/// replace them (`--max-seq-len 2048`: the last of a repeated option counts).
final class ServerProcess: @unchecked Sendable {
    static let model = "SmolLM2-135M-Instruct.Q4_1"
    let background: BackgroundProcess
    let port: Int
    var log: String { background.stderr }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(_ arguments: [String] = [], environment: [String: String] = [:]) throws {
        background = try BackgroundProcess("dllama", ["serve", "--model", InferenceCommandTests.smolLM2, "--host", "127.0.0.1", "--port", "0",
                                                      "--max-seq-len", "512", "--nthreads", "2"] + arguments,
                                           environment: environment)
        guard let found = background.port(after: "listening on http://127.0.0.1:", timeout: 120) else {
            throw StartFailure(log: background.stderr)
        }
        port = found
    }

    func stop() { background.stop() }

    /// `POST path` with a JSON body, answered in full.
    func post(_ path: String, _ body: String, headers: [String: String] = [:]) throws -> HTTPTestResponse {
        try HTTPTestConnection.request(port: port, "POST", path, body: body, headers: headers)
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPTestResponse {
        try HTTPTestConnection.request(port: port, "GET", path, headers: headers)
    }

    /// Waits until the log has `count` lines containing `text` (request lines come after the
    /// response is written, so a test waits for them rather than racing).
    @discardableResult
    func waitForLog(_ text: String, count: Int = 1, timeout: TimeInterval = 60) -> Bool {
        background.wait(timeout: timeout) { $0.stderr.components(separatedBy: text).count > count }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var log: String
        var description: String { "dllama serve did not start listening: \(log)" }
    }
}

/// The git-ignored virtualenv with the `openai` client and selenium (scripts/test-venv.sh, which
/// `make test` runs first; made here when missing, within a time limit).
enum PythonTools {
    static let venv = ProcessInfo.processInfo.environment["DLLAMA_TEST_VENV"]
        ?? Executables.repository.appendingPathComponent(".venv-tests").path
    static var python: String { venv + "/bin/python" }
    static func script(_ name: String) -> String { Executables.repository.appendingPathComponent("Tests/Python/\(name)").path }

    /// Makes sure the venv is there; a failure says what is missing.
    static func prepare() throws {
        let result = try Executables.runTool("/bin/bash", [Executables.repository.appendingPathComponent("scripts/test-venv.sh").path, venv],
                                             timeout: 300)
        guard result.status == 0 else {
            throw Unavailable(description: "the test virtualenv could not be made (scripts/test-venv.sh): \(result.stderr)\(result.stdout)")
        }
    }

    /// Runs one of the Python check scripts against a server; they exit non-zero naming what failed.
    static func run(_ name: String, _ arguments: [String], timeout: TimeInterval = 300) throws -> CommandResult {
        try prepare()
        return try Executables.runTool(python, [script(name)] + arguments, timeout: timeout)
    }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }
}
