// Whole-share matrix-vector and batched matrix-matrix products for ARM64 NEON (contracts beside the
// x86 ones in CQuantKernels.h). The per-row dots reload every activation block for every row; here
// a pass covers several rows (and, batched, several tokens), so each activation block and its
// scale are loaded once per pass and each weight block is unpacked once per pass. Nothing is
// prepared: the Q80 / Q8_K activation is used as stored, so there is no allocation.
//
// Every kernel exists twice, from one always-inline body: with SDOT (the dot-product extension,
// ARMv8.2-A and later) and with widening multiplies (every ARMv8-A core, e.g. the Cortex-A72 of a
// Raspberry Pi 4). The NEON path is selected on any ARM64 CPU, so the choice is made per call from
// qk_cpu_features(). Compiled only on ARM64.
#if defined(__aarch64__)
#include "neon_helpers.h"

#define INLINE static inline __attribute__((always_inline))
/// On the loops over a tile's rows and tokens, so their arrays of vectors stay in registers.
#define UNROLL _Pragma("GCC unroll 4")

/// acc + x . y in 4 lanes. `dp` is a constant after inlining, so the other branch disappears.
INLINE int32x4_t dot(int dp, int32x4_t acc, int8x16_t x, int8x16_t y) { return dp ? sdot16(acc, x, y) : dot16(acc, x, y); }

static int has_dotprod(void) {
    static int known = -1;  // every thread computes the same value, so racing stores are harmless
    int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (v < 0) {
        v = (qk_cpu_features() & QK_CPU_NEON_DOTPROD) != 0;
        __atomic_store_n(&known, v, __ATOMIC_RELAXED);
    }
    return v;
}

// ---------------------------------------------------------------- weights x Q80 activations

/// The weight types taken with Q80 activations; Q41 and Q5_1 values are d * q + m.
enum { KIND_Q40, KIND_Q41, KIND_Q80, KIND_Q50, KIND_Q51 };

/// One weight block as signed bytes: values 0..15 (`lo`) and 16..31 (`hi`), scale, minimum.
typedef struct { int8x16_t lo, hi; float d, m; } weight_block;

INLINE weight_block unpack(int kind, const void *row, int b) {
    weight_block w = {vdupq_n_s8(0), vdupq_n_s8(0), 0.0f, 0.0f};
    uint8x16_t lo, hi;
    switch (kind) {
    case KIND_Q40: {
        const qk_block_q40 *x = (const qk_block_q40 *)row + b;
        uint8x16_t raw = vld1q_u8(x->qs);
        w.lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), vdupq_n_s8(8));
        w.hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vdupq_n_s8(8));
        w.d = h2f(x->d);
        break;
    }
    case KIND_Q41: {
        const qk_block_q41 *x = (const qk_block_q41 *)row + b;
        uint8x16_t raw = vld1q_u8(x->qs);
        w.lo = vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F)));
        w.hi = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));
        w.d = h2f(x->d);
        w.m = h2f(x->m);
        break;
    }
    case KIND_Q80: {
        const qk_block_q80 *x = (const qk_block_q80 *)row + b;
        w.lo = vld1q_s8(x->qs);
        w.hi = vld1q_s8(x->qs + 16);
        w.d = h2f(x->d);
        break;
    }
    case KIND_Q50: {
        const qk_block_q50 *x = (const qk_block_q50 *)row + b;
        q5_values(x->qs, x->qh, &lo, &hi);
        w.lo = vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(16));
        w.hi = vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(16));
        w.d = h2f(x->d);
        break;
    }
    default: {
        const qk_block_q51 *x = (const qk_block_q51 *)row + b;
        q5_values(x->qs, x->qh, &lo, &hi);
        w.lo = vreinterpretq_s8_u8(lo);
        w.hi = vreinterpretq_s8_u8(hi);
        w.d = h2f(x->d);
        w.m = h2f(x->m);
        break;
    }
    }
    return w;
}

