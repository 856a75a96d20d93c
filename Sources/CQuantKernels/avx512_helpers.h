// Shared by the AVX-512 kernel files (kernels_avx512.c, matvec_quads_avx512.c, matvec_q80_avx512.c, q5_kquants_avx512.c,
// matmat_kquants_avx512.c): the target macro. The AVX2 helpers (horizontal sum, nibble unpacking)
// serve them too: their target is a subset of this one, so they inline into AVX-512 functions.
// Included only inside their `#if defined(__x86_64__)`.
#ifndef QK_AVX512_HELPERS_H
#define QK_AVX512_HELPERS_H
#include "avx2_helpers.h"

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

/// Each 128-bit vector's lanes summed as _mm512_reduce_add_ps sums its last 128 bits (lanes 0+2 and
/// 1+3, then those two), four vectors at once: [sum a, sum b, sum c, sum d].
AVX512 __attribute__((always_inline)) static inline __m128 hsum4_f32x4(__m128 a, __m128 b, __m128 c, __m128 d) {
    __m128 ab = _mm_add_ps(_mm_unpacklo_ps(a, b), _mm_unpackhi_ps(a, b));  // [a0+a2, b0+b2, a1+a3, b1+b3]
    __m128 cd = _mm_add_ps(_mm_unpacklo_ps(c, d), _mm_unpackhi_ps(c, d));
    return _mm_add_ps(_mm_movelh_ps(ab, cd), _mm_movehl_ps(cd, ab));
}

/// _mm512_reduce_add_ps of four vectors, the same pairs added in the same order (so the same sums):
/// the 256-bit halves, the 128-bit halves, then hsum4_f32x4.
AVX512 __attribute__((always_inline)) static inline __m128 hsum4_f32x16(__m512 a, __m512 b, __m512 c, __m512 d) {
    __m512 v[4] = {a, b, c, d};
    __m128 quarter[4];
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v[j]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[j]), 1)));
        quarter[j] = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    }
    return hsum4_f32x4(quarter[0], quarter[1], quarter[2], quarter[3]);
}
#endif
