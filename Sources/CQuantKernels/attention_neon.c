// Attention over cached rows, ARM64 NEON (contracts in attention_ref.c).
#if defined(__aarch64__)
#include "neon_helpers.h"
#include "exponentials_ref.h"
#include <math.h>

static inline float32x4_t load_f16x4(const qk_half *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

void qk_attention_scores_f32_neon(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const float *k = (const float *)((const char *)rows + (size_t)t * stride);
        float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            s0 = vfmaq_f32(s0, vld1q_f32(q + i), vld1q_f32(k + i));
            s1 = vfmaq_f32(s1, vld1q_f32(q + i + 4), vld1q_f32(k + i + 4));
        }
        for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(q + i), vld1q_f32(k + i));
        float dot = vaddvq_f32(vaddq_f32(s0, s1));
        for (; i < n; i++) dot += q[i] * k[i];
        out[t] = dot * scale;
    }
}

void qk_attention_scores_f16_neon(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const qk_half *k = (const qk_half *)((const char *)rows + (size_t)t * stride);
        float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(k + i));
            s0 = vfmaq_f32(s0, vld1q_f32(q + i), vcvt_f32_f16(vget_low_f16(h)));
            s1 = vfmaq_f32(s1, vld1q_f32(q + i + 4), vcvt_high_f32_f16(h));
        }
        for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(q + i), load_f16x4(k + i));
        float dot = vaddvq_f32(vaddq_f32(s0, s1));
        for (; i < n; i++) dot += q[i] * h2f(k[i]);
        out[t] = dot * scale;
    }
}

// Weighted sums: 16 outputs at a time stay in four registers while every row goes by.
void qk_attention_values_f32_neon(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        float32x4_t o0 = vdupq_n_f32(0), o1 = vdupq_n_f32(0), o2 = vdupq_n_f32(0), o3 = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) {
            const float *v = (const float *)((const char *)rows + (size_t)t * stride) + i;
            o0 = vfmaq_n_f32(o0, vld1q_f32(v), a[t]);
            o1 = vfmaq_n_f32(o1, vld1q_f32(v + 4), a[t]);
            o2 = vfmaq_n_f32(o2, vld1q_f32(v + 8), a[t]);
            o3 = vfmaq_n_f32(o3, vld1q_f32(v + 12), a[t]);
        }
        vst1q_f32(out + i, o0);
        vst1q_f32(out + i + 4, o1);
        vst1q_f32(out + i + 8, o2);
        vst1q_f32(out + i + 12, o3);
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t o = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) o = vfmaq_n_f32(o, vld1q_f32((const float *)((const char *)rows + (size_t)t * stride) + i), a[t]);
        vst1q_f32(out + i, o);
    }
    for (; i < n; i++) {
        float o = 0.0f;
        for (int t = 0; t < count; t++) o += a[t] * ((const float *)((const char *)rows + (size_t)t * stride))[i];
        out[i] = o;
    }
}

void qk_attention_values_f16_neon(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        float32x4_t o0 = vdupq_n_f32(0), o1 = vdupq_n_f32(0), o2 = vdupq_n_f32(0), o3 = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) {
            const qk_half *v = (const qk_half *)((const char *)rows + (size_t)t * stride) + i;
            float16x8_t h0 = vreinterpretq_f16_u16(vld1q_u16(v)), h1 = vreinterpretq_f16_u16(vld1q_u16(v + 8));
            o0 = vfmaq_n_f32(o0, vcvt_f32_f16(vget_low_f16(h0)), a[t]);
            o1 = vfmaq_n_f32(o1, vcvt_high_f32_f16(h0), a[t]);
            o2 = vfmaq_n_f32(o2, vcvt_f32_f16(vget_low_f16(h1)), a[t]);
            o3 = vfmaq_n_f32(o3, vcvt_high_f32_f16(h1), a[t]);
        }
        vst1q_f32(out + i, o0);
        vst1q_f32(out + i + 4, o1);
        vst1q_f32(out + i + 8, o2);
        vst1q_f32(out + i + 12, o3);
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t o = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) o = vfmaq_n_f32(o, load_f16x4((const qk_half *)((const char *)rows + (size_t)t * stride) + i), a[t]);
        vst1q_f32(out + i, o);
    }
    for (; i < n; i++) {
        float o = 0.0f;
        for (int t = 0; t < count; t++) o += a[t] * h2f(((const qk_half *)((const char *)rows + (size_t)t * stride))[i]);
        out[i] = o;
    }
}

// ---------------------------------------------------------------- grouped-query attention
// The query heads that share a KV head go through its cached rows together: each row is loaded and
// converted once for up to four heads (as attention_avx2.c's grouped kernels).

#define INLINE __attribute__((always_inline)) static inline

