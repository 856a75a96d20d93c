import Foundation
import ModelFormat
import Scheduler

/// A node's weights for its share of a plan, read from its own copy of the model file.
///
/// Only the byte ranges the share owns are ever read (`bytesRead` proves it). In `.resident` mode
/// every slice is loaded once. In `.streaming` mode the layers go through a small ring of buffers,
/// each sized for the largest layer: a background thread reads the next layers ahead while the
/// current one is in use, and a layer's buffer is reused as soon as its `withLayer` call returns.
/// Non-layer weights (output rows, final norm) stay resident in both modes.
///
///     let store = try LayerStore(file: file, share: plan.nodes[0], mode: .streaming(weightBudget: 64 << 20))
///     for layer in store.layers {
///         try store.withLayer(layer) { weights in use(weights.query) }
///     }
public final class LayerStore: @unchecked Sendable {  // unchecked: immutable after init except the ring, which locks
    public enum Mode: Sendable, Equatable {
        /// Every slice read once into owned buffers.
        case resident
        /// Slices that are one contiguous range of the file in a type the kernels use are viewed
        /// in place in the memory map (no copy, pages shared with the page cache); the rest is read
        /// into owned buffers. The fastest start for a node that owns whole tensors.
        case mapped
        /// Layers stream through buffers that, with the non-layer weights, fit `weightBudget` bytes.
        case streaming(weightBudget: Int)
    }

    public let model: ModelDescription
    public let share: NodeShare
    public let mode: Mode
    /// The layers this node computes, in order.
    public let layers: Range<Int>
    /// Resident non-layer slices by role (`.output`, `.outputNorm`, ...).
    public let globals: [TensorRole: TensorView]

    private let reader: FileRangeReader
    private let file: ModelFile
    private let layouts: [Int: [(role: TensorRole, layout: SliceLayout)]]
    private let maxLayerBytes: Int
    private let globalBuffer: OwnedBuffer
    private let ring: LayerRing
    /// Non-layer slices read in row chunks on use instead of held (streaming mode).
    private let streamed: [TensorRole: SliceLayout]
    private let chunkBuffer: OwnedBuffer

