import CQuantKernels
import Foundation

/// Scores of one query head against `count` cached rows `stride` bytes apart:
/// `out[t] = scale * sum_i q[i] row_t[i]`.
public typealias AttentionScoresKernel = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeRawPointer?, Int, Int32, Float,
                                                         UnsafeMutablePointer<Float>?) -> Void
/// The weighted sum of `count` cached rows `stride` bytes apart: `out[i] = sum_t a[t] row_t[i]`.
public typealias AttentionValuesKernel = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeRawPointer?, Int, Int32,
                                                         UnsafeMutablePointer<Float>?) -> Void

/// Grouped-query attention of `heads` query heads sharing one KV head over a run of cached
/// positions (the contract in CQuantKernels.h): arguments `n, heads, q [heads][n], keys, values,
/// stride, count, scale, scores [heads][scoreStride], scoreStride, out [heads][n], stats [heads][2]`.
/// Leaves e^(s - m) in the scores, the undivided weighted sums in `out` and `(m, sum)` per head
/// in `stats`, so runs of one head merge exactly (`mergeAttentionRuns`).
public typealias AttentionGroupKernel = @convention(c) (Int32, Int32, UnsafePointer<Float>?, UnsafeRawPointer?, UnsafeRawPointer?, Int,
                                                        Int32, Float, UnsafeMutablePointer<Float>?, Int,
                                                        UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void

extension KernelTable {
    /// The grouped-query attention kernel over cached rows of `type` (F16 or F32) on this table's
    /// path: each cached row is read once for all the query heads of its KV head.
    ///
    /// ```swift
    /// // heads 3k..<3k+3 (q: [9][64]) over positions 0...position of KV head k, one run
    /// kernels.attentionGroup(.f16)!(64, 3, q + 3 * k * 64, keys + k * 64 * 2, values + k * 64 * 2, rowBytes,
    ///                               Int32(position + 1), 0.125, scores + 3 * k * seq, seq, out + 3 * k * 64, stats + 6 * k)
    /// ```
    public func attentionGroup(_ type: BlockType) -> AttentionGroupKernel? {
        switch (path, type) {
        #if arch(x86_64)
        case (.avx2, .f16), (.avx512, .f16): qk_attention_group_f16_avx2
        case (.avx2, .f32), (.avx512, .f32): qk_attention_group_f32_avx2
        #endif
        #if arch(arm64)
        case (.neon, .f16): qk_attention_group_f16_neon
        case (.neon, .f32): qk_attention_group_f32_neon
        #endif
        case (_, .f16): qk_attention_group_f16_ref
        case (_, .f32): qk_attention_group_f32_ref
        default: nil
        }
    }

    /// Merges `runs` results of the grouped kernel for `heads` heads of `n` values into their
    /// attention: `out[h][i] = sum_r e^(m_r - M) o_r[h][i] / sum_r e^(m_r - M) l_r`, M the largest
    /// m_r. `parts` holds the runs' `out`s one after another ([runs][heads][n]), `stats` their
    /// `stats` ([runs][heads][2]).
    public static func mergeAttentionRuns(n: Int, heads: Int, runs: Int, parts: UnsafePointer<Float>, stats: UnsafePointer<Float>,
                                          into out: UnsafeMutablePointer<Float>) {
        for h in 0..<heads {
            var top = -Float.infinity
            for r in 0..<runs { top = max(top, stats[(r * heads + h) * 2]) }
            var total: Float = 0
            for r in 0..<runs { total += exp(stats[(r * heads + h) * 2] - top) * stats[(r * heads + h) * 2 + 1] }
            let o = out + h * n
            for r in 0..<runs {
                let weight = exp(stats[(r * heads + h) * 2] - top) / total
                let part = parts + (r * heads + h) * n
                if r == 0 {
                    for i in 0..<n { o[i] = weight * part[i] }
                } else {
                    for i in 0..<n { o[i] += weight * part[i] }
                }
            }
        }
    }

    /// The attention-scores kernel over cached rows of `type` (F16 or F32) on this table's path.
    ///
    /// ```swift
    /// // scores[t] = q . key_t / sqrt(headDim) for the positions 0...position of one KV head
    /// kernels.attentionScores(.f16)!(headDim, q, keys + headOffset, rowBytes, position + 1, scale, scores)
    /// ```
    public func attentionScores(_ type: BlockType) -> AttentionScoresKernel? {
        switch (path, type) {
        #if arch(x86_64)
        case (.avx2, .f16), (.avx512, .f16): qk_attention_scores_f16_avx2
        case (.avx2, .f32), (.avx512, .f32): qk_attention_scores_f32_avx2
        #endif
        #if arch(arm64)
        case (.neon, .f16): qk_attention_scores_f16_neon
        case (.neon, .f32): qk_attention_scores_f32_neon
        #endif
        case (_, .f16): qk_attention_scores_f16_ref
        case (_, .f32): qk_attention_scores_f32_ref
        default: nil
        }
    }

    /// The weighted-sum kernel over cached rows of `type` (F16 or F32) on this table's path.
    public func attentionValues(_ type: BlockType) -> AttentionValuesKernel? {
        switch (path, type) {
        #if arch(x86_64)
        case (.avx2, .f16), (.avx512, .f16): qk_attention_values_f16_avx2
        case (.avx2, .f32), (.avx512, .f32): qk_attention_values_f32_avx2
        #endif
        #if arch(arm64)
        case (.neon, .f16): qk_attention_values_f16_neon
        case (.neon, .f32): qk_attention_values_f32_neon
        #endif
        case (_, .f16): qk_attention_values_f16_ref
        case (_, .f32): qk_attention_values_f32_ref
        default: nil
        }
    }
}
