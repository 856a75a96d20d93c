// Attention over cached rows, AVX2 + FMA + F16C (contracts in attention_ref.c). Compiles for
// baseline x86-64; runs only after qk_cpu_features() reports the features.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx2_helpers.h"
#include <immintrin.h>

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
#endif
