// The packed 6-bit scales and minimums of a Q4_K / Q5_K super-block, shared by the x86 K-quant
// files (q5_kquants_avx2.c, _avx512.c, matmat_kquants_avx2.c, _avx512.c). Plain C: no target needed.
#ifndef QK_KQUANT_SCALES_H
#define QK_KQUANT_SCALES_H
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
#endif
