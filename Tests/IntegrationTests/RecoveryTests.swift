import Foundation
import Testing
import TestSupport

/// A worker killed mid-generation with `--on-worker-failure wait`: the root waits for it (or takes
/// a spare), the new process loads its share from its own disk, every node replays the steps, and
/// the text is exactly an undisturbed run's, only later.
@Suite("worker failure recovery, as processes", .serialized, .enabled(if: Assets.present, Assets.missing))
struct RecoveryTests {
    static let smolLM2 = InferenceCommandTests.smolLM2
    static let prompt = "Once upon a time, in a small village,"  // 10 tokens
    /// 160 tokens: the kill at the 20th lands while the generation runs, however fast the nodes
    /// are (of 60, the 40 after it took about 0.2 s at 208 tokens/s).
    static let arguments = ["inference", "--model", smolLM2, "--prompt", prompt, "--steps", "160", "--temperature", "0",
                            "--max-seq-len", "256", "--nthreads", "1"]

    func undisturbed(_ workers: [WorkerProcess]) throws -> String {
        let result = try Executables.run("dllama", Self.arguments + ["--workers"] + workers.map(\.address), timeout: 300)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// Runs the root with `extra`, kills worker 2 once the 20th generated token is out, calls
    /// `replace` to bring a worker back, and returns the root's exit status and output.
    func disturbed(_ workers: [WorkerProcess], _ extra: [String], replace: () throws -> Void) throws -> (Int32?, String, String) {
        let root = try BackgroundProcess("dllama", Self.arguments + ["--workers"] + workers.map(\.address) + ["--token-stats"] + extra)
        defer { root.stop() }
        // Token stats name positions: the prompt takes 0-9, so position 29 is the 20th generated token.
        #expect(root.wait(timeout: 120) { $0.stderr.contains("token 29:") }, "\(root.stderr)")
        workers[1].background.kill()
        try replace()
        let status = root.exitStatus(timeout: 300)
        return (status, root.stdout, root.stderr)
    }

    @Test("kill -9 at token 20 of 160, worker restarted: the same text as an undisturbed run; with fail, exit 1 naming it")
    func restartedWorker() throws {
        var workers = try (0..<2).map { _ in try WorkerProcess(model: Self.smolLM2) }
        defer { workers.forEach { $0.stop() } }
        let expected = try undisturbed(workers)
        let port = workers[1].port
        let (status, text, log) = try disturbed(workers, ["--on-worker-failure", "wait"]) {
            usleep(500_000)  // the root notices and starts waiting
            workers[1] = try WorkerProcess(model: Self.smolLM2, port: port)
        }
        #expect(status == 0, "\(log)")
        #expect(text == expected)
        #expect(log.contains("worker 2 (127.0.0.1:\(port)) failed") && log.contains("recovered in"), "\(log)")
        #expect(!log.contains("Fatal error"))

        let (failStatus, _, failLog) = try disturbed(workers, []) {}
        #expect(failStatus != nil && failStatus != 0)
        #expect(failLog.contains("worker 2 (127.0.0.1:\(port))"), "\(failLog)")
    }

    @Test("kill -9 at token 20 of 160 with a spare standing by: the spare takes the place, the same text")
    func spareWorker() throws {
        let workers = try (0..<2).map { _ in try WorkerProcess(model: Self.smolLM2) }
        let spare = try WorkerProcess(model: Self.smolLM2)
        defer { (workers + [spare]).forEach { $0.stop() } }
        let expected = try undisturbed(workers)
        let (status, text, log) = try disturbed(workers, ["--on-worker-failure", "wait", "--spare-workers", spare.address]) {}
        #expect(status == 0, "\(log)")
        #expect(text == expected)
        #expect(log.contains("spare \(spare.address) in place of \(workers[1].address)"), "\(log)")
    }

    /// The text of a streamed completion (server-sent events), and whether it ended with [DONE].
    static func streamedText(_ body: String) -> (text: String, done: Bool) {
        var text = ""
        for line in body.components(separatedBy: "\n") where line.hasPrefix("data: {") {
            let json = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
            text += ((json?["choices"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        }
        return (text, body.contains("data: [DONE]"))
    }

    @Test("through the server: a stream in flight when a worker dies completes, equal to an undisturbed one")
    func server() throws {
        var workers = try (0..<2).map { _ in try WorkerProcess(model: Self.smolLM2) }
        defer { workers.forEach { $0.stop() } }
        let server = try ServerProcess(["--workers"] + workers.map(\.address) + ["--nthreads", "1", "--on-worker-failure", "wait"])
        defer { server.stop() }
        let request = #"{"model": "\#(ServerProcess.model)", "prompt": "\#(Self.prompt)", "max_tokens": 160, "temperature": 0, "stream": true}"#
        let first = try server.post("/v1/completions", request)
        let expected = Self.streamedText(first.body)
        #expect(first.status == 200 && expected.done, "\(first.body)")

        let connection = try HTTPTestConnection(port: server.port, timeout: 300)
        try connection.send("POST", "/v1/completions", body: request)
        _ = connection.read { $0.components(separatedBy: "data: {").count > 20 }
        let port = workers[1].port
        workers[1].background.kill()
        usleep(500_000)
        workers[1] = try WorkerProcess(model: Self.smolLM2, port: port)
        let response = try connection.response()
        let streamed = Self.streamedText(response.body)
        #expect(response.status == 200)
        #expect(streamed.done, "\(response.body)\n\(server.log)")
        #expect(streamed.text == expected.text)
        #expect(server.log.contains("recovered in"), "\(server.log)")
        // The status round after that request sees the new worker's counters start again from
        // zero; the server must go on serving (it trapped there once).
        let after = try server.post("/v1/completions", request)
        #expect(after.status == 200 && Self.streamedText(after.body).text == expected.text, "\(server.log)")
        #expect(server.background.isRunning, "\(server.log)")
    }
}