/// out[t * out_stride + r] = dot(row r, token t) for R rows x T tokens (R, T <= 4, constants after
/// inlining, so the arrays below live in registers).
INLINE void tile_q80(int dp, int kind, int R, int T, int nb, const uint8_t *w, size_t row_bytes, const uint8_t *y,
                     size_t y_row_bytes, float *out, size_t out_stride) {
    const int minimum = kind == KIND_Q41 || kind == KIND_Q51;
    float32x4_t acc[4][4];  // [row][token]: integer block sums times d_x d_y, 4 lanes
    float32x4_t mins[4];    // [row]: lane t the sum of m_x * d_y * sum(q_y) over blocks for token t
    for (int r = 0; r < R; r++) {
        mins[r] = vdupq_n_f32(0.0f);
        for (int t = 0; t < T; t++) acc[r][t] = vdupq_n_f32(0.0f);
    }
    for (int b = 0; b < nb; b++) {
        float sy[4] = {0.0f, 0.0f, 0.0f, 0.0f};  // [token]: d_y * sum(q_y)
        weight_block x[4];  // [row]
        UNROLL for (int r = 0; r < R; r++) x[r] = unpack(kind, w + (size_t)r * row_bytes, b);
        UNROLL for (int t = 0; t < T; t++) {
            const qk_block_q80 *a = (const qk_block_q80 *)(y + (size_t)t * y_row_bytes) + b;
            int8x16_t y0 = vld1q_s8(a->qs), y1 = vld1q_s8(a->qs + 16);
            float dy = h2f(a->d);
            if (minimum) sy[t] = dy * (float)(vaddlvq_s8(y0) + vaddlvq_s8(y1));
            UNROLL for (int r = 0; r < R; r++) {
                int32x4_t p = dot(dp, dot(dp, vdupq_n_s32(0), x[r].lo, y0), x[r].hi, y1);
                acc[r][t] = vmlaq_n_f32(acc[r][t], vcvtq_f32_s32(p), x[r].d * dy);
            }
        }
        if (minimum) {  // one vector for all tokens: 8 scalar accumulators would not fit in registers beside acc
            float32x4_t syv = vld1q_f32(sy);
            UNROLL for (int r = 0; r < R; r++) mins[r] = vmlaq_n_f32(mins[r], syv, x[r].m);
        }
    }
    float m[4][4];  // [row][token]
    for (int r = 0; r < R; r++) vst1q_f32(m[r], mins[r]);
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) out[(size_t)t * out_stride + r] = vaddvq_f32(acc[r][t]) + m[r][t];
}

