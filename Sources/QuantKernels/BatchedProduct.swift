import CBLAS

/// Matrix-matrix products for a batch of tokens (prompt prefill): `out[b][r] = dot(W[r], x[b])`.
///
/// Weights are dequantized to F32 one tile of rows at a time and multiplied with OpenBLAS
/// `cblas_sgemm`; F32 weights go to OpenBLAS directly. The pool's participants take disjoint row
/// ranges and each calls OpenBLAS single-threaded, so no two thread pools compete for the cores
/// (`BLASSettings.setThreadCount(1)` is applied on first use).
///
/// Use `MatrixProduct.multiply` to have the faster of this and per-token matrix-vector products
/// picked by batch size.
///
/// ```swift
/// // x: [batch][columns] F32, out: [batch][rows] F32
/// BatchedProduct.multiply(w, x, batch: batch, into: out, pool: pool)
/// ```
public enum BatchedProduct {
    /// The smallest batch for which OpenBLAS beat the integer kernels, or nil when the integer
    /// kernels were faster at every batch measured (2 to 128). Measured on a 4096 x 4096 matrix, 1
    /// thread, with `QuantKernelsBenchmarks` and `Benchmarks/CKernelHarness` (docs/performance.md,
    /// "Prefill"); OpenBLAS ran at 2 400 / 3 000 / 3 300 tokens/s at batch 32 / 64 / 128:
    /// - AVX-512 VNNI: per-token whole-share kernels about 4 200 tokens/s, the batched Q40 / Q41
    ///   kernels (`qk_matmat_*`) 5 500-6 200: never;
    /// - AVX2 Q40 / Q41: per-token 2 250 (Q40) / 2 000 (Q41), batched 2 850 / 2 430 at batch 64:
    ///   OpenBLAS from 64;
    /// - the scalar path: even at batch 2, ahead from 4 (717 vs 316 tokens/s);
    /// - F32 weights: per-token products were faster at batch 2 (573 vs 408 tokens/s, OpenBLAS packs
    ///   the whole matrix), OpenBLAS ahead from batch 4 (758 vs 691) and 2.4x ahead at 8;
    /// - Q80 weights on AVX2 (one dot per row, half the whole-share Q40 kernel's speed): not
    ///   measured, taken as 16;
    /// - K-quant weights (batched `qk_matmat_q{4,5,6}k_q8k_*` kernels on AVX2 and AVX-512): never, up to
    ///   the runner's `batchLimit` (64 by default). `Benchmarks/CKernelHarness/kquant_prefill.c`, shared
    ///   machine: 4096 x 4096 Q4_K at batch 16 / 64 / 128, OpenBLAS 545 / 1 740 / 2 150 tokens/s (it pays
    ///   for the scalar K-quant dequantizer), batched AVX2 2 120 / 3 380 / 3 380, AVX-512 2 760 / 3 575 /
    ///   3 575; Q5_K and Q6_K alike. On Qwen2.5-0.5B's ffn_down (896 x 4864) OpenBLAS comes closer at
    ///   batch 64 (Q4_K 7 800 against 8 700 on AVX2 and 10 200 on AVX-512): past 64, AVX2 may lose.
    /// - Q5_0 / Q5_1 weights (whole-share kernels on AVX2 and AVX-512, batched kernels on AVX-512):
    ///   not measured, taken as Q40's (never on AVX-512, 64 on AVX2).
    public static func minimumBatch(weights: BlockType, kernels: KernelTable = .current) -> Int? {
        if weights == .f32 || weights == .f16 { return 4 }
        switch kernels.path {
        case .avx512 where kernels.matrixVector(weights: weights) != nil: return nil
        case .avx2 where weights.activationType == .q8K && kernels.matrixMatrix(weights: weights) != nil: return nil
        case .avx2 where kernels.matrixVector(weights: weights) != nil: return 64
        // NEON has batched kernels (qk_matmat_*_neon) and whole-share ones; the crossover is unmeasured
        // (no ARM hardware here), so 16 as before.
        case .avx2, .avx512, .neon: return 16
        case .scalar: return 4
        }
    }

    /// Rows dequantized per sgemm call: a tile of `tileRows x columns` floats stays in L2.
    public static let tileRows = 64

    private static let singleThreadedBLAS: Void = BLASSettings.setThreadCount(1)

    /// `out[b * rows + r] = dot(W[r], x[b])` through OpenBLAS; `x` holds `batch` rows of
    /// `weights.columns` floats.
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
