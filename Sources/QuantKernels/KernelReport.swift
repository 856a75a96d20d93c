import Foundation

/// What `dllama info` prints: the CPU features found, the kernel path chosen and why, and the
/// thread and OpenBLAS settings.
///
/// ```swift
/// print(KernelReport(threads: 2).renderText())
/// ```
public struct KernelReport: Sendable {
    public let cpuModel: String
    public let features: CPUFeatures
    public let availablePaths: [KernelPath]
    public let selectedPath: KernelPath
    public let selectionNote: String
    public let threads: Int
    public let blasThreads: Int
    public let blasConfiguration: String
    /// The batch from which Q40 products go through OpenBLAS on the selected path (nil: never).
    public let batchThreshold: Int?
    public let readBandwidthGBps: Double?

    /// Describes this process: `threads` is the pool size the engine would use.
    public init(threads: Int, readBandwidthGBps: Double? = nil) {
        cpuModel = Self.readCPUModel()
        features = .detected
        availablePaths = KernelPath.available()
        selectedPath = KernelPath.selected
        selectionNote = KernelPath.selection.note
        self.threads = threads
        blasThreads = BLASSettings.threadCount
        blasConfiguration = BLASSettings.configuration
        batchThreshold = BatchedProduct.minimumBatch(weights: .q40)
        self.readBandwidthGBps = readBandwidthGBps
    }

    public func renderText() -> String {
        var lines = [
            "cpu             \(cpuModel) (\(ProcessInfo.processInfo.activeProcessorCount) logical cores)",
            "cpu features    \(features)",
            "kernel paths    \(availablePaths.map(\.rawValue).joined(separator: " ")) (available here)",
            "kernel path     \(selectedPath) (\(selectionNote); force with \(KernelPath.environmentVariable)=\(availablePaths.map(\.rawValue).joined(separator: "|")))",
            "threads         \(threads) (kernel thread pool, --nthreads)",
            "blas            \(blasConfiguration)",
            "blas threads    \(blasThreads) (batched products run one OpenBLAS thread per pool thread)",
            "blas batches    " + (batchThreshold.map { "Q40 prefill batches of \($0) tokens or more go through cblas_sgemm" }
                ?? "Q40 prefill stays on the \(selectedPath) kernels (faster than cblas_sgemm at every batch measured)"),
        ]
        if let readBandwidthGBps { lines.append("read bandwidth  \(String(format: "%.1f", readBandwidthGBps)) GB/s with \(threads) thread(s)") }
        return lines.joined(separator: "\n")
    }

    private static func readCPUModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return machineArchitecture }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let value = line.split(separator: ":", maxSplits: 1).last { return value.trimmingCharacters(in: .whitespaces) }
        }
        return machineArchitecture
    }

    private static var machineArchitecture: String {
        #if arch(x86_64)
        "x86-64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
