// Shared by the AVX-512 kernel files (kernels_avx512.c, matvec_quads_avx512.c, matvec_q80_avx512.c, q5_kquants_avx512.c,
// matmat_kquants_avx512.c): the target macro. The AVX2 helpers (horizontal sum, nibble unpacking)
// serve them too: their target is a subset of this one, so they inline into AVX-512 functions.
// Included only inside their `#if defined(__x86_64__)`.
#ifndef QK_AVX512_HELPERS_H
#define QK_AVX512_HELPERS_H
#include "avx2_helpers.h"

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

/// The two 256-bit halves added: _mm512_reduce_add_ps's first step.
AVX512 __attribute__((always_inline)) static inline __m256 add_halves_f32x16(__m512 v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/// _mm512_reduce_add_ps of four vectors, the same pairs added in the same order (so the same sums).
AVX512 __attribute__((always_inline)) static inline __m128 hsum4_f32x16(__m512 a, __m512 b, __m512 c, __m512 d) {
    return hsum4_f32x8(add_halves_f32x16(a), add_halves_f32x16(b), add_halves_f32x16(c), add_halves_f32x16(d));
}
#endif