INLINE void matvec_q80(int dp, int kind, int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {
    const uint8_t *row = w;
    int r = 0;
    for (; r + 4 <= rows; r += 4) tile_q80(dp, kind, 4, 1, n / QK_BLOCK, row + (size_t)r * row_bytes, row_bytes, y, 0, out + r, 0);
    for (; r + 2 <= rows; r += 2) tile_q80(dp, kind, 2, 1, n / QK_BLOCK, row + (size_t)r * row_bytes, row_bytes, y, 0, out + r, 0);
    if (r < rows) tile_q80(dp, kind, 1, 1, n / QK_BLOCK, row + (size_t)r * row_bytes, row_bytes, y, 0, out + r, 0);
}

/// Groups of 4 tokens through pairs of rows (8 accumulators); a last 1-3 tokens take the
/// matrix-vector kernel, one token each.
INLINE void matmat_q80(int dp, int kind, int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                       int batch, float *out, size_t out_stride) {
    const uint8_t *row = w, *tokens = y;
    int t = 0;
    for (; t + 4 <= batch; t += 4) {
        const uint8_t *yt = tokens + (size_t)t * y_row_bytes;
        float *ot = out + (size_t)t * out_stride;
        int r = 0;
        for (; r + 2 <= rows; r += 2)
            tile_q80(dp, kind, 2, 4, n / QK_BLOCK, row + (size_t)r * row_bytes, row_bytes, yt, y_row_bytes, ot + r, out_stride);
        if (r < rows) tile_q80(dp, kind, 1, 4, n / QK_BLOCK, row + (size_t)r * row_bytes, row_bytes, yt, y_row_bytes, ot + r, out_stride);
    }
    for (; t < batch; t++) matvec_q80(dp, kind, n, w, row_bytes, rows, tokens + (size_t)t * y_row_bytes, out + (size_t)t * out_stride);
}

// ---------------------------------------------------------------- K-quant weights x Q8_K activations

/// Q4_K (`five` 0) or Q5_K rows r < R (R <= 2): out[r] = dot(row r, a).
INLINE void tile_k45(int dp, int five, int R, int nb, const uint8_t *w, size_t row_bytes, const qk_block_q8k *a, float *out) {
    const uint8x16_t low = vdupq_n_u8(0x0F), sixteen = vdupq_n_u8(0x10);
    float sum[2] = {0.0f, 0.0f};  // [row]
    for (int b = 0; b < nb; b++) {
        const qk_block_q8k *yb = &a[b];
        // Sums of each 32 activation values (sub-block j), for the minimum term.
        int16x8_t ysums = vpaddq_s16(vld1q_s16(yb->bsums), vld1q_s16(yb->bsums + 8));
        const uint8_t *qs[2], *qh[2];
        uint8_t scales[2][8], mins[2][8];
        float d[2], dmin[2];
        int32x4_t isum[2];  // [row]: sum of scale_j * sub-block dot j, 4 lanes
        int msum[2];        // [row]: sum of min_j * ysums[j]
        for (int r = 0; r < R; r++) {
            const uint8_t *block = w + (size_t)r * row_bytes + (size_t)b * (five ? sizeof(qk_block_q5k) : sizeof(qk_block_q4k));
            const qk_block_q4k *x4 = (const qk_block_q4k *)block;
            const qk_block_q5k *x5 = (const qk_block_q5k *)block;
            qs[r] = five ? x5->qs : x4->qs;
            qh[r] = five ? x5->qh : NULL;
            scales_mins(five ? x5->scales : x4->scales, scales[r], mins[r]);
            d[r] = h2f(five ? x5->d : x4->d);
            dmin[r] = h2f(five ? x5->dmin : x4->dmin);
            int16x8_t m = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mins[r])));
            msum[r] = vaddvq_s32(vaddq_s32(vmull_s16(vget_low_s16(m), vget_low_s16(ysums)), vmull_high_s16(m, ysums)));
            isum[r] = vdupq_n_s32(0);
        }
        for (int p = 0; p < 4; p++) {  // 64 values: 32 low nibbles (sub-block 2p), 32 high (2p + 1)
            const int8_t *qy = yb->qs + 64 * p;
            int8x16_t y0 = vld1q_s8(qy), y1 = vld1q_s8(qy + 16), y2 = vld1q_s8(qy + 32), y3 = vld1q_s8(qy + 48);
            for (int r = 0; r < R; r++) {
                uint8x16_t r0 = vld1q_u8(qs[r] + 32 * p), r1 = vld1q_u8(qs[r] + 32 * p + 16);
                uint8x16_t l0 = vandq_u8(r0, low), l1 = vandq_u8(r1, low), u0 = vshrq_n_u8(r0, 4), u1 = vshrq_n_u8(r1, 4);
                if (five) {  // bit 2p of qh[l] is value l's fifth bit in sub-block 2p, bit 2p + 1 in 2p + 1
                    uint8x16_t h0 = vld1q_u8(qh[r]), h1 = vld1q_u8(qh[r] + 16);
                    uint8x16_t m0 = vdupq_n_u8((uint8_t)(1 << (2 * p))), m1 = vdupq_n_u8((uint8_t)(2 << (2 * p)));
                    l0 = vorrq_u8(l0, vandq_u8(vtstq_u8(h0, m0), sixteen));
                    l1 = vorrq_u8(l1, vandq_u8(vtstq_u8(h1, m0), sixteen));
                    u0 = vorrq_u8(u0, vandq_u8(vtstq_u8(h0, m1), sixteen));
                    u1 = vorrq_u8(u1, vandq_u8(vtstq_u8(h1, m1), sixteen));
                }
                int32x4_t s0 = dot(dp, dot(dp, vdupq_n_s32(0), vreinterpretq_s8_u8(l0), y0), vreinterpretq_s8_u8(l1), y1);
                int32x4_t s1 = dot(dp, dot(dp, vdupq_n_s32(0), vreinterpretq_s8_u8(u0), y2), vreinterpretq_s8_u8(u1), y3);
                isum[r] = vmlaq_n_s32(vmlaq_n_s32(isum[r], s0, scales[r][2 * p]), s1, scales[r][2 * p + 1]);
            }
        }
        for (int r = 0; r < R; r++) sum[r] += yb->d * d[r] * (float)vaddvq_s32(isum[r]) - yb->d * dmin[r] * (float)msum[r];
    }
    for (int r = 0; r < R; r++) out[r] = sum[r];
}

