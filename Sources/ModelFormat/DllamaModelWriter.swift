import Foundation

/// Writes a distributed-llama `.m` file: the header, then each tensor in the order the header
/// implies (see `DllamaLayout`), each checked for its exact size.
///
///     let writer = try DllamaModelWriter(path: "out.m", header: DllamaHeader(model: model))
///     for tensor in writer.pendingTensors { try writer.append(bytesOf(tensor)) }
///     try writer.finish()
///
/// The bytes go to `<path>.partial`, renamed to `path` only by `finish()` once every tensor is
/// written, so a failed or interrupted conversion never leaves a plausible-looking damaged model.
public final class DllamaModelWriter {
    public let path: String
    public let header: DllamaHeader
    public let model: ModelDescription
    /// Every tensor the file will hold, in order, with the offsets it will have.
    public let layout: [TensorInfo]
    private var written = 0
    private let handle: FileHandle
    private let partialPath: String
    private var finished = false

    public init(path: String, header: DllamaHeader) throws {
        self.path = path
        self.header = header
        let encoded = header.encoded()
        model = try encoded.withUnsafeBytes { try DllamaHeader.parse($0, path: path).model(path: path) }
        layout = try DllamaLayout.tensors(of: model, headerSize: header.byteCount, path: path)
        partialPath = path + ".partial"
        guard FileManager.default.createFile(atPath: partialPath, contents: Data(encoded)) else {
            throw ModelFormatError.unreadable(path: partialPath, reason: "cannot create the file: \(String(cString: strerror(errno)))")
        }
        guard let handle = FileHandle(forWritingAtPath: partialPath) else {
            throw ModelFormatError.unreadable(path: partialPath, reason: "cannot open the file for writing")
        }
        self.handle = handle
        try handle.seekToEnd()
    }

    deinit {
        if !finished {
            try? handle.close()
            unlink(partialPath)
        }
    }

    /// The tensors still to be appended, next first.
    public var pendingTensors: ArraySlice<TensorInfo> { layout[written...] }

    /// Appends the next tensor's bytes; their count must match the layout exactly.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard written < layout.count else {
            throw ModelFormatError.invalidTensor(path: path, tensor: "(extra)", reason: "all \(layout.count) tensors are already written")
        }
        let expected = layout[written]
        guard bytes.count == expected.byteCount else {
            throw ModelFormatError.invalidTensor(path: path, tensor: expected.name,
                                                 reason: "got \(bytes.count) bytes, the layout needs \(expected.byteCount) (\(expected.type) \(expected.shape))")
        }
        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!),
                                          count: bytes.count, deallocator: .none))
        written += 1
    }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Checks every tensor was written, then moves the file into place.
    public func finish() throws {
        guard written == layout.count else {
            throw ModelFormatError.invalidTensor(path: path, tensor: layout[written].name,
                                                 reason: "not written (\(layout.count - written) tensors missing)")
        }
        try handle.synchronize()
        try handle.close()
        finished = true
        guard rename(partialPath, path) == 0 else {
            throw ModelFormatError.unreadable(path: path, reason: "cannot move \(partialPath) into place: \(String(cString: strerror(errno)))")
        }
    }
}
