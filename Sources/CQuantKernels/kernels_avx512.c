// x86-64 AVX-512 kernels (F, BW, VL, VNNI): the integer dot of a block is one VPDPBUSD instead of
// AVX2's multiply-add pair, and float loops use 16-lane registers. There is no Q40 dot here: an
// AVX-512 one measured slower than AVX2's (9.6 vs 10.3 GB/s), and Q40 products go through
// qk_matvec_q40_q80_avx512 anyway.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx512_helpers.h"
#include <immintrin.h>

/// 8 int32 partial sums of x*y over 32 signed bytes, with VNNI.
AVX512 static inline __m256i dot_i8x32_vnni(__m256i x, __m256i y) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
}

AVX512 float qk_dot_q41_q80_avx512(int n, const void *x, const void *y) {
    const qk_block_q41 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    const __m256i ones8 = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), accMin = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), unpack_nibbles(wx[b].qs), qy);  // unsigned x signed
        __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones8, qy);
        float dy = _cvtsh_ss(ay[b].d);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * dy), acc);
        accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(wx[b].m) * dy), accMin);
    }
    return hsum_f32x8(_mm256_add_ps(acc, accMin));
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
    return hsum_f32x8(acc);
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
