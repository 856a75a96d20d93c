import ModelFormat
import QuantKernels

/// A node's slice of one tensor, in RAM, laid out as its `SliceLayout` says.
///
/// Valid while the store (resident) or the `withLayer` call (streaming) that produced it lasts.
public struct TensorView: @unchecked Sendable {  // unchecked: a view of bytes nobody writes once loaded
    public let layout: SliceLayout
    /// `layout.storedByteCount` bytes of `layout.storedType`.
    public let bytes: UnsafeRawBufferPointer

    public var type: TensorType { layout.storedType }
    public var shape: [Int] { layout.shape }

    /// The held values as floats (vectors are always held as F32).
    public var floats: UnsafeBufferPointer<Float> {
        precondition(type == .f32, "\(layout.name) is held as \(type), not F32")
        return bytes.bindMemory(to: Float.self)
    }

    /// The held type as the kernels name it.
    public var blockType: BlockType { TypeConversion.blockType(type)! }

    /// The tensor as a matrix `[rows][columns]` (a 2-D slice), or matrix `index` of a stacked
    /// `[experts][rows][columns]` slice.
    public func matrix(_ index: Int? = nil) -> WeightMatrix {
        let columns = shape[shape.count - 1]
        let rows = shape.count == 3 ? shape[1] : shape.dropLast().reduce(1, *)
        let rowBytes = blockType.rowBytes(columns)
        return WeightMatrix(type: blockType, rows: rows, columns: columns,
                            data: bytes.baseAddress! + (index ?? 0) * rows * rowBytes)
    }
}

/// The weights of one layer a node holds, by role, checked when the store is made: a missing
/// tensor is an error at load, never a crash in the middle of a token. Shapes are this node's
/// slices (`qDim`, `kvDim`, `ffn` are the node's query, KV and FFN widths).
public final class LayerWeights: @unchecked Sendable {  // unchecked: views of bytes nobody writes once loaded
    public let layer: Int
    /// Every held slice by role (what the typed fields below are made from).
    public let tensors: [TensorRole: TensorView]

    public let attentionNorm: TensorView        // [dim] F32
    public let query: TensorView                // [qDim][dim]
    public let key: TensorView                  // [kvDim][dim]
    public let value: TensorView                // [kvDim][dim]
    public let attentionOutput: TensorView      // [dim][qDim]
    public let queryBias: TensorView?           // [qDim] (Qwen2)
    public let keyBias: TensorView?             // [kvDim]
    public let valueBias: TensorView?           // [kvDim]
    public let queryNorm: TensorView?           // [headDim] (Qwen3)
    public let keyNorm: TensorView?             // [headDim]
    public let feedForwardNorm: TensorView      // [dim] F32
    public let feedForward: FeedForwardWeights

    public subscript(role: TensorRole) -> TensorView? { tensors[role] }

    /// Sorts `tensors` into roles; throws `LayerStoreError.missingTensor` when the layer lacks
    /// one the forward pass needs.
    public init(layer: Int, tensors: [TensorRole: TensorView]) throws {
        func required(_ role: TensorRole) throws -> TensorView {
            guard let view = tensors[role] else { throw LayerStoreError.missingTensor(layer: layer, role: role) }
            return view
        }
        self.layer = layer
        self.tensors = tensors
        attentionNorm = try required(.attentionNorm)
        query = try required(.query)
        key = try required(.key)
        value = try required(.value)
        attentionOutput = try required(.attentionOutput)
        queryBias = tensors[.queryBias]
        keyBias = tensors[.keyBias]
        valueBias = tensors[.valueBias]
        queryNorm = tensors[.queryNorm]
        keyNorm = tensors[.keyNorm]
        feedForwardNorm = try required(.feedForwardNorm)
        if let router = tensors[.router] {
            if let gates = tensors[.stackedGates] {
                feedForward = .experts(router: router, .stacked(gates: gates, ups: try required(.stackedUps),
                                                                downs: try required(.stackedDowns)))
            } else {
                let count = router.shape[0]
                feedForward = .experts(router: router, .separate(try (0..<count).map { e in
                    (try required(.expertGate(e)), try required(.expertUp(e)), try required(.expertDown(e)))
                }))
            }
        } else {
            feedForward = .dense(gate: try required(.gate), up: try required(.up), down: try required(.down))
        }
    }
}

/// The feed-forward block of a layer: one SwiGLU, or a router over experts.
public enum FeedForwardWeights: @unchecked Sendable {  // unchecked: views of bytes nobody writes once loaded
    /// gate, up: `[ffn][dim]`; down: `[dim][ffn]`.
    case dense(gate: TensorView, up: TensorView, down: TensorView)
    /// router: `[experts][dim]` (whole on every node).
    case experts(router: TensorView, ExpertWeights)
}

/// Every expert's gate, up and down slices, stored one tensor per expert (`.m`) or stacked (GGUF).
public enum ExpertWeights: @unchecked Sendable {  // unchecked: views of bytes nobody writes once loaded
    /// `[expert](gate [ffn][dim], up [ffn][dim], down [dim][ffn])`
    case separate([(gate: TensorView, up: TensorView, down: TensorView)])
    /// gates, ups: `[experts][ffn][dim]`; downs: `[experts][dim][ffn]`.
    case stacked(gates: TensorView, ups: TensorView, downs: TensorView)

    /// Expert `expert`'s three matrices.
    public func matrices(_ expert: Int) -> (gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix) {
        switch self {
        case .separate(let experts):
            let e = experts[expert]
            return (e.gate.matrix(), e.up.matrix(), e.down.matrix())
        case .stacked(let gates, let ups, let downs):
            return (gates.matrix(expert), ups.matrix(expert), downs.matrix(expert))
        }
    }
}

/// Bytes owned by their holder and freed with it, 64-byte aligned for SIMD loads.
public final class OwnedBuffer: @unchecked Sendable {  // unchecked: filled by one loader before it is handed over, read-only after
    /// Exactly the bytes asked for (possibly none).
    public let bytes: UnsafeMutableRawBufferPointer
    private let allocation: UnsafeMutableRawBufferPointer

    /// With `hugePages`, a buffer of at least `HugePages.pageBytes` is aligned to them and asked to
    /// be backed by them (`HugePages`): held weights are read every token.
    public init(byteCount: Int, hugePages: Bool = false) {
        allocation = hugePages ? HugePages.allocate(byteCount: byteCount) : .allocate(byteCount: max(byteCount, 1), alignment: 64)
        bytes = UnsafeMutableRawBufferPointer(rebasing: allocation[0..<byteCount])
    }

    deinit { allocation.deallocate() }
}
