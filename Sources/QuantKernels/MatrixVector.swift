/// A row-major weight matrix `[rows][columns]` of one block type, viewed in place (usually in a
/// memory-mapped model file).
///
/// ```swift
/// let wq = WeightMatrix(type: .q40, rows: 4096, columns: 4096, data: pointer)
/// ```
public struct WeightMatrix: @unchecked Sendable {  // a view; the owner keeps `data` alive and unchanged
    public let type: BlockType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer  // [rows][type.rowBytes(columns)]

    public init(type: BlockType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        precondition(columns % type.valuesPerBlock == 0, "\(columns) columns is not a whole number of \(type) blocks")
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
    }

    public var rowBytes: Int { type.rowBytes(columns) }
    public var byteCount: Int { rows * rowBytes }
    public func row(_ index: Int) -> UnsafeRawPointer { data + index * rowBytes }
}

/// Matrix-vector products `out[r] = dot(W[r], x)` over a range of rows, split across a pool.
///
/// The activation vector `x` must already be in `weights.type.activationType`: Q80 blocks for
/// Q40/Q41/Q80/Q5_0/Q5_1 weights, Q8_K blocks for Q4_K/Q5_K/Q6_K weights (see
/// `quantizeActivations`), F32 for F32/F16 weights.
///
/// ```swift
/// let xq = MatrixVector.quantizeActivations(x)               // [columns] F32 -> Q80 bytes
/// xq.withUnsafeBytes { q in
///     MatrixVector.multiply(wq, q.baseAddress!, into: out, pool: pool)   // out: [rows]
/// }
/// ```
public enum MatrixVector {
    /// Computes `out[r - rows.lowerBound]` for every `r` in `rows` (all rows by default).
    public static func multiply(_ weights: WeightMatrix, _ x: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>,
                                rows: Range<Int>? = nil, pool: ThreadPool? = nil, kernels: KernelTable = .current) {
        let rows = rows ?? 0..<weights.rows
        precondition(rows.lowerBound >= 0 && rows.upperBound <= weights.rows, "rows \(rows) outside 0..<\(weights.rows)")
        guard let dot = kernels.dot(weights: weights.type) else { preconditionFailure("no dot kernel for \(weights.type) weights") }
        let n = Int32(weights.columns), rowBytes = weights.rowBytes, base = weights.data
        let matrixVector = kernels.matrixVector(weights: weights.type)
        // Chunks of at least 16 rows, several per thread, claimed by whichever thread is running.
        let tasks = pool?.taskCount(for: rows.count, minimumPerTask: 16) ?? 1
        let body = { (task: Int) in
            let share = ThreadPool.share(of: rows, worker: task, workers: tasks)
            guard !share.isEmpty else { return }
            if let matrixVector {  // the whole share in C, activation prepared once
                matrixVector(n, base + share.lowerBound * rowBytes, rowBytes, Int32(share.count), x, out + (share.lowerBound - rows.lowerBound))
                return
            }
            // Hot loop: one dot product per row of this participant's share.
            for r in share {
                out[r - rows.lowerBound] = dot(n, base + r * rowBytes, x)
            }
        }
        if let pool { pool.run(tasks: tasks, body) } else { body(0) }
    }

    /// Quantizes an activation vector to `type` (Q80 by default; Q8_K for K-quant weights) with the
    /// selected kernel.
    public static func quantizeActivations(_ x: [Float], to type: BlockType = .q80, kernels: KernelTable = .current) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: type.rowBytes(x.count))
        Quantization.quantize(x, to: type, into: &out, kernels: kernels)
        return out
    }
}