    /// `auditReads` keeps a log of every byte range read (`readLog`).
    public init(file: ModelFile, share: NodeShare, mode: Mode = .resident, prefetchDepth: Int = 1, auditReads: Bool = false) throws {
        self.file = file
        self.model = file.model
        self.share = share
        self.mode = mode
        self.layers = share.layers
        reader = try FileRangeReader(path: file.path)
        if auditReads { reader.recordReads() }

        var globalLayouts: [(role: TensorRole, layout: SliceLayout)] = []
        var perLayer: [Int: [(role: TensorRole, layout: SliceLayout)]] = [:]
        for tensor in file.tensors {
            guard let layout = try SliceLayout(tensor: tensor, ownership: share.ownership(of: tensor, model: model)) else { continue }
            if let l = tensor.layer {
                perLayer[l, default: []].append((tensor.role, layout))
            } else {
                globalLayouts.append((tensor.role, layout))
            }
        }
        // Every owned layer must have what the forward pass needs before anything is read.
        for layer in share.layers {
            let unread = UnsafeRawBufferPointer(start: nil, count: 0)
            _ = try LayerWeights(layer: layer, tensors: Dictionary(
                (perLayer[layer] ?? []).map { ($0.role, TensorView(layout: $0.layout, bytes: unread)) }, uniquingKeysWith: { a, _ in a }))
        }
        layouts = perLayer
        let inPlace: (SliceLayout) -> Bool = { mode == .mapped && $0.fileRanges.count == 1 && $0.storedType == $0.type }
        let layerSizes = perLayer.mapValues { $0.reduce(0) { $0 + (inPlace($1.layout) ? 0 : Self.padded($1.layout.storedByteCount)) } }
        let maxLayerBytes = layerSizes.values.max() ?? 0
        self.maxLayerBytes = maxLayerBytes

        // Streaming also streams any non-layer slice larger than a layer (the output projection),
        // in row chunks through one layer-sized buffer, so the budget need not hold it.
        let streaming = if case .streaming = mode { true } else { false }
        let streamedLayouts = streaming ? globalLayouts.filter { $0.layout.storedByteCount > maxLayerBytes && $0.layout.fileRanges.count == 1 } : []
        globalLayouts.removeAll { global in streamedLayouts.contains { $0.role == global.role } }
        streamed = Dictionary(streamedLayouts.map { ($0.role, $0.layout) }, uniquingKeysWith: { a, _ in a })
        chunkBuffer = OwnedBuffer(byteCount: streamedLayouts.isEmpty ? 0 : maxLayerBytes)
        let globalBytes = globalLayouts.reduce(0) { $0 + (inPlace($1.layout) ? 0 : Self.padded($1.layout.storedByteCount)) }
        globalBuffer = OwnedBuffer(byteCount: globalBytes, hugePages: true)
        var views: [TensorRole: TensorView] = [:]
        var offset = 0
        for (role, layout) in globalLayouts {
            if inPlace(layout) {
                views[role] = TensorView(layout: layout, bytes: try file.bytes(layout.fileRanges[0]))
                continue
            }
            let destination = UnsafeMutableRawBufferPointer(rebasing: globalBuffer.bytes[offset..<(offset + layout.storedByteCount)])
            try Self.read(layout, from: reader, into: destination)
            views[role] = TensorView(layout: layout, bytes: UnsafeRawBufferPointer(destination))
            offset += Self.padded(layout.storedByteCount)
        }
        globals = views

        let slotCount: Int
        switch mode {
        case .resident, .mapped:
            slotCount = share.layers.count
        case .streaming(let budget):
            let available = budget - globalBytes - (streamedLayouts.isEmpty ? 0 : maxLayerBytes)
            let fit = maxLayerBytes > 0 ? available / maxLayerBytes : share.layers.count
            guard fit >= 1 else {
                throw LayerStoreError.budgetTooSmall(budget: budget, needed: globalBytes + maxLayerBytes, layerBytes: maxLayerBytes, otherBytes: globalBytes)
            }
            slotCount = min(fit, share.layers.count)
        }
        ring = LayerRing(slotCount: max(slotCount, 1), slotBytes: maxLayerBytes, layers: share.layers,
                         prefetchDepth: streaming ? prefetchDepth : 0)
        let layouts = self.layouts
        let reader = self.reader
        ring.load = { layer, buffer in
            var tensors: [TensorRole: TensorView] = [:]
            var offset = 0
            for (role, layout) in layouts[layer] ?? [] {
                if inPlace(layout) {
                    tensors[role] = TensorView(layout: layout, bytes: try file.bytes(layout.fileRanges[0]))
                    continue
                }
                let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + layout.storedByteCount)])
                try Self.read(layout, from: reader, into: destination)
                tensors[role] = TensorView(layout: layout, bytes: UnsafeRawBufferPointer(destination))
                offset += Self.padded(layout.storedByteCount)
            }
            return try LayerWeights(layer: layer, tensors: tensors)
        }
        if ring.slotCount >= share.layers.count {
            // Every layer fits (always so when not streaming): load them all now, once.
            for layer in share.layers { try ring.preload(layer) }
        }
    }

    deinit { ring.stop() }

    /// Runs `body` with layer `layer`'s weights, loading them first if they are not in RAM.
    public func withLayer<T>(_ layer: Int, _ body: (LayerWeights) throws -> T) throws -> T {
        guard layers.contains(layer) else { throw LayerStoreError.layerNotOwned(layer) }
        return try ring.withLayer(layer, body)
    }

    /// Runs `body` over the node's rows of non-layer tensor `role` (such as `.output`), in chunks
    /// of whole rows: one call with every row when the slice is held, several through a
    /// layer-sized buffer when it is streamed. `rows` counts from the slice's first row.
    public func withRowChunks(of role: TensorRole, _ body: (TensorView, Range<Int>) throws -> Void) throws {
        if let held = globals[role] {
            return try body(held, 0..<held.layout.rowCount)
        }
        guard let layout = streamed[role] else { return }
        let rowBytes = layout.byteCount / layout.rowCount
        let storedRowBytes = layout.storedByteCount / layout.rowCount
        let rowsPerChunk = max(1, min(chunkBuffer.bytes.count / max(storedRowBytes, 1), layout.rowCount))
        for start in stride(from: 0, to: layout.rowCount, by: rowsPerChunk) {
            let rows = start..<min(start + rowsPerChunk, layout.rowCount)
            var chunk = layout
            chunk.shape = [rows.count, layout.rowLength]
            chunk.byteCount = rows.count * rowBytes
            chunk.storedByteCount = rows.count * storedRowBytes
            let first = layout.fileRanges[0].lowerBound + start * rowBytes
            chunk.fileRanges = [first..<(first + chunk.byteCount)]
            let destination = UnsafeMutableRawBufferPointer(rebasing: chunkBuffer.bytes[0..<chunk.storedByteCount])
            try Self.read(chunk, from: reader, into: destination)
            try body(TensorView(layout: chunk, bytes: UnsafeRawBufferPointer(destination)), rows)
        }
    }

    /// Bytes read from the model file so far.
    public var bytesRead: Int { reader.bytesRead }

    /// Every file range read, when the store was made with `auditReads`.
    public var readLog: [Range<Int>] { reader.readLog }

    /// Bytes of weight buffers allocated (non-layer slices, the layer slots and the chunk buffer
    /// of streamed non-layer slices; in `.mapped` mode the slices viewed in the map are not counted).
    public var residentBytes: Int {
        globalBuffer.bytes.count + ring.slotCount * maxLayerBytes + (streamed.isEmpty ? 0 : chunkBuffer.bytes.count)
    }

    /// Layer buffers in the ring (every owned layer in resident mode).
    public var slotCount: Int { ring.slotCount }

    /// The largest owned layer's bytes.
    public var largestLayerBytes: Int { maxLayerBytes }

    /// Reads token `token`'s embedding row (its raw bytes in the file's type) into `destination`.
    public func readEmbeddingRow(_ token: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let embedding = try file.tensor("token_embd").matrix
        try reader.read(try embedding.byteRange(rows: token..<(token + 1)), into: destination)
    }

    static func padded(_ n: Int) -> Int { (n + 63) / 64 * 64 }

    /// Reads `layout`'s ranges back to back into `destination`, converting the type if needed.
    static func read(_ layout: SliceLayout, from reader: FileRangeReader, into destination: UnsafeMutableRawBufferPointer) throws {
        let raw = layout.storedType == layout.type ? nil : OwnedBuffer(byteCount: layout.byteCount)
        let target = raw?.bytes ?? destination
        var offset = 0
        for range in layout.fileRanges {
            try reader.read(range, into: UnsafeMutableRawBufferPointer(rebasing: target[offset..<(offset + range.count)]))
            reader.dropCachedPages(range)
            offset += range.count
        }
        if let raw { TypeConversion.convert(layout, from: UnsafeRawBufferPointer(raw.bytes), into: destination) }
    }
}

/// What a node's store of weights refuses.
public enum LayerStoreError: Error, CustomStringConvertible, Equatable {
    case budgetTooSmall(budget: Int, needed: Int, layerBytes: Int, otherBytes: Int)
    case layerNotOwned(Int)
    case missingTensor(layer: Int, role: TensorRole)

    public var description: String {
        switch self {
        case .budgetTooSmall(let budget, let needed, let layer, let other):
            return "a weight budget of \(formatBytes(budget)) cannot hold one layer (\(formatBytes(layer))) plus the non-layer weights (\(formatBytes(other))); at least \(formatBytes(needed)) is needed: raise the budget or add nodes"
        case .layerNotOwned(let l):
            return "layer \(l) is not part of this node's share"
        case .missingTensor(let layer, let role):
            return "the model file has no blk.\(layer).\(role) tensor, which this architecture needs: the file is incomplete or not a supported model"
        }
    }
}
