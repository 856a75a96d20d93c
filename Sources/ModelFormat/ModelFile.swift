/// The on-disk format a model came in.
public enum ModelFileFormat: String, Codable, Sendable {
    case dllama = "dllama"   // distributed-llama `.m`
    case gguf = "gguf"
}

/// An opened model file: its description, its tensor directory and bounds-checked access to the
/// bytes, without reading any tensor data.
///
///     let file = try ModelFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
///     print(file.model.dim)                               // 576
///     let q = try file.tensor("blk.3.attn_q").matrix      // [576][576] Q4_1
///     let myRows = try q.byteRange(rows: 0..<192)         // a node's share of the rows
///     let bytes = try file.bytes(myRows)                  // from the memory map
///
/// Opening checks every tensor's byte range against the file, so any range derived from
/// `tensors` is safe to read.
public final class ModelFile: Sendable {
    public let path: String
    public let format: ModelFileFormat
    public let formatVersion: Int
    public let model: ModelDescription
    /// Tensors in file order.
    public let tensors: [TensorInfo]
    /// Bytes before the first tensor: magic, header, metadata, tensor table, padding.
    public let headerByteCount: Int
    /// The `.m` header as stored (nil for GGUF).
    public let dllamaHeader: DllamaHeader?
    /// GGUF metadata and raw tensor table (nil for `.m`).
    public let gguf: GGUFFile?
    public let mapping: MappedFile
    private let index: [String: Int]

    public var fileSize: Int { mapping.size }

    public init(path: String) throws {
        let mapping = try MappedFile(path: path)
        let bytes = mapping.bytes
        guard bytes.count >= 4 else {
            throw ModelFormatError.notAModelFile(path: path, reason: bytes.isEmpty ? "the file is empty" : "it is only \(bytes.count) bytes long")
        }
        let magic = bytes.loadUnaligned(as: UInt32.self).littleEndian
        if magic == GGUFFile.magic {
            let gguf = try GGUFFile.parse(bytes, path: path)
            let tensors = GGUFModelMapping.tensors(of: gguf)
            let model = try GGUFModelMapping.model(of: gguf, path: path)
            let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            try GGUFModelMapping.checkShapes(byName, model: model, path: path)
            self.format = .gguf
            self.formatVersion = gguf.version
            self.model = model
            self.tensors = tensors
            self.headerByteCount = gguf.dataOffset
            self.dllamaHeader = nil
            self.gguf = gguf
        } else {
            let header = try DllamaHeader.parse(bytes, path: path)
            let model = try header.model(path: path)
            let tensors = try DllamaLayout.tensors(of: model, headerSize: header.byteCount, path: path, fileSize: bytes.count)
            let expected = tensors.last.map { $0.offset + $0.byteCount } ?? header.byteCount
            if expected != bytes.count {
                throw ModelFormatError.trailingBytes(path: path, expectedSize: expected, actualSize: bytes.count)
            }
            self.format = .dllama
            self.formatVersion = Int(header[.version] ?? 0)
            self.model = model
            self.tensors = tensors
            self.headerByteCount = header.byteCount
            self.dllamaHeader = header
            self.gguf = nil
        }
        self.path = path
        self.mapping = mapping
        self.index = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public subscript(name: String) -> TensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The tensor with stable name `name`, or `ModelFormatError.missingTensor`.
    public func tensor(_ name: String) throws -> TensorInfo {
        guard let t = self[name] else { throw ModelFormatError.missingTensor(path: path, tensor: name) }
        return t
    }

    /// The output projection: `output`, or the token embedding when the model ties them.
    public func outputMatrix() throws -> TensorInfo {
        try self["output"] ?? tensor("token_embd")
    }

    /// Expert `expert`'s `kind` matrix (`ffn_gate`, `ffn_up` or `ffn_down`) of `layer`, whether the
    /// file stores experts one tensor each (`.m`) or stacked in one tensor (GGUF `_exps`).
    public func expertMatrix(layer: Int, expert: Int, kind: String) throws -> MatrixSlice {
        if let single = self["blk.\(layer).\(kind).\(expert)"] { return single.matrix }
        return try tensor("blk.\(layer).\(kind)_exps").matrix(at: expert)
    }

    /// The bytes of `range`, which must lie inside the file.
    public func bytes(_ range: Range<Int>) throws -> UnsafeRawBufferPointer {
        try mapping.bytes(range)
    }

    /// All bytes of `tensor` (checked against the file when it was opened).
    public func bytes(of tensor: TensorInfo) throws -> UnsafeRawBufferPointer {
        try mapping.bytes(tensor.byteRange)
    }
}

extension GGUFFile {
    /// Reads the metadata and tensor table of the GGUF file at `path`, including vocabulary-only
    /// GGUFs that hold no model.
    public static func read(path: String) throws -> GGUFFile {
        let mapping = try MappedFile(path: path)
        guard mapping.size >= 4 else {
            throw ModelFormatError.notAModelFile(path: path, reason: mapping.size == 0 ? "the file is empty" : "it is only \(mapping.size) bytes long")
        }
        return try parse(mapping.bytes, path: path)
    }
}
