import CBLAS

/// Prompt prefill's attention as two matrix products per query head: a batch of consecutive
/// positions attends causally over F32 key and value rows, scores = Q K^T through `cblas_sgemm`,
/// a softmax per row over the positions it may see, then out = P V. A token at a time, each cached
/// row is converted and read once per position and the products run at a quarter of the FMA peak;
/// here each row is converted once per batch and the products run at OpenBLAS's speed.
///
/// ```swift
/// // query head 4 (of KV head 1) for batch rows 0..<16 at positions first..., keys / values [first + 16][64]
/// CausalAttention.attend(headDim: 64, queries: q + 4 * 64, queryStride: 9 * 64, rows: 0..<16, first: first,
///                        keys: k, values: v, out: o + 4 * 64, outStride: 9 * 64, kernels: .current)
/// ```
public enum CausalAttention {
    /// For each batch row `b` in `rows` (position `first + b`), with `q_b = queries + b * queryStride`
    /// (`headDim` values): `out + b * outStride` = softmax(q_b . key_t / sqrt(headDim), t = 0...first+b)
    /// weighting value_t. `keys` and `values` are F32 rows `[first + rows.upperBound][headDim]`.
    public static func attend(headDim: Int, queries: UnsafePointer<Float>, queryStride: Int, rows: Range<Int>, first: Int,
                              keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, outStride: Int, kernels: KernelTable) {
        guard !rows.isEmpty else { return }
        _ = BLASSettings.singleThreaded
        let seen = first + rows.upperBound  // columns the last row sees
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * seen)  // [rows][seen]
        defer { scores.deallocate() }
        let scale = 1 / Float(headDim).squareRoot()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows.count), blasint(seen), blasint(headDim),
                    scale, queries + rows.lowerBound * queryStride, blasint(queryStride), keys, blasint(headDim),
                    0, scores, blasint(seen))
        for (i, b) in rows.enumerated() {
            let row = scores + i * seen, visible = first + b + 1
            kernels.softmax(Int32(visible), row)
            (row + visible).update(repeating: 0, count: seen - visible)
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(rows.count), blasint(headDim), blasint(seen),
                    1, scores, blasint(seen), values, blasint(headDim), 0, out + rows.lowerBound * outStride, blasint(outStride))
    }
}