INLINE float32x4_t load_row4(const void *row, int i, int half) {
    return half ? load_f16x4((const qk_half *)row + i) : vld1q_f32((const float *)row + i);
}

INLINE float row_value(const void *row, int i, int half) {
    return half ? h2f(((const qk_half *)row)[i]) : ((const float *)row)[i];
}

/// Rows ahead of the one in use whose cache lines group_scores asks for: a layer's cache comes from
/// memory (the weights streamed since its last use evicted it).
#define PREFETCH_ROWS 16

/// s_h[t] = scale * q_h . key_t for `G` (1-4) heads; q: [G][n], scores: [G][score_stride]. Also
/// prefetches the rows of `keys` and `values` ahead, so that group_values finds its rows in cache.
INLINE void group_scores(int n, int G, const float *q, const void *keys, const void *values, size_t stride, int count,
                         float scale, float *scores, size_t score_stride, int half) {
    const int row_bytes = n * (half ? 2 : 4);
    for (int t = 0; t < count && t < PREFETCH_ROWS; t++) {
        for (int b = 0; b < row_bytes; b += 64) {
            __builtin_prefetch((const char *)keys + (size_t)t * stride + b);
            __builtin_prefetch((const char *)values + (size_t)t * stride + b);
        }
    }
    for (int t = 0; t < count; t++) {
        const void *key = (const char *)keys + (size_t)t * stride;
        if (t + PREFETCH_ROWS < count) {
            for (int b = 0; b < row_bytes; b += 64) {
                __builtin_prefetch((const char *)key + PREFETCH_ROWS * stride + b);
                __builtin_prefetch((const char *)values + (size_t)(t + PREFETCH_ROWS) * stride + b);
            }
        }
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        // Hot loop: one converted key vector, G products.
        for (; i + 4 <= n; i += 4) {
            float32x4_t k = load_row4(key, i, half);
            a0 = vfmaq_f32(a0, vld1q_f32(q + i), k);
            if (G > 1) a1 = vfmaq_f32(a1, vld1q_f32(q + n + i), k);
            if (G > 2) a2 = vfmaq_f32(a2, vld1q_f32(q + 2 * n + i), k);
            if (G > 3) a3 = vfmaq_f32(a3, vld1q_f32(q + 3 * n + i), k);
        }
        float dots[4] = {vaddvq_f32(a0), vaddvq_f32(a1), vaddvq_f32(a2), vaddvq_f32(a3)};
        for (int h = 0; h < G; h++) {
            for (int j = i; j < n; j++) dots[h] += q[h * n + j] * row_value(key, j, half);
            scores[h * score_stride + t] = dots[h] * scale;
        }
    }
}

/// The softmax without its division (`exponentials_ref.h`: NEON has no vector e^x here).
INLINE void exponentials(int count, float *s, float *stats) { exponentials_ref(count, s, stats); }

/// o_h[i] += sum_t w_h[t] value_t[i] over positions [first, end) for `G` (1-4) heads (o_h = 0
/// when `first` is 0); w: [G][w_stride], out: [G][n].
INLINE void group_values_tile(int n, int G, const float *w, size_t w_stride, const void *values, size_t stride,
                              int first, int end, float *out, int half) {
    int i = 0;
    // 8 outputs of each head stay in registers while the tile's rows go by.
    for (; i + 8 <= n; i += 8) {
        float32x4_t a[4][2];
        for (int h = 0; h < 4; h++) {
            a[h][0] = h < G && first > 0 ? vld1q_f32(out + h * n + i) : vdupq_n_f32(0);
            a[h][1] = h < G && first > 0 ? vld1q_f32(out + h * n + i + 4) : vdupq_n_f32(0);
        }
        for (int t = first; t < end; t++) {
            const void *row = (const char *)values + (size_t)t * stride;
            float32x4_t u = load_row4(row, i, half), v = load_row4(row, i + 4, half);
            for (int h = 0; h < G; h++) {
                a[h][0] = vfmaq_n_f32(a[h][0], u, w[h * w_stride + t]);
                a[h][1] = vfmaq_n_f32(a[h][1], v, w[h * w_stride + t]);
            }
        }
        for (int h = 0; h < G; h++) {
            vst1q_f32(out + h * n + i, a[h][0]);
            vst1q_f32(out + h * n + i + 4, a[h][1]);
        }
    }
    for (; i < n; i++) {
        for (int h = 0; h < G; h++) {
            float o = first > 0 ? out[h * n + i] : 0.0f;
            for (int t = first; t < end; t++) o += w[h * w_stride + t] * row_value((const char *)values + (size_t)t * stride, i, half);
            out[h * n + i] = o;
        }
    }
}

#define AG_TARGET
#define AG_SUFFIX neon
#include "attention_group_loop.h"
#endif
