/// Keys and values of one node's KV heads for its layers, F32, sized for `maxSeqLen` positions.
///
///     keys[layer][position][kvDim]   (kvDim = the node's KV heads x headDim)
///     values[layer][position][kvDim]
final class KVCache: @unchecked Sendable {  // unchecked: used by its node's thread only; the pool's workers write disjoint heads
    let layers: Int
    let maxSeqLen: Int
    let kvDim: Int
    private let keys: UnsafeMutableBufferPointer<Float>
    private let values: UnsafeMutableBufferPointer<Float>

    init(layers: Int, maxSeqLen: Int, kvDim: Int) {
        self.layers = layers
        self.maxSeqLen = maxSeqLen
        self.kvDim = kvDim
        let count = layers * maxSeqLen * kvDim
        keys = .allocate(capacity: max(count, 1))
        values = .allocate(capacity: max(count, 1))
        keys.initialize(repeating: 0)
        values.initialize(repeating: 0)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    var byteCount: Int { 2 * layers * maxSeqLen * kvDim * 4 }

    /// The key row of `layer` (node-relative) at `position`: `[kvDim]`.
    func key(_ layer: Int, _ position: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: keys[((layer * maxSeqLen + position) * kvDim)..<((layer * maxSeqLen + position + 1) * kvDim)])
    }

    func value(_ layer: Int, _ position: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: values[((layer * maxSeqLen + position) * kvDim)..<((layer * maxSeqLen + position + 1) * kvDim)])
    }
}
