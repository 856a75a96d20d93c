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
    /// Set while a tensor is being appended in parts, and left set if it came out the wrong size.
    private var broken = false

    public init(path: String, header: DllamaHeader) throws {
        self.path = path
        self.header = header
        let encoded = header.encoded()
        model = try encoded.withUnsafeBytes { try DllamaHeader.parse($0, path: path).model(path: path) }
        layout = try DllamaLayout.tensors(of: model, headerSize: header.byteCount, path: path)
        partialPath = Self.partialPath(of: path)
        guard FileManager.default.createFile(atPath: partialPath, contents: Data(encoded)) else {
            throw ModelFormatError.unreadable(path: partialPath, reason: "cannot create the file: \(String(cString: strerror(errno)))")
        }
        guard let handle = FileHandle(forWritingAtPath: partialPath) else {
            throw ModelFormatError.unreadable(path: partialPath, reason: "cannot open the file for writing")
        }
        self.handle = handle
        try handle.seekToEnd()
    }

    /// Where the bytes go until `finish()` renames them to `path`.
    public static func partialPath(of path: String) -> String { path + ".partial" }

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
        let expected = try nextTensor()
        guard bytes.count == expected.byteCount else {
            throw ModelFormatError.invalidTensor(path: path, tensor: expected.name,
                                                 reason: "got \(bytes.count) bytes, the layout needs \(expected.byteCount) (\(expected.type) \(expected.shape))")
        }
        try write(bytes)
        written += 1
    }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Appends the next tensor in consecutive parts, for a tensor too large to hold at once:
    /// `produce` calls `write` with each part in order, and the parts must add up to the tensor's
    /// exact size (a writer whose tensor came out short or long refuses to go on).
    ///
    ///     try writer.appendTensor { write in
    ///         for chunk in chunks { try chunk.withUnsafeBytes(write) }
    ///     }
    public func appendTensor(_ produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let expected = try nextTensor()
        var count = 0
        broken = true
        try produce { part in
            guard count + part.count <= expected.byteCount else {
                throw ModelFormatError.invalidTensor(path: path, tensor: expected.name,
                                                     reason: "got more than the \(expected.byteCount) bytes the layout needs (\(expected.type) \(expected.shape))")
            }
            try write(part)
            count += part.count
        }
        guard count == expected.byteCount else {
            throw ModelFormatError.invalidTensor(path: path, tensor: expected.name,
                                                 reason: "got \(count) bytes, the layout needs \(expected.byteCount) (\(expected.type) \(expected.shape))")
        }
        broken = false
        written += 1
    }

    /// The tensor the next append writes.
    private func nextTensor() throws -> TensorInfo {
        guard !broken else {
            throw ModelFormatError.invalidTensor(path: path, tensor: "(next)", reason: "an earlier tensor was written with the wrong size")
        }
        guard written < layout.count else {
            throw ModelFormatError.invalidTensor(path: path, tensor: "(extra)", reason: "all \(layout.count) tensors are already written")
        }
        return layout[written]
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none))
    }

    /// Checks every tensor was written, then moves the file into place.
    public func finish() throws {
        guard !broken, written == layout.count else {
            throw ModelFormatError.invalidTensor(path: path, tensor: written < layout.count ? layout[written].name : "(last)",
                                                 reason: broken ? "written with the wrong size" : "not written (\(layout.count - written) tensors missing)")
        }
        try handle.synchronize()
        try handle.close()
        finished = true
        guard rename(partialPath, path) == 0 else {
            throw ModelFormatError.unreadable(path: path, reason: "cannot move \(partialPath) into place: \(String(cString: strerror(errno)))")
        }
    }
}
