import Testing
import QuantKernels
import Scheduler
@testable import Engine

@Suite("KV cache")
struct KVCacheTests {
    @Test("rows are stored where the attention kernels read them: F32 exactly, F16 rounded to nearest even", arguments: KVCacheType.allCases)
    func storeAndRead(type: KVCacheType) {
        let kvHeads = 2, headDim = 12, kvDim = kvHeads * headDim, layers = 3, positions = 5
        let cache = KVCache(type: type, layers: layers, maxSeqLen: positions, kvHeads: kvHeads, headDim: headDim)
        #expect(cache.headRowBytes == headDim * type.bytesPerValue && cache.byteCount == 2 * layers * positions * kvHeads * cache.headRowBytes)
        func row(_ layer: Int, _ position: Int, _ salt: Float) -> [Float] {
            (0..<kvDim).map { Float($0) * 0.37 + Float(layer) * 100 + Float(position) * 7 + salt + 0.001 }
        }
        for layer in 0..<layers {
            for position in 0..<positions {
                let k = row(layer, position, 0), v = row(layer, position, 0.5)
                k.withUnsafeBufferPointer { kb in
                    v.withUnsafeBufferPointer { vb in cache.store(layer: layer, position: position, key: kb, value: vb, kernels: .current) }
                }
            }
        }
        for layer in 0..<layers {
            for position in 0..<positions {
                let expectedK = row(layer, position, 0).map { type == .f16 ? Float(Float16($0)) : $0 }
                let expectedV = row(layer, position, 0.5).map { type == .f16 ? Float(Float16($0)) : $0 }
                #expect(cache.row(layer, position) == expectedK, "key \(layer), \(position)")
                #expect(cache.row(layer, position, values: true) == expectedV, "value \(layer), \(position)")
                // and the rows the attention kernels see: keys(layer, head:) + position * headRowBytes
                for head in 0..<kvHeads {
                    for (base, expected) in [(cache.keys(layer, head: head), expectedK), (cache.values(layer, head: head), expectedV)] {
                        var read = [Float](repeating: 0, count: headDim)
                        read.withUnsafeMutableBufferPointer {
                            KernelTable.current.dequantize(cache.blockType)(Int32(headDim), base + position * cache.headRowBytes, $0.baseAddress)
                        }
                        #expect(read == Array(expected[(head * headDim)..<((head + 1) * headDim)]), "head \(head)")
                    }
                }
            }
        }
    }
}

@Suite("How attention cuts a KV head's positions into runs")
struct AttentionRunsTests {
    @Test("runs make the tasks share out evenly over the threads, none shorter than 32 positions")
    func runs() {
        #expect(NodeCompute.attentionRuns(kvHeads: 3, threads: 2, positions: 200) == 2)  // SmolLM2: 6 tasks, 3 per thread
        #expect(NodeCompute.attentionRuns(kvHeads: 2, threads: 2, positions: 200) == 1)  // Qwen2.5-0.5B: one KV head each
        #expect(NodeCompute.attentionRuns(kvHeads: 1, threads: 4, positions: 1000) == 4)
        #expect(NodeCompute.attentionRuns(kvHeads: 3, threads: 4, positions: 1000) == 4)  // 12 tasks
        #expect(NodeCompute.attentionRuns(kvHeads: 5, threads: 3, positions: 1000) == 3)
        #expect(NodeCompute.attentionRuns(kvHeads: 3, threads: 2, positions: 40) == 1)   // too short to cut
        #expect(NodeCompute.attentionRuns(kvHeads: 1, threads: 4, positions: 70) == 2)
        #expect(NodeCompute.attentionRuns(kvHeads: 3, threads: 1, positions: 1000) == 1)
    }
}
