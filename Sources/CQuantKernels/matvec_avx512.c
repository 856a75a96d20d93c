// Whole-share and batched matrix products for AVX-512 (F, BW, VL, VNNI): Q5_0, Q5_1 and Q80 weights times
// Q80 activation rows (Q40 and Q41: matvec_q4_avx512.c). The activation is prepared once
// (`qk_prepare_*_avx512`, by the caller into a buffer of its own that every thread reads) so the
// per-row loop does as little as possible per block:
//   - pairs of activation blocks are stored in the lane order the weights unpack into (for 5-bit
//     weights: y_b[0:16], y_b1[0:16], y_b[16:32], y_b1[16:32]; for Q80: y_b, y_b1),
//   - VPDPBUSD multiplies unsigned bytes by signed ones, so the weights are made unsigned (Q5_0
//     values 0..31 stand for q - 16, Q80 bytes xor 0x80 for q + 128) and each 4-byte group of the
//     activation carries the correction -offset * sum(q_y) the accumulation starts from,
//   - each block's activation scale, and dy * sum(q_y) for Q5_1's minimum term, are floats,
//   - a Q5 pair's 64 fifth bits, rearranged into the same lane order, are one mask register.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx512_helpers.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

typedef float (*dot_fn_t)(int, const void *, const void *);

/// Two activation blocks (b, b+1), prepared: 192 bytes, 64-byte aligned.
typedef struct {
    int8_t qy[64];      // lane order of the weights (see above)
    int32_t corr[16];   // -offset * (qy[4k] + qy[4k+1] + qy[4k+2] + qy[4k+3])
    float dy[2];        // the two blocks' scales
    float sy[2];        // dy * sum(q_y) of each block (Q5_1's minimum term)
    float pad[12];
} qk_q80_pair;

_Static_assert(sizeof(qk_q80_pair) == 192 && sizeof(qk_q80_pair) % 64 == 0, "a prepared pair is three cache lines");

/// Pairs of a prepared row of `nb` blocks; an odd last block follows them as the plain Q80 block.
static size_t pairs_bytes(int nb) { return sizeof(qk_q80_pair) * (size_t)(nb / 2); }

/// Room for a row prepared in pairs, or in quads (Q40 / Q41, matvec_q4_avx512.c).
size_t qk_prepared_bytes_avx512(int n) {
    const size_t pairs = (pairs_bytes(n / QK_BLOCK) + sizeof(qk_block_q80) + 63) / 64 * 64, quads = qk_prepared_quads_bytes_avx512(n);
    return pairs > quads ? pairs : quads;
}

static const qk_block_q80 *prepared_tail(const void *prepared, int nb) {
    return (const qk_block_q80 *)((const uint8_t *)prepared + pairs_bytes(nb));
}

/// Lays out a Q80 row (see the top of this file); `interleave` for 5-bit weights, `offset`
/// the value their unsigned codes stand for as zero.
static void prepare_pairs(int nb, const qk_block_q80 *y, int interleave, int offset, void *out) {
    qk_q80_pair *pairs = out;
    for (int p = 0; p < nb / 2; p++) {
        const qk_block_q80 *a = &y[2 * p], *b = &y[2 * p + 1];
        for (int j = 0; j < 16; j++) {
            pairs[p].qy[j] = a->qs[j];
            pairs[p].qy[16 + j] = interleave ? b->qs[j] : a->qs[16 + j];
            pairs[p].qy[32 + j] = interleave ? a->qs[16 + j] : b->qs[j];
            pairs[p].qy[48 + j] = b->qs[16 + j];
        }
        for (int k = 0; k < 16; k++) {
            const int8_t *g = &pairs[p].qy[4 * k];
            pairs[p].corr[k] = -offset * (g[0] + g[1] + g[2] + g[3]);
        }
        int sa = 0, sb = 0;
        for (int j = 0; j < 32; j++) { sa += a->qs[j]; sb += b->qs[j]; }
        pairs[p].dy[0] = qk_half_to_float(a->d);
        pairs[p].dy[1] = qk_half_to_float(b->d);
        pairs[p].sy[0] = pairs[p].dy[0] * (float)sa;
        pairs[p].sy[1] = pairs[p].dy[1] * (float)sb;
    }
    if (nb & 1) memcpy((uint8_t *)out + pairs_bytes(nb), &y[nb - 1], sizeof(qk_block_q80));
}

