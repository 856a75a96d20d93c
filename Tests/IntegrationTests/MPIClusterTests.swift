import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The MPI build of the executables (`swift build --traits MPI`) and `mpirun`, which `make test`
/// provides when Open MPI is installed: it builds into `.build-mpi` and sets `DLLAMA_MPI_PRODUCTS`.
enum MPIBuild {
    static let products: URL? = ProcessInfo.processInfo.environment["DLLAMA_MPI_PRODUCTS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }

    /// `mpirun` on the PATH.
    static var mpirun: URL? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The process of rank `rank` among the children of `mpirun` (each rank's environment names it).
    static func rank(_ rank: Int, of mpirun: Int32) -> Int32? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return processes.first { pid in
            // /proc/PID/stat: "pid (name) state ppid ...", the name in parentheses may hold spaces.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2,
                  Int32(fields[1]) == mpirun,
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environment.split(separator: 0).contains { $0.elementsEqual("OMPI_COMM_WORLD_RANK=\(rank)".utf8) }
        }
    }

    /// CI runs as root, which Open MPI refuses unless told to allow it.
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    /// `mpirun --oversubscribe` (more ranks than the 2 cores) starting, for each group, `ranks`
    /// copies of the MPI build's `dllama` with `arguments` (groups joined by `:`, one job).
    static func run(_ groups: [(ranks: Int, arguments: [String])], input: Data? = nil, timeout: TimeInterval = 300) throws -> CommandResult {
        guard let products, let mpirun else {
            Issue.record("DLLAMA_MPI_PRODUCTS is set but mpirun is not on the PATH")
            return CommandResult(status: -1, stdout: "", stderr: "")
        }
        let dllama = products.appendingPathComponent("dllama").path
        let arguments = ["--oversubscribe", "--bind-to", "none"]
            + groups.map { ["-np", "\($0.ranks)", dllama] + $0.arguments }.joined(separator: [":"])
        return try Executables.run(mpirun.lastPathComponent, arguments, environment: environment, input: input, timeout: timeout,
                                   directory: mpirun.deletingLastPathComponent())
    }
}

/// `mpirun --oversubscribe -np N dllama` on SmolLM2 against a root and N - 1 TCP workers, both
/// from the MPI build: the same wire encoding must give the same greedy tokens (the all-reduce
/// sums in node order on both transports), and start-up failures stop every rank with one message.
@Suite("MPI: mpirun dllama against root + TCP workers", .serialized,
       .enabled(if: MPIBuild.products != nil, "set DLLAMA_MPI_PRODUCTS to the products of `swift build --traits MPI` (make test does when mpirun is installed)"))
struct MPIClusterTests {
    static let smolLM2 = InferenceCommandTests.smolLM2
    static let tinyModel = Executables.fixtures.appendingPathComponent("oracle/dllama_model_llama_q40.m").path
    /// 17 tokens: its prefill batch is too long for the one-message step broadcast, so the
    /// second message is exercised too.
    static let prompt = "Once upon a time, in a small village at the foot of the mountains, there lived an old"

    struct Case: Sendable, CustomTestStringConvertible {
        var ranks: Int
        var mode: String
        var wire: String
        /// Without `--transport mpi`: the environment mpirun sets must be enough.
        var detected = false
        /// `--max-ram` for every node (40M makes the last pipeline stage stream its layers).
        var maxRAM: String?
        var testDescription: String {
            "\(ranks) ranks, \(mode), \(wire)" + (detected ? ", transport detected" : "") + (maxRAM.map { ", --max-ram \($0)" } ?? "")
        }
    }

    static func arguments(_ c: Case, model: String = smolLM2, steps: Int = 16) -> [String] {
        ["inference", "--nthreads", "1", "--model", model, "--prompt", prompt, "--steps", "\(steps)", "--temperature", "0", "--max-seq-len", "128",
         "--mode", c.mode, "--buffer-float-type", c.wire] + (c.maxRAM.map { ["--max-ram", $0] } ?? [])
    }

