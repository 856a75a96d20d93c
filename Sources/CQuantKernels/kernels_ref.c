// Reference kernels: plain C, any CPU. Every SIMD variant is tested against these. Contraction of
// a*b+c into FMA is off so the results are the same float32 operations numpy performs.
#pragma STDC FP_CONTRACT OFF
#include "CQuantKernels.h"
#include "weight_prefetch.h"
#include <float.h>
#include <math.h>
#include <string.h>

size_t qk_block_bytes(int which) {
    static const size_t sizes[] = {
        sizeof(qk_block_q40), sizeof(qk_block_q41), sizeof(qk_block_q80), sizeof(qk_block_q50),
        sizeof(qk_block_q51), sizeof(qk_block_q4k), sizeof(qk_block_q5k), sizeof(qk_block_q6k), sizeof(qk_block_q8k),
    };
    return which >= 0 && which < 9 ? sizes[which] : 0;
}

// ---------------------------------------------------------------- half precision

static inline uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float qk_half_to_float(qk_half h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    if (exponent == 0x1F) return bits_float(sign | 0x7F800000 | (mantissa << 13));  // inf / NaN
    if (exponent == 0) {                                                              // zero / subnormal
        float value = (float)mantissa * 0x1p-24f;
        return sign ? -value : value;
    }
    return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

qk_half qk_float_to_half(float f) {
    uint32_t u = float_bits(f);
    uint32_t sign = (u >> 16) & 0x8000;
    uint32_t abs = u & 0x7FFFFFFF;
    if (abs > 0x7F800000) return (qk_half)(sign | 0x7E00 | ((abs >> 13) & 0x3FF));   // NaN stays NaN
    if (abs >= 0x477FF000) return (qk_half)(sign | 0x7C00);                           // rounds to inf
    if (abs < 0x38800000) {                                                           // subnormal half
        // value / 2^-24 rounded to nearest even integer: adding 0.5 (as float) does exactly that.
        float scaled = bits_float(abs) * 0x1p24f;
        uint32_t m = (uint32_t)nearbyintf(scaled);
        return (qk_half)(sign | m);  // m == 0x400 becomes the smallest normal, which is correct
    }
    uint32_t rounded = abs + 0xFFF + ((abs >> 13) & 1);  // round to nearest, ties to even
    return (qk_half)(sign | ((rounded - (112u << 23)) >> 13));
}

// ---------------------------------------------------------------- quantizers

/// Whether all 32 values of a block are finite (no NaN, no infinity).
static inline int block_is_finite(const float *v) {
    int finite = 1;
    for (int j = 0; j < QK_BLOCK; j++) finite &= fabsf(v[j]) <= FLT_MAX;  // false for NaN and inf
    return finite;
}

/// 1/d, or 0 where d is 0 or so small that 1/d overflows.
static inline float inverse_scale(float d) {
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    return id <= FLT_MAX ? id : 0.0f;
}

void qk_quantize_q40_ref(int n, const float *x, void *out) {
    qk_block_q40 *blocks = out;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        const float *v = x + b * QK_BLOCK;
        if (!block_is_finite(v)) { blocks[b].d = QK_HALF_NAN; memset(blocks[b].qs, 0, 16); continue; }
        float max = v[0], min = v[0];
        for (int j = 1; j < QK_BLOCK; j++) { max = v[j] > max ? v[j] : max; min = v[j] < min ? v[j] : min; }
        float m = -min > max ? min : max;  // signed value of largest magnitude (max wins a tie)
        float d = m / -8.0f;
        float id = inverse_scale(d);
        blocks[b].d = qk_float_to_half(d);
        for (int j = 0; j < 16; j++) {
            float lo = v[j] * id + 8.5f, hi = v[j + 16] * id + 8.5f;
            lo = lo < 0.0f ? 0.0f : (lo > 15.0f ? 15.0f : lo);
            hi = hi < 0.0f ? 0.0f : (hi > 15.0f ? 15.0f : hi);
            blocks[b].qs[j] = (uint8_t)((int)lo | ((int)hi << 4));
        }
    }
}

