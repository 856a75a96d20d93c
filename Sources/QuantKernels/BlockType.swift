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

    /// Values covered by one block (1 for the plain float types).
    public var valuesPerBlock: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q40, .q41, .q80, .q50, .q51: 32
        case .q4K, .q5K, .q6K: 256
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
        }
    }

    /// Bytes of a row of `values` values; `values` must be a multiple of `valuesPerBlock`.
    public func rowBytes(_ values: Int) -> Int {
        precondition(values % valuesPerBlock == 0, "\(values) values is not a whole number of \(self) blocks")
        return values / valuesPerBlock * bytesPerBlock
    }

    /// The encoding activations are converted to before a dot product with weights of this type.
    public var activationType: BlockType? {
        switch self {
        case .q40, .q41, .q80: .q80
        case .f32, .f16: .f32
        default: nil
        }
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
        default: nil
        }
        return index.map { Int(qk_block_bytes($0)) }
    }
}