void qk_prepare_q50_avx512(int n, const void *y, void *out) { prepare_pairs(n / QK_BLOCK, y, 1, 16, out); }
void qk_prepare_q51_avx512(int n, const void *y, void *out) { prepare_pairs(n / QK_BLOCK, y, 1, 0, out); }
void qk_prepare_q80_avx512(int n, const void *y, void *out) { prepare_pairs(n / QK_BLOCK, y, 0, 128, out); }

/// The 64 nibbles of two 4-bit blocks' `qs` (16 bytes each), in the pair lane order.
AVX512 static inline __m512i unpack_pair(const uint8_t *qs0, const uint8_t *qs1) {
    __m256i raw = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)qs0)),
                                          _mm_loadu_si128((const __m128i *)qs1), 1);
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);  // 0 low, 4 high
    return _mm512_and_si512(_mm512_srlv_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(raw), raw, 1), shift),
                            _mm512_set1_epi8(0x0F));
}

/// Lane scales for two pairs from four block scales s = (b0, b1, b2, b3): [b0 x4, b1 x4, b0 x4, b1 x4]
/// for the first pair (interleaved layout) and the same with b2, b3 for the second.
AVX512 static inline void pair_scales(__m128 s, int interleave, __m512 *s0, __m512 *s1) {
    const __m512i interleaved = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1);
    const __m512i natural = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    __m512i index = interleave ? interleaved : natural;
    __m512 wide = _mm512_castps128_ps512(s);
    *s0 = _mm512_permutexvar_ps(index, wide);
    *s1 = _mm512_permutexvar_ps(_mm512_add_epi32(index, _mm512_set1_epi32(2)), wide);
}

AVX512 static inline float finish(__m512 acc0, __m512 acc1, __m128 minimum) {
    __m128 m = _mm_add_ps(minimum, _mm_movehl_ps(minimum, minimum));
    m = _mm_add_ss(m, _mm_movehdup_ps(m));
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + _mm_cvtss_f32(m);
}

AVX512 static float q80_row(int np, const qk_block_q80 *x, const qk_q80_pair *y) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);  // q + 128: signed bytes as unsigned
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (int p = 0; p < np; p++) {
        const qk_block_q80 *b = &x[2 * p];
        __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)b[0].qs)),
                                       _mm256_loadu_si256((const __m256i *)b[1].qs), 1);
        __m512i d = _mm512_dpbusd_epi32(_mm512_load_si512(y[p].corr), _mm512_xor_si512(q, flip), _mm512_load_si512(y[p].qy));
        __m128 dx = _mm_cvtph_ps(_mm_setr_epi16((short)b[0].d, (short)b[1].d, 0, 0, 0, 0, 0, 0));
        __m512 s0, s1;
        pair_scales(_mm_mul_ps(dx, _mm_setr_ps(y[p].dy[0], y[p].dy[1], 0, 0)), 0, &s0, &s1);
        if (p & 1) acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s0, acc1);
        else acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s0, acc0);
    }
    return finish(acc0, acc1, _mm_setzero_ps());
}

/// The fifth bits of a Q5 pair (blocks at b0, b1; `qh` at byte 2 of a Q5_0 block, 4 of a Q5_1) in the
/// pair lane order: b0's values 0..15, b1's 0..15, b0's 16..31, b1's 16..31.
static inline __mmask64 pair_fifth_bits(const uint8_t *qh0, const uint8_t *qh1) {
    uint32_t h0, h1;
    memcpy(&h0, qh0, 4);
    memcpy(&h1, qh1, 4);
    return (__mmask64)((uint64_t)(h0 & 0xFFFF) | (uint64_t)(h1 & 0xFFFF) << 16 | (uint64_t)(h0 >> 16) << 32 | (uint64_t)(h1 >> 16) << 48);
}

/// The 64 five-bit values (0..31) of a Q5 pair, in the pair lane order.
AVX512 static inline __m512i unpack_q5_pair(const uint8_t *b0, const uint8_t *b1, int qh_offset) {
    __m512i q = unpack_pair(b0 + qh_offset + 4, b1 + qh_offset + 4);
    return _mm512_mask_add_epi8(q, pair_fifth_bits(b0 + qh_offset, b1 + qh_offset), q, _mm512_set1_epi8(16));  // nibble | 16
}

