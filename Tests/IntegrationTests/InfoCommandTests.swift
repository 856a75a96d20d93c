import Foundation
import Testing

@Suite("dllama info, run as a process")
struct InfoCommandTests {
    /// The kernel paths `dllama info` says this machine can run.
    static func availablePaths() throws -> [String] {
        let result = try Executables.run("dllama", ["info"])
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("kernel paths") } ?? ""
        return line.dropFirst("kernel paths".count).split(separator: "(").first?.split(separator: " ").map(String.init) ?? []
    }

    @Test("prints the CPU features, the chosen kernel path, threads and OpenBLAS settings")
    func report() throws {
        let result = try Executables.run("dllama", ["info", "--nthreads", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        for label in ["cpu ", "cpu features", "kernel paths", "kernel path ", "blas ", "blas threads", "blas batches"] {
            #expect(result.stdout.contains("\n\(label)") || result.stdout.hasPrefix(label), "missing \(label)")
        }
        #expect(result.stdout.contains("threads         1 "))
        #expect(try Self.availablePaths().contains("scalar"))
    }

    @Test("--nthreads defaults to the cores available; more are allowed with a warning, up to 4 per core")
    func threads() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let byDefault = try Executables.run("dllama", ["info"])
        #expect(byDefault.stdout.contains("threads         \(cores) "), "\(byDefault.stdout)")
        #expect(!byDefault.stderr.contains("warning"), "\(byDefault.stderr)")
        let over = try Executables.run("dllama", ["info", "-t", "\(cores + 1)"])
        #expect(over.status == 0 && over.stdout.contains("threads         \(cores + 1) "), "\(over.stdout)")
        #expect(over.stderr.contains("--nthreads \(cores + 1) is more than the \(cores) cores available: the threads take turns"), "\(over.stderr)")
        let capped = try Executables.run("dllama", ["info", "-t", "100000"])
        #expect(capped.status == 0 && capped.stdout.contains("threads         \(4 * cores) "), "\(capped.stdout)")
        #expect(capped.stderr.contains("--nthreads 100000 is more than 4 threads for each of the \(cores) cores available: using \(4 * cores)"),
                "\(capped.stderr)")
    }

    @Test("DLLAMA_KERNELS forces every path this machine can run")
    func forcedPaths() throws {
        let paths = try Self.availablePaths()
        #expect(!paths.isEmpty)
        for path in paths {
            let result = try Executables.run("dllama", ["info"], environment: ["DLLAMA_KERNELS": path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("kernel path     \(path) (forced by DLLAMA_KERNELS"), "\(path): \(result.stdout)")
        }
    }

    @Test("an override the CPU cannot run is ignored with a note, never executed")
    func unusableOverride() throws {
        let result = try Executables.run("dllama", ["info"], environment: ["DLLAMA_KERNELS": "avx1024"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("DLLAMA_KERNELS=avx1024 is not a kernel path"))
    }

    @Test("--nthreads 0 is refused")
    func badThreads() throws {
        let result = try Executables.run("dllama", ["info", "--nthreads", "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--nthreads"))
    }
}
