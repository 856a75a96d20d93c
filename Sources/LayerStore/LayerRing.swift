import Foundation

/// A fixed set of layer buffers ("slots") and a loader thread that fills them ahead of use.
///
/// Layers are consumed in order, cyclically (token after token), so after layer `l` is asked for,
/// the next `prefetchDepth` owned layers are queued. A slot is reusable as soon as the
/// `withLayer` call using it returns. With as many slots as layers (resident mode) nothing is ever
/// evicted and the loader thread is not started.
final class LayerRing: @unchecked Sendable {  // unchecked: slots and queue behind `lock`; a slot's bytes belong to one side at a time
    private enum SlotState {
        case empty
        case loading(Int)
        case ready(Int, LayerWeights)
        case inUse(Int, LayerWeights, users: Int)
        case failed(Int, Error)

        var layer: Int? {
            switch self {
            case .empty: return nil
            case .loading(let l), .ready(let l, _), .inUse(let l, _, _), .failed(let l, _): return l
            }
        }
    }

    let slotCount: Int
    /// `[slotCount][slotBytes]`, one allocation; in huge pages where granted when it holds every layer (see `OwnedBuffer`).
    private let storage: OwnedBuffer
    private let slotBytes: Int
    private var slots: [SlotState]
    private let layers: Range<Int>
    private let prefetchDepth: Int
    private var queue: [Int] = []
    /// Layers consumers are blocked on: never evicted before they are taken.
    private var awaited: [Int: Int] = [:]
    private let lock = Mutex()
    /// Whether the loader thread was started. The `Thread` itself is not kept: Foundation keeps a
    /// thread's closure (which holds this ring) after the thread ends, so holding it would be a cycle.
    private var loaderStarted = false
    private var stopping = false
    /// Reads layer `l` into a slot's buffer; set once by the store before first use.
    var load: ((Int, UnsafeMutableRawBufferPointer) throws -> LayerWeights)!
    /// Every layer, once all are preloaded (resident and mapped modes), by `layer - layers.lowerBound`:
    /// read without locking, since nothing changes any more and no loader thread runs.
    private var resident: [LayerWeights?] = []
    private var residentCount = 0

    init(slotCount: Int, slotBytes: Int, layers: Range<Int>, prefetchDepth: Int) {
        self.slotCount = slotCount
        self.layers = layers
        self.prefetchDepth = min(prefetchDepth, max(slotCount - 1, 0))
        self.slotBytes = slotBytes
        // Held layers are read every token; streamed ones are rewritten from disk, which is slower than any page walk.
        storage = OwnedBuffer(byteCount: slotCount * slotBytes, hugePages: slotCount >= layers.count)
        slots = Array(repeating: .empty, count: slotCount)
        resident = Array(repeating: nil, count: layers.count)
    }

    /// Slot `slot`'s bytes.
    private func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage.bytes[(slot * slotBytes)..<((slot + 1) * slotBytes)])
    }

    /// Ends the loader thread (which holds the ring while it runs); the store calls it on deinit.
    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    /// Loads `layer` synchronously into a free slot (resident mode).
    func preload(_ layer: Int) throws {
        guard let slot = slots.firstIndex(where: { if case .empty = $0 { return true } else { return false } }) else { return }
        let weights = try load(layer, buffer(slot))
        slots[slot] = .ready(layer, weights)
        if slotCount >= layers.count, resident[layer - layers.lowerBound] == nil {
            resident[layer - layers.lowerBound] = weights
            residentCount += 1
        }
    }

    func withLayer<T>(_ layer: Int, _ body: (LayerWeights) throws -> T) throws -> T {
        if residentCount == layers.count, let weights = resident[layer - layers.lowerBound] { return try body(weights) }
        let (slot, weights) = try acquire(layer)
        defer { release(slot) }
        return try body(weights)
    }

    private func acquire(_ layer: Int) throws -> (Int, LayerWeights) {
        try lock.withLock {
            if slots.firstIndex(where: { $0.layer == layer }) == nil {
                // Not loaded: it goes to the front of the queue (the loader evicts an idle
                // prefetched layer if no slot is free).
                queue.removeAll { $0 == layer }
                queue.insert(layer, at: 0)
            }
            enqueuePrefetch(after: layer)
            startLoaderIfNeeded()
            lock.broadcast()
            awaited[layer, default: 0] += 1
            defer { awaited[layer]! -= 1; if awaited[layer] == 0 { awaited[layer] = nil } }
            while true {
                if let slot = slots.firstIndex(where: { $0.layer == layer }) {
                    switch slots[slot] {
                    case .ready(_, let weights):
                        slots[slot] = .inUse(layer, weights, users: 1)
                        return (slot, weights)
                    case .inUse(_, let weights, let users):
                        slots[slot] = .inUse(layer, weights, users: users + 1)
                        return (slot, weights)
                    case .failed(_, let error):
                        slots[slot] = .empty
                        throw error
                    case .loading, .empty:
                        break
                    }
                } else if !queue.contains(layer) {
                    queue.insert(layer, at: 0)
                    lock.broadcast()
                }
                lock.wait()
            }
        }
    }

    private func release(_ slot: Int) {
        lock.withLock {
            if case .inUse(let layer, let weights, let users) = slots[slot] {
                // Resident mode keeps every layer; streaming frees the slot for the next layer.
                slots[slot] = users > 1 ? .inUse(layer, weights, users: users - 1)
                    : (slotCount >= layers.count ? .ready(layer, weights) : .empty)
            }
            lock.broadcast()
        }
    }

    /// Queues the next `prefetchDepth` layers after `layer`, wrapping to the first owned layer.
    private func enqueuePrefetch(after layer: Int) {
        guard prefetchDepth > 0, !layers.isEmpty else { return }
        var next = layer
        for _ in 0..<prefetchDepth {
            next = next + 1 < layers.upperBound ? next + 1 : layers.lowerBound
            if next == layer { break }
            if slots.firstIndex(where: { $0.layer == next }) == nil && !queue.contains(next) { queue.append(next) }
        }
    }

    /// A slot for the next load: an empty one, or else one holding a loaded layer nobody is
    /// using that is not the layer being waited for (a prefetch made in vain: layers were asked
    /// for out of order, or again).
    private func freeSlot(for layer: Int) -> Int? {
        if let slot = slots.firstIndex(where: { if case .empty = $0 { return true } else { return false } }) { return slot }
        return slots.firstIndex { if case .ready(let l, _) = $0 { return l != layer && awaited[l] == nil } else { return false } }
    }

    private func startLoaderIfNeeded() {
        guard !loaderStarted else { return }
        let thread = Thread { self.loaderLoop() }
        thread.name = "dllama.layer-loader"
        loaderStarted = true
        thread.start()
    }

    private func loaderLoop() {
        while true {
            let job: (layer: Int, slot: Int)? = lock.withLock {
                while !stopping {
                    // Drop queued layers that got loaded meanwhile.
                    queue.removeAll { layer in slots.contains { $0.layer == layer } }
                    if let layer = queue.first, let slot = freeSlot(for: layer) {
                        queue.removeFirst()
                        slots[slot] = .loading(layer)
                        return (layer, slot)
                    }
                    lock.wait()
                }
                return nil
            }
            guard let job else { return }
            let result = Result { try load(job.layer, buffer(job.slot)) }
            lock.withLock {
                switch result {
                case .success(let weights): slots[job.slot] = .ready(job.layer, weights)
                case .failure(let error): slots[job.slot] = .failed(job.layer, error)
                }
                lock.broadcast()
            }
        }
    }
}
