import Benchmark
import Foundation
import ModelFormat

/// Opening a model must stay cheap however large it is: the header is parsed, every tensor is
/// bounds-checked, and the fingerprint reads only samples. Measured on SmolLM2-135M (93.8 MiB).
let smolLM2 = (ProcessInfo.processInfo.environment["DLLAMA_ASSETS"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".assets").path)
    + "/SmolLM2-135M-Instruct.Q4_1.gguf"

let benchmarks: @Sendable () -> Void = {
    guard FileManager.default.fileExists(atPath: smolLM2) else {
        fatalError("\(smolLM2) is missing: run `make assets` first")
    }
    let fast = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
                                       maxDuration: .seconds(5), maxIterations: 200)

    Benchmark("open + index SmolLM2 GGUF", configuration: fast) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try ModelFile(path: smolLM2).tensors.count)
        }
    }

    Benchmark("open + index + fingerprint SmolLM2 GGUF", configuration: fast) { benchmark in
        for _ in benchmark.scaledIterations {
            let file = try ModelFile(path: smolLM2)
            blackHole(file.fingerprint())
        }
    }

    // Full-file SHA-256 throughput: one iteration hashes the whole 93.8 MiB file from the page cache.
    Benchmark("full sha256 of SmolLM2 GGUF",
              configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(10), maxIterations: 5)) { benchmark in
        let file = try ModelFile(path: smolLM2)
        benchmark.startMeasurement()
        blackHole(try file.fullHash(useCache: false))
    }
}