/// One row of Q5_0 (`minimum` 0: corrections for offset 16 in the pairs) or Q5_1 (`minimum` 1) blocks.
AVX512 __attribute__((always_inline)) static inline float q5_row(int np, const uint8_t *row, int minimum, const qk_q80_pair *y) {
    const int block_bytes = minimum ? 24 : 22, qh_offset = minimum ? 4 : 2;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m128 minimums = _mm_setzero_ps();
    // Hot loop: one pair (two blocks) per iteration, alternating accumulators.
    for (int p = 0; p < np; p++) {
        const uint8_t *b0 = row + (size_t)(2 * p) * block_bytes, *b1 = b0 + block_bytes;
        __m512i start = minimum ? _mm512_setzero_si512() : _mm512_load_si512(y[p].corr);
        __m512i d = _mm512_dpbusd_epi32(start, unpack_q5_pair(b0, b1, qh_offset), _mm512_load_si512(y[p].qy));
        __m128 dx = _mm_cvtph_ps(_mm_setr_epi16(*(const short *)b0, *(const short *)b1, 0, 0, 0, 0, 0, 0));
        __m512 s0, s1;
        pair_scales(_mm_mul_ps(dx, _mm_setr_ps(y[p].dy[0], y[p].dy[1], 0, 0)), 1, &s0, &s1);
        if (minimum) {
            __m128 mx = _mm_cvtph_ps(_mm_setr_epi16(*(const short *)(b0 + 2), *(const short *)(b1 + 2), 0, 0, 0, 0, 0, 0));
            minimums = _mm_fmadd_ps(mx, _mm_setr_ps(y[p].sy[0], y[p].sy[1], 0, 0), minimums);
        }
        if (p & 1) acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s0, acc1);
        else acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s0, acc0);
    }
    return finish(acc0, acc1, minimums);
}

#define ROW(x, r) ((const void *)((const uint8_t *)(x) + (size_t)(r) * row_bytes))

/// A whole-share kernel over a prepared activation: the pairs through `ROW_KERNEL`, an odd last
/// block through the single-block dot `TAIL_DOT`.
#define PREPARED_MATVEC(name, block_t, ROW_KERNEL, TAIL_DOT)                                                      \
    AVX512 void name(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out) {     \
        const int nb = n / QK_BLOCK;                                                                             \
        const qk_block_q80 *tail = prepared_tail(prepared, nb);                                                  \
        for (int r = 0; r < rows; r++) {                                                                         \
            const block_t *x = ROW(w, r);                                                                        \
            float sum = ROW_KERNEL;                                                                              \
            if (nb & 1) sum += TAIL_DOT(QK_BLOCK, &x[nb - 1], tail);                                             \
            out[r] = sum;                                                                                        \
        }                                                                                                        \
    }

PREPARED_MATVEC(qk_matvec_prepared_q80_avx512, qk_block_q80, q80_row(nb / 2, x, prepared), qk_dot_q80_q80_avx2)
PREPARED_MATVEC(qk_matvec_prepared_q50_avx512, qk_block_q50, q5_row(nb / 2, (const uint8_t *)x, 0, prepared), qk_dot_q50_q80_avx512)
PREPARED_MATVEC(qk_matvec_prepared_q51_avx512, qk_block_q51, q5_row(nb / 2, (const uint8_t *)x, 1, prepared), qk_dot_q51_q80_avx512)

#include "unprepared_matvec.h"

UNPREPARED_MATVEC(qk_matvec_q80_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q80_avx512, qk_matvec_prepared_q80_avx512, qk_dot_q80_q80_avx512)
UNPREPARED_MATVEC(qk_matvec_q50_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q50_avx512, qk_matvec_prepared_q50_avx512, qk_dot_q50_q80_avx512)
UNPREPARED_MATVEC(qk_matvec_q51_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q51_avx512, qk_matvec_prepared_q51_avx512, qk_dot_q51_q80_avx512)
// ---------------------------------------------------------------- batches of activation rows

/// One weight pair (unpacked `q`, scales `dx`, minimums `mx`) times one token's prepared pair,
/// `interleave`d as 5-bit weights unpack (Q80's is not).
AVX512 __attribute__((always_inline)) static inline __m512 pair_token(__m512i q, __m128 dx, __m128 mx, const qk_q80_pair *yp,
                                                                         int minimum, int interleave, __m512 acc, __m128 *minimums) {
    __m512i start = minimum ? _mm512_setzero_si512() : _mm512_load_si512(yp->corr);
    __m512i d = _mm512_dpbusd_epi32(start, q, _mm512_load_si512(yp->qy));
    __m512 s0, s1;
    pair_scales(_mm_mul_ps(dx, _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)yp->dy))), interleave, &s0, &s1);
    if (minimum) *minimums = _mm_fmadd_ps(mx, _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)yp->sy)), *minimums);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s0, acc);
}

