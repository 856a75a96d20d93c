import QuantKernels

/// An activation vector ready for matrix-vector products against weights of any type: the F32
/// values, their Q80 encoding (32-value block weights) and Q8_K encoding (K-quant weights), and
/// the layouts the kernel path's whole-share kernels read (`MatrixVector.prepare`, one per weight
/// type), each computed once, on first use, after the values change, and shared by the threads.
///
/// The encodings live in an `EncodingScratch` that a node's activations share: a token's products
/// take their inputs one after another, so one set of buffers, touched by every product, stays in
/// the core's cache while the weights stream through it (a buffer per activation was cold by the
/// time its next layer came, and writing it cost misses while the other threads waited).
final class Activation: @unchecked Sendable {  // unchecked: used by its node's thread only; the pool's workers read it
    private let storage: Floats
    var values: UnsafeMutableBufferPointer<Float> { storage.buffer }  // [count]
    private let scratch: EncodingScratch
    /// Bumped by `invalidate`: the scratch's encodings are this activation's while they carry this stamp.
    private var stamp: EncodingScratch.Stamp

    init(count: Int, scratch: EncodingScratch) {
        storage = Floats(count)
        self.scratch = scratch
        stamp = scratch.newStamp()
    }

    var count: Int { values.count }

    /// Call after writing `values`.
    func invalidate() { stamp = scratch.newStamp() }

    /// The input `MatrixVector.multiply(_:prepared:...)` expects for `weights`.
    func input(for weights: BlockType) -> UnsafeRawPointer {
        scratch.input(for: weights, values: UnsafeBufferPointer(values), stamp: stamp)
    }
}

/// The encoded and prepared forms of one activation at a time, for the activations that share it
/// (see `Activation`): each buffer remembers whose values it holds.
final class EncodingScratch: @unchecked Sendable {  // unchecked: used by its node's thread only
    typealias Stamp = UInt64
    private let kernels: KernelTable
    private var nextStamp: Stamp = 0
    private var quantized = Slot()    // Q80 blocks
    private var superBlocks = Slot()  // Q8_K blocks
    private var prepared: [(weights: BlockType, slot: Slot)] = []  // per weight type met so far

    /// A buffer, grown to the largest activation seen, and the stamp of the values it holds.
    private struct Slot {
        var buffer: UnsafeMutableRawPointer?
        var bytes = 0
        var holder: Stamp?

        /// The buffer with room for `bytes`, and whether it already holds `stamp`'s encoding.
        mutating func claim(bytes needed: Int, for stamp: Stamp) -> (UnsafeMutableRawPointer, current: Bool) {
            if bytes < needed {
                buffer?.deallocate()
                buffer = .allocate(byteCount: needed, alignment: 64)
                bytes = needed
                holder = nil
            }
            defer { holder = stamp }
            return (buffer!, holder == stamp)
        }
    }

    init(kernels: KernelTable) { self.kernels = kernels }

    deinit {
        quantized.buffer?.deallocate()
        superBlocks.buffer?.deallocate()
        for entry in prepared { entry.slot.buffer?.deallocate() }
    }

    func newStamp() -> Stamp {
        nextStamp &+= 1
        return nextStamp
    }

    func input(for weights: BlockType, values: UnsafeBufferPointer<Float>, stamp: Stamp) -> UnsafeRawPointer {
        guard let preparation = kernels.prepare(weights: weights) else { return encoded(for: weights, values: values, stamp: stamp) }
        let index = prepared.firstIndex(where: { $0.weights == weights }) ?? {
            prepared.append((weights, Slot()))
            return prepared.count - 1
        }()
        let (buffer, current) = prepared[index].slot.claim(bytes: preparation.bytes(Int32(values.count)), for: stamp)
        if !current { preparation.kernel(Int32(values.count), encoded(for: weights, values: values, stamp: stamp), buffer) }
        return UnsafeRawPointer(buffer)
    }

    /// The values in the encoding dot kernels for `weights` read.
    private func encoded(for weights: BlockType, values: UnsafeBufferPointer<Float>, stamp: Stamp) -> UnsafeRawPointer {
        switch weights.activationType {
        case .q80:
            let (buffer, current) = quantized.claim(bytes: max(BlockType.q80.rowBytes((values.count + 31) / 32 * 32), 1), for: stamp)
            if !current {
                Quantization.quantize(values, to: .q80, into: UnsafeMutableRawBufferPointer(start: buffer, count: quantized.bytes), kernels: kernels)
            }
            return UnsafeRawPointer(buffer)
        case .q8K:
            // K-quant rows are whole super-blocks (checked at load), so the count is a multiple of 256.
            let (buffer, current) = superBlocks.claim(bytes: BlockType.q8K.rowBytes(values.count), for: stamp)
            if !current {
                Quantization.quantize(values, to: .q8K, into: UnsafeMutableRawBufferPointer(start: buffer, count: superBlocks.bytes), kernels: kernels)
            }
            return UnsafeRawPointer(buffer)
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
