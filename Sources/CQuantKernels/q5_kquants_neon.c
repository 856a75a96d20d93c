// ARM64 NEON dot products for Q5_0 / Q5_1 (x Q80) and the K-quants (x Q8_K). Same contracts as
// q5_kquants_ref.c; widening multiplies (as kernels_neon.c), so no dependency on the optional
// dot-product extension. Compiled only on ARM64.
#if defined(__aarch64__)
#include "neon_helpers.h"

float qk_dot_q50_q80_neon(int n, const void *x, const void *y) {
    const qk_block_q50 *wx = x;
    const qk_block_q80 *ay = y;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int b = 0; b < n / QK_BLOCK; b++) {
        uint8x16_t lo, hi;
        q5_values(wx[b].qs, wx[b].qh, &lo, &hi);
        int8x16_t l = vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(16)), h = vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(16));
        int32x4_t p = dot16(dot16(vdupq_n_s32(0), l, vld1q_s8(ay[b].qs)), h, vld1q_s8(ay[b].qs + 16));
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), h2f(wx[b].d) * h2f(ay[b].d));
    }
    return vaddvq_f32(acc);
}

float qk_dot_q51_q80_neon(int n, const void *x, const void *y) {
    const qk_block_q51 *wx = x;
    const qk_block_q80 *ay = y;
    float32x4_t acc = vdupq_n_f32(0.0f);
    float minimum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        uint8x16_t lo, hi;
        q5_values(wx[b].qs, wx[b].qh, &lo, &hi);
        int8x16_t y0 = vld1q_s8(ay[b].qs), y1 = vld1q_s8(ay[b].qs + 16);
        int32x4_t p = dot16(dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(lo), y0), vreinterpretq_s8_u8(hi), y1);
        float dy = h2f(ay[b].d);
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), h2f(wx[b].d) * dy);
        minimum += (float)(vaddlvq_s8(y0) + vaddlvq_s8(y1)) * (h2f(wx[b].m) * dy);
    }
    return vaddvq_f32(acc) + minimum;
}

/// One Q4_K (qh NULL) or Q5_K super-block times a Q8_K block, in float.
static inline float k45_block(qk_half d, qk_half dmin, const uint8_t packed[12], const uint8_t *qh, const uint8_t *qs,
                              const qk_block_q8k *a) {
    uint8_t scales[8], mins[8];
    scales_mins(packed, scales, mins);
    const uint8x16_t low = vdupq_n_u8(0x0F), sixteen = vdupq_n_u8(0x10);
    uint8x16_t h0 = qh ? vld1q_u8(qh) : vdupq_n_u8(0), h1 = qh ? vld1q_u8(qh + 16) : vdupq_n_u8(0);
    int isum = 0, msum = 0;
    for (int p = 0; p < 4; p++) {  // 64 values: 32 low nibbles (sub-block 2p), 32 high (2p + 1)
        uint8x16_t r0 = vld1q_u8(qs + 32 * p), r1 = vld1q_u8(qs + 32 * p + 16);
        uint8x16_t l0 = vandq_u8(r0, low), l1 = vandq_u8(r1, low), u0 = vshrq_n_u8(r0, 4), u1 = vshrq_n_u8(r1, 4);
        if (qh) {
            uint8x16_t m0 = vdupq_n_u8((uint8_t)(1 << (2 * p))), m1 = vdupq_n_u8((uint8_t)(1 << (2 * p + 1)));
            l0 = vorrq_u8(l0, vandq_u8(vtstq_u8(h0, m0), sixteen));
            l1 = vorrq_u8(l1, vandq_u8(vtstq_u8(h1, m0), sixteen));
            u0 = vorrq_u8(u0, vandq_u8(vtstq_u8(h0, m1), sixteen));
            u1 = vorrq_u8(u1, vandq_u8(vtstq_u8(h1, m1), sixteen));
        }
        const int8_t *qy = a->qs + 64 * p;
        int32x4_t s0 = dot16(dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(l0), vld1q_s8(qy)), vreinterpretq_s8_u8(l1), vld1q_s8(qy + 16));
        int32x4_t s1 = dot16(dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(u0), vld1q_s8(qy + 32)), vreinterpretq_s8_u8(u1), vld1q_s8(qy + 48));
        isum += scales[2 * p] * vaddvq_s32(s0) + scales[2 * p + 1] * vaddvq_s32(s1);
    }
    for (int j = 0; j < 8; j++) msum += mins[j] * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
    return a->d * h2f(d) * (float)isum - a->d * h2f(dmin) * (float)msum;
}

float qk_dot_q4k_q8k_neon(int n, const void *x, const void *y) {
    const qk_block_q4k *wx = x;
    const qk_block_q8k *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_SUPER; b++) sum += k45_block(wx[b].d, wx[b].dmin, wx[b].scales, NULL, wx[b].qs, &ay[b]);
    return sum;
}

float qk_dot_q5k_q8k_neon(int n, const void *x, const void *y) {
    const qk_block_q5k *wx = x;
    const qk_block_q8k *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_SUPER; b++) sum += k45_block(wx[b].d, wx[b].dmin, wx[b].scales, wx[b].qh, wx[b].qs, &ay[b]);
    return sum;
}

float qk_dot_q6k_q8k_neon(int n, const void *x, const void *y) {
    const qk_block_q6k *wx = x;
    const qk_block_q8k *ay = y;
    const uint8x16_t low = vdupq_n_u8(0x0F), two = vdupq_n_u8(3);
    const int8x16_t offset = vdupq_n_s8(32);
    float sum = 0.0f;
    for (int b = 0; b < n / QK_SUPER; b++) {
        int isum = 0;
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = wx[b].ql + 64 * half, *qh = wx[b].qh + 32 * half;
            uint8x16_t l[4] = {vld1q_u8(ql), vld1q_u8(ql + 16), vld1q_u8(ql + 32), vld1q_u8(ql + 48)};
            uint8x16_t h[2] = {vld1q_u8(qh), vld1q_u8(qh + 16)};
            for (int k = 0; k < 8; k++) {  // 16 values each: sub-block 8 half + k
                // Values 32 m + 16 i (m = k / 2, i = k % 2): nibble m / 2 of ql[32 (m % 2) + 16 i + l], bits 2m of qh[16 i + l].
                const int m = k / 2, i = k % 2;
                uint8x16_t nibble = m < 2 ? vandq_u8(l[2 * m + i], low) : vshrq_n_u8(l[2 * (m - 2) + i], 4);
                uint8x16_t top = vandq_u8(vshlq_u8(h[i], vdupq_n_s8((int8_t)(-2 * m))), two);
                int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(nibble, vshlq_n_u8(top, 4))), offset);
                int32x4_t p = dot16(vdupq_n_s32(0), q, vld1q_s8(ay[b].qs + 128 * half + 16 * k));
                isum += wx[b].scales[8 * half + k] * vaddvq_s32(p);
            }
        }
        sum += ay[b].d * h2f(wx[b].d) * (float)isum;
    }
    return sum;
}
#endif
