import Benchmark
import Foundation
import QuantKernels

// Q40 x Q80 matrix-vector products judged against the memory-read bandwidth measured in the same
// run, OpenBLAS prefill throughput, the batch size where prefill should switch to OpenBLAS, and the
// thread pool's cost per dispatch. Custom metrics are integers: MB/s, percent, MFLOP/s, tokens/s.

let weightsMBps = BenchmarkMetric.custom("weights MB/s", polarity: .prefersLarger, useScalingFactor: false)
let percentOfBandwidth = BenchmarkMetric.custom("% of read bandwidth", polarity: .prefersLarger, useScalingFactor: false)
let readMBps = BenchmarkMetric.custom("read MB/s", polarity: .prefersLarger, useScalingFactor: false)
let mflops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
let tokensPerSecond = BenchmarkMetric.custom("tokens/s", polarity: .prefersLarger, useScalingFactor: false)

/// A Q40 matrix `[rows][columns]` of seeded blocks (scale 1/64, random nibbles), and a Q80 vector.
/// `copies` copies of the matrix are kept and used in turn, so that with enough copies every
/// product reads its matrix from memory, not from the last-level cache (32 MiB here).
final class Q40Problem: @unchecked Sendable {
    let rows: Int, columns: Int, copies: Int
    let weights: UnsafeMutableRawPointer  // [copies][rows][columns / 32] Q40 blocks
    let activations: [UInt8]              // [columns / 32] Q80 blocks
    let output: UnsafeMutablePointer<Float>
    private var next = 0
    var matrix: WeightMatrix { WeightMatrix(type: .q40, rows: rows, columns: columns, data: weights) }

    /// The next copy of the matrix (round robin).
    func nextMatrix() -> WeightMatrix {
        next = (next + 1) % copies
        return WeightMatrix(type: .q40, rows: rows, columns: columns, data: weights + next * weightBytes)
    }

    /// `coldBytes`: make enough copies that this many bytes are read between two uses of one copy.
    init(rows: Int, columns: Int, coldBytes: Int = 0) {
        self.rows = rows
        self.columns = columns
        let one = BlockType.q40.rowBytes(columns) * rows
        copies = max(1, (coldBytes + one - 1) / one)
        let bytes = one * copies
        weights = .allocate(byteCount: bytes, alignment: 64)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for offset in stride(from: 0, to: bytes, by: 8) {  // xorshift bytes...
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            weights.storeBytes(of: state, toByteOffset: offset, as: UInt64.self)
        }
        for block in 0..<(bytes / 18) {  // ...with a sane half-float scale in every block
            weights.storeBytes(of: UInt16(0x2400), toByteOffset: block * 18, as: UInt16.self)
        }
        activations = MatrixVector.quantizeActivations((0..<columns).map { 0.1 + 2 * cos(Float($0)) })
        output = .allocate(capacity: rows)
    }

    deinit { weights.deallocate(); output.deallocate() }

    var weightBytes: Int { matrix.byteCount }

    func run(pool: ThreadPool) {
        let matrix = nextMatrix()
        activations.withUnsafeBytes { MatrixVector.multiply(matrix, $0.baseAddress!, into: output, pool: pool) }
    }
}

/// Memory-read bandwidth of this run, measured once per thread count before the products.
let bandwidthProbe = MemoryBandwidth(bytes: 512 << 20)
nonisolated(unsafe) var measuredBandwidth: [Int: Double] = [:]
func readBandwidth(threads: Int, pool: ThreadPool) -> Double {
    if let known = measuredBandwidth[threads] { return known }
    let gbps = bandwidthProbe.measureRead(pool: pool, repeats: 5)
    measuredBandwidth[threads] = gbps
    print("memory read bandwidth, \(threads) thread(s): \(String(format: "%.1f", gbps)) GB/s")
    return gbps
}

