// Attention over cached rows, reference (plain C, any CPU): the scores of one query against a run
// of key rows, and the weighted sum of a run of value rows. Rows are F16 or F32, `stride` bytes
// apart (one KV head's slice of consecutive positions). Sums run in the order the engine's Swift
// loops did before these kernels, so the F32 reference gives the same bits as they did.
#pragma STDC FP_CONTRACT OFF
#include "CQuantKernels.h"
#include "exponentials_ref.h"

void qk_attention_scores_f32_ref(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const float *k = (const float *)((const char *)rows + (size_t)t * stride);
        float dot = 0.0f;
        for (int i = 0; i < n; i++) dot += q[i] * k[i];
        out[t] = dot * scale;
    }
}

void qk_attention_scores_f16_ref(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const qk_half *k = (const qk_half *)((const char *)rows + (size_t)t * stride);
        float dot = 0.0f;
        for (int i = 0; i < n; i++) dot += q[i] * qk_half_to_float(k[i]);
        out[t] = dot * scale;
    }
}

void qk_attention_values_f32_ref(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    for (int i = 0; i < n; i++) out[i] = 0.0f;
    for (int t = 0; t < count; t++) {
        const float *v = (const float *)((const char *)rows + (size_t)t * stride);
        for (int i = 0; i < n; i++) out[i] += a[t] * v[i];
    }
}

void qk_attention_values_f16_ref(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    for (int i = 0; i < n; i++) out[i] = 0.0f;
    for (int t = 0; t < count; t++) {
        const qk_half *v = (const qk_half *)((const char *)rows + (size_t)t * stride);
        for (int i = 0; i < n; i++) out[i] += a[t] * qk_half_to_float(v[i]);
    }
}

typedef void (*scores_ref)(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
typedef void (*values_ref)(int n, const float *a, const void *rows, size_t stride, int count, float *out);

/// The grouped kernels' contract (CQuantKernels.h), head by head: the single-head references
/// above, with the softmax's division left out.
static void attention_group_ref(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                int count, float scale, float *scores, size_t score_stride, float *out, float *stats,
                                scores_ref head_scores, values_ref head_values) {
    for (int h = 0; h < heads; h++) {
        float *s = scores + (size_t)h * score_stride;
        head_scores(n, q + (size_t)h * n, keys, stride, count, scale, s);
        exponentials_ref(count, s, stats + 2 * h);
        head_values(n, s, values, stride, count, out + (size_t)h * n);
    }
}

void qk_attention_group_f32_ref(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                int count, float scale, float *scores, size_t score_stride, float *out, float *stats) {
    attention_group_ref(n, heads, q, keys, values, stride, count, scale, scores, score_stride, out, stats,
                        qk_attention_scores_f32_ref, qk_attention_values_f32_ref);
}

void qk_attention_group_f16_ref(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                int count, float scale, float *scores, size_t score_stride, float *out, float *stats) {
    attention_group_ref(n, heads, q, keys, values, stride, count, scale, scores, score_stride, out, stats,
                        qk_attention_scores_f16_ref, qk_attention_values_f16_ref);
}