/// Q6_K rows r < R (R <= 2): out[r] = dot(row r, a). Layout of the 6-bit values in q5_kquants_ref.c.
INLINE void tile_q6k(int dp, int R, int nb, const uint8_t *w, size_t row_bytes, const qk_block_q8k *a, float *out) {
    const uint8x16_t low = vdupq_n_u8(0x0F), three = vdupq_n_u8(3);
    float sum[2] = {0.0f, 0.0f};  // [row]
    for (int b = 0; b < nb; b++) {
        const qk_block_q6k *x[2];
        int32x4_t isum[2];  // [row]: sum of scale_k * sub-block dot k, 4 lanes
        for (int r = 0; r < R; r++) { x[r] = (const qk_block_q6k *)(w + (size_t)r * row_bytes) + b; isum[r] = vdupq_n_s32(0); }
        for (int half = 0; half < 2; half++) {
            uint8x16_t l[2][4], h[2][2];  // [row]: the half's 64 ql bytes, 32 qh bytes
            for (int r = 0; r < R; r++) {
                const uint8_t *ql = x[r]->ql + 64 * half, *qh = x[r]->qh + 32 * half;
                for (int i = 0; i < 4; i++) l[r][i] = vld1q_u8(ql + 16 * i);
                for (int i = 0; i < 2; i++) h[r][i] = vld1q_u8(qh + 16 * i);
            }
            for (int k = 0; k < 8; k++) {  // 16 values each: sub-block 8 half + k
                // Values 32 m + 16 i (m = k / 2, i = k % 2): nibble m / 2 of ql[32 (m % 2) + 16 i + l], bits 2m of qh[16 i + l].
                const int m = k / 2, i = k % 2;
                int8x16_t y = vld1q_s8(a[b].qs + 128 * half + 16 * k);
                for (int r = 0; r < R; r++) {
                    uint8x16_t nibble = m < 2 ? vandq_u8(l[r][2 * m + i], low) : vshrq_n_u8(l[r][2 * (m - 2) + i], 4);
                    uint8x16_t top = vandq_u8(vshlq_u8(h[r][i], vdupq_n_s8((int8_t)(-2 * m))), three);
                    int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(nibble, vshlq_n_u8(top, 4))), vdupq_n_s8(32));
                    isum[r] = vmlaq_n_s32(isum[r], dot(dp, vdupq_n_s32(0), q, y), x[r]->scales[8 * half + k]);
                }
            }
        }
        for (int r = 0; r < R; r++) sum[r] += a[b].d * h2f(x[r]->d) * (float)vaddvq_s32(isum[r]);
    }
    for (int r = 0; r < R; r++) out[r] = sum[r];
}

/// kind: 4 Q4_K, 5 Q5_K, 6 Q6_K. Pairs of rows, then a last odd row.
INLINE void matvec_k(int dp, int kind, int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {
    const uint8_t *row = w;
    for (int r = 0; r < rows; r += 2) {
        const int pair = rows - r >= 2;
        if (kind == 6) {
            if (pair) tile_q6k(dp, 2, n / QK_SUPER, row + (size_t)r * row_bytes, row_bytes, y, out + r);
            else tile_q6k(dp, 1, n / QK_SUPER, row + (size_t)r * row_bytes, row_bytes, y, out + r);
        } else {
            if (pair) tile_k45(dp, kind == 5, 2, n / QK_SUPER, row + (size_t)r * row_bytes, row_bytes, y, out + r);
            else tile_k45(dp, kind == 5, 1, n / QK_SUPER, row + (size_t)r * row_bytes, row_bytes, y, out + r);
        }
    }
}

// ---------------------------------------------------------------- the exported kernels

#define MATVEC_ARGS int n, const void *w, size_t row_bytes, int rows, const void *y, float *out
#define MATMAT_ARGS int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes, int batch, float *out, size_t out_stride

/// qk_matvec_<name>_neon: the SDOT or the widening instance of `body` for weights of `kind`.
#define MATVEC(name, body, kind)                                                                              \
    QK_DOTPROD static void name##_sdot(MATVEC_ARGS) { body(1, kind, n, w, row_bytes, rows, y, out); }          \
    static void name##_widening(MATVEC_ARGS) { body(0, kind, n, w, row_bytes, rows, y, out); }                 \
    void qk_matvec_##name##_neon(MATVEC_ARGS) { (has_dotprod() ? name##_sdot : name##_widening)(n, w, row_bytes, rows, y, out); }

#define MATMAT(name, kind)                                                                                         \
    QK_DOTPROD static void name##_batch_sdot(MATMAT_ARGS) {                                                          \
        matmat_q80(1, kind, n, w, row_bytes, rows, y, y_row_bytes, batch, out, out_stride);                          \
    }                                                                                                                \
    static void name##_batch_widening(MATMAT_ARGS) {                                                                 \
        matmat_q80(0, kind, n, w, row_bytes, rows, y, y_row_bytes, batch, out, out_stride);                          \
    }                                                                                                                \
    void qk_matmat_##name##_neon(MATMAT_ARGS) {                                                                      \
        (has_dotprod() ? name##_batch_sdot : name##_batch_widening)(n, w, row_bytes, rows, y, y_row_bytes, batch, out, out_stride); \
    }

MATVEC(q40_q80, matvec_q80, KIND_Q40)
MATVEC(q41_q80, matvec_q80, KIND_Q41)
MATVEC(q80_q80, matvec_q80, KIND_Q80)
MATVEC(q50_q80, matvec_q80, KIND_Q50)
MATVEC(q51_q80, matvec_q80, KIND_Q51)
MATVEC(q4k_q8k, matvec_k, 4)
MATVEC(q5k_q8k, matvec_k, 5)
MATVEC(q6k_q8k, matvec_k, 6)

MATMAT(q40_q80, KIND_Q40)
MATMAT(q41_q80, KIND_Q41)
MATMAT(q80_q80, KIND_Q80)
MATMAT(q50_q80, KIND_Q50)
MATMAT(q51_q80, KIND_Q51)
#endif
