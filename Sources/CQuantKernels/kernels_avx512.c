// x86-64 AVX-512 kernels (F, BW, VL, VNNI): the integer dot of a block is one VPDPBUSD instead of
// AVX2's multiply-add pair, and float loops use 16-lane registers.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include <immintrin.h>

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

AVX512 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX512 static inline __m256i nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

/// 8 int32 partial sums of x*y over 32 signed bytes, with VNNI.
AVX512 static inline __m256i dot_i8x32_vnni(__m256i x, __m256i y) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
}

AVX512 float qk_dot_q40_q80_avx512(int n, const void *x, const void *y) {
    const qk_block_q40 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    const __m256i eight = _mm256_set1_epi8(8);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int b = 0;
    // Hot loop: two blocks per iteration into independent accumulators.
    for (; b + 1 < nb; b += 2) {
        __m256i p0 = dot_i8x32_vnni(_mm256_sub_epi8(nibbles(wx[b].qs), eight), _mm256_loadu_si256((const __m256i *)ay[b].qs));
        __m256i p1 = dot_i8x32_vnni(_mm256_sub_epi8(nibbles(wx[b + 1].qs), eight), _mm256_loadu_si256((const __m256i *)ay[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(_cvtsh_ss(wx[b + 1].d) * _cvtsh_ss(ay[b + 1].d)), acc1);
    }
    for (; b < nb; b++) {
        __m256i p = dot_i8x32_vnni(_mm256_sub_epi8(nibbles(wx[b].qs), eight), _mm256_loadu_si256((const __m256i *)ay[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d)), acc0);
    }
    return hsum256(_mm256_add_ps(acc0, acc1));
}

AVX512 float qk_dot_q41_q80_avx512(int n, const void *x, const void *y) {
    const qk_block_q41 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    const __m256i ones8 = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), accMin = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), nibbles(wx[b].qs), qy);  // unsigned x signed
        __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones8, qy);
        float dy = _cvtsh_ss(ay[b].d);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * dy), acc);
        accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(wx[b].m) * dy), accMin);
    }
    return hsum256(_mm256_add_ps(acc, accMin));
}

AVX512 float qk_dot_q80_q80_avx512(int n, const void *x, const void *y) {
    const qk_block_q80 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i p = dot_i8x32_vnni(_mm256_loadu_si256((const __m256i *)wx[b].qs), _mm256_loadu_si256((const __m256i *)ay[b].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d)), acc);
    }
    return hsum256(acc);
}

AVX512 float qk_dot_f32_f32_avx512(int n, const void *x, const void *y) {
    const float *a = x, *b = y;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    if (i < n) {  // masked tail: at most 31 values
        int left = n - i;
        __mmask16 m0 = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
        __mmask16 m1 = (__mmask16)(left <= 16 ? 0 : (1u << (left - 16)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, a + i), _mm512_maskz_loadu_ps(m0, b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, a + i + 16), _mm512_maskz_loadu_ps(m1, b + i + 16), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 float qk_dot_f16_f32_avx512(int n, const void *x, const void *y) {
    const qk_half *a = x;
    const float *b = y;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + i))), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + i + 16))), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + i))), _mm512_loadu_ps(b + i), s0);
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    for (; i < n; i++) sum += _cvtsh_ss(a[i]) * b[i];
    return sum;
}
#endif
