/// The parsed header of a GGUF file (formats.md section 4):
///
///     u32 magic "GGUF"; u32 version; u64 tensor_count; u64 kv_count
///     kv_count x { string key; u32 value_type; value }
///     tensor_count x { string name; u32 n_dims; u64 dims[n_dims]; u32 ggml_type; u64 offset }
///     padding to general.alignment (default 32); tensor data, each tensor at data_start + offset
///
/// Every count and length is checked against the bytes that remain before anything is allocated,
/// and every tensor's byte range against the file size, so no damaged file can make it read out of
/// bounds or allocate absurd amounts.
public struct GGUFFile: Sendable {
    public struct Tensor: Sendable, Equatable {
        /// The name as stored (`blk.0.attn_q.weight`).
        public var name: String
        /// Dimensions as GGUF stores them: `dims[0]` is the row length.
        public var dims: [Int]
        public var type: TensorType
        /// Offset relative to the start of the data section.
        public var relativeOffset: Int
        public var byteCount: Int
    }

    static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian
    public static let defaultAlignment = 32

    public var version: Int
    /// Metadata keys in file order.
    public var metadataKeys: [String]
    public var metadata: [String: GGUFValue]
    public var tensors: [Tensor]
    public var alignment: Int
    /// Absolute offset of the tensor data section.
    public var dataOffset: Int

    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> GGUFFile {
        var c = ByteCursor(bytes, path: path)
        guard try c.read(UInt32.self, "the magic number") == magic else {
            throw ModelFormatError.notAModelFile(path: path, reason: "it starts with \(hex(bytes.prefix(4))), not a .m or GGUF magic")
        }
        let version = Int(try c.read(UInt32.self, "the GGUF version"))
        guard version == 2 || version == 3 else {
            throw ModelFormatError.unsupportedVersion(path: path, format: "GGUF", version: version)
        }
        let tensorCount = try c.read(UInt64.self, "the tensor count")
        let kvCount = try c.read(UInt64.self, "the metadata count")
        // A key/value pair takes at least 8 + 4 bytes, a tensor info at least 8 + 4 + 8 + 4 + 8.
        guard kvCount <= UInt64(c.remaining / 12) else {
            throw ModelFormatError.truncated(path: path, what: "\(kvCount) metadata entries", needed: saturatingBytes(kvCount, 12), available: c.remaining)
        }
        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for index in 0..<Int(kvCount) {
            let key = try readKey(&c, index: index)
            let type = try c.read(UInt32.self, "the type of \(key)")
            let value = try readValue(&c, type: type, key: key, depth: 0)
            if metadata.updateValue(value, forKey: key) != nil {
                throw ModelFormatError.invalidHeader(path: path, reason: "metadata key \(key) appears twice")
            }
            keys.append(key)
        }
        var alignment = defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                throw ModelFormatError.invalidHeader(path: path, reason: "general.alignment \(value.summary) is not a power of two")
            }
            alignment = a
        }
        guard tensorCount <= UInt64(c.remaining / 32) else {
            throw ModelFormatError.truncated(path: path, what: "\(tensorCount) tensor infos", needed: saturatingBytes(tensorCount, 32), available: c.remaining)
        }
        var tensors: [Tensor] = []
        tensors.reserveCapacity(Int(tensorCount))
        for index in 0..<Int(tensorCount) {
            tensors.append(try readTensorInfo(&c, index: index, alignment: alignment))
        }
        let dataOffset = (c.offset + alignment - 1) / alignment * alignment
        var file = GGUFFile(version: version, metadataKeys: keys, metadata: metadata, tensors: tensors,
                            alignment: alignment, dataOffset: dataOffset)
        try file.checkBounds(fileSize: bytes.count, path: path)
        file.tensors = tensors
        return file
    }

    private func checkBounds(fileSize: Int, path: String) throws {
        var seen = Set<String>()
        for t in tensors {
            guard seen.insert(t.name).inserted else {
                throw ModelFormatError.invalidTensor(path: path, tensor: t.name, reason: "the name appears twice")
            }
            let (start, o1) = dataOffset.addingReportingOverflow(t.relativeOffset)
            let (end, o2) = start.addingReportingOverflow(t.byteCount)
            guard !o1, !o2, end <= fileSize else {
                throw ModelFormatError.tensorOutOfBounds(path: path, tensor: t.name,
                                                         range: o1 || o2 ? dataOffset..<Int.max : start..<end, fileSize: fileSize)
            }
        }
    }

    private static func readTensorInfo(_ c: inout ByteCursor, index: Int, alignment: Int) throws -> Tensor {
        let name = try readString(&c, "the name of tensor \(index)", limit: maxTensorNameBytes)
        guard name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw ModelFormatError.invalidHeader(path: c.path, reason: "the name of tensor \(index) holds control characters: the file is damaged")
        }
        let nDims = Int(try c.read(UInt32.self, "the dimension count of \(name)"))
        guard (1...4).contains(nDims) else {
            throw ModelFormatError.invalidTensor(path: c.path, tensor: name, reason: "\(nDims) dimensions (GGUF allows 1 to 4)")
        }
        var dims: [Int] = []
        var elements = 1
        for _ in 0..<nDims {
            let d = try c.read(UInt64.self, "a dimension of \(name)")
            guard d > 0, d <= 1 << 40 else {
                throw ModelFormatError.invalidTensor(path: c.path, tensor: name, reason: "dimension \(d)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= 1 << 46 else {
                throw ModelFormatError.invalidTensor(path: c.path, tensor: name, reason: "\(dims + [Int(d)]) has too many elements")
            }
            elements = product
            dims.append(Int(d))
        }
        let rawType = try c.read(UInt32.self, "the type of \(name)")
        guard let type = TensorType(rawValue: rawType) else {
            throw ModelFormatError.unsupportedTensorType(path: c.path, tensor: name, type: TensorType.name(ofGGMLType: rawType))
        }
        guard let rowBytes = type.byteCount(elements: dims[0]) else {
            throw ModelFormatError.invalidTensor(path: c.path, tensor: name,
                                                 reason: "rows of \(dims[0]) values are not whole \(type) blocks of \(type.blockSize)")
        }
        let offset = try c.read(UInt64.self, "the offset of \(name)")
        guard offset <= UInt64(Int.max / 2), Int(offset) % alignment == 0 else {
            throw ModelFormatError.invalidTensor(path: c.path, tensor: name, reason: "data offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        return Tensor(name: name, dims: dims, type: type, relativeOffset: Int(offset),
                      byteCount: rowBytes * (elements / dims[0]))
    }

    /// What the format allows: keys are ASCII of at most 65535 bytes (the GGUF specification),
    /// tensor names shorter than 64 (ggml's `GGML_MAX_NAME`); other strings are bounded so that a
    /// damaged length cannot make a parser spend minutes or an error message megabytes.
    static let maxKeyBytes = 65_535
    static let maxTensorNameBytes = 63
    static let maxStringBytes = 16 << 20

    /// A metadata key: printable ASCII within the specification's length.
    private static func readKey(_ c: inout ByteCursor, index: Int) throws -> String {
        let key = try readString(&c, "the name of metadata entry \(index)", limit: maxKeyBytes)
        guard !key.isEmpty, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ModelFormatError.invalidHeader(path: c.path, reason: "the name of metadata entry \(index) is not an ASCII key: the file is damaged")
        }
        return key
    }

    private static func readString(_ c: inout ByteCursor, _ what: @autoclosure () -> String, limit: Int = maxStringBytes) throws -> String {
        let length = try c.read(UInt64.self, what())
        guard length <= UInt64(limit) else {
            throw ModelFormatError.invalidHeader(path: c.path, reason: "\(what()) claims \(length) bytes, more than the \(limit) allowed: the file is damaged")
        }
        guard length <= UInt64(c.remaining) else {
            throw ModelFormatError.truncated(path: c.path, what: what(), needed: Int(clamping: length), available: c.remaining)
        }
        return String(decoding: try c.readBytes(Int(length), what()), as: UTF8.self)
    }

    /// Element sizes of the fixed-width value types, indexed by type id (nil: string, array).
    private static let fixedSizes: [UInt32: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]

    private static func readValue(_ c: inout ByteCursor, type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try c.read(UInt8.self, key))
        case 1: return .int8(try c.read(Int8.self, key))
        case 2: return .uint16(try c.read(UInt16.self, key))
        case 3: return .int16(try c.read(Int16.self, key))
        case 4: return .uint32(try c.read(UInt32.self, key))
        case 5: return .int32(try c.read(Int32.self, key))
        case 6: return .float32(try c.readFloat(key))
        case 7: return .bool(try c.read(UInt8.self, key) != 0)
        case 8: return .string(try readString(&c, key))
        case 9: return .array(try readArray(&c, key: key, depth: depth))
        case 10: return .uint64(try c.read(UInt64.self, key))
        case 11: return .int64(try c.read(Int64.self, key))
        case 12: return .float64(try c.readDouble(key))
        default:
            throw ModelFormatError.invalidHeader(path: c.path, reason: "metadata \(key) has unknown value type \(type)")
        }
    }

    private static func readArray(_ c: inout ByteCursor, key: String, depth: Int) throws -> GGUFArray {
        guard depth < 4 else {
            throw ModelFormatError.invalidHeader(path: c.path, reason: "metadata \(key) nests arrays too deeply")
        }
        let elementType = try c.read(UInt32.self, "the element type of \(key)")
        let count64 = try c.read(UInt64.self, "the length of \(key)")
        let minimumSize = fixedSizes[elementType] ?? (elementType == 8 ? 8 : 12)
        guard count64 <= UInt64(c.remaining / minimumSize) else {
            throw ModelFormatError.truncated(path: c.path, what: "the \(count64) elements of \(key)",
                                             needed: saturatingBytes(count64, minimumSize), available: c.remaining)
        }
        let count = Int(count64)
        func many<T>(_ read: (inout ByteCursor) throws -> T) throws -> [T] {
            var out: [T] = []
            out.reserveCapacity(count)
            for _ in 0..<count { out.append(try read(&c)) }
            return out
        }
        switch elementType {
        case 0: return .uint8(try many { try $0.read(UInt8.self, key) })
        case 1: return .int8(try many { try $0.read(Int8.self, key) })
        case 2: return .uint16(try many { try $0.read(UInt16.self, key) })
        case 3: return .int16(try many { try $0.read(Int16.self, key) })
        case 4: return .uint32(try many { try $0.read(UInt32.self, key) })
        case 5: return .int32(try many { try $0.read(Int32.self, key) })
        case 6: return .float32(try many { try $0.readFloat(key) })
        case 7: return .bool(try many { try $0.read(UInt8.self, key) != 0 })
        case 8: return .string(try many { try readString(&$0, key) })
        case 9: return .arrays(try many { try readArray(&$0, key: key, depth: depth + 1) })
        case 10: return .uint64(try many { try $0.read(UInt64.self, key) })
        case 11: return .int64(try many { try $0.read(Int64.self, key) })
        case 12: return .float64(try many { try $0.readDouble(key) })
        default:
            throw ModelFormatError.invalidHeader(path: c.path, reason: "metadata \(key) has unknown element type \(elementType)")
        }
    }
}

/// `count` items of `size` bytes, or `Int.max` when that overflows (a damaged count).
func saturatingBytes(_ count: UInt64, _ size: Int) -> Int {
    let (product, overflow) = Int(clamping: count).multipliedReportingOverflow(by: size)
    return overflow ? Int.max : product
}
