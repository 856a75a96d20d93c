import QuantKernels

/// An activation vector ready for matrix-vector products against weights of any type: the F32
/// values, their Q80 encoding (32-value block weights) and Q8_K encoding (K-quant weights), and
/// the layouts the kernel path's whole-share kernels read (`MatrixVector.prepare`, one per weight
/// type), each computed once, on first use, after the values change, and shared by the threads.
final class Activation: @unchecked Sendable {  // unchecked: used by its node's thread only; the pool's workers read it
    private let storage: Floats
    var values: UnsafeMutableBufferPointer<Float> { storage.buffer }  // [count]
    private let quantized: UnsafeMutableRawBufferPointer  // [count / 32] Q80 blocks
    private var quantizedIsCurrent = false
    private var superBlocks: UnsafeMutableRawBufferPointer?  // [count / 256] Q8_K blocks, allocated on first use
    private var superBlocksAreCurrent = false
    private let kernels: KernelTable
    /// Per weight type met so far: its prepared layout and whether it matches `values`.
    private var prepared: [(weights: BlockType, buffer: UnsafeMutableRawPointer, isCurrent: Bool)] = []

    init(count: Int, kernels: KernelTable) {
        storage = Floats(count)
        quantized = .allocate(byteCount: max(BlockType.q80.rowBytes((count + 31) / 32 * 32), 1), alignment: 64)
        self.kernels = kernels
    }

    deinit {
        quantized.deallocate()
        superBlocks?.deallocate()
        for entry in prepared { entry.buffer.deallocate() }
    }

    var count: Int { values.count }

    /// Call after writing `values`.
    func invalidate() {
        quantizedIsCurrent = false
        superBlocksAreCurrent = false
        for i in prepared.indices { prepared[i].isCurrent = false }
    }

    /// The input `MatrixVector.multiply(_:prepared:...)` expects for `weights`.
    func input(for weights: BlockType) -> UnsafeRawPointer {
        let encoded = encoded(for: weights)
        guard let preparation = kernels.prepare(weights: weights) else { return encoded }
        guard let i = prepared.firstIndex(where: { $0.weights == weights }) else {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: preparation.bytes(Int32(count)), alignment: 64)
            preparation.kernel(Int32(count), encoded, buffer)
            prepared.append((weights, buffer, true))
            return UnsafeRawPointer(buffer)
        }
        if !prepared[i].isCurrent {
            preparation.kernel(Int32(count), encoded, prepared[i].buffer)
            prepared[i].isCurrent = true
        }
        return UnsafeRawPointer(prepared[i].buffer)
    }

    /// The values in the encoding dot kernels for `weights` read.
    private func encoded(for weights: BlockType) -> UnsafeRawPointer {
        switch weights.activationType {
        case .q80:
            if !quantizedIsCurrent {
                Quantization.quantize(UnsafeBufferPointer(values), to: .q80, into: quantized, kernels: kernels)
                quantizedIsCurrent = true
            }
            return UnsafeRawPointer(quantized.baseAddress!)
        case .q8K:
            // K-quant rows are whole super-blocks (checked at load), so `count` is a multiple of 256.
            let blocks = superBlocks ?? .allocate(byteCount: BlockType.q8K.rowBytes(count), alignment: 64)
            superBlocks = blocks
            if !superBlocksAreCurrent {
                Quantization.quantize(UnsafeBufferPointer(values), to: .q8K, into: blocks, kernels: kernels)
                superBlocksAreCurrent = true
            }
            return UnsafeRawPointer(blocks.baseAddress!)
        default:
            return UnsafeRawPointer(values.baseAddress!)
        }
    }
}

/// A float buffer the engine owns (freed with it).
final class Floats: @unchecked Sendable {  // unchecked: used by its node's thread only; the pool's workers write disjoint ranges
    let buffer: UnsafeMutableBufferPointer<Float>
    private let base: UnsafeMutablePointer<Float>

    init(_ count: Int) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        buffer = UnsafeMutableBufferPointer(start: base, count: count)
    }

    deinit { base.deallocate() }

    subscript(range: Range<Int>) -> UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(rebasing: buffer[range]) }
}

/// Prefill's per-batch buffers, kept across layers and batches and grown to the largest batch seen:
/// a layer of a batch allocates (and page-faults and zero-fills) nothing.
final class BatchScratch: @unchecked Sendable {  // unchecked: used by its node's thread only
    private var slots: [Floats] = []

    /// Buffer `slot` with room for at least `count` floats; its first `count` are the caller's until
    /// the next call for the same slot.
    func floats(_ slot: Int, count: Int) -> Floats {
        while slots.count <= slot { slots.append(Floats(0)) }
        if slots[slot].buffer.count < count { slots[slot] = Floats(count) }
        return slots[slot]
    }
}
