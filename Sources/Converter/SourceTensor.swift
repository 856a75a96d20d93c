import ModelFormat
import QuantKernels

/// One matrix (or vector) of an input file, as the converter reads it: rows of `rowBytes` bytes
/// from `offset` in a memory-mapped file. Stacked GGUF experts give one `SourceTensor` per expert.
struct SourceTensor {
    /// The name the input file gives it (`model.layers.0.self_attn.q_proj.weight`, `blk.0.attn_q.weight`).
    var name: String
    var file: MappedFile
    /// The element encoding; nil for a safetensors dtype nothing converts (`I64`, `F8_E4M3`, ...).
    var type: TensorType?
    /// The input's own name of the type, for messages (`BF16`, `Q4_1`, `I64`).
    var typeName: String
    /// `[rows][columns]` (a vector is one row of `columns`).
    var shape: [Int]
    /// Absolute offset of row 0 in `file`.
    var offset: Int
    var rowBytes: Int

    var rows: Int { shape.count == 1 ? 1 : shape.dropLast().reduce(1, *) }
    var columns: Int { shape.last ?? 1 }
    var byteCount: Int { rows * rowBytes }

    /// The kernel type that reads it, or `unsupportedTensorType` naming the tensor.
    func blockType() throws -> BlockType {
        guard let type, let block = BlockType(type) else {
            throw ConverterError.unsupportedTensorType(path: file.path, tensor: name, type: typeName)
        }
        return block
    }
}
