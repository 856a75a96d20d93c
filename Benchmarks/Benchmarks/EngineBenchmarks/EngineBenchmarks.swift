import Benchmark
import Foundation
import LayerStore
import ModelFormat
import QuantKernels
import Engine

// Token generation on SmolLM2-135M-Instruct Q4_1, judged against the memory-bandwidth bound
// (bytes of weights read per token over the read bandwidth measured in this run), and the same
// with layers streamed from disk under a RAM budget, judged against the disk read bandwidth
// measured in this run. One iteration = one generated token (a forward pass with logits).

let tokensPerSecond = BenchmarkMetric.custom("tokens/s", polarity: .prefersLarger, useScalingFactor: false)
let percentOfBound = BenchmarkMetric.custom("% of bandwidth bound", polarity: .prefersLarger, useScalingFactor: false)
let diskMBps = BenchmarkMetric.custom("disk MB/s", polarity: .prefersLarger, useScalingFactor: false)

let smolLM2 = (ProcessInfo.processInfo.environment["DLLAMA_ASSETS"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".assets").path)
    + "/SmolLM2-135M-Instruct.Q4_1.gguf"

/// Runs one token after another through `engine`, wrapping at the context length.
final class TokenLoop: @unchecked Sendable {
    let engine: Transformer
    var position = 0
    init(_ engine: Transformer) { self.engine = engine }
    func step() throws {
        if position == engine.maxSeqLen { position = 0 }
        blackHole(try engine.forward(token: 504 + position % 100, position: position).count)
        position += 1
    }
}

/// Reads the model file once with `pread` after dropping it from the page cache: the disk's
/// sequential read bandwidth in GB/s (the page cache may still serve some on a warm machine).
func diskReadBandwidth(path: String) throws -> Double {
    let reader = try FileRangeReader(path: path)
    reader.dropCachedPages(0..<reader.size)
    var buffer = [UInt8](repeating: 0, count: 8 << 20)
    let start = Date()
    var offset = 0
    try buffer.withUnsafeMutableBytes { b in
        while offset < reader.size {
            let end = min(offset + b.count, reader.size)
            try reader.read(offset..<end, into: UnsafeMutableRawBufferPointer(rebasing: b[0..<(end - offset)]))
            offset = end
        }
    }
    reader.dropCachedPages(0..<reader.size)
    return Double(reader.size) / Date().timeIntervalSince(start) / 1e9
}

let benchmarks: @Sendable () -> Void = {
    guard FileManager.default.fileExists(atPath: smolLM2) else { fatalError("\(smolLM2) is missing: run `make assets` first") }
    let file = try! ModelFile(path: smolLM2)
    // Weights one token reads: every layer's matrices plus the output projection (the tied embedding).
    let bytesPerToken = file.statistics.tensorBytes
    print("kernel path: \(KernelPath.selected); weights read per token: \(formatBytes(bytesPerToken))")
    let configuration = Benchmark.Configuration(metrics: [.wallClock, tokensPerSecond, percentOfBound, .peakMemoryResident],
                                                warmupIterations: 8, maxDuration: .seconds(6), maxIterations: 1500)
    for threads in [1, 2] {
        let pool = ThreadPool(threadCount: threads)
        let bandwidth = MemoryBandwidth(bytes: 512 << 20).measureRead(pool: pool, repeats: 5)
        let bound = bandwidth * 1e9 / Double(bytesPerToken)
        print(String(format: "read bandwidth, %d thread(s): %.1f GB/s -> bound %.0f tokens/s", threads, bandwidth, bound))
        Benchmark("generate SmolLM2, \(threads) thread(s)", configuration: configuration) { benchmark in
            let loop = TokenLoop(try Transformer(file: file, options: .init(threads: threads, maxSeqLen: 256)))
            benchmark.startMeasurement()
            let start = Date()
            for _ in benchmark.scaledIterations { try loop.step() }
            let rate = Double(benchmark.scaledIterations.count) / Date().timeIntervalSince(start)
            benchmark.stopMeasurement()
            benchmark.measurement(tokensPerSecond, Int(rate))
            benchmark.measurement(percentOfBound, Int(100 * rate / bound))
        }
    }

    // Streaming: a quarter of the weights as budget (the --max-ram 23M of the streaming test).
    let disk = try! diskReadBandwidth(path: smolLM2)
    print(String(format: "disk read bandwidth (page cache dropped): %.2f GB/s", disk))
    let streamingConfiguration = Benchmark.Configuration(metrics: [.wallClock, tokensPerSecond, diskMBps, .peakMemoryResident],
                                                         warmupIterations: 2, maxDuration: .seconds(6), maxIterations: 300)
    for (name, budget) in [("resident", nil as Int?), ("streaming, --max-ram 23M", 23 << 20)] {
        Benchmark("generate SmolLM2 \(name), 2 threads", configuration: streamingConfiguration) { benchmark in
            var options = Transformer.Options(threads: 2, maxSeqLen: 128, storeMode: .resident)
            options.maxRAM = budget
            let engine = try Transformer(file: file, options: options)
            let loop = TokenLoop(engine)
            let readBefore = engine.bytesRead
            benchmark.startMeasurement()
            let start = Date()
            for _ in benchmark.scaledIterations { try loop.step() }
            let seconds = Date().timeIntervalSince(start)
            benchmark.stopMeasurement()
            benchmark.measurement(tokensPerSecond, Int(Double(benchmark.scaledIterations.count) / seconds))
            benchmark.measurement(diskMBps, Int(Double(engine.bytesRead - readBefore) / seconds / 1e6))
        }
    }
}
