import CBLAS

/// Prompt prefill's attention as two matrix products per group of query rows: consecutive
/// positions (one or several query heads each, sharing a KV head) attend causally over F32 key and
/// value rows, scores = Q K^T through `cblas_sgemm`, a softmax per row over the positions it may
/// see, then out = P V. A token at a time, each cached row is converted and read once per position
/// and the products run at a quarter of the FMA peak; here each row is converted once per batch and
/// the products run at OpenBLAS's speed.
///
/// ```swift
/// // 16 positions from `first`, 3 query heads each (q: [16 x 3][64]), over keys / values [first + 16][64]
/// CausalAttention.attend(headDim: 64, queries: q, queryStride: 64, count: 48, headsPerPosition: 3, start: first,
///                        keys: k, values: v, out: o, outStride: 64, kernels: .current)
/// ```
public enum CausalAttention {
    /// Query row `i` of `count` (`headDim` values at `queries + i * queryStride`) belongs to position
    /// `start + i / headsPerPosition` (several query heads of one KV head may go together):
    /// `out + i * outStride` = softmax(q_i . key_t / sqrt(headDim), t = 0...its position) weighting
    /// value_t. `keys` and `values` are F32 rows `[last position + 1][headDim]`.
    public static func attend(headDim: Int, queries: UnsafePointer<Float>, queryStride: Int, count: Int, headsPerPosition: Int = 1,
                              start: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, outStride: Int, kernels: KernelTable) {
        guard count > 0 else { return }
        _ = BLASSettings.singleThreaded
        let seen = start + (count - 1) / headsPerPosition + 1  // columns the last row sees
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: count * seen)  // [count][seen]
        defer { scores.deallocate() }
        let scale = 1 / Float(headDim).squareRoot()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(count), blasint(seen), blasint(headDim),
                    scale, queries, blasint(queryStride), keys, blasint(headDim), 0, scores, blasint(seen))
        for i in 0..<count {
            let row = scores + i * seen, visible = start + i / headsPerPosition + 1
            kernels.softmax(Int32(visible), row)
            (row + visible).update(repeating: 0, count: seen - visible)
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(count), blasint(headDim), blasint(seen),
                    1, scores, blasint(seen), values, blasint(headDim), 0, out, blasint(outStride))
    }
}
