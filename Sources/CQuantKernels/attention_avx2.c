// Attention over cached rows, AVX2 + FMA + F16C (contracts in attention_ref.c). Compiles for
// baseline x86-64; runs only after qk_cpu_features() reports the features.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx2_helpers.h"
#include <immintrin.h>
#include <math.h>

AVX2 static inline __m256 load_f16x8(const qk_half *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

AVX2 void qk_attention_scores_f32_avx2(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const float *k = (const float *)((const char *)rows + (size_t)t * stride);
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(k + i + 8), s1);
        }
        for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), s0);
        float dot = hsum_f32x8(_mm256_add_ps(s0, s1));
        for (; i < n; i++) dot += q[i] * k[i];
        out[t] = dot * scale;
    }
}

AVX2 void qk_attention_scores_f16_avx2(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const qk_half *k = (const qk_half *)((const char *)rows + (size_t)t * stride);
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_f16x8(k + i), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load_f16x8(k + i + 8), s1);
        }
        for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_f16x8(k + i), s0);
        float dot = hsum_f32x8(_mm256_add_ps(s0, s1));
        for (; i < n; i++) dot += q[i] * _cvtsh_ss(k[i]);
        out[t] = dot * scale;
    }
}

// Weighted sums: 32 outputs at a time stay in four registers while every row goes by.
AVX2 void qk_attention_values_f32_avx2(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 o0 = _mm256_setzero_ps(), o1 = _mm256_setzero_ps(), o2 = _mm256_setzero_ps(), o3 = _mm256_setzero_ps();
        for (int t = 0; t < count; t++) {
            const float *v = (const float *)((const char *)rows + (size_t)t * stride) + i;
            __m256 w = _mm256_set1_ps(a[t]);
            o0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v), o0);
            o1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 8), o1);
            o2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 16), o2);
            o3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 24), o3);
        }
        _mm256_storeu_ps(out + i, o0);
        _mm256_storeu_ps(out + i + 8, o1);
        _mm256_storeu_ps(out + i + 16, o2);
        _mm256_storeu_ps(out + i + 24, o3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 o = _mm256_setzero_ps();
        for (int t = 0; t < count; t++) {
            const float *v = (const float *)((const char *)rows + (size_t)t * stride) + i;
            o = _mm256_fmadd_ps(_mm256_set1_ps(a[t]), _mm256_loadu_ps(v), o);
        }
        _mm256_storeu_ps(out + i, o);
    }
    for (; i < n; i++) {
        float o = 0.0f;
        for (int t = 0; t < count; t++) o += a[t] * ((const float *)((const char *)rows + (size_t)t * stride))[i];
        out[i] = o;
    }
}

AVX2 void qk_attention_values_f16_avx2(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 o0 = _mm256_setzero_ps(), o1 = _mm256_setzero_ps(), o2 = _mm256_setzero_ps(), o3 = _mm256_setzero_ps();
        for (int t = 0; t < count; t++) {
            const qk_half *v = (const qk_half *)((const char *)rows + (size_t)t * stride) + i;
            __m256 w = _mm256_set1_ps(a[t]);
            o0 = _mm256_fmadd_ps(w, load_f16x8(v), o0);
            o1 = _mm256_fmadd_ps(w, load_f16x8(v + 8), o1);
            o2 = _mm256_fmadd_ps(w, load_f16x8(v + 16), o2);
            o3 = _mm256_fmadd_ps(w, load_f16x8(v + 24), o3);
        }
        _mm256_storeu_ps(out + i, o0);
        _mm256_storeu_ps(out + i + 8, o1);
        _mm256_storeu_ps(out + i + 16, o2);
        _mm256_storeu_ps(out + i + 24, o3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 o = _mm256_setzero_ps();
        for (int t = 0; t < count; t++) {
            const qk_half *v = (const qk_half *)((const char *)rows + (size_t)t * stride) + i;
            o = _mm256_fmadd_ps(_mm256_set1_ps(a[t]), load_f16x8(v), o);
        }
        _mm256_storeu_ps(out + i, o);
    }
    for (; i < n; i++) {
        float o = 0.0f;
        for (int t = 0; t < count; t++) o += a[t] * _cvtsh_ss(((const qk_half *)((const char *)rows + (size_t)t * stride))[i]);
        out[i] = o;
    }
}

