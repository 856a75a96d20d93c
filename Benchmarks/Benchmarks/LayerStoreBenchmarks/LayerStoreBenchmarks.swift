import Benchmark
import Foundation
import LayerStore
import ModelFormat
import Scheduler

// A node's start-up and its streaming pass, on SmolLM2-135M-Instruct Q4_1: loading node 0's
// share of a 2-node tensor-parallel plan (what a worker does on `setup`), and one pass over every
// layer through a ring of two layer buffers (what a node under a RAM budget does per token; the
// store drops the pages it read, so this reads the disk unless the device caches).

let smolLM2 = (ProcessInfo.processInfo.environment["DLLAMA_ASSETS"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".assets").path)
    + "/SmolLM2-135M-Instruct.Q4_1.gguf"

let readMBps = BenchmarkMetric.custom("read MB/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    guard FileManager.default.fileExists(atPath: smolLM2) else {
        fatalError("\(smolLM2) is missing: run `make assets` first")
    }
    let slow = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident, readMBps], maxDuration: .seconds(10), maxIterations: 50)

    for mode in [LayerStore.Mode.resident, .mapped] {
        Benchmark("load node 0 of 2 (SmolLM2, \(mode))", configuration: slow) { benchmark in
            let file = try ModelFile(path: smolLM2)
            let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 2)
            let start = Date()
            benchmark.startMeasurement()
            let store = try LayerStore(file: file, share: plan.nodes[0], mode: mode)
            benchmark.stopMeasurement()
            benchmark.measurement(readMBps, Int(Double(store.bytesRead) / Date().timeIntervalSince(start) / 1e6))
            blackHole(store.residentBytes)
        }
    }

    Benchmark("stream every layer once (SmolLM2, 1 node, ring of 2 layers)", configuration: slow) { benchmark in
        let file = try ModelFile(path: smolLM2)
        let plan = try Plan.make(model: file.model, tensors: file.tensors, nodes: 1)
        let probe = try LayerStore(file: file, share: plan.nodes[0], mode: .resident)
        let budget = probe.residentBytes - probe.slotCount * probe.largestLayerBytes + 2 * probe.largestLayerBytes
        let store = try LayerStore(file: file, share: plan.nodes[0], mode: .streaming(weightBudget: budget))
        let before = store.bytesRead
        let start = Date()
        benchmark.startMeasurement()
        for layer in store.layers {
            try store.withLayer(layer) { blackHole($0.layer) }
        }
        benchmark.stopMeasurement()
        benchmark.measurement(readMBps, Int(Double(store.bytesRead - before) / Date().timeIntervalSince(start) / 1e6))
    }
}
