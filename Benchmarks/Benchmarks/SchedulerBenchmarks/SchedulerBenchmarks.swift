import Benchmark
import Foundation
import ModelFormat
import Scheduler

// Planning runs once per start and once per `dllama plan`: it must stay instant however many
// nodes or tensors. SmolLM2's and Qwen2.5-Coder-0.5B's tensor directories, 1 to 8 nodes, each mode.

let assets = ProcessInfo.processInfo.environment["DLLAMA_ASSETS"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".assets").path

let benchmarks: @Sendable () -> Void = {
    let fast = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(3), maxIterations: 10_000)
    for name in ["SmolLM2-135M-Instruct.Q4_1.gguf", "qwen2.5-coder-0.5b-instruct.gguf"] {
        let path = assets + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { fatalError("\(path) is missing: run `make assets` first") }
        for mode in [PlanMode.tensor, .pipeline, .hybrid] {
            Benchmark("plan \(name), 1 to 8 nodes, \(mode)", configuration: fast) { benchmark in
                let file = try ModelFile(path: path)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    for nodes in 1...8 {
                        // Modes refuse some node counts (more nodes than heads or layers): that is a result too.
                        blackHole((try? Plan.make(model: file.model, tensors: file.tensors, nodes: nodes, mode: mode))?.nodes.count)
                    }
                }
            }
        }
    }
}