    @Test("the same greedy tokens as root + TCP workers with the same wire encoding", .enabled(if: Assets.present, Assets.missing),
          arguments: [Case(ranks: 3, mode: "tensor", wire: "q80"), Case(ranks: 2, mode: "tensor", wire: "f16", detected: true),
                      Case(ranks: 3, mode: "pipeline", wire: "f16", maxRAM: "40M")])
    func sameTokens(_ c: Case) throws {
        let products = try #require(MPIBuild.products)
        let workers = try (1..<c.ranks).map { _ in
            try WorkerProcess(model: Self.smolLM2, arguments: c.maxRAM.map { ["--max-ram", $0] } ?? [], directory: products)
        }
        defer { workers.forEach { $0.stop() } }
        let tcp = try Executables.run("dllama", Self.arguments(c) + ["--workers"] + workers.map(\.address), timeout: 300, directory: products)
        #expect(tcp.status == 0, "\(tcp.stderr)")
        let mpi = try MPIBuild.run([(c.ranks, Self.arguments(c) + (c.detected ? [] : ["--transport", "mpi"]))])
        #expect(mpi.status == 0, "\(mpi.stderr)")
        #expect(mpi.stderr.contains("MPI job of \(c.ranks) ranks"), "\(mpi.stderr)")
        #expect(mpi.stdout.hasPrefix(Self.prompt) && mpi.stdout.count > Self.prompt.count + 20, "\(mpi.stdout)")
        #expect(mpi.stdout == tcp.stdout, "MPI:\n\(mpi.stdout)\nTCP:\n\(tcp.stdout)")
        // Per-token figures and each rank's closing report, as over TCP.
        #expect(mpi.stderr.contains("cluster: \(c.ranks) nodes, \(c.wire) on the wire; per token"), "\(mpi.stderr)")
        #expect(mpi.stderr.contains("worker \(c.ranks - 1): "), "\(mpi.stderr)")
        if c.maxRAM != nil {
            // Each rank reads only its own slices, streaming them when they do not fit its budget.
            #expect(mpi.stderr.contains("rank 2 (") && mpi.stderr.contains("streamed from disk"), "\(mpi.stderr)")
        }
    }

    @Test("another model on one rank: every rank stops with the same mismatch message, nothing is generated")
    func fingerprintMismatch() throws {
        let c = Case(ranks: 3, mode: "tensor", wire: "f16")
        let start = Date()
        let result = try MPIBuild.run([(2, Self.arguments(c) + ["--transport", "mpi"]),
                                       (1, Self.arguments(c, model: Self.tinyModel) + ["--transport", "mpi"])], timeout: 120)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        let message = "model file mismatch: rank 2 ("
        #expect(result.stderr.components(separatedBy: message).count - 1 == 3, "every rank says it:\n\(result.stderr)")
        #expect(Date().timeIntervalSince(start) < 60)
    }

    @Test("a share that cannot load on one rank (--max-ram 1M there): every rank stops, naming it")
    func loadFailure() throws {
        let c = Case(ranks: 3, mode: "tensor", wire: "f16")
        let result = try MPIBuild.run([(2, Self.arguments(c) + ["--transport", "mpi"]),
                                       (1, Self.arguments(c) + ["--transport", "mpi", "--max-ram", "1M"])], timeout: 120)
        #expect(result.status != 0)
        #expect(result.stderr.components(separatedBy: "rank 2 (").count - 1 >= 3, "\(result.stderr)")
        #expect(result.stderr.contains("cannot load its share"), "\(result.stderr)")
    }