void qk_quantize_q41_ref(int n, const float *x, void *out) {
    qk_block_q41 *blocks = out;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        const float *v = x + b * QK_BLOCK;
        if (!block_is_finite(v)) {
            blocks[b].d = blocks[b].m = QK_HALF_NAN;
            memset(blocks[b].qs, 0, 16);
            continue;
        }
        float max = v[0], min = v[0];
        for (int j = 1; j < QK_BLOCK; j++) { max = v[j] > max ? v[j] : max; min = v[j] < min ? v[j] : min; }
        float d = (max - min) / 15.0f;  // may overflow to inf: then id is 0
        float id = inverse_scale(d);
        blocks[b].d = qk_float_to_half(d);
        blocks[b].m = qk_float_to_half(min);
        for (int j = 0; j < 16; j++) {
            float lo = (v[j] - min) * id + 0.5f, hi = (v[j + 16] - min) * id + 0.5f;
            // (int) truncates, then 15 at most; NaN (an infinite difference times id 0) becomes 0.
            int ql = lo >= 0.0f ? (lo < 15.0f ? (int)lo : 15) : 0;
            int qh = hi >= 0.0f ? (hi < 15.0f ? (int)hi : 15) : 0;
            blocks[b].qs[j] = (uint8_t)(ql | (qh << 4));
        }
    }
}

void qk_quantize_q80_ref(int n, const float *x, void *out) {
    qk_block_q80 *blocks = out;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        const float *v = x + b * QK_BLOCK;
        if (!block_is_finite(v)) { blocks[b].d = QK_HALF_NAN; memset(blocks[b].qs, 0, QK_BLOCK); continue; }
        float absmax = 0.0f;
        for (int j = 0; j < QK_BLOCK; j++) { float a = fabsf(v[j]); absmax = a > absmax ? a : absmax; }
        float d = absmax / 127.0f;
        float id = inverse_scale(d);
        blocks[b].d = qk_float_to_half(d);
        for (int j = 0; j < QK_BLOCK; j++) blocks[b].qs[j] = (int8_t)nearbyintf(v[j] * id);  // ties to even
    }
}

void qk_quantize_f16_ref(int n, const float *x, void *out) {
    qk_half *h = out;
    for (int i = 0; i < n; i++) h[i] = qk_float_to_half(x[i]);
}

void qk_quantize_bf16_ref(int n, const float *x, void *out) {
    uint16_t *h = out;
    for (int i = 0; i < n; i++) {
        uint32_t u = float_bits(x[i]);
        if ((u & 0x7FFFFFFF) > 0x7F800000) { h[i] = (uint16_t)((u >> 16) | 0x40); continue; }  // quiet NaN
        h[i] = (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
    }
}

// ---------------------------------------------------------------- dequantizers

void qk_dequantize_q40_ref(int n, const void *x, float *out) {
    const qk_block_q40 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        float d = qk_half_to_float(blocks[b].d);
        for (int j = 0; j < 16; j++) {
            out[j] = (float)((blocks[b].qs[j] & 0xF) - 8) * d;
            out[j + 16] = (float)((blocks[b].qs[j] >> 4) - 8) * d;
        }
    }
}

void qk_dequantize_q41_ref(int n, const void *x, float *out) {
    const qk_block_q41 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        float d = qk_half_to_float(blocks[b].d), m = qk_half_to_float(blocks[b].m);
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)(blocks[b].qs[j] & 0xF) + m;
            out[j + 16] = d * (float)(blocks[b].qs[j] >> 4) + m;
        }
    }
}

void qk_dequantize_q80_ref(int n, const void *x, float *out) {
    const qk_block_q80 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        float d = qk_half_to_float(blocks[b].d);
        for (int j = 0; j < QK_BLOCK; j++) out[j] = (float)blocks[b].qs[j] * d;
    }
}

