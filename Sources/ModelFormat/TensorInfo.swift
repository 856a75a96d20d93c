/// One tensor of a model file: its stable name, encoding, shape and where its bytes are.
///
/// `shape` lists dimensions outermost first, as numpy and Hugging Face do: a matrix is
/// `[rows][columns]` = `[out][in]`, and the last dimension is the row length. (GGUF stores the
/// dimensions the other way round; the GGUF reader reverses them.)
public struct TensorInfo: Codable, Sendable, Equatable {
    /// Stable name shared by both formats: `token_embd`, `blk.3.attn_q`, `blk.3.attn_q.bias`,
    /// `blk.3.ffn_gate.2` (expert 2 of a `.m` MoE layer), `blk.3.ffn_gate_exps` (GGUF's stacked
    /// experts), `output_norm`, `output`.
    public var name: String
    public var type: TensorType
    public var shape: [Int]
    /// Absolute byte offset of the first element in the file.
    public var offset: Int
    public var byteCount: Int

    public init(name: String, type: TensorType, shape: [Int], offset: Int, byteCount: Int) {
        self.name = name
        self.type = type
        self.shape = shape
        self.offset = offset
        self.byteCount = byteCount
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Values per row (the innermost dimension).
    public var rowLength: Int { shape.last ?? 1 }
    /// Rows across all outer dimensions.
    public var rowCount: Int { shape.dropLast().reduce(1, *) }
    public var rowBytes: Int { byteCount / max(rowCount, 1) }
    public var byteRange: Range<Int> { offset..<(offset + byteCount) }

    /// The layer index of a `blk.N.` tensor, nil for the embedding, final norm and output.
    public var layer: Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0 != "." })
    }

    /// The whole tensor seen as a matrix of `rowCount` rows (a vector is one row).
    public var matrix: MatrixSlice {
        MatrixSlice(tensor: name, type: type, rows: rowCount, columns: rowLength, offset: offset, rowBytes: rowBytes)
    }

    /// Matrix `index` of a stacked 3-D tensor (`[experts][rows][columns]`, as GGUF stores experts).
    public func matrix(at index: Int) throws -> MatrixSlice {
        guard shape.count == 3, (0..<shape[0]).contains(index) else {
            throw ModelFormatError.invalidSlice(tensor: name, reason: "matrix \(index) of a tensor shaped \(shape)")
        }
        let rows = shape[1]
        return MatrixSlice(tensor: "\(name)[\(index)]", type: type, rows: rows, columns: shape[2],
                           offset: offset + index * rows * rowBytes, rowBytes: rowBytes)
    }
}

/// A matrix inside a model file, addressable by row range and column range.
///
/// Row ranges are one contiguous run of bytes. A column range is one run per row, and must start
/// and end on a quantization block boundary, since a block cannot be split.
public struct MatrixSlice: Sendable, Equatable {
    public var tensor: String
    public var type: TensorType
    public var rows: Int
    public var columns: Int
    /// Absolute byte offset of row 0.
    public var offset: Int
    public var rowBytes: Int

    public var byteRange: Range<Int> { offset..<(offset + rows * rowBytes) }

    /// The bytes of `rowRange`, all columns: one contiguous range.
    public func byteRange(rows rowRange: Range<Int>) throws -> Range<Int> {
        try checkRows(rowRange)
        return (offset + rowRange.lowerBound * rowBytes)..<(offset + rowRange.upperBound * rowBytes)
    }

    /// The bytes of `columnRange` in each row of `rowRange`: one range per row, in row order.
    public func byteRanges(rows rowRange: Range<Int>, columns columnRange: Range<Int>) throws -> [Range<Int>] {
        try checkRows(rowRange)
        guard columnRange.lowerBound >= 0, columnRange.upperBound <= columns else {
            throw ModelFormatError.invalidSlice(tensor: tensor, reason: "columns \(columnRange) outside 0..<\(columns)")
        }
        guard let start = type.byteCount(elements: columnRange.lowerBound),
              let length = type.byteCount(elements: columnRange.count) else {
            throw ModelFormatError.invalidSlice(
                tensor: tensor,
                reason: "columns \(columnRange) do not fall on \(type) block boundaries (\(type.blockSize) values per block)")
        }
        return rowRange.map { row in
            let rowStart = offset + row * rowBytes + start
            return rowStart..<(rowStart + length)
        }
    }

    private func checkRows(_ rowRange: Range<Int>) throws {
        guard rowRange.lowerBound >= 0, rowRange.upperBound <= rows else {
            throw ModelFormatError.invalidSlice(tensor: tensor, reason: "rows \(rowRange) outside 0..<\(rows)")
        }
    }
}
