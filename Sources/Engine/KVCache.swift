import QuantKernels
import Scheduler

/// Keys and values of one node's KV heads for its layers, sized for `maxSeqLen` positions, in F16
/// (the default) or F32 (`KVCacheType`), each KV head's rows one after another:
///
///     keys[layer][kvHead][position][headDim]
///     values[layer][kvHead][position][headDim]
///
/// A token's attention reads one KV head's rows per task, and that layer's cache comes from memory
/// (the weights streamed through since its last use evicted it): contiguous rows are one stream
/// the hardware prefetcher follows, where a head's slice of `[position][kvDim]` rows was a strided
/// walk it kept losing (an attention over 220 positions, cache from memory: 34 against 21 us).
/// Rows are written from F32 (`store`) and read as runs of rows `headRowBytes` apart (`keys`, `values`).
final class KVCache: @unchecked Sendable {  // unchecked: written by its node's thread only; the pool's workers read disjoint heads
    let type: KVCacheType
    let layers: Int
    let maxSeqLen: Int
    let kvHeads: Int
    let headDim: Int
    var kvDim: Int { kvHeads * headDim }
    /// Bytes of one head's row at one position (`headDim` values).
    let headRowBytes: Int
    private let keyBytes: UnsafeMutableRawPointer
    private let valueBytes: UnsafeMutableRawPointer

    init(type: KVCacheType, layers: Int, maxSeqLen: Int, kvHeads: Int, headDim: Int) {
        self.type = type
        self.layers = layers
        self.maxSeqLen = maxSeqLen
        self.kvHeads = kvHeads
        self.headDim = headDim
        headRowBytes = headDim * type.bytesPerValue
        let bytes = max(layers * kvHeads * maxSeqLen * headRowBytes, 1)
        // In huge pages from 2 MiB up: a token's attention reads every layer's rows after the weights
        // streamed through have evicted their page translations too (about 7 % of attention, SmolLM2).
        keyBytes = HugePages.allocate(byteCount: bytes).baseAddress!
        valueBytes = HugePages.allocate(byteCount: bytes).baseAddress!
        keyBytes.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        valueBytes.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit {
        keyBytes.deallocate()
        valueBytes.deallocate()
    }

    var byteCount: Int { 2 * layers * kvHeads * maxSeqLen * headRowBytes }

    /// The block type of a cached value, for the kernel table.
    var blockType: BlockType { type == .f16 ? .f16 : .f32 }

    private func offset(_ layer: Int, _ head: Int, _ position: Int) -> Int {
        ((layer * kvHeads + head) * maxSeqLen + position) * headRowBytes
    }

    /// The key rows of `head` in `layer` (both node-relative), position 0 first, `headRowBytes` apart.
    func keys(_ layer: Int, head: Int) -> UnsafeRawPointer { UnsafeRawPointer(keyBytes + offset(layer, head, 0)) }

    /// The value rows of `head` in `layer`, position 0 first, `headRowBytes` apart.
    func values(_ layer: Int, head: Int) -> UnsafeRawPointer { UnsafeRawPointer(valueBytes + offset(layer, head, 0)) }

    /// Asks for the cache lines `store(layer:position:...)` will write: they are not in any cache
    /// (the weights streamed through since), and a write that misses waits on memory.
    func prefetchRows(layer: Int, position: Int) {
        for head in 0..<kvHeads {
            let at = offset(layer, head, position)
            Prefetch.forWrite(keyBytes + at, bytes: headRowBytes)
            Prefetch.forWrite(valueBytes + at, bytes: headRowBytes)
        }
    }

    /// Writes the keys and values of `layer` at `position`, converted from F32 (`[kvHeads][headDim]` each).
    func store(layer: Int, position: Int, key: UnsafeBufferPointer<Float>, value: UnsafeBufferPointer<Float>, kernels: KernelTable) {
        precondition(key.count == kvDim && value.count == kvDim && position < maxSeqLen)
        for head in 0..<kvHeads {
            let to = offset(layer, head, position), from = head * headDim
            switch type {
            case .f16:
                kernels[.f16].quantize!(Int32(headDim), key.baseAddress! + from, keyBytes + to)
                kernels[.f16].quantize!(Int32(headDim), value.baseAddress! + from, valueBytes + to)
            case .f32:
                (keyBytes + to).copyMemory(from: key.baseAddress! + from, byteCount: headRowBytes)
                (valueBytes + to).copyMemory(from: value.baseAddress! + from, byteCount: headRowBytes)
            }
        }
    }

    /// The keys (or values) of `layer` at `position` as F32, `[kvHeads][headDim]`, for tests and diagnostics.
    func row(_ layer: Int, _ position: Int, values: Bool = false) -> [Float] {
        var out = [Float](repeating: 0, count: kvDim)
        out.withUnsafeMutableBufferPointer { out in
            for head in 0..<kvHeads {
                let base = (values ? valueBytes : keyBytes) + offset(layer, head, position)
                KernelTable.current.dequantize(blockType)(Int32(headDim), base, out.baseAddress! + head * headDim)
            }
        }
        return out
    }
}