void qk_dequantize_q50_ref(int n, const void *x, float *out) {
    const qk_block_q50 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        float d = qk_half_to_float(blocks[b].d);
        uint32_t qh; memcpy(&qh, blocks[b].qh, 4);  // bit j is the fifth bit of value j
        for (int j = 0; j < 16; j++) {
            int lo = (blocks[b].qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
            int hi = (blocks[b].qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            out[j] = d * (float)(lo - 16);
            out[j + 16] = d * (float)(hi - 16);
        }
    }
}

void qk_dequantize_q51_ref(int n, const void *x, float *out) {
    const qk_block_q51 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        float d = qk_half_to_float(blocks[b].d), m = qk_half_to_float(blocks[b].m);
        uint32_t qh; memcpy(&qh, blocks[b].qh, 4);
        for (int j = 0; j < 16; j++) {
            int lo = (blocks[b].qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
            int hi = (blocks[b].qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            out[j] = d * (float)lo + m;
            out[j + 16] = d * (float)hi + m;
        }
    }
}

/// The 6-bit scale and min of sub-block j (0..7) packed in a Q4_K / Q5_K block's 12 scale bytes.
static inline void kquant_scale_min(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

void qk_dequantize_q4k_ref(int n, const void *x, float *out) {
    const qk_block_q4k *blocks = x;
    for (int b = 0; b < n / QK_SUPER; b++) {
        float d = qk_half_to_float(blocks[b].d), dmin = qk_half_to_float(blocks[b].dmin);
        const uint8_t *q = blocks[b].qs;
        for (int sub = 0; sub < 8; sub += 2, q += 32) {  // 64 values: 32 low nibbles, 32 high
            uint8_t s0, m0, s1, m1;
            kquant_scale_min(sub, blocks[b].scales, &s0, &m0);
            kquant_scale_min(sub + 1, blocks[b].scales, &s1, &m1);
            float d0 = d * (float)s0, min0 = dmin * (float)m0, d1 = d * (float)s1, min1 = dmin * (float)m1;
            for (int l = 0; l < 32; l++) *out++ = d0 * (float)(q[l] & 0xF) - min0;
            for (int l = 0; l < 32; l++) *out++ = d1 * (float)(q[l] >> 4) - min1;
        }
    }
}

void qk_dequantize_q5k_ref(int n, const void *x, float *out) {
    const qk_block_q5k *blocks = x;
    for (int b = 0; b < n / QK_SUPER; b++) {
        float d = qk_half_to_float(blocks[b].d), dmin = qk_half_to_float(blocks[b].dmin);
        const uint8_t *q = blocks[b].qs, *qh = blocks[b].qh;
        for (int sub = 0; sub < 8; sub += 2, q += 32) {
            uint8_t s0, m0, s1, m1;
            kquant_scale_min(sub, blocks[b].scales, &s0, &m0);
            kquant_scale_min(sub + 1, blocks[b].scales, &s1, &m1);
            float d0 = d * (float)s0, min0 = dmin * (float)m0, d1 = d * (float)s1, min1 = dmin * (float)m1;
            for (int l = 0; l < 32; l++) *out++ = d0 * (float)((q[l] & 0xF) | (((qh[l] >> sub) & 1) << 4)) - min0;
            for (int l = 0; l < 32; l++) *out++ = d1 * (float)((q[l] >> 4) | (((qh[l] >> (sub + 1)) & 1) << 4)) - min1;
        }
    }
}

void qk_dequantize_q6k_ref(int n, const void *x, float *out) {
    const qk_block_q6k *blocks = x;
    for (int b = 0; b < n / QK_SUPER; b++) {
        float d = qk_half_to_float(blocks[b].d);
        const uint8_t *ql = blocks[b].ql, *qh = blocks[b].qh;
        const int8_t *sc = blocks[b].scales;
        for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, out += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                out[l] = d * (float)sc[is] * (float)q1;
                out[l + 32] = d * (float)sc[is + 2] * (float)q2;
                out[l + 64] = d * (float)sc[is + 4] * (float)q3;
                out[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
    }
}

void qk_dequantize_f16_ref(int n, const void *x, float *out) {
    const qk_half *h = x;
    for (int i = 0; i < n; i++) out[i] = qk_half_to_float(h[i]);
}

void qk_dequantize_bf16_ref(int n, const void *x, float *out) {
    const uint16_t *h = x;
    for (int i = 0; i < n; i++) out[i] = bits_float((uint32_t)h[i] << 16);
}

// ---------------------------------------------------------------- dot products

float qk_dot_q40_q80_ref(int n, const void *x, const void *y) {
    const qk_block_q40 *wx = x;
    const qk_block_q80 *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        int isum = 0;
        for (int j = 0; j < 16; j++) {
            isum += ((wx[b].qs[j] & 0xF) - 8) * ay[b].qs[j];
            isum += ((wx[b].qs[j] >> 4) - 8) * ay[b].qs[j + 16];
        }
        sum += (float)isum * (qk_half_to_float(wx[b].d) * qk_half_to_float(ay[b].d));
    }
    return sum;
}

float qk_dot_q41_q80_ref(int n, const void *x, const void *y) {
    const qk_block_q41 *wx = x;
    const qk_block_q80 *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        int isum = 0, ysum = 0;  // sum(q_x q_y) and sum(q_y): value = d_x q_x + m_x
        for (int j = 0; j < 16; j++) {
            isum += (wx[b].qs[j] & 0xF) * ay[b].qs[j] + (wx[b].qs[j] >> 4) * ay[b].qs[j + 16];
            ysum += ay[b].qs[j] + ay[b].qs[j + 16];
        }
        float dy = qk_half_to_float(ay[b].d);
        sum += (float)isum * (qk_half_to_float(wx[b].d) * dy) + (float)ysum * (qk_half_to_float(wx[b].m) * dy);
    }
    return sum;
}

float qk_dot_q80_q80_ref(int n, const void *x, const void *y) {
    const qk_block_q80 *wx = x;
    const qk_block_q80 *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        int isum = 0;
        for (int j = 0; j < QK_BLOCK; j++) isum += wx[b].qs[j] * ay[b].qs[j];
        sum += (float)isum * (qk_half_to_float(wx[b].d) * qk_half_to_float(ay[b].d));
    }
    return sum;
}

float qk_dot_f32_f32_ref(int n, const void *x, const void *y) {
    const float *a = x, *b = y;
    double sum = 0.0;  // the reference accumulates in double: it is the yardstick, not the fast path
    for (int i = 0; i < n; i++) sum += (double)a[i] * (double)b[i];
    return (float)sum;
}

float qk_dot_f16_f32_ref(int n, const void *x, const void *y) {
    const qk_half *a = x;
    const float *b = y;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)qk_half_to_float(a[i]) * (double)b[i];
    return (float)sum;
}

