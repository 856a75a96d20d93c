// Helpers shared by the AVX2 kernel files (kernels_avx2.c, matvec_avx2.c, q5_kquants_avx2.c,
// attention_avx2.c). Included only inside their `#if defined(__x86_64__)`; each function carries
// the target attribute, so the files still compile for baseline x86-64.
#ifndef QK_AVX2_HELPERS_H
#define QK_AVX2_HELPERS_H
#include <immintrin.h>
#include <stdint.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum_f32x8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The 32 nibbles of a block's 16 `qs` bytes as bytes 0..15 in block order: low nibbles, then high.
AVX2 static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}
#endif
