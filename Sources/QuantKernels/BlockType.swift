import CQuantKernels

/// The element encodings QuantKernels reads and writes, with their GGML block geometry.
///
/// A row of `n` values of a block type is `n / valuesPerBlock` blocks back to back; blocks never
/// straddle rows, so `n` must be a multiple of `valuesPerBlock`.
///
/// ```swift
/// let bytes = BlockType.q40.rowBytes(4096)   // 128 blocks x 18 bytes = 2304
/// ```
public enum BlockType: String, CaseIterable, Sendable {
    case f32, f16, bf16
    case q40, q41, q80
    case q50, q51
    case q4K, q5K, q6K
    /// GGML's Q8_K: activations only (what K-quant weights are dotted with), never a model's weights.
    case q8K

    /// Values covered by one block (1 for the plain float types).
    public var valuesPerBlock: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q40, .q41, .q80, .q50, .q51: 32
        case .q4K, .q5K, .q6K, .q8K: 256
        }
    }

    /// Bytes of one block, checked against the C structs' `sizeof` by the tests.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q40: 18
        case .q41: 20
        case .q80: 34
        case .q50: 22
        case .q51: 24
        case .q4K: 144
        case .q5K: 176
        case .q6K: 210
        case .q8K: 292  // f32 d, i8 qs[256], i16 bsums[16]
        }
    }

    /// Bytes of a row of `values` values; `values` must be a multiple of `valuesPerBlock`.
    public func rowBytes(_ values: Int) -> Int {
        precondition(values % valuesPerBlock == 0, "\(values) values is not a whole number of \(self) blocks")
        return values / valuesPerBlock * bytesPerBlock
    }

    /// The encoding activations are converted to before a dot product with weights of this type:
    /// Q80 for the 32-value block types, Q8_K for the K-quants (see CQuantKernels' q5_kquants_ref.c
    /// for why), F32 for float weights; nil for types no dot kernel reads (BF16, Q8_K itself).
    public var activationType: BlockType? {
        switch self {
        case .q40, .q41, .q80, .q50, .q51: .q80
        case .q4K, .q5K, .q6K: .q8K
        case .f32, .f16: .f32
        case .bf16, .q8K: nil
        }
    }

    /// The type of a GGUF tensor from its GGML type id (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1,
    /// 8 Q8_0, 12 Q4_K, 13 Q5_K, 14 Q6_K, 30 BF16); nil for types QuantKernels cannot read.
    ///
    /// ```swift
    /// let type = BlockType(ggmlType: 3)   // .q41
    /// ```
    public init?(ggmlType: Int) {
        let types: [Int: BlockType] = [0: .f32, 1: .f16, 2: .q40, 3: .q41, 6: .q50, 7: .q51, 8: .q80,
                                       12: .q4K, 13: .q5K, 14: .q6K, 30: .bf16]
        guard let type = types[ggmlType] else { return nil }
        self = type
    }

    /// The type of a distributed-llama `.m` weight float type (0 F32, 1 F16, 2 Q40, 3 Q80).
    public init?(dllamaFloatType: Int) {
        let types: [Int: BlockType] = [0: .f32, 1: .f16, 2: .q40, 3: .q80]
        guard let type = types[dllamaFloatType] else { return nil }
        self = type
    }

    /// The `sizeof` of the C block struct (for the size checks), or nil for the plain float types.
    var cStructBytes: Int? {
        let index: Int32? = switch self {
        case .q40: 0
        case .q41: 1
        case .q80: 2
        case .q50: 3
        case .q51: 4
        case .q4K: 5
        case .q5K: 6
        case .q6K: 7
        case .q8K: 8
        default: nil
        }
        return index.map { Int(qk_block_bytes($0)) }
    }
}
