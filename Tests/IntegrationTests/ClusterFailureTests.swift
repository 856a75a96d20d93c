import Engine
import Foundation
import ModelFormat
import Scheduler
import Testing
import TestSupport
import Transport

/// What a user can do wrong to a cluster, and what happens when a node dies: a clear message on
/// the side that can act on it, a non-zero exit, never a trap or a hang; a worker keeps serving.
@Suite("cluster failures and bad input, as processes", .serialized)
struct ClusterFailureTests {
    static let smolLM2 = InferenceCommandTests.smolLM2
    static let tinyModel = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path

    func root(_ workers: [String], _ extra: [String] = [], environment: [String: String] = [:], steps: Int = 4,
              timeout: TimeInterval = 120) throws -> CommandResult {
        try Executables.run("dllama", ["inference", "--nthreads", "1", "--model", Self.smolLM2, "--prompt", "The capital of France is",
                                       "--steps", "\(steps)", "--temperature", "0", "--max-seq-len", "128", "--workers"] + workers + extra,
                            environment: environment, timeout: timeout)
    }

    /// Sends `bytes` to the worker on a raw connection and waits until it hangs up.
    func send(_ bytes: [UInt8], to worker: WorkerProcess) throws {
        let stream = try SocketStream.connect(to: NodeAddress(worker.address)!, timeout: 5)
        try bytes.withUnsafeBytes { try stream.write($0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        // The worker answers (an error frame, or nothing) and closes: read until the end.
        while try buffer.withUnsafeMutableBytes({ try stream.read(into: $0, timeout: 30, waitingFor: "the worker to hang up") }) > 0 {}
        stream.close()
    }

    @Test("garbage, a huge length field, a wrong version, a silent client: logged and dropped; the worker keeps serving", .enabled(if: Assets.present, Assets.missing))
    func badInput() throws {
        let worker = try WorkerProcess(model: Self.smolLM2)
        defer { worker.stop() }
        // A client that connects and says nothing must not hold up a real root.
        let silent = try SocketStream.connect(to: NodeAddress(worker.address)!, timeout: 5)
        defer { silent.close() }
        try send(Array("GET / HTTP/1.1\r\nHost: worker\r\n\r\n".utf8), to: worker)
        try send([0xFF, 0xFF, 0xFF, 0x7F, MessageKind.hello.rawValue, 0, 0, 0], to: worker)
        var hello = WireWriter()
        hello.u32(0x414D_4C44)
        hello.u16(99)
        hello.u16(0)
        hello.raw([UInt8](repeating: 7, count: 32))
        try send([UInt8(hello.bytes.count), 0, 0, 0, MessageKind.hello.rawValue, 0, 0, 0] + hello.bytes, to: worker)
        var state: UInt64 = 1
        try send((0..<3000).map { _ in state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt8(state >> 56) }, to: worker)
        let result = try root([worker.address])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("The capital of France is Paris"))
        let log = worker.log
        #expect(log.components(separatedBy: "refused a connection").count - 1 >= 4, "\(log)")
        #expect(log.contains("protocol version 99"), "\(log)")
        #expect(log.contains("more than the"), "\(log)")
        #expect(!log.contains("Fatal error"))
        #expect(worker.background.isRunning)
    }

    /// IPv6 and host names: the same worker, reached as [::1] then (another) as localhost twice,
    /// the second time keeping the share it loaded for the first.
    @Test("IPv6 and host names; a worker keeps its weights for the next root with the same share", .enabled(if: Assets.present, Assets.missing),
          .enabled(if: (try? TCPListener(host: "::1", port: 0)) != nil))
    func addressesAndReuse() throws {
        let v6 = try WorkerProcess(model: Self.smolLM2, host: "::1")
        defer { v6.stop() }
        let overV6 = try root([v6.address])
        #expect(overV6.status == 0, "\(overV6.stderr)")
        #expect(overV6.stdout.hasPrefix("The capital of France is Paris"))
        let worker = try WorkerProcess(model: Self.smolLM2)
        defer { worker.stop() }
        let first = try root(["localhost:\(worker.port)"])
        let second = try root(["localhost:\(worker.port)"])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\n\(second.stderr)")
        #expect(second.stdout == first.stdout)
        #expect(!first.stderr.contains("kept from its previous session"))
        #expect(second.stderr.contains("kept from its previous session"), "\(second.stderr)")
    }

    @Test("an unreachable worker, and one that never answers: the root names it and exits non-zero within the timeout")
    func unreachable() throws {
        let closed = try TCPListener(host: "127.0.0.1", port: 0)
        let port = closed.port
        closed.close()
        let refused = try root(["127.0.0.1:\(port)"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("worker 1 (127.0.0.1:\(port)), connecting: cannot connect"), "\(refused.stderr)")

        let mute = try TCPListener(host: "127.0.0.1", port: 0)  // accepts (in the kernel) but never speaks
        defer { mute.close() }
        let start = Date()
        let silent = try root(["127.0.0.1:\(mute.port)"], ["--timeout", "2"])
        #expect(silent.status != 0)
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(silent.stderr.contains("worker 1 (127.0.0.1:\(mute.port))") && silent.stderr.contains("sent nothing for 2 s"), "\(silent.stderr)")
    }

    @Test("a worker killed mid-generation: the root names it within seconds and exits non-zero", .enabled(if: Assets.present, Assets.missing))
    func killedWorker() throws {
        let workers = try (0..<2).map { _ in try WorkerProcess(model: Self.smolLM2) }
        defer { workers.forEach { $0.stop() } }
        let rootProcess = try BackgroundProcess("dllama", ["inference", "--nthreads", "1", "--model", Self.smolLM2, "--prompt", "Once upon a time,",
                                                            "--steps", "2000", "--temperature", "0", "--max-seq-len", "2048",
                                                            "--workers"] + workers.map(\.address))
        defer { rootProcess.stop() }
        let started = rootProcess.wait(timeout: 120) { $0.stdout.count > "Once upon a time,".count + 20 }
        #expect(started, "\(rootProcess.stderr)")
        workers[1].background.kill()
        let killedAt = Date()
        let status = rootProcess.exitStatus(timeout: 30)
        #expect(status != nil && status != 0)
        #expect(Date().timeIntervalSince(killedAt) < 15)
        #expect(rootProcess.stderr.contains("worker 2 (\(workers[1].address))"), "\(rootProcess.stderr)")
        #expect(!rootProcess.stderr.contains("Fatal error"))
        // The surviving worker waits for the next root.
        #expect(workers[0].background.isRunning)
    }

    @Test("a worker with another model file: \"model file mismatch\" on both sides, naming the worker and both fingerprints", .enabled(if: Assets.present, Assets.missing))
    func modelMismatch() throws {
        let worker = try WorkerProcess(model: Self.tinyModel)
        defer { worker.stop() }
        let result = try root([worker.address])
        #expect(result.status != 0)
        let theirs = try ModelFile(path: Self.tinyModel).fingerprint().description
        let ours = try ModelFile(path: Self.smolLM2).fingerprint().description
        #expect(result.stderr.contains("model file mismatch: worker 1 (\(worker.address))"), "\(result.stderr)")
        #expect(result.stderr.contains(theirs) && result.stderr.contains(ours))
        #expect(worker.background.wait(timeout: 10) { $0.stderr.contains("model file mismatch") }, "\(worker.log)")
    }

    @Test("secrets: the same one works; a wrong or missing one is refused on both sides", .enabled(if: Assets.present, Assets.missing))
    func secrets() throws {
        let worker = try WorkerProcess(model: Self.smolLM2, environment: ["DLLAMA_SECRET": "correct horse"])
        defer { worker.stop() }
        let wrong = try root([worker.address], ["--secret", "battery staple"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("wrong secret"), "\(wrong.stderr)")
        let missing = try root([worker.address])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("requires a secret"), "\(missing.stderr)")
        let right = try root([worker.address], environment: ["DLLAMA_SECRET": "correct horse"])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(right.stdout.hasPrefix("The capital of France is Paris"))
        #expect(worker.log.contains("wrong secret") && worker.log.contains("sent no secret"), "\(worker.log)")
    }

    /// Only activations cross the network: every byte of start-up plus 100 tokens stays under a
    /// bound made from activation sizes alone, far below the weights; and a worker's memory grows
    /// by its share, not by the model.
    @Test("zero weight transfer: wire bytes bounded by activation sizes; worker RSS grows by its share plus KV cache", .enabled(if: Assets.present, Assets.missing))
    func zeroWeightTransfer() throws {
        let workers = try (0..<2).map { _ in try WorkerProcess(model: Self.smolLM2) }
        defer { workers.forEach { $0.stop() } }
        let file = try ModelFile(path: Self.smolLM2)
        var options = Cluster.Options(workers: workers.map { NodeAddress($0.address)! })
        options.maxSeqLen = 256
        options.kvCacheType = .f32  // not the default: the workers must learn it from the plan
        let engine = try Cluster.connect(file: file, options: options)
        var token = 504, tokens = 0
        for position in 0..<100 {
            token = try engine.forwardGreedy(token: token, position: position)
            tokens += 1
        }
        let reports = engine.shutdown().mapValues { try! JSONDecoder().decode(WorkerReport.self, from: Data($0)) }
        #expect(reports.count == 2)
        // Per token, the plan's traffic estimate (activation vectors, steps and F32 logits: no
        // weights); per worker at start-up, the handshake and the plan, a few KB.
        let startup = 64 << 10
        let rootBound = startup * 2 + tokens * (engine.plan.estimates[0].sentBytesPerToken + engine.plan.estimates[0].receivedBytesPerToken)
        let traffic = engine.traffic
        #expect(traffic.sentBytes + traffic.receivedBytes <= rootBound)
        // The bounds are below the weights the workers hold: had any share crossed the wire, they would not hold.
        #expect(rootBound < reports.values.reduce(0) { $0 + $1.weightBytes })
        for (node, report) in reports {
            let estimate = engine.plan.estimates[node]
            let bound = startup + tokens * (estimate.sentBytesPerToken + estimate.receivedBytesPerToken)
            #expect(report.sentBytes + report.receivedBytes <= bound)
            #expect(bound < report.weightBytes)
            #expect(report.bytesRead <= estimate.weightBytes + (1 << 20), "node \(node) read \(report.bytesRead) bytes of its file")
            #expect(report.kvCacheBytes == estimate.kvCacheBytes && estimate.kvCacheBytes == 30 * 2 * 256 * 64 * 4,
                    "worker \(node) holds a KV cache of \(report.kvCacheBytes) bytes")
            let growth = Double(report.peakResident - report.residentBeforeLoad)
            let allowed = 1.1 * Double(report.weightBytes + report.kvCacheBytes)
            #expect(growth <= allowed, "worker \(node): RSS grew \(formatBytes(Int(growth))), allowed \(formatBytes(Int(allowed)))")
        }
    }
}
