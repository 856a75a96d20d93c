// The packed 6-bit scales and minimums of a Q4_K / Q5_K super-block, shared by the x86 K-quant
// files (q5_kquants_avx2.c, _avx512.c, matmat_kquants_avx2.c, _avx512.c): the unpacking is plain C;
// the minimums' term is AVX2, which the AVX-512 files can call (its target is a subset of theirs).
#ifndef QK_KQUANT_SCALES_H
#define QK_KQUANT_SCALES_H
#include "avx2_helpers.h"
#include <stdint.h>
#include <string.h>

/// Sub-block j's scale in byte j of `scales` and its minimum in byte j of `mins` (see
/// unpack_scales_mins in q5_kquants_ref.c), with 32-bit operations: bits 6-7 of bytes 0..7 move to
/// bits 4-5 of the upper four.
static inline void kquant_scales_mins(const uint8_t packed[12], uint64_t *scales, uint64_t *mins) {
    uint32_t a, b, c;
    memcpy(&a, packed, 4);
    memcpy(&b, packed + 4, 4);
    memcpy(&c, packed + 8, 4);
    uint32_t s_lo = a & 0x3F3F3F3F, m_lo = b & 0x3F3F3F3F;
    uint32_t s_hi = (c & 0x0F0F0F0F) | ((a >> 2) & 0x30303030), m_hi = ((c >> 4) & 0x0F0F0F0F) | ((b >> 2) & 0x30303030);
    // Eight bytes in a register each: reading them back from two 4-byte stores would stall store forwarding.
    *scales = s_lo | (uint64_t)s_hi << 32;
    *mins = m_lo | (uint64_t)m_hi << 32;
}

/// sum_j mins[j] * (bsums[2j] + bsums[2j+1]): the minimum term of a Q4_K / Q5_K super-block.
AVX2 static inline int kquant_min_term(uint64_t mins, const int16_t bsums[16]) {
    __m256i bs = _mm256_loadu_si256((const __m256i *)bsums);
    __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));  // 8 sub-block sums
    __m128i p = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins)), pairs);
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(1, 0, 3, 2)));
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(p);
}
#endif
