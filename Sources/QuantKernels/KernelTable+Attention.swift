import CQuantKernels

/// Scores of one query head against `count` cached rows `stride` bytes apart:
/// `out[t] = scale * sum_i q[i] row_t[i]`.
public typealias AttentionScoresKernel = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeRawPointer?, Int, Int32, Float,
                                                         UnsafeMutablePointer<Float>?) -> Void
/// The weighted sum of `count` cached rows `stride` bytes apart: `out[i] = sum_t a[t] row_t[i]`.
public typealias AttentionValuesKernel = @convention(c) (Int32, UnsafePointer<Float>?, UnsafeRawPointer?, Int, Int32,
                                                         UnsafeMutablePointer<Float>?) -> Void

extension KernelTable {
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
