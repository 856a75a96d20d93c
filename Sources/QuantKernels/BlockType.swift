import CQuantKernels
import ModelFormat

/// The element encodings QuantKernels reads and writes: a subset of GGML's types, whose block
/// geometry comes from ModelFormat's `TensorType` table and whose kernels from `KernelTable`.
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

    /// The GGML type this is, whose `TensorType` entry holds the block geometry.
    public var ggmlType: TensorType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q40: .q4_0
        case .q41: .q4_1
        case .q80: .q8_0
        case .q50: .q5_0
        case .q51: .q5_1
        case .q4K: .q4_K
        case .q5K: .q5_K
        case .q6K: .q6_K
        case .q8K: .q8_K
        }
    }

    /// Values covered by one block (1 for the plain float types).
    public var valuesPerBlock: Int { ggmlType.blockSize }

    /// Bytes of one block, checked against the C structs' `sizeof` by the tests.
    public var bytesPerBlock: Int { ggmlType.blockBytes }

    /// The position of this type in `allCases`: its entry in `KernelTable`.
    var ordinal: Int {
        switch self {
        case .f32: 0
        case .f16: 1
        case .bf16: 2
        case .q40: 3
        case .q41: 4
        case .q80: 5
        case .q50: 6
        case .q51: 7
        case .q4K: 8
        case .q5K: 9
        case .q6K: 10
        case .q8K: 11
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

    /// The block type of a GGML type; nil for types QuantKernels cannot read (Q2_K, Q3_K).
    ///
    /// ```swift
    /// let type = BlockType(TensorType.q4_1)   // .q41
    /// ```
    public init?(_ type: TensorType) {
        guard let match = Self.byTensorType[type] else { return nil }
        self = match
    }

    /// `ggmlType` inverted once: every weight matrix of every token is typed through here.
    private static let byTensorType = Dictionary(uniqueKeysWithValues: allCases.map { ($0.ggmlType, $0) })

    /// The type of a GGUF tensor from its GGML type id (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1,
    /// 8 Q8_0, 12 Q4_K, 13 Q5_K, 14 Q6_K, 15 Q8_K, 30 BF16); nil for types QuantKernels cannot read.
    public init?(ggmlType id: Int) {
        guard let id = UInt32(exactly: id), let type = TensorType(rawValue: id) else { return nil }
        self.init(type)
    }

    /// The type of a distributed-llama `.m` weight float type (0 F32, 1 F16, 2 Q40, 3 Q80).
    public init?(dllamaFloatType: Int) {
        guard let type = TensorType(dllamaFloatType: dllamaFloatType) else { return nil }
        self.init(type)
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