float qk_read_bandwidth_probe_ref(size_t n, const float *x) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; }
    for (; i < n; i++) s0 += x[i];
    return s0 + s1 + s2 + s3;
}

// ---------------------------------------------------------------- atomics

#include <stdlib.h>
#include <time.h>
struct qk_atomic_u64 { _Alignas(64) uint64_t value; char pad[56]; };

qk_atomic_u64 *qk_atomic_create(void) {
    qk_atomic_u64 *a = aligned_alloc(64, sizeof(qk_atomic_u64));
    if (a) a->value = 0;
    return a;
}
void qk_atomic_destroy(qk_atomic_u64 *a) { free(a); }

uint64_t qk_atomic_load(const qk_atomic_u64 *a) { return __atomic_load_n(&a->value, __ATOMIC_ACQUIRE); }
void qk_atomic_store(qk_atomic_u64 *a, uint64_t v) { __atomic_store_n(&a->value, v, __ATOMIC_RELEASE); }
uint64_t qk_atomic_fetch_add(qk_atomic_u64 *a, uint64_t v) { return __atomic_fetch_add(&a->value, v, __ATOMIC_SEQ_CST); }
uint64_t qk_atomic_fetch_sub(qk_atomic_u64 *a, uint64_t v) { return __atomic_fetch_sub(&a->value, v, __ATOMIC_SEQ_CST); }
uint64_t qk_atomic_fetch_and(qk_atomic_u64 *a, uint64_t v) { return __atomic_fetch_and(&a->value, v, __ATOMIC_SEQ_CST); }
uint64_t qk_atomic_exchange(qk_atomic_u64 *a, uint64_t v) { return __atomic_exchange_n(&a->value, v, __ATOMIC_SEQ_CST); }
int qk_atomic_compare_exchange(qk_atomic_u64 *a, uint64_t *expected, uint64_t desired) {
    return __atomic_compare_exchange_n(&a->value, expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
void qk_atomic_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

uint64_t qk_monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void qk_prefetch_weights_ahead(const void *row, size_t bytes) { prefetch_weights_ahead(row, bytes); }

void qk_prefetch_for_write(const void *p, size_t bytes) {
    for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch((const char *)p + b, 1, 3);
}

void qk_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
