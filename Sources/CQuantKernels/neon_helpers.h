// Helpers shared by the NEON kernel files (kernels_neon.c, q5_kquants_neon.c, attention_neon.c,
// matvec_neon.c). Included only inside their `#if defined(__aarch64__)`.
#ifndef QK_NEON_HELPERS_H
#define QK_NEON_HELPERS_H
#include "CQuantKernels.h"
#include <arm_neon.h>

static inline float h2f(qk_half h) { return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0); }

/// acc + the products x*y of 16 signed bytes, added pairwise into 4 int32 lanes. Widening multiplies:
/// every ARMv8-A core has them (the dot-product extension is optional before ARMv8.4).
static inline int32x4_t dot16(int32x4_t acc, int8x16_t x, int8x16_t y) {
    return vpadalq_s16(vpadalq_s16(acc, vmull_s8(vget_low_s8(x), vget_low_s8(y))), vmull_high_s8(x, y));
}

/// For functions that may execute SDOT: call them only where qk_cpu_features() reports
/// QK_CPU_NEON_DOTPROD. Nothing when the build already targets the extension; else Clang adds it to
/// the build's target, and GCC needs the architecture too (its vdotq_s32 is declared for ARMv8.2-A).
#if defined(__ARM_FEATURE_DOTPROD)
#define QK_DOTPROD
#elif defined(__clang__)
#define QK_DOTPROD __attribute__((target("dotprod")))
#else
#define QK_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

/// dot16 with one SDOT (same lane sums up to the order inside each lane of 4 products). Not
/// always_inline: a caller compiled without the extension keeps a call it never makes (see matvec_neon.c).
QK_DOTPROD static inline int32x4_t sdot16(int32x4_t acc, int8x16_t x, int8x16_t y) { return vdotq_s32(acc, x, y); }

/// 0x10 in byte j where bit j of the 16 bits is set.
static inline uint8x16_t fifth_bits16(uint32_t bits) {
    static const uint8_t select[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    uint8x16_t spread = vcombine_u8(vdup_n_u8((uint8_t)(bits & 0xFF)), vdup_n_u8((uint8_t)((bits >> 8) & 0xFF)));
    return vandq_u8(vtstq_u8(spread, vld1q_u8(select)), vdupq_n_u8(0x10));
}

/// A Q5 block's values 0..15 (`lo`) and 16..31 (`hi`), 0..31 each.
static inline void q5_values(const uint8_t *qs, const uint8_t *qh_bytes, uint8x16_t *lo, uint8x16_t *hi) {
    uint32_t qh;
    __builtin_memcpy(&qh, qh_bytes, 4);
    uint8x16_t raw = vld1q_u8(qs);
    *lo = vorrq_u8(vandq_u8(raw, vdupq_n_u8(0x0F)), fifth_bits16(qh & 0xFFFF));
    *hi = vorrq_u8(vshrq_n_u8(raw, 4), fifth_bits16(qh >> 16));
}

/// Q4_K / Q5_K packed scales and minimums as bytes (see q5_kquants_ref.c's unpack_scales_mins).
static inline void scales_mins(const uint8_t packed[12], uint8_t scales[8], uint8_t mins[8]) {
    uint32_t a, b, c;
    __builtin_memcpy(&a, packed, 4);
    __builtin_memcpy(&b, packed + 4, 4);
    __builtin_memcpy(&c, packed + 8, 4);
    uint32_t s_lo = a & 0x3F3F3F3F, m_lo = b & 0x3F3F3F3F;
    uint32_t s_hi = (c & 0x0F0F0F0F) | ((a >> 2) & 0x30303030), m_hi = ((c >> 4) & 0x0F0F0F0F) | ((b >> 2) & 0x30303030);
    __builtin_memcpy(scales, &s_lo, 4);
    __builtin_memcpy(scales + 4, &s_hi, 4);
    __builtin_memcpy(mins, &m_lo, 4);
    __builtin_memcpy(mins + 4, &m_hi, 4);
}
#endif
