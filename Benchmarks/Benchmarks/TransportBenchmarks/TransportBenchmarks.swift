import Benchmark
import Foundation
import Transport

// What one token costs on the wire besides the network itself: an activation vector of Llama 3
// 8B (dim 4096) encoded and decoded in each wire type, LZ4 over a Q80 vector, and all-reduces of
// two nodes through in-memory pipes (the frames, encodings and ordering of TCP, without sockets).

let dim = 4096
let activations = (0..<dim).map { Float(sin(Double($0) * 0.37)) * 3 }

/// Runs `rounds` all-reduces of `values` on both nodes of a loopback pair: node 1 on a thread of
/// its own, node 0 on the caller's.
func allReduces(_ rounds: Int, encoding: ActivationEncoding) throws {
    let nodes = LoopbackCollective.make(nodes: 2, encoding: encoding, timeout: 30)
    let worker = Thread {
        var values = activations
        for _ in 0..<rounds {
            guard (try? values.withUnsafeMutableBufferPointer({ try nodes[1].allReduce($0, among: 0..<2) })) != nil else { return }
        }
    }
    worker.start()
    var values = activations
    for _ in 0..<rounds {
        try values.withUnsafeMutableBufferPointer { try nodes[0].allReduce($0, among: 0..<2) }
    }
    blackHole(values[0])
}

let benchmarks: @Sendable () -> Void = {
    let perVector = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                            maxDuration: .seconds(3), maxIterations: 100_000)
    for encoding in ActivationEncoding.allCases {
        Benchmark("encode + decode \(dim) activations, \(encoding)", configuration: perVector) { benchmark in
            var wire = [UInt8](repeating: 0, count: encoding.byteCount(dim))
            var decoded = [Float](repeating: 0, count: dim)
            for _ in benchmark.scaledIterations {
                activations.withUnsafeBufferPointer { values in wire.withUnsafeMutableBytes { encoding.encode(values, into: $0) } }
                try wire.withUnsafeBytes { bytes in
                    try decoded.withUnsafeMutableBufferPointer { try encoding.decode(bytes, into: $0, peer: "benchmark") }
                }
                blackHole(decoded[dim - 1])
            }
        }
    }

    Benchmark("LZ4 compress + decompress a q80 vector of \(dim)", configuration: perVector) { benchmark in
        var wire = [UInt8](repeating: 0, count: ActivationEncoding.q80.byteCount(dim))
        activations.withUnsafeBufferPointer { values in wire.withUnsafeMutableBytes { ActivationEncoding.q80.encode(values, into: $0) } }
        for _ in benchmark.scaledIterations {
            let compressed = try wire.withUnsafeBytes { try LZ4Codec.compress($0) }
            let restored = try compressed.withUnsafeBytes { try LZ4Codec.decompress($0, originalCount: wire.count) }
            blackHole(restored.count)
        }
    }

    // One iteration: 64 all-reduces (a token of a 32-layer model makes two per layer), so thread
    // start-up is paid once per 64.
    for encoding in [ActivationEncoding.q80, .f32] {
        Benchmark("64 all-reduces of \(dim) values, 2 loopback nodes, \(encoding)",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 1000)) { benchmark in
            for _ in benchmark.scaledIterations { try allReduces(64, encoding: encoding) }
        }
    }
}
