// ARM64 NEON kernels (Advanced SIMD is part of every ARMv8-A core, so no run-time check is needed
// beyond the architecture). Widening multiplies, so no dependency on the optional dot-product extension.
#if defined(__aarch64__)
#include "neon_helpers.h"
#include <float.h>

float qk_dot_q40_q80_neon(int n, const void *x, const void *y) {
    const qk_block_q40 *wx = x;
    const qk_block_q80 *ay = y;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int b = 0; b < n / QK_BLOCK; b++) {
        uint8x16_t raw = vld1q_u8(wx[b].qs);
        int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), vdupq_n_s8(8));
        int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vdupq_n_s8(8));
        int32x4_t p = dot16(dot16(vdupq_n_s32(0), lo, vld1q_s8(ay[b].qs)), hi, vld1q_s8(ay[b].qs + 16));
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), h2f(wx[b].d) * h2f(ay[b].d));
    }
    return vaddvq_f32(acc);
}

float qk_dot_q41_q80_neon(int n, const void *x, const void *y) {
    const qk_block_q41 *wx = x;
    const qk_block_q80 *ay = y;
    float32x4_t acc = vdupq_n_f32(0.0f);
    float minSum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        uint8x16_t raw = vld1q_u8(wx[b].qs);
        int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F)));
        int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));
        int8x16_t y0 = vld1q_s8(ay[b].qs), y1 = vld1q_s8(ay[b].qs + 16);
        int32x4_t p = dot16(dot16(vdupq_n_s32(0), lo, y0), hi, y1);
        int32_t ysum = vaddlvq_s8(y0) + vaddlvq_s8(y1);
        float dy = h2f(ay[b].d);
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), h2f(wx[b].d) * dy);
        minSum += (float)ysum * (h2f(wx[b].m) * dy);
    }
    return vaddvq_f32(acc) + minSum;
}

float qk_dot_q80_q80_neon(int n, const void *x, const void *y) {
    const qk_block_q80 *wx = x;
    const qk_block_q80 *ay = y;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int b = 0; b < n / QK_BLOCK; b++) {
        int32x4_t p = dot16(dot16(vdupq_n_s32(0), vld1q_s8(wx[b].qs), vld1q_s8(ay[b].qs)),
                                vld1q_s8(wx[b].qs + 16), vld1q_s8(ay[b].qs + 16));
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), h2f(wx[b].d) * h2f(ay[b].d));
    }
    return vaddvq_f32(acc);
}

float qk_dot_f32_f32_neon(int n, const void *x, const void *y) {
    const float *a = x, *b = y;
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0), s2 = vdupq_n_f32(0), s3 = vdupq_n_f32(0);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
        s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(a + i + 8), vld1q_f32(b + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(a + i + 12), vld1q_f32(b + i + 12));
    }
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

float qk_dot_f16_f32_neon(int n, const void *x, const void *y) {
    const qk_half *a = x;
    const float *b = y;
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(a + i));
        s0 = vfmaq_f32(s0, vcvt_f32_f16(vget_low_f16(h)), vld1q_f32(b + i));
        s1 = vfmaq_f32(s1, vcvt_high_f32_f16(h), vld1q_f32(b + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(s0, s1));
    for (; i < n; i++) sum += h2f(a[i]) * b[i];
    return sum;
}

void qk_quantize_q80_neon(int n, const float *x, void *out) {
    qk_block_q80 *blocks = out;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        const float *v = x + b * QK_BLOCK;
        float32x4_t r[8];
        float32x4_t m = vdupq_n_f32(0.0f);
        uint32x4_t finite = vdupq_n_u32(0xFFFFFFFF);
        for (int k = 0; k < 8; k++) {
            r[k] = vld1q_f32(v + 4 * k);
            float32x4_t a = vabsq_f32(r[k]);
            finite = vandq_u32(finite, vcleq_f32(a, vdupq_n_f32(FLT_MAX)));  // false for NaN and infinity
            m = vmaxq_f32(m, a);
        }
        if (vminvq_u32(finite) == 0) {  // the block's scale is NaN, its quants 0, as the reference
            blocks[b].d = QK_HALF_NAN;
            vst1q_s8(blocks[b].qs, vdupq_n_s8(0));
            vst1q_s8(blocks[b].qs + 16, vdupq_n_s8(0));
            continue;
        }
        float d = vmaxvq_f32(m) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        id = id <= FLT_MAX ? id : 0.0f;  // d so small that 1/d overflows: quants 0
        blocks[b].d = qk_float_to_half(d);
        for (int k = 0; k < 8; k++) {
            int32x4_t q = vcvtnq_s32_f32(vmulq_n_f32(r[k], id));  // round to nearest, ties to even
            int32_t lanes[4];
            vst1q_s32(lanes, q);
            for (int l = 0; l < 4; l++) blocks[b].qs[4 * k + l] = (int8_t)lanes[l];
        }
    }
}

/// F32 -> F16, round to nearest even (FPCR's default mode), NaN quieted with its top payload bits,
/// as qk_float_to_half.
void qk_quantize_f16_neon(int n, const float *x, void *out) {
    qk_half *h = out;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t v = vcombine_f16(vcvt_f16_f32(vld1q_f32(x + i)), vcvt_f16_f32(vld1q_f32(x + i + 4)));
        vst1q_u16(h + i, vreinterpretq_u16_f16(v));
    }
    for (; i < n; i++) h[i] = qk_float_to_half(x[i]);
}

/// F16 -> F32 (exact).
void qk_dequantize_f16_neon(int n, const void *x, float *out) {
    const qk_half *h = x;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t v = vreinterpretq_f16_u16(vld1q_u16(h + i));
        vst1q_f32(out + i, vcvt_f32_f16(vget_low_f16(v)));
        vst1q_f32(out + i + 4, vcvt_high_f32_f16(v));
    }
    for (; i < n; i++) out[i] = qk_half_to_float(h[i]);
}
#endif
