import CBLAS

/// Matrix-matrix products for a batch of tokens (prompt prefill): `out[b][r] = dot(W[r], x[b])`.
///
/// Weights are dequantized to F32 one tile of rows at a time and multiplied with OpenBLAS
/// `cblas_sgemm`; F32 weights go to OpenBLAS directly. The pool's participants take disjoint row
/// ranges and each calls OpenBLAS single-threaded, so no two thread pools compete for the cores
/// (`BLASSettings.setThreadCount(1)` is applied on first use).
///
/// ```swift
/// // x: [batch][columns] F32, out: [batch][rows] F32
/// if batch >= BatchedProduct.minimumBatch {
///     BatchedProduct.multiply(w, x, batch: batch, into: out, pool: pool)
/// }
/// ```
public enum BatchedProduct {
    /// Batches at or above this size are faster through OpenBLAS than one matrix-vector product
    /// per token (measured in QuantKernelsBenchmarks, see docs/performance.md).
    public static let minimumBatch = 16

    /// Rows dequantized per sgemm call: a tile of `tileRows x columns` floats stays in L2.
    public static let tileRows = 64

    private static let singleThreadedBLAS: Void = BLASSettings.setThreadCount(1)

    public static func multiply(_ weights: WeightMatrix, _ x: UnsafePointer<Float>, batch: Int,
                                into out: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil,
                                kernels: KernelTable = .current) {
        _ = singleThreadedBLAS
        let columns = weights.columns, rows = weights.rows
        let body = { (worker: Int, workers: Int) in
            let share = ThreadPool.share(of: 0..<rows, worker: worker, workers: workers)
            guard !share.isEmpty else { return }
            if weights.type == .f32 {
                let w = weights.row(share.lowerBound).assumingMemoryBound(to: Float.self)
                sgemm(x, batch: batch, w, tileRows: share.count, columns: columns, out + share.lowerBound, ldc: rows)
                return
            }
            let dequantize = kernels.dequantize(weights.type)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * columns)  // [tileRows][columns]
            defer { tile.deallocate() }
            for start in stride(from: share.lowerBound, to: share.upperBound, by: tileRows) {
                let count = min(tileRows, share.upperBound - start)
                for r in 0..<count {
                    dequantize(Int32(columns), weights.row(start + r), tile + r * columns)
                }
                sgemm(x, batch: batch, tile, tileRows: count, columns: columns, out + start, ldc: rows)
            }
        }
        if let pool { pool.run(body) } else { body(0, 1) }
    }

    /// out[b][0..<tileRows] = x[b] . w[0..<tileRows], i.e. C = X * W^T.
    private static func sgemm(_ x: UnsafePointer<Float>, batch: Int, _ w: UnsafePointer<Float>, tileRows: Int,
                              columns: Int, _ out: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(batch), blasint(tileRows), blasint(columns),
                    1.0, x, blasint(columns), w, blasint(columns), 0.0, out, blasint(ldc))
    }
}
