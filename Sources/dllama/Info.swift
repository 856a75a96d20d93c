import ArgumentParser
import Foundation
import QuantKernels

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the CPU features found, the kernel path chosen, and the thread and BLAS settings.")

    @Option(name: [.customShort("t"), .long], help: "Threads for the kernel thread pool (default: the cores available; more take turns on them).")
    var nthreads: Int?

    @Flag(help: "Also measure the memory-read bandwidth with that many threads (reads 512 MiB a few times).")
    var bandwidth = false

    func validate() throws {
        if let nthreads { guard nthreads >= 1 else { throw ValidationError("--nthreads must be at least 1") } }
    }

    func run() throws {
        let (nthreads, warning) = ThreadCount.resolveWithWarning(self.nthreads)
        if let warning { warnOnce(warning) }
        BLASSettings.setThreadCount(1)  // what the batched products use
        var gbps: Double?
        if bandwidth {
            gbps = MemoryBandwidth(bytes: 512 << 20).measureRead(pool: ThreadPool(threadCount: nthreads), repeats: 5)
        }
        print(KernelReport(threads: nthreads, readBandwidthGBps: gbps).renderText())
    }
}
