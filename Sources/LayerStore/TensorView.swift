import ModelFormat

/// A node's slice of one tensor, in RAM, laid out as its `SliceLayout` says.
///
/// Valid while the store (resident) or the `withLayer` call (streaming) that produced it lasts.
public struct TensorView: @unchecked Sendable {
    public let layout: SliceLayout
    public let bytes: UnsafeRawBufferPointer
}

/// The weights of one layer a node holds, keyed by role: `attn_q`, `attn_q.bias`, `ffn_gate`,
/// `ffn_gate.3` (expert 3 in a `.m` file), `ffn_gate_exps`, `attn_norm`, ...
public struct LayerWeights: @unchecked Sendable {
    public let layer: Int
    public let tensors: [String: TensorView]

    public subscript(role: String) -> TensorView? { tensors[role] }
}

/// Memory the store owns, aligned for SIMD loads.
final class OwnedBuffer: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) {
        bytes = .allocate(byteCount: max(byteCount, 1), alignment: 64)
    }

    deinit { bytes.deallocate() }
}