let benchmarks: @Sendable () -> Void = {
    print("kernel path: \(KernelPath.selected) (\(KernelPath.selection.note)); CPU: \(CPUFeatures.detected)")
    let products = Benchmark.Configuration(metrics: [.wallClock, weightsMBps, percentOfBandwidth],
                                           warmupIterations: 3, maxDuration: .seconds(4), maxIterations: 400)

    for threads in [1, 2] {
        let pool = ThreadPool(threadCount: threads)
        Benchmark("memory read bandwidth, \(threads) thread(s)",
                  configuration: .init(metrics: [.wallClock, readMBps], maxDuration: .seconds(4), maxIterations: 20)) { benchmark in
            let gbps = bandwidthProbe.measureRead(pool: pool, repeats: 1)
            benchmark.measurement(readMBps, Int(gbps * 1000))
        }
        for (rows, columns) in [(4096, 4096), (14336, 4096)] {
            let problem = Q40Problem(rows: rows, columns: columns, coldBytes: 256 << 20)  // 8x the LLC
            Benchmark("Q40xQ80 matvec \(rows)x\(columns), \(threads) thread(s)", configuration: products) { benchmark in
                let bandwidth = readBandwidth(threads: threads, pool: pool)
                for _ in benchmark.scaledIterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    problem.run(pool: pool)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    let gbps = Double(problem.weightBytes) / seconds / 1e9
                    benchmark.measurement(weightsMBps, Int(gbps * 1000))
                    benchmark.measurement(percentOfBandwidth, Int(100 * gbps / bandwidth))
                }
                blackHole(problem.output[0])
            }
        }

        // The measurement that put the innermost loops in C: the same product in Swift SIMD types.
        let baseline = Q40Problem(rows: 14336, columns: 4096, coldBytes: 256 << 20)
        Benchmark("Q40xQ80 matvec 14336x4096 in Swift SIMD (baseline), \(threads) thread(s)", configuration: products) { benchmark in
            let bandwidth = readBandwidth(threads: threads, pool: pool)
            baseline.activations.withUnsafeBytes { x in
                for _ in benchmark.scaledIterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    SwiftSIMDBaseline.matrixVector(baseline.nextMatrix(), x.baseAddress!, into: baseline.output, pool: pool)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    let gbps = Double(baseline.weightBytes) / seconds / 1e9
                    benchmark.measurement(weightsMBps, Int(gbps * 1000))
                    benchmark.measurement(percentOfBandwidth, Int(100 * gbps / bandwidth))
                }
            }
        }

        // Prefill: a batch of tokens through a 4096 x 4096 Q40 matrix, per-token matvec vs OpenBLAS.
        let prefill = Q40Problem(rows: 4096, columns: 4096)
        for batch in [2, 4, 8, 16, 32, 64, 128] {
            let x = [Float]((0..<(batch * 4096)).map { 0.1 + 2 * cos(Float($0)) })
            let out = UnsafeMutablePointer<Float>.allocate(capacity: batch * 4096)
            let flops = Double(2 * batch * 4096 * 4096)
            Benchmark("prefill 4096x4096 Q40 batch \(batch) via sgemm, \(threads) thread(s)",
                      configuration: .init(metrics: [.wallClock, mflops, tokensPerSecond], maxDuration: .seconds(3), maxIterations: 50)) { benchmark in
                for _ in benchmark.scaledIterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    BatchedProduct.multiply(prefill.matrix, x, batch: batch, into: out, pool: pool)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    benchmark.measurement(mflops, Int(flops / seconds / 1e6))
                    benchmark.measurement(tokensPerSecond, Int(Double(batch) / seconds))
                }
            }
            Benchmark("prefill 4096x4096 Q40 batch \(batch) via MatrixProduct, \(threads) thread(s)",
                      configuration: .init(metrics: [.wallClock, mflops, tokensPerSecond], maxDuration: .seconds(3), maxIterations: 50)) { benchmark in
                for _ in benchmark.scaledIterations {  // the engine's entry point: picks the fastest method
                    let start = DispatchTime.now().uptimeNanoseconds
                    MatrixProduct.multiply(prefill.matrix, x, batch: batch, into: out, pool: pool)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    benchmark.measurement(mflops, Int(flops / seconds / 1e6))
                    benchmark.measurement(tokensPerSecond, Int(Double(batch) / seconds))
                }
            }
            Benchmark("prefill 4096x4096 Q40 batch \(batch) via matvec, \(threads) thread(s)",
                      configuration: .init(metrics: [.wallClock, mflops, tokensPerSecond], maxDuration: .seconds(3), maxIterations: 50)) { benchmark in
                for _ in benchmark.scaledIterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for b in 0..<batch {
                        let q = MatrixVector.quantizeActivations(Array(x[(b * 4096)..<((b + 1) * 4096)]))
                        q.withUnsafeBytes { MatrixVector.multiply(prefill.matrix, $0.baseAddress!, into: out + b * 4096, pool: pool) }
                    }
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    benchmark.measurement(mflops, Int(flops / seconds / 1e6))
                    benchmark.measurement(tokensPerSecond, Int(Double(batch) / seconds))
                }
            }
        }

        // F32 weights go to OpenBLAS directly; per-token F32 matvec for comparison at small batches.
        let f32Small = [Float]((0..<(4096 * 4096)).map { sin(Float($0)) })
        for (batch, viaBLAS) in [(2, true), (2, false), (4, true), (4, false), (8, true), (8, false)] {
            let x2 = [Float]((0..<(batch * 4096)).map { cos(Float($0)) })
            let out2 = UnsafeMutablePointer<Float>.allocate(capacity: batch * 4096)
            Benchmark("prefill 4096x4096 F32 batch \(batch) via \(viaBLAS ? "sgemm" : "matvec"), \(threads) thread(s)",
                      configuration: .init(metrics: [.wallClock, tokensPerSecond], maxDuration: .seconds(3), maxIterations: 50)) { benchmark in
                f32Small.withUnsafeBytes { w in
                    let matrix = WeightMatrix(type: .f32, rows: 4096, columns: 4096, data: w.baseAddress!)
                    for _ in benchmark.scaledIterations {
                        let start = DispatchTime.now().uptimeNanoseconds
                        if viaBLAS {
                            BatchedProduct.multiply(matrix, x2, batch: batch, into: out2, pool: pool)
                        } else {
                            x2.withUnsafeBytes { xb in
                                for b in 0..<batch { MatrixVector.multiply(matrix, xb.baseAddress! + b * 4096 * 4, into: out2 + b * 4096, pool: pool) }
                            }
                        }
                        benchmark.measurement(tokensPerSecond, Int(Double(batch) * 1e9 / Double(DispatchTime.now().uptimeNanoseconds - start)))
                    }
                }
            }
        }

        // F32 weights go to OpenBLAS directly.
        let f32Weights = [Float]((0..<(4096 * 4096)).map { sin(Float($0)) })
        let x64 = [Float]((0..<(64 * 4096)).map { cos(Float($0)) })
        let out64 = UnsafeMutablePointer<Float>.allocate(capacity: 64 * 4096)
        Benchmark("prefill 4096x4096 F32 batch 64 via sgemm, \(threads) thread(s)",
                  configuration: .init(metrics: [.wallClock, mflops], maxDuration: .seconds(3), maxIterations: 50)) { benchmark in
            f32Weights.withUnsafeBytes { w in
                let matrix = WeightMatrix(type: .f32, rows: 4096, columns: 4096, data: w.baseAddress!)
                for _ in benchmark.scaledIterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    BatchedProduct.multiply(matrix, x64, batch: 64, into: out64, pool: pool)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    benchmark.measurement(mflops, Int(Double(2 * 64 * 4096 * 4096) / seconds / 1e6))
                }
            }
        }
    }

    // The pool's cost per dispatch: an empty job on 2 participants, 1000 dispatches per iteration.
    let pool2 = ThreadPool(threadCount: 2)
    Benchmark("thread pool dispatch (empty job, 2 threads) x1000",
              configuration: .init(metrics: [.wallClock], maxDuration: .seconds(3), maxIterations: 1000)) { benchmark in
        for _ in benchmark.scaledIterations {
            for _ in 0..<1000 { pool2.run { worker, _ in blackHole(worker) } }
        }
    }
}
