import ModelFormat
import QuantKernels

/// Tensor types the kernels cannot use directly are converted once, at load: BF16 to F32. Every
/// quantized type GGUF files are published in that QuantKernels reads (Q4_0, Q4_1, Q5_0, Q5_1,
/// Q8_0, Q4_K, Q5_K, Q6_K) is used in place.
enum TypeConversion {
    /// Types the matrix-vector kernels read in place.
    static let native: Set<TensorType> = [.f32, .f16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Vectors (norm weights, biases) are always held as F32: the element-wise code reads floats.
    /// A matrix row (or a node's column slice of one) must be whole blocks of its type: 32 values,
    /// or 256 for the K-quants.
    static func storedType(for type: TensorType, rowLength: Int, isVector: Bool = false, tensor: String) throws -> TensorType {
        if isVector { return blockType(type) == nil ? try storedType(for: type, rowLength: rowLength, tensor: tensor) : .f32 }
        if native.contains(type) {
            guard rowLength % type.blockSize == 0 else {
                throw ModelFormatError.invalidTensor(
                    path: "", tensor: tensor,
                    reason: "its rows (or this node's slice of them) are \(rowLength) values, not whole \(type.blockSize)-value \(type) blocks")
            }
            return type
        }
        switch type {
        case .bf16: return .f32
        default:
            throw ModelFormatError.unsupportedTensorType(
                path: "", tensor: tensor, type: "\(type) (dllama has no \(type) kernel and cannot convert it)")
        }
    }

    /// The kernels' name for `type` (nil for the GGML types QuantKernels cannot decode).
    static func blockType(_ type: TensorType) -> BlockType? {
        BlockType(type)
    }

    /// Converts `layout.rowCount` rows from the file's type in `source` to the stored type in
    /// `destination`, one row at a time through an F32 buffer.
    static func convert(_ layout: SliceLayout, from source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) {
        let from = blockType(layout.type)!, to = blockType(layout.storedType)!
        let n = layout.rowLength
        let sourceRow = from.rowBytes(n), destinationRow = to.rowBytes(n)
        var row = [Float](repeating: 0, count: n)
        row.withUnsafeMutableBufferPointer { row in
            for r in 0..<layout.rowCount {
                Quantization.dequantize(UnsafeRawBufferPointer(rebasing: source[(r * sourceRow)..<((r + 1) * sourceRow)]), from: from, into: row)
                Quantization.quantize(UnsafeBufferPointer(row), to: to,
                                      into: UnsafeMutableRawBufferPointer(rebasing: destination[(r * destinationRow)..<((r + 1) * destinationRow)]))
            }
        }
    }
}

extension LayerStore {
    /// The tensor types among `tensors` that loading converts (the kernels have no code for
    /// them): BF16 to F32. Sorted by name.
    public static func typesConvertedAtLoad(_ tensors: [TensorInfo]) -> [TensorType] {
        Set(tensors.map(\.type)).subtracting(TypeConversion.native).sorted { $0.description < $1.description }
    }
}
