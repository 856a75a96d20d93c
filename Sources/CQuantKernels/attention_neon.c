// Attention over cached rows, ARM64 NEON (contracts in attention_ref.c).
#if defined(__aarch64__)
#include "neon_helpers.h"

static inline float32x4_t load_f16x4(const qk_half *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

void qk_attention_scores_f32_neon(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const float *k = (const float *)((const char *)rows + (size_t)t * stride);
        float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            s0 = vfmaq_f32(s0, vld1q_f32(q + i), vld1q_f32(k + i));
            s1 = vfmaq_f32(s1, vld1q_f32(q + i + 4), vld1q_f32(k + i + 4));
        }
        for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(q + i), vld1q_f32(k + i));
        float dot = vaddvq_f32(vaddq_f32(s0, s1));
        for (; i < n; i++) dot += q[i] * k[i];
        out[t] = dot * scale;
    }
}

void qk_attention_scores_f16_neon(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out) {
    for (int t = 0; t < count; t++) {
        const qk_half *k = (const qk_half *)((const char *)rows + (size_t)t * stride);
        float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(k + i));
            s0 = vfmaq_f32(s0, vld1q_f32(q + i), vcvt_f32_f16(vget_low_f16(h)));
            s1 = vfmaq_f32(s1, vld1q_f32(q + i + 4), vcvt_high_f32_f16(h));
        }
        for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(q + i), load_f16x4(k + i));
        float dot = vaddvq_f32(vaddq_f32(s0, s1));
        for (; i < n; i++) dot += q[i] * h2f(k[i]);
        out[t] = dot * scale;
    }
}

// Weighted sums: 16 outputs at a time stay in four registers while every row goes by.
void qk_attention_values_f32_neon(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        float32x4_t o0 = vdupq_n_f32(0), o1 = vdupq_n_f32(0), o2 = vdupq_n_f32(0), o3 = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) {
            const float *v = (const float *)((const char *)rows + (size_t)t * stride) + i;
            o0 = vfmaq_n_f32(o0, vld1q_f32(v), a[t]);
            o1 = vfmaq_n_f32(o1, vld1q_f32(v + 4), a[t]);
            o2 = vfmaq_n_f32(o2, vld1q_f32(v + 8), a[t]);
            o3 = vfmaq_n_f32(o3, vld1q_f32(v + 12), a[t]);
        }
        vst1q_f32(out + i, o0);
        vst1q_f32(out + i + 4, o1);
        vst1q_f32(out + i + 8, o2);
        vst1q_f32(out + i + 12, o3);
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t o = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) o = vfmaq_n_f32(o, vld1q_f32((const float *)((const char *)rows + (size_t)t * stride) + i), a[t]);
        vst1q_f32(out + i, o);
    }
    for (; i < n; i++) {
        float o = 0.0f;
        for (int t = 0; t < count; t++) o += a[t] * ((const float *)((const char *)rows + (size_t)t * stride))[i];
        out[i] = o;
    }
}

void qk_attention_values_f16_neon(int n, const float *a, const void *rows, size_t stride, int count, float *out) {
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        float32x4_t o0 = vdupq_n_f32(0), o1 = vdupq_n_f32(0), o2 = vdupq_n_f32(0), o3 = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) {
            const qk_half *v = (const qk_half *)((const char *)rows + (size_t)t * stride) + i;
            float16x8_t h0 = vreinterpretq_f16_u16(vld1q_u16(v)), h1 = vreinterpretq_f16_u16(vld1q_u16(v + 8));
            o0 = vfmaq_n_f32(o0, vcvt_f32_f16(vget_low_f16(h0)), a[t]);
            o1 = vfmaq_n_f32(o1, vcvt_high_f32_f16(h0), a[t]);
            o2 = vfmaq_n_f32(o2, vcvt_f32_f16(vget_low_f16(h1)), a[t]);
            o3 = vfmaq_n_f32(o3, vcvt_high_f32_f16(h1), a[t]);
        }
        vst1q_f32(out + i, o0);
        vst1q_f32(out + i + 4, o1);
        vst1q_f32(out + i + 8, o2);
        vst1q_f32(out + i + 12, o3);
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t o = vdupq_n_f32(0);
        for (int t = 0; t < count; t++) o = vfmaq_n_f32(o, load_f16x4((const qk_half *)((const char *)rows + (size_t)t * stride) + i), a[t]);
        vst1q_f32(out + i, o);
    }
    for (; i < n; i++) {
        float o = 0.0f;
        for (int t = 0; t < count; t++) o += a[t] * h2f(((const qk_half *)((const char *)rows + (size_t)t * stride))[i]);
        out[i] = o;
    }
}
#endif
