import Foundation
import ModelFormat

/// One `.safetensors` file, memory-mapped:
///
///     u64 N (little-endian)
///     N bytes of JSON: {"__metadata__": {...},
///                       "NAME": {"dtype": "BF16", "shape": [rows, columns], "data_offsets": [begin, end]}, ...}
///     the data section: each tensor at data_offsets, relative to its start, row-major
///
/// Opening reads only the header. Every offset and length is checked against the file: a header
/// longer than the file, a tensor whose bytes run past the end or overlap another's, or whose byte
/// count disagrees with its dtype and shape is refused with the tensor's name.
struct SafetensorsFile {
    struct Tensor {
        var name: String
        var dtype: String
        var shape: [Int]
        /// Absolute byte range in the file.
        var range: Range<Int>
    }

    /// Bytes per element of every dtype the format defines.
    static let elementSizes: [String: Int] = [
        "F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
        "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
    ]
    /// The dtypes the converter reads, as tensor types.
    static let readableTypes: [String: TensorType] = ["F32": .f32, "F16": .f16, "BF16": .bf16]
    /// Longest header accepted: real ones are well under a megabyte.
    static let maximumHeaderBytes = 100 << 20

    let path: String
    let mapping: MappedFile
    /// Tensors by name.
    let tensors: [String: Tensor]

    init(path: String) throws {
        mapping = try MappedFile(path: path)
        self.path = path
        let size = mapping.size
        guard size >= 8 else {
            throw ConverterError.truncatedSafetensors(path: path, what: "the header length", needed: 8, available: size)
        }
        let headerLength64 = mapping.bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength64 <= UInt64(Self.maximumHeaderBytes) else {
            throw ConverterError.invalidSafetensors(path: path, reason: "a header of \(headerLength64) bytes (the first 8 bytes are not a safetensors header length)")
        }
        let headerLength = Int(headerLength64)
        guard headerLength <= size - 8 else {
            throw ConverterError.truncatedSafetensors(path: path, what: "the \(headerLength)-byte header", needed: headerLength, available: size - 8)
        }
        let header = try JSONValue.parse(Data(try mapping.bytes(8..<(8 + headerLength))), path: path, what: "the header")
        guard let entries = header.object else {
            throw ConverterError.invalidSafetensors(path: path, reason: "the header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataSize = size - dataStart
        var tensors: [String: Tensor] = [:]
        for (name, value) in entries where name != "__metadata__" {
            let entry = JSONValue(value)
            tensors[name] = try Self.tensor(name, entry, dataStart: dataStart, dataSize: dataSize, path: path)
        }
        // No two tensors may share a byte (zero-length tensors occupy none).
        let ordered = tensors.values.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw ConverterError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
        self.tensors = tensors
    }

    private static func tensor(_ name: String, _ entry: JSONValue, dataStart: Int, dataSize: Int, path: String) throws -> Tensor {
        func invalid(_ reason: String) -> ConverterError {
            .invalidSafetensors(path: path, reason: "tensor \(name): \(reason)")
        }
        guard let dtype = entry["dtype"].string else { throw invalid("no dtype") }
        guard let elementSize = elementSizes[dtype] else { throw invalid("unknown dtype \(dtype)") }
        guard let dims = entry["shape"].array?.map(\.int), dims.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw invalid("the shape is not a list of non-negative integers")
        }
        let shape = dims.map { $0! }
        guard let offsets = entry["data_offsets"].array?.compactMap(\.int), offsets.count == 2,
              offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw invalid("data_offsets is not [begin, end] with 0 <= begin <= end")
        }
        guard offsets[1] <= dataSize else {
            throw ConverterError.tensorOutOfBounds(path: path, tensor: name, range: offsets[0]..<offsets[1], dataSize: dataSize)
        }
        var bytes = elementSize
        for d in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow else { throw invalid("shape \(shape) is impossibly large") }
            bytes = product
        }
        guard bytes == offsets[1] - offsets[0] else {
            throw invalid("\(dtype) \(shape) needs \(bytes) bytes but data_offsets give \(offsets[1] - offsets[0])")
        }
        return Tensor(name: name, dtype: dtype, shape: shape, range: (dataStart + offsets[0])..<(dataStart + offsets[1]))
    }

    /// `name` as the converter reads it: its rows, type and place in the mapped file.
    func source(_ name: String) -> SourceTensor? {
        guard let t = tensors[name] else { return nil }
        let rows = t.shape.count <= 1 ? 1 : t.shape.dropLast().reduce(1, *)
        return SourceTensor(name: name, file: mapping, type: Self.readableTypes[t.dtype], typeName: t.dtype, shape: t.shape,
                            offset: t.range.lowerBound, rowBytes: rows == 0 ? 0 : t.range.count / rows)
    }
}
