import ModelFormat
import QuantKernels

/// A node's slice of one tensor, in RAM, laid out as its `SliceLayout` says.
///
/// Valid while the store (resident) or the `withLayer` call (streaming) that produced it lasts.
public struct TensorView: @unchecked Sendable {
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

/// The weights of one layer a node holds, keyed by role: `attn_q`, `attn_q.bias`, `ffn_gate`,
/// `ffn_gate.3` (expert 3 in a `.m` file), `ffn_gate_exps`, `attn_norm`, ...
public struct LayerWeights: @unchecked Sendable {
    public let layer: Int
    public let tensors: [String: TensorView]

    public subscript(role: String) -> TensorView? { tensors[role] }
}

/// Bytes owned by their holder and freed with it, 64-byte aligned for SIMD loads.
public final class OwnedBuffer: @unchecked Sendable {
    /// Exactly the bytes asked for (possibly none).
    public let bytes: UnsafeMutableRawBufferPointer
    private let allocation: UnsafeMutableRawBufferPointer

    public init(byteCount: Int) {
        allocation = .allocate(byteCount: max(byteCount, 1), alignment: 64)
        bytes = UnsafeMutableRawBufferPointer(rebasing: allocation[0..<byteCount])
    }

    deinit { allocation.deallocate() }
}
