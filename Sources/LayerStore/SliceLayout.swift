import ModelFormat
import Scheduler

/// Where one tensor's node-owned part comes from in the file and how it is laid out in RAM.
///
/// Row slices stay rows; column slices are repacked so that each row's owned columns are
/// contiguous (`[rows][owned columns]`), and stacked experts keep their expert dimension. The
/// file ranges are read back to back into the destination, in order.
public struct SliceLayout: Sendable, Equatable {
    public var name: String
    /// The type in the file.
    public var type: TensorType
    /// The type held in RAM: the file's, or what a type the kernels cannot use is converted to.
    public var storedType: TensorType
    /// Node-local shape, outermost first (`[rows][columns]` or `[experts][rows][columns]`).
    public var shape: [Int]
    /// Bytes read from the file.
    public var byteCount: Int
    /// Bytes held in RAM (differs from `byteCount` after a conversion).
    public var storedByteCount: Int
    /// The file byte ranges to read, adjacent ones merged.
    public var fileRanges: [Range<Int>]

    /// The layout of what `ownership` gives a node of `tensor`; nil when it holds nothing resident.
    public init?(tensor: TensorInfo, ownership: TensorOwnership) throws {
        let matrices = tensor.shape.count == 3 ? tensor.shape[0] : 1
        let perMatrix = (0..<matrices).map { e -> MatrixSlice in
            matrices == 1 ? tensor.matrix : (try? tensor.matrix(at: e)) ?? tensor.matrix
        }
        var ranges: [Range<Int>] = []
        var shape: [Int]
        switch ownership {
        case .none, .lookup:
            return nil
        case .whole:
            ranges = [tensor.byteRange]
            shape = tensor.shape
        case .rows(let r):
            ranges = [try tensor.matrix.byteRange(rows: r)]
            shape = [r.count] + tensor.shape.dropFirst()
        case .columns(let c):
            ranges = try tensor.matrix.byteRanges(rows: 0..<tensor.rowCount, columns: c)
            shape = Array(tensor.shape.dropLast()) + [c.count]
        case .expertRows(let r):
            ranges = try perMatrix.map { try $0.byteRange(rows: r) }
            shape = [matrices, r.count, tensor.rowLength]
        case .expertColumns(let c):
            ranges = try perMatrix.flatMap { try $0.byteRanges(rows: 0..<$0.rows, columns: c) }
            shape = [matrices, tensor.shape[1], c.count]
        }
        self.name = tensor.name
        self.type = tensor.type
        self.shape = shape
        self.byteCount = ranges.reduce(0) { $0 + $1.count }
        self.fileRanges = Self.merged(ranges)
        if byteCount == 0 { return nil }
        storedType = try TypeConversion.storedType(for: tensor.type, rowLength: shape.last ?? 1, isVector: tensor.shape.count == 1, tensor: tensor.name)
        storedByteCount = storedType == type ? byteCount
            : shape.dropLast().reduce(1, *) * (storedType.byteCount(elements: shape.last ?? 1) ?? 0)
    }

    /// Values per node-local row.
    public var rowLength: Int { shape.last ?? 1 }
    /// Node-local rows (all outer dimensions together).
    public var rowCount: Int { shape.dropLast().reduce(1, *) }

    /// Joins ranges that touch, so a full-width column slice is one read.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges where !r.isEmpty {
            if let last = out.last, last.upperBound == r.lowerBound {
                out[out.count - 1] = last.lowerBound..<r.upperBound
            } else {
                out.append(r)
            }
        }
        return out
    }
}
