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
    /// - K-quant weights (batched `qk_matmat_q{4,5,6}k_q8k_*` kernels on AVX2 and AVX-512): never, up to
    ///   the runner's `batchLimit` (64 by default). `Benchmarks/CKernelHarness/kquant_prefill.c`, shared
    ///   machine: 4096 x 4096 Q4_K at batch 16 / 64 / 128, OpenBLAS 545 / 1 740 / 2 150 tokens/s (it pays
    ///   for the scalar K-quant dequantizer), batched AVX2 2 120 / 3 380 / 3 380, AVX-512 2 760 / 3 575 /
    ///   3 575; Q5_K and Q6_K alike. On Qwen2.5-0.5B's ffn_down (896 x 4864) OpenBLAS comes closer at
    ///   batch 64 (Q4_K 7 800 against 8 700 on AVX2 and 10 200 on AVX-512): past 64, AVX2 may lose.
    /// - Q5_0 / Q5_1 / Q8_0 weights (batched `qk_matmat_prepared_q5{0,1}_*`, `qk_matmat_prepared_q80_avx512`,
    ///   `qk_matmat_q80_q80_avx2`): `Benchmarks/CKernelHarness/q5_q80_prefill.c`, thread CPU time on the
    ///   shared machine (slower than the quiet figures above: compare within one line), tokens/s at
    ///   batch 16 / 64 on 4864 x 896 (Qwen2.5-0.5B's ffn_up), 896 x 4864 (ffn_down) and 4096 x 4096:
    ///   - AVX-512, batched against OpenBLAS: Q5_0 10 800 / 10 700 against 4 400 / 7 100, 9 800 / 10 400
    ///     against 3 200 / 6 900, 2 570 / 2 500 against 610 / 1 400; Q5_1 alike; Q8_0 10 300 / 12 200
    ///     against 6 900 / 8 300, 9 500 / 11 900 against 4 600 / 8 500, 1 300 / 1 880 against 780 / 1 680: never;
    ///   - AVX2 Q5_0 / Q5_1: batched Q5_0 7 300 / 7 300, 6 400 / 7 000, 1 520 / 1 770 (per token 4 000-4 500
    ///     and 900-1 150 on 4096), level with OpenBLAS at 64 (Q5_1 6 600 against 7 000 on ffn_up,
    ///     1 280 against 1 270 on 4096): 64, as Q40;
    ///   - AVX2 Q8_0 (no whole-share kernel: per token one dot per row, 2 000-2 500 and 500 on 4096):
    ///     batched 5 600 / 6 100, 4 900 / 7 000, 1 060 / 1 370 against OpenBLAS 6 800 / 8 300, 4 800 / 8 500,
    ///     720 / 1 680; at 32 OpenBLAS wins the two Qwen shapes (7 350 / 6 470 against 7 020 / 4 970): 16.
    public static func minimumBatch(weights: BlockType, kernels: KernelTable = .current) -> Int? {
        if weights == .f32 || weights == .f16 { return 4 }
        switch kernels.path {
        case .avx512 where kernels.matrixVector(weights: weights) != nil: return nil
        case .avx2 where weights.activationType == .q8K && kernels.matrixMatrix(weights: weights) != nil: return nil
        case .avx2 where kernels.matrixVector(weights: weights) != nil: return 64
        case .avx2 where weights == .q80 && kernels.matrixMatrix(weights: weights) != nil: return 16  // measured, above
        // NEON has batched kernels (qk_matmat_*_neon) and whole-share ones; the crossover is unmeasured
        // (no ARM hardware here), so 16 as before.
        case .avx2, .avx512, .neon: return 16
        case .scalar: return 4
        }
    }

    /// Rows dequantized per sgemm call: a tile of `tileRows x columns` floats stays in L2.
    public static let tileRows = 64

    /// `out[b * rows + r] = dot(W[r], x[b])` through OpenBLAS; `x` holds `batch` rows of
    /// `weights.columns` floats.
    public static func multiply(_ weights: WeightMatrix, _ x: UnsafePointer<Float>, batch: Int,
                                into out: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil,
                                kernels: KernelTable = .current) {
        _ = BLASSettings.singleThreaded
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