/// The block kinds the batched kernel takes: Q5_0, Q5_1, Q80. Odd kinds have a minimum term
/// (value d * q + m); the others' offset (16, 128) is in the prepared pairs' corrections.
enum { KIND_Q50, KIND_Q51, KIND_Q80 };
static const int kind_block_bytes[] = {22, 24, 34};

/// A pair of blocks of `kind` unpacked to unsigned values in the pair lane order (Q80: b0's 32
/// bytes, then b1's, each + 128).
AVX512 __attribute__((always_inline)) static inline __m512i unpack_kind(const uint8_t *b0, const uint8_t *b1, int kind) {
    if (kind == KIND_Q80)
        return _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(b0 + 2))),
                                                   _mm256_loadu_si256((const __m256i *)(b1 + 2)), 1),
                                _mm512_set1_epi8((char)0x80));
    return unpack_q5_pair(b0, b1, kind == KIND_Q51 ? 4 : 2);
}

/// Up to 4 tokens through one row of 5- or 8-bit blocks: each weight pair is unpacked once and
/// used for every token.
AVX512 __attribute__((always_inline)) static inline void pair_row_tokens(int np, const uint8_t *row, int kind, int tokens,
                                        qk_q80_pair *const *y, float *sums) {
    const int block_bytes = kind_block_bytes[kind], minimum = kind & 1, interleave = kind != KIND_Q80;
    // Two accumulators per token (even and odd pairs), so no token waits on its own FMA latency.
    __m512 even[4], odd[4];
    __m128 minimums[4];
    for (int t = 0; t < 4; t++) { even[t] = _mm512_setzero_ps(); odd[t] = _mm512_setzero_ps(); minimums[t] = _mm_setzero_ps(); }
    int p = 0;
    // Hot loop: two weight pairs, each unpacked once, times every token.
    for (; p + 1 < np; p += 2) {
        const uint8_t *b0 = row + (size_t)(2 * p) * block_bytes, *b1 = b0 + block_bytes, *b2 = b1 + block_bytes, *b3 = b2 + block_bytes;
        __m512i q0 = unpack_kind(b0, b1, kind), q1 = unpack_kind(b2, b3, kind);
        __m128 dx = _mm_cvtph_ps(_mm_setr_epi16(*(const short *)b0, *(const short *)b1, *(const short *)b2, *(const short *)b3, 0, 0, 0, 0));
        __m128 mx = minimum ? _mm_cvtph_ps(_mm_setr_epi16(*(const short *)(b0 + 2), *(const short *)(b1 + 2), *(const short *)(b2 + 2),
                                                          *(const short *)(b3 + 2), 0, 0, 0, 0))
                            : _mm_setzero_ps();
        __m128 dx1 = _mm_movehl_ps(dx, dx), mx1 = _mm_movehl_ps(mx, mx);
        for (int t = 0; t < tokens; t++) {
            even[t] = pair_token(q0, dx, mx, &y[t][p], minimum, interleave, even[t], &minimums[t]);
            odd[t] = pair_token(q1, dx1, mx1, &y[t][p + 1], minimum, interleave, odd[t], &minimums[t]);
        }
    }
    if (p < np) {
        const uint8_t *b0 = row + (size_t)(2 * p) * block_bytes, *b1 = b0 + block_bytes;
        __m512i q0 = unpack_kind(b0, b1, kind);
        __m128 dx = _mm_cvtph_ps(_mm_setr_epi16(*(const short *)b0, *(const short *)b1, 0, 0, 0, 0, 0, 0));
        __m128 mx = minimum ? _mm_cvtph_ps(_mm_setr_epi16(*(const short *)(b0 + 2), *(const short *)(b1 + 2), 0, 0, 0, 0, 0, 0))
                            : _mm_setzero_ps();
        for (int t = 0; t < tokens; t++) even[t] = pair_token(q0, dx, mx, &y[t][p], minimum, interleave, even[t], &minimums[t]);
    }
    for (int t = 0; t < tokens; t++) sums[t] = finish(even[t], odd[t], minimums[t]);
}

/// Pairs per pass over the rows: 4 tokens x 16 pairs x 192 bytes = 12 KiB of prepared activations,
/// which stay in L1 while the rows go by (whole 4096-value token rows, 96 KiB for 4, came from L2 for
/// every row and made the batch no faster than one token at a time).
enum { CHUNK_PAIRS = 16 };

