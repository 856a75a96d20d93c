// Attention over cached rows, reference (plain C, any CPU): the scores of one query against a run
// of key rows, and the weighted sum of a run of value rows. Rows are F16 or F32, `stride` bytes
// apart (one KV head's slice of consecutive positions). Sums run in the order the engine's Swift
// loops did before these kernels, so the F32 reference gives the same bits as they did.
#pragma STDC FP_CONTRACT OFF
#include "CQuantKernels.h"

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