// ---------------------------------------------------------------- grouped-query attention
// The query heads that share a KV head go through its cached rows together: each row is loaded and
// converted once for up to four heads (F16 conversion, not the multiply, bounded the per-head
// kernels above), and four heads' scores of a position come out of one horizontal reduction.

#define INLINE __attribute__((always_inline)) static inline

AVX2 INLINE __m256 load_row8(const void *row, int i, int half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const qk_half *)row + i))) : _mm256_loadu_ps((const float *)row + i);
}

AVX2 INLINE float row_value(const void *row, int i, int half) {
    return half ? _cvtsh_ss(((const qk_half *)row)[i]) : ((const float *)row)[i];
}

/// Rows ahead of the one in use whose cache lines group_scores asks for: the cache of a layer comes
/// from memory (the weights streamed since its last use evicted it), one row per ~15 cycles here.
#define PREFETCH_ROWS 16

/// s_h[t] = scale * q_h . key_t for `G` (1-4) heads; q: [G][n], scores: [G][score_stride]. Also
/// prefetches the rows of `keys` and `values` ahead, so that group_values finds its rows in cache.
AVX2 INLINE void group_scores(int n, int G, const float *q, const void *keys, const void *values, size_t stride, int count,
                              float scale, float *scores, size_t score_stride, int half) {
    const int row_bytes = n * (half ? 2 : 4);
    for (int t = 0; t < count && t < PREFETCH_ROWS; t++) {
        for (int b = 0; b < row_bytes; b += 64) {
            _mm_prefetch((const char *)keys + (size_t)t * stride + b, _MM_HINT_T0);
            _mm_prefetch((const char *)values + (size_t)t * stride + b, _MM_HINT_T0);
        }
    }
    for (int t = 0; t < count; t++) {
        const void *key = (const char *)keys + (size_t)t * stride;
        if (t + PREFETCH_ROWS < count) {
            const char *ahead = (const char *)key + PREFETCH_ROWS * stride;
            const char *value_ahead = (const char *)values + (size_t)(t + PREFETCH_ROWS) * stride;
            for (int b = 0; b < row_bytes; b += 64) {
                _mm_prefetch(ahead + b, _MM_HINT_T0);
                _mm_prefetch(value_ahead + b, _MM_HINT_T0);
            }
        }
        // Two accumulators per head (even and odd vectors of the row) halve the FMA chains.
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        // Hot loop: one converted key vector, G products.
        for (; i + 16 <= n; i += 16) {
            __m256 k = load_row8(key, i, half), l = load_row8(key, i + 8, half);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), k, a0);
            b0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), l, b0);
            if (G > 1) {
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + n + i), k, a1);
                b1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + n + i + 8), l, b1);
            }
            if (G > 2) {
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 2 * n + i), k, a2);
                b2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 2 * n + i + 8), l, b2);
            }
            if (G > 3) {
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 3 * n + i), k, a3);
                b3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 3 * n + i + 8), l, b3);
            }
        }
        if (i + 8 <= n) {
            __m256 k = load_row8(key, i, half);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), k, a0);
            if (G > 1) a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + n + i), k, a1);
            if (G > 2) a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 2 * n + i), k, a2);
            if (G > 3) a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + 3 * n + i), k, a3);
            i += 8;
        }
        a0 = _mm256_add_ps(a0, b0);
        if (G > 1) a1 = _mm256_add_ps(a1, b1);
        if (G > 2) a2 = _mm256_add_ps(a2, b2);
        if (G > 3) a3 = _mm256_add_ps(a3, b3);
        // [a0 a1 a2 a3] lane sums: two rounds of pairwise adds, then the two 128-bit halves.
        __m256 pairs = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
        __m128 dots = _mm_add_ps(_mm256_castps256_ps128(pairs), _mm256_extractf128_ps(pairs, 1));
        if (i < n) {  // a head size that is not a multiple of 8
            float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (int h = 0; h < G; h++) {
                for (int j = i; j < n; j++) tail[h] += q[h * n + j] * row_value(key, j, half);
            }
            dots = _mm_add_ps(dots, _mm_loadu_ps(tail));
        }
        dots = _mm_mul_ps(dots, _mm_set1_ps(scale));
        scores[t] = _mm_cvtss_f32(dots);
        if (G > 1) scores[score_stride + t] = _mm_cvtss_f32(_mm_shuffle_ps(dots, dots, 1));
        if (G > 2) scores[2 * score_stride + t] = _mm_cvtss_f32(_mm_shuffle_ps(dots, dots, 2));
        if (G > 3) scores[3 * score_stride + t] = _mm_cvtss_f32(_mm_shuffle_ps(dots, dots, 3));
    }
}