/// out[t * out_stride + r] = dot(row r of w, token t) for weights of `kind`, over token rows prepared
/// for `kind` (`prepared_row_bytes` apart, each 64-byte aligned). Each chunk of columns adds its
/// partial sums into `out`.
AVX512 static void pairs_matmat_prepared(int n, const void *w, size_t row_bytes, int rows, const uint8_t *prepared,
                                      size_t prepared_row_bytes, int batch, float *out, size_t out_stride, int kind) {
    const int nb = n / QK_BLOCK, np = nb / 2, block_bytes = kind_block_bytes[kind];
    static const dot_fn_t tails[] = {qk_dot_q50_q80_avx512, qk_dot_q51_q80_avx512, qk_dot_q80_q80_avx2};
    typedef void (*matvec_fn_t)(int, const void *, size_t, int, const void *, float *);
    static const matvec_fn_t per_token[] = {qk_matvec_prepared_q50_avx512, qk_matvec_prepared_q51_avx512, qk_matvec_prepared_q80_avx512};
    for (int t0 = 0; t0 < batch; t0 += 4) {
        const int tokens = batch - t0 < 4 ? batch - t0 : 4;
        if (tokens < 4) {  // a last group of 1-3 tokens: the per-token kernel is faster than a partial group
            for (int t = 0; t < tokens; t++)
                per_token[kind](n, w, row_bytes, rows, prepared + (size_t)(t0 + t) * prepared_row_bytes, out + (size_t)(t0 + t) * out_stride);
            break;
        }
        qk_q80_pair *pairs[4];  // [4 tokens][np], each from pair p0 of its row
        float *o = out + (size_t)t0 * out_stride;  // [4][out_stride]
        for (int p0 = 0; p0 < np; p0 += CHUNK_PAIRS) {
            const int count = np - p0 < CHUNK_PAIRS ? np - p0 : CHUNK_PAIRS;
            for (int t = 0; t < 4; t++) pairs[t] = (qk_q80_pair *)(prepared + (size_t)(t0 + t) * prepared_row_bytes) + p0;
            for (int r = 0; r < rows; r++) {
                const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes + (size_t)(2 * p0) * block_bytes;
                // The rows are read a chunk at a time, not as one stream: fetch a later row's chunk ahead.
                if (r + 2 < rows)
                    for (int line = 0; line < 2 * count * block_bytes; line += 64) _mm_prefetch((const char *)row + 2 * row_bytes + line, _MM_HINT_T0);
                float sums[4];
                switch (kind) {  // constant arguments, so the token loop unrolls into registers
                case KIND_Q50: pair_row_tokens(count, row, KIND_Q50, 4, pairs, sums); break;
                case KIND_Q51: pair_row_tokens(count, row, KIND_Q51, 4, pairs, sums); break;
                default: pair_row_tokens(count, row, KIND_Q80, 4, pairs, sums); break;
                }
                for (int t = 0; t < 4; t++) o[(size_t)t * out_stride + r] = (p0 ? o[(size_t)t * out_stride + r] : 0.0f) + sums[t];
            }
        }
        if (nb & 1)  // an odd last block, after the pairs (or alone)
            for (int r = 0; r < rows; r++) {
                const uint8_t *last = (const uint8_t *)w + (size_t)r * row_bytes + (size_t)(nb - 1) * block_bytes;
                for (int t = 0; t < 4; t++)
                    o[(size_t)t * out_stride + r] = (np ? o[(size_t)t * out_stride + r] : 0.0f) +
                                                    tails[kind](QK_BLOCK, last, prepared_tail(prepared + (size_t)(t0 + t) * prepared_row_bytes, nb));
            }
    }
}

#define MATMAT(suffix, kind)                                                                                              \
    AVX512 void qk_matmat_prepared_##suffix##_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, \
                                                     size_t prepared_row_bytes, int batch, float *out, size_t out_stride) { \
        pairs_matmat_prepared(n, w, row_bytes, rows, prepared, prepared_row_bytes, batch, out, out_stride, kind);          \
    }

MATMAT(q50, KIND_Q50)
MATMAT(q51, KIND_Q51)
MATMAT(q80, KIND_Q80)

UNPREPARED_MATMAT(qk_matmat_q50_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q50_avx512, qk_matmat_prepared_q50_avx512, qk_dot_q50_q80_avx512)
UNPREPARED_MATMAT(qk_matmat_q51_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q51_avx512, qk_matmat_prepared_q51_avx512, qk_dot_q51_q80_avx512)
UNPREPARED_MATMAT(qk_matmat_q80_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q80_avx512, qk_matmat_prepared_q80_avx512, qk_dot_q80_q80_avx512)
#endif
