import QuantKernels
import Scheduler

/// Keys and values of one node's KV heads for its layers, sized for `maxSeqLen` positions, in F16
/// (the default) or F32 (`KVCacheType`).
///
///     keys[layer][position][kvDim]   (kvDim = the node's KV heads x headDim)
///     values[layer][position][kvDim]
///
/// Rows are written from F32 (`store`) and read by the attention kernels as runs of rows
/// `rowBytes` apart (`keys(_:)`, `values(_:)`).
final class KVCache: @unchecked Sendable {  // unchecked: written by its node's thread only; the pool's workers read disjoint heads
    let type: KVCacheType
    let layers: Int
    let maxSeqLen: Int
    let kvDim: Int
    /// Bytes of one position's row (`kvDim` values).
    let rowBytes: Int
    private let keyBytes: UnsafeMutableRawPointer
    private let valueBytes: UnsafeMutableRawPointer

    init(type: KVCacheType, layers: Int, maxSeqLen: Int, kvDim: Int) {
        self.type = type
        self.layers = layers
        self.maxSeqLen = maxSeqLen
        self.kvDim = kvDim
        rowBytes = kvDim * type.bytesPerValue
        let bytes = max(layers * maxSeqLen * rowBytes, 1)
        keyBytes = .allocate(byteCount: bytes, alignment: 64)
        valueBytes = .allocate(byteCount: bytes, alignment: 64)
        keyBytes.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        valueBytes.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit {
        keyBytes.deallocate()
        valueBytes.deallocate()
    }

    var byteCount: Int { 2 * layers * maxSeqLen * rowBytes }

    /// The block type of a cached value, for the kernel table.
    var blockType: BlockType { type == .f16 ? .f16 : .f32 }

    /// The key rows of `layer` (node-relative), position 0 first, `rowBytes` apart.
    func keys(_ layer: Int) -> UnsafeRawPointer { UnsafeRawPointer(keyBytes + layer * maxSeqLen * rowBytes) }

    /// The value rows of `layer`, position 0 first, `rowBytes` apart.
    func values(_ layer: Int) -> UnsafeRawPointer { UnsafeRawPointer(valueBytes + layer * maxSeqLen * rowBytes) }

    /// Writes the key and value rows of `layer` at `position`, converted from F32 (`kvDim` each).
    func store(layer: Int, position: Int, key: UnsafeBufferPointer<Float>, value: UnsafeBufferPointer<Float>, kernels: KernelTable) {
        precondition(key.count == kvDim && value.count == kvDim && position < maxSeqLen)
        let offset = (layer * maxSeqLen + position) * rowBytes
        switch type {
        case .f16:
            kernels[.f16].quantize!(Int32(kvDim), key.baseAddress, keyBytes + offset)
            kernels[.f16].quantize!(Int32(kvDim), value.baseAddress, valueBytes + offset)
        case .f32:
            (keyBytes + offset).copyMemory(from: key.baseAddress!, byteCount: rowBytes)
            (valueBytes + offset).copyMemory(from: value.baseAddress!, byteCount: rowBytes)
        }
    }

    /// The key (or value) of `layer` at `position` as F32, for tests and diagnostics.
    func row(_ layer: Int, _ position: Int, values: Bool = false) -> [Float] {
        let base = (values ? valueBytes : keyBytes) + (layer * maxSeqLen + position) * rowBytes
        var out = [Float](repeating: 0, count: kvDim)
        out.withUnsafeMutableBufferPointer { KernelTable.current.dequantize(blockType)(Int32(kvDim), base, $0.baseAddress) }
        return out
    }
}
