import CQuantKernels

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

/// One product of a group `MatrixVector.multiply` runs as one pool job: `out = weights . x`, `x`
/// prepared for `weights.type` (see `MatrixVector.prepare`).
public struct MatrixVectorProduct: @unchecked Sendable {  // views; the caller keeps them alive for the call
    public let weights: WeightMatrix
    public let x: UnsafeRawPointer
    public let out: UnsafeMutablePointer<Float>  // [weights.rows]

    public init(_ weights: WeightMatrix, prepared x: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        (self.weights, self.x, self.out) = (weights, x, out)
    }
}

/// Matrix-vector products `out[r] = dot(W[r], x)` over a range of rows, split across a pool.
///
/// The activation vector `x` must already be in `weights.type.activationType`: Q80 blocks for
/// Q40/Q41/Q80/Q5_0/Q5_1 weights, Q8_K blocks for Q4_K/Q5_K/Q6_K weights (see
/// `quantizeActivations`), F32 for F32/F16 weights. The whole-share kernels of some paths read it
/// laid out by `prepare`: a caller that multiplies one activation by several matrices prepares it
/// once into a buffer of its own (the engine does, per activation and weight type), and no call
/// allocates or repeats that work.
///
/// ```swift
/// let xq = MatrixVector.quantizeActivations(x)               // [columns] F32 -> Q80 bytes
/// xq.withUnsafeBytes { q in
///     MatrixVector.multiply(wq, q.baseAddress!, into: out, pool: pool)   // out: [rows]; prepares a copy
/// }
/// ```
public enum MatrixVector {
    /// Bytes `prepare` writes for `columns` activations entering weights of `type`; 0 when the
    /// path's kernels read the activation as it is.
    public static func preparedBytes(weights type: BlockType, columns: Int, kernels: KernelTable = .current) -> Int {
        kernels.prepare(weights: type).map { $0.bytes(Int32(columns)) } ?? 0
    }

    /// Lays out the activation `x` (`columns` values in `type.activationType`) for weights of `type`
    /// into `out` (`preparedBytes` bytes, 64-byte aligned); returns what to pass as `prepared`:
    /// `out`, or `x` itself when the path needs no preparation.
    @discardableResult
    public static func prepare(weights type: BlockType, columns: Int, _ x: UnsafeRawPointer, into out: UnsafeMutableRawPointer,
                               kernels: KernelTable = .current) -> UnsafeRawPointer {
        guard let preparation = kernels.prepare(weights: type) else { return x }
        preparation.kernel(Int32(columns), x, out)
        return UnsafeRawPointer(out)
    }

    /// Computes `out[r - rows.lowerBound]` for every `r` in `rows` (all rows by default) from the
    /// activation `x`, preparing it first into a buffer of its own when the path wants that.
    public static func multiply(_ weights: WeightMatrix, _ x: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>,
                                rows: Range<Int>? = nil, pool: ThreadPool? = nil, kernels: KernelTable = .current) {
        let bytes = preparedBytes(weights: weights.type, columns: weights.columns, kernels: kernels)
        guard bytes > 0 else { return multiply(weights, prepared: x, into: out, rows: rows, pool: pool, kernels: kernels) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        let prepared = prepare(weights: weights.type, columns: weights.columns, x, into: buffer, kernels: kernels)
        multiply(weights, prepared: prepared, into: out, rows: rows, pool: pool, kernels: kernels)
    }

    /// `multiply` with `x` already prepared for `weights.type` (what `prepare` returned).
    public static func multiply(_ weights: WeightMatrix, prepared x: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>,
                                rows: Range<Int>? = nil, pool: ThreadPool? = nil, kernels: KernelTable = .current) {
        let rows = rows ?? 0..<weights.rows
        precondition(rows.lowerBound >= 0 && rows.upperBound <= weights.rows, "rows \(rows) outside 0..<\(weights.rows)")
        let view = WeightMatrix(type: weights.type, rows: rows.count, columns: weights.columns, data: weights.row(rows.lowerBound))
        withUnsafePointer(to: MatrixVectorProduct(view, prepared: x, into: out)) {
            multiply(UnsafeBufferPointer(start: $0, count: 1), pool: pool, kernels: kernels)
        }
    }

    /// Runs every product of `products` as one pool job: each product's rows are cut into chunks of
    /// about the same size across the whole group, so small matrices (a layer's k and v beside its
    /// q) share one dispatch and no thread waits at a boundary between them.
    public static func multiply(_ products: [MatrixVectorProduct], pool: ThreadPool? = nil, kernels: KernelTable = .current) {
        products.withUnsafeBufferPointer { multiply($0, pool: pool, kernels: kernels) }
    }

    /// `multiply(_:pool:kernels:)` over products the caller holds (on the stack, with
    /// `withUnsafeTemporaryAllocation`): the per-token path allocates nothing.
    public static func multiply(_ products: UnsafeBufferPointer<MatrixVectorProduct>, pool: ThreadPool? = nil,
                                kernels: KernelTable = .current) {
        let totalRows = products.reduce(0) { $0 + $1.weights.rows }
        guard totalRows > 0 else { return }
        // Chunks of at least 16 rows, several per thread, claimed by whichever thread is running.
        let tasks = pool?.taskCount(for: totalRows, minimumPerTask: 16) ?? 1
        let chunkRows = (totalRows + tasks - 1) / tasks
        withUnsafeTemporaryAllocation(of: Int.self, capacity: products.count + 1) { firstChunk in  // [products + 1]
            firstChunk[0] = 0
            for (i, product) in products.enumerated() {
                firstChunk[i + 1] = firstChunk[i] + (product.weights.rows + chunkRows - 1) / chunkRows
            }
            let body = { (task: Int) in
                var p = 0
                while firstChunk[p + 1] <= task { p += 1 }
                let product = products[p], w = product.weights
                let start = (task - firstChunk[p]) * chunkRows, end = min(start + chunkRows, w.rows)
                Self.multiplyRows(w, product.x, start..<end, into: product.out + start, kernels: kernels)
            }
            let chunks = firstChunk[products.count]
            if let pool { pool.run(tasks: chunks, body) } else { for task in 0..<chunks { body(task) } }
        }
    }

    /// One task's rows: the whole-share kernel where the path has one, else one dot per row.
    @inline(__always)
    private static func multiplyRows(_ w: WeightMatrix, _ x: UnsafeRawPointer, _ rows: Range<Int>, into out: UnsafeMutablePointer<Float>,
                                     kernels: KernelTable) {
        let entry = kernels[w.type]
        if let matrixVector = entry.matrixVector {
            matrixVector(Int32(w.columns), w.row(rows.lowerBound), w.rowBytes, Int32(rows.count), x, out)
            return
        }
        guard let dot = entry.dot else { preconditionFailure("no dot kernel for \(w.type) weights") }
        // Hot loop: one dot product per row of this task's chunk, the rows ahead asked for (as the
        // whole-share kernels do).
        for r in rows {
            let row = w.row(r)
            qk_prefetch_weights_ahead(row, w.rowBytes)
            out[r - rows.lowerBound] = dot(Int32(w.columns), row, x)
        }
    }

    /// Quantizes an activation vector to `type` (Q80 by default; Q8_K for K-quant weights) with the
    /// selected kernel.
    public static func quantizeActivations(_ x: [Float], to type: BlockType = .q80, kernels: KernelTable = .current) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: type.rowBytes(x.count))
        Quantization.quantize(x, to: type, into: &out, kernels: kernels)
        return out
    }
}