/// o_h[i] += sum_t w_h[t] value_t[i] over positions [first, end) for `G` (1-4) heads (o_h = 0
/// when `first` is 0); w: [G][w_stride], out: [G][n].
AVX2 INLINE void group_values_tile(int n, int G, const float *w, size_t w_stride, const void *values, size_t stride,
                                   int first, int end, float *out, int half) {
    const float *w0 = w, *w1 = w + w_stride, *w2 = w + 2 * w_stride, *w3 = w + 3 * w_stride;
    int i = 0;
    // 8 outputs of each head, two positions at a time into two sets of accumulators: an
    // accumulator takes one FMA per two positions, so the FMA's latency does not bound the loop.
    for (; i + 8 <= n; i += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        if (first > 0) {
            a0 = _mm256_loadu_ps(out + i);
            if (G > 1) a1 = _mm256_loadu_ps(out + n + i);
            if (G > 2) a2 = _mm256_loadu_ps(out + 2 * n + i);
            if (G > 3) a3 = _mm256_loadu_ps(out + 3 * n + i);
        }
        const char *row = (const char *)values + (size_t)first * stride;
        int t = first;
        for (; t + 2 <= end; t += 2, row += 2 * stride) {
            __m256 u = load_row8(row, i, half), v = load_row8(row + stride, i, half);
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w0 + t), u, a0);
            b0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w0 + t + 1), v, b0);
            if (G > 1) {
                a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w1 + t), u, a1);
                b1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w1 + t + 1), v, b1);
            }
            if (G > 2) {
                a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w2 + t), u, a2);
                b2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w2 + t + 1), v, b2);
            }
            if (G > 3) {
                a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w3 + t), u, a3);
                b3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w3 + t + 1), v, b3);
            }
        }
        if (t < end) {
            __m256 u = load_row8(row, i, half);
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w0 + t), u, a0);
            if (G > 1) a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w1 + t), u, a1);
            if (G > 2) a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w2 + t), u, a2);
            if (G > 3) a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w3 + t), u, a3);
        }
        _mm256_storeu_ps(out + i, _mm256_add_ps(a0, b0));
        if (G > 1) _mm256_storeu_ps(out + n + i, _mm256_add_ps(a1, b1));
        if (G > 2) _mm256_storeu_ps(out + 2 * n + i, _mm256_add_ps(a2, b2));
        if (G > 3) _mm256_storeu_ps(out + 3 * n + i, _mm256_add_ps(a3, b3));
    }
    for (; i < n; i++) {
        for (int h = 0; h < G; h++) {
            float o = first > 0 ? out[h * n + i] : 0.0f;
            for (int t = first; t < end; t++) o += w[h * w_stride + t] * row_value((const char *)values + (size_t)t * stride, i, half);
            out[h * n + i] = o;
        }
    }
}

#define AG_TARGET AVX2
#define AG_SUFFIX avx2
#include "attention_group_loop.h"
#endif