    /// Starts a 3-rank generation in the background, waits until text comes, and sends rank 2 `signal`.
    func interrupted(by signal: Int32, _ extra: [String] = []) throws -> BackgroundProcess {
        let (products, mpirun) = (try #require(MPIBuild.products), try #require(MPIBuild.mpirun))
        let job = try BackgroundProcess(mpirun.lastPathComponent, ["--oversubscribe", "--bind-to", "none", "-np", "3",
                                                                  products.appendingPathComponent("dllama").path]
                                            + Self.arguments(Case(ranks: 3, mode: "tensor", wire: "f16"), steps: 100) + extra,
                                        environment: MPIBuild.environment, directory: mpirun.deletingLastPathComponent())
        #expect(job.wait(timeout: 120) { $0.stdout.count > Self.prompt.count + 8 || !$0.isRunning }, "generation did not start: \(job.stderr)")
        let rank2 = try #require(MPIBuild.rank(2, of: job.process.processIdentifier), "rank 2 not found among mpirun's children")
        kill(rank2, signal)
        return job
    }

    @Test("a rank killed mid-generation: mpirun ends every rank within seconds, exits non-zero and names it")
    func killedRank() throws {
        let job = try interrupted(by: SIGKILL)
        defer { job.stop() }
        let status = job.exitStatus(timeout: 60)
        #expect(status != nil && status != 0, "\(job.stderr)")
        #expect(job.stderr.contains("rank 2"), "\(job.stderr)")
    }

    @Test("a rank that stops answering: after --timeout a waiting rank names it and ends the job")
    func silentRank() throws {
        let job = try interrupted(by: SIGSTOP, ["--timeout", "3"])
        defer { job.stop() }
        let status = job.exitStatus(timeout: 90)
        #expect(status != nil && status != 0, "\(job.stderr)")
        #expect(job.stderr.contains("sent nothing for 3 s"), "\(job.stderr)")
        #expect(job.stderr.contains("ending every rank of the MPI job"), "\(job.stderr)")
    }

    @Test("chat under mpirun: rank 0 reads standard input and answers as the TCP cluster does", .enabled(if: Assets.present, Assets.missing))
    func chat() throws {
        let products = try #require(MPIBuild.products)
        let question = Data("What is the capital of France?\n".utf8)
        let options = ["chat", "--nthreads", "1", "--model", Self.smolLM2, "--steps", "6", "--temperature", "0", "--max-seq-len", "128", "--transport", "mpi"]
        let workers = try (1..<3).map { _ in try WorkerProcess(model: Self.smolLM2, directory: products) }
        defer { workers.forEach { $0.stop() } }
        let tcp = try Executables.run("dllama", options.dropLast(2) + ["--workers"] + workers.map(\.address), input: question, timeout: 300, directory: products)
        #expect(tcp.status == 0, "\(tcp.stderr)")
        let mpi = try MPIBuild.run([(3, options)], input: question)
        #expect(mpi.status == 0, "\(mpi.stderr)")
        #expect(!mpi.stdout.isEmpty && mpi.stdout == tcp.stdout, "MPI:\n\(mpi.stdout)\nTCP:\n\(tcp.stdout)")
    }
}

/// `--transport` in the default build, which has no MPI: clear refusals, never a hang.
@Suite("--transport without an MPI build")
struct TransportOptionTests {
    static let smolLM2 = InferenceCommandTests.smolLM2

    func inference(_ extra: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try Executables.run("dllama", ["inference", "--nthreads", "1", "--model", Self.smolLM2, "--prompt", "Hi", "--steps", "2"] + extra,
                            environment: environment, timeout: 60)
    }

    @Test("--transport mpi with --workers, and an unknown transport, are refused before anything loads")
    func refused() throws {
        let both = try inference(["--transport", "mpi", "--workers", "127.0.0.1:9999"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("--workers is for --transport tcp"), "\(both.stderr)")
        let unknown = try inference(["--transport", "udp"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("udp"), "\(unknown.stderr)")
    }

    #if !MPI
    @Test("this build has no MPI: --transport mpi, or being one of 3 ranks of mpirun, says how to get it")
    func withoutMPI() throws {
        let asked = try inference(["--transport", "mpi"])
        #expect(asked.status != 0)
        #expect(asked.stderr.contains("this dllama was built without MPI: build it with `make build-mpi`"), "\(asked.stderr)")
        let launched = try inference([], environment: ["OMPI_COMM_WORLD_SIZE": "3"])
        #expect(launched.status != 0)
        #expect(launched.stderr.contains("built without MPI (this process is one of 3 ranks)"), "\(launched.stderr)")
        let alone = try inference(["--temperature", "0"], environment: ["OMPI_COMM_WORLD_SIZE": "1"])
        #expect(alone.status == 0, "a job of one rank runs as one node: \(alone.stderr)")
    }
    #endif
}
