/// Sizes that matter for planning: parameters, bytes per tensor type, bytes per layer.
public struct ModelStatistics: Codable, Sendable, Equatable {
    /// Elements of all tensors (a tied embedding counts once).
    public var parameterCount: Int
    public var tensorCount: Int
    /// Bytes of tensor data, keyed by type name (`Q4_1`, `F32`, ...).
    public var bytesByType: [String: Int]
    /// Bytes of each layer's tensors (`blk.N.*`), indexed by layer.
    public var bytesByLayer: [Int]
    /// Bytes outside the layers: embedding, final norm, output.
    public var nonLayerBytes: Int
    public var tensorBytes: Int

    public init(tensors: [TensorInfo], layerCount: Int) {
        parameterCount = tensors.reduce(0) { $0 + $1.elementCount }
        tensorCount = tensors.count
        bytesByType = Dictionary(tensors.map { ($0.type.description, $0.byteCount) }, uniquingKeysWith: +)
        var perLayer = [Int](repeating: 0, count: layerCount)
        var outside = 0
        for t in tensors {
            if let l = t.layer, perLayer.indices.contains(l) { perLayer[l] += t.byteCount } else { outside += t.byteCount }
        }
        bytesByLayer = perLayer
        nonLayerBytes = outside
        tensorBytes = tensors.reduce(0) { $0 + $1.byteCount }
    }
}

extension ModelFile {
    public var statistics: ModelStatistics { ModelStatistics(tensors: tensors, layerCount: model.layerCount) }
}
