// Q80 weights times prepared Q80 activations on AVX-512 (F, BW, VL, VNNI): whole-share and batched
// (Q40, Q41, Q5_0 and Q5_1: matvec_quads_avx512.c). The activation is prepared once
// (`qk_prepare_q80_avx512`, by the caller into a buffer of its own that every thread reads) in
// pairs of blocks:
//   - VPDPBUSD multiplies unsigned bytes by signed ones, so the weight bytes are made unsigned (xor
//     0x80: q + 128) and each 4-byte group of the activation carries the correction
//     -128 * sum(q_y) the accumulation starts from,
//   - each block's activation scale is a float.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx512_helpers.h"
#include "weight_prefetch.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/// Two activation blocks (b, b+1), prepared: 192 bytes, 64-byte aligned.
typedef struct {
    int8_t qy[64];      // y_b, then y_b+1
    int32_t corr[16];   // -128 * (qy[4k] + qy[4k+1] + qy[4k+2] + qy[4k+3])
    float dy[2];        // the two blocks' scales
    float pad[14];
} qk_q80_pair;

_Static_assert(sizeof(qk_q80_pair) == 192 && sizeof(qk_q80_pair) % 64 == 0, "a prepared pair is three cache lines");

/// Pairs of a prepared row of `nb` blocks; an odd last block follows them as the plain Q80 block.
static size_t pairs_bytes(int nb) { return sizeof(qk_q80_pair) * (size_t)(nb / 2); }

/// Room for a row prepared in pairs, or in quads (matvec_quads_avx512.c).
size_t qk_prepared_bytes_avx512(int n) {
    const size_t pairs = (pairs_bytes(n / QK_BLOCK) + sizeof(qk_block_q80) + 63) / 64 * 64, quads = qk_prepared_quads_bytes_avx512(n);
    return pairs > quads ? pairs : quads;
}

static const qk_block_q80 *prepared_tail(const void *prepared, int nb) {
    return (const qk_block_q80 *)((const uint8_t *)prepared + pairs_bytes(nb));
}

void qk_prepare_q80_avx512(int n, const void *y_row, void *out) {
    const int nb = n / QK_BLOCK;
    const qk_block_q80 *y = y_row;
    qk_q80_pair *pairs = out;
    for (int p = 0; p < nb / 2; p++) {
        const qk_block_q80 *a = &y[2 * p], *b = &y[2 * p + 1];
        memcpy(pairs[p].qy, a->qs, 32);
        memcpy(pairs[p].qy + 32, b->qs, 32);
        for (int k = 0; k < 16; k++) {
            const int8_t *g = &pairs[p].qy[4 * k];
            pairs[p].corr[k] = -128 * (g[0] + g[1] + g[2] + g[3]);
        }
        pairs[p].dy[0] = qk_half_to_float(a->d);
        pairs[p].dy[1] = qk_half_to_float(b->d);
        memset(pairs[p].pad, 0, sizeof pairs[p].pad);
    }
    if (nb & 1) memcpy((uint8_t *)out + pairs_bytes(nb), &y[nb - 1], sizeof(qk_block_q80));
}

/// A pair's 64 weight bytes, each + 128 (unsigned).
AVX512 static inline __m512i unpack_q80_pair(const qk_block_q80 *b) {
    __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)b[0].qs)),
                                   _mm256_loadu_si256((const __m256i *)b[1].qs), 1);
    return _mm512_xor_si512(q, _mm512_set1_epi8((char)0x80));
}

/// A weight pair's two scales, as floats (in lanes 0 and 1).
AVX512 static inline __m128 weight_scales(const qk_block_q80 *b) {
    return _mm_cvtph_ps(_mm_setr_epi16((short)b[0].d, (short)b[1].d, 0, 0, 0, 0, 0, 0));
}

/// One weight pair (unpacked `q`, scales `dx`) times one prepared pair, into `acc`: lanes 0-7 hold
/// b0's products, lanes 8-15 b1's.
AVX512 static inline __m512 pair_token(__m512i q, __m128 dx, const qk_q80_pair *y, __m512 acc) {
    __m512i d = _mm512_dpbusd_epi32(_mm512_load_si512(y->corr), q, _mm512_load_si512(y->qy));
    __m128 s = _mm_mul_ps(dx, _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)y->dy)));
    __m512 lanes = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1), _mm512_castps128_ps512(s));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), lanes, acc);
}

/// One row of `np` pairs times a prepared activation, before the horizontal add.
AVX512 __attribute__((always_inline)) static inline __m512 q80_row_sums(int np, const qk_block_q80 *x, const qk_q80_pair *y) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    // Hot loop: one pair (two blocks) per iteration, alternating accumulators.
    for (int p = 0; p < np; p++) {
        const qk_block_q80 *b = &x[2 * p];
        if (p & 1) acc1 = pair_token(unpack_q80_pair(b), weight_scales(b), &y[p], acc1);
        else acc0 = pair_token(unpack_q80_pair(b), weight_scales(b), &y[p], acc0);
    }
    return _mm512_add_ps(acc0, acc1);
}

AVX512 static float q80_row(int np, const qk_block_q80 *x, const qk_q80_pair *y) { return _mm512_reduce_add_ps(q80_row_sums(np, x, y)); }

/// Four consecutive rows, read in order, their horizontal adds done together (the same pairs in
/// the same order as _mm512_reduce_add_ps, so the same results): a 576-value row is only 9 pairs,
/// and its own horizontal add was a good part of its time.
AVX512 static void q80_rows4(int np, const qk_block_q80 *x, size_t row_bytes, const qk_q80_pair *y, float *out) {
#define Q80_ROW_SUMS(j) q80_row_sums(np, (const qk_block_q80 *)((const uint8_t *)x + (size_t)(j) * row_bytes), y)
    _mm_storeu_ps(out, hsum4_f32x16(Q80_ROW_SUMS(0), Q80_ROW_SUMS(1), Q80_ROW_SUMS(2), Q80_ROW_SUMS(3)));
#undef Q80_ROW_SUMS
}

#define ROW(x, r) ((const void *)((const uint8_t *)(x) + (size_t)(r) * row_bytes))

/// Whole-share: the pairs, then an odd last block through the single-block dot.
AVX512 void qk_matvec_prepared_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out) {
    const int nb = n / QK_BLOCK;
    const qk_block_q80 *tail = prepared_tail(prepared, nb);
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
        prefetch_weights_ahead(ROW(w, r), 4 * row_bytes);
        q80_rows4(nb / 2, ROW(w, r), row_bytes, prepared, out + r);
        if (nb & 1) {
            for (int j = 0; j < 4; j++) out[r + j] += qk_dot_q80_q80_avx2(QK_BLOCK, (const qk_block_q80 *)ROW(w, r + j) + nb - 1, tail);
        }
    }
    for (; r < rows; r++) {
        const qk_block_q80 *x = ROW(w, r);
        prefetch_weights_ahead(x, row_bytes);
        float sum = q80_row(nb / 2, x, prepared);
        if (nb & 1) sum += qk_dot_q80_q80_avx2(QK_BLOCK, &x[nb - 1], tail);
        out[r] = sum;
    }
}

// ---------------------------------------------------------------- batches of activation rows

/// 4 tokens through `np` pairs of one row: each weight pair is unpacked once and used for every token.
AVX512 static inline void pair_row_tokens(int np, const qk_block_q80 *row, qk_q80_pair *const *y, float *sums) {
    // Two accumulators per token (even and odd pairs), so no token waits on its own FMA latency.
    __m512 even[4], odd[4];
    for (int t = 0; t < 4; t++) { even[t] = _mm512_setzero_ps(); odd[t] = _mm512_setzero_ps(); }
    int p = 0;
    // Hot loop: two weight pairs, each unpacked once, times every token.
    for (; p + 1 < np; p += 2) {
        const qk_block_q80 *b = &row[2 * p];
        __m512i q0 = unpack_q80_pair(b), q1 = unpack_q80_pair(b + 2);
        __m128 dx0 = weight_scales(b), dx1 = weight_scales(b + 2);
        for (int t = 0; t < 4; t++) {
            even[t] = pair_token(q0, dx0, &y[t][p], even[t]);
            odd[t] = pair_token(q1, dx1, &y[t][p + 1], odd[t]);
        }
    }
    if (p < np) {
        const qk_block_q80 *b = &row[2 * p];
        __m512i q0 = unpack_q80_pair(b);
        __m128 dx = weight_scales(b);
        for (int t = 0; t < 4; t++) even[t] = pair_token(q0, dx, &y[t][p], even[t]);
    }
    for (int t = 0; t < 4; t++) sums[t] = _mm512_reduce_add_ps(_mm512_add_ps(even[t], odd[t]));
}

/// Pairs per pass over the rows: 4 tokens x 16 pairs x 192 bytes = 12 KiB of prepared activations,
/// which stay in L1 while the rows go by (whole 4096-value token rows, 96 KiB for 4, came from L2 for
/// every row and made the batch no faster than one token at a time).
enum { CHUNK_PAIRS = 16 };

/// out[t * out_stride + r] = dot(row r of w, token t), over token rows prepared in pairs
/// (`prepared_row_bytes` apart, each 64-byte aligned). Each chunk of columns adds its partial sums
/// into `out`.
AVX512 void qk_matmat_prepared_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared_rows,
                                          size_t prepared_row_bytes, int batch, float *out, size_t out_stride) {
    const uint8_t *prepared = prepared_rows;
    const int nb = n / QK_BLOCK, np = nb / 2;
    for (int t0 = 0; t0 < batch; t0 += 4) {
        const int tokens = batch - t0 < 4 ? batch - t0 : 4;
        if (tokens < 4) {  // a last group of 1-3 tokens: the per-token kernel is faster than a partial group
            for (int t = 0; t < tokens; t++)
                qk_matvec_prepared_q80_avx512(n, w, row_bytes, rows, prepared + (size_t)(t0 + t) * prepared_row_bytes,
                                              out + (size_t)(t0 + t) * out_stride);
            break;
        }
        qk_q80_pair *pairs[4];  // [4 tokens][np], each from pair p0 of its row
        float *o = out + (size_t)t0 * out_stride;  // [4][out_stride]
        for (int p0 = 0; p0 < np; p0 += CHUNK_PAIRS) {
            const int count = np - p0 < CHUNK_PAIRS ? np - p0 : CHUNK_PAIRS;
            for (int t = 0; t < 4; t++) pairs[t] = (qk_q80_pair *)(prepared + (size_t)(t0 + t) * prepared_row_bytes) + p0;
            for (int r = 0; r < rows; r++) {
                const qk_block_q80 *row = (const qk_block_q80 *)ROW(w, r) + 2 * p0;
                // The rows are read a chunk at a time, not as one stream: fetch a later row's chunk ahead.
                if (r + 2 < rows)
                    for (int line = 0; line < 2 * count * (int)sizeof(qk_block_q80); line += 64)
                        _mm_prefetch((const char *)row + 2 * row_bytes + line, _MM_HINT_T0);
                float sums[4];
                pair_row_tokens(count, row, pairs, sums);
                for (int t = 0; t < 4; t++) o[(size_t)t * out_stride + r] = (p0 ? o[(size_t)t * out_stride + r] : 0.0f) + sums[t];
            }
        }
        if (nb & 1)  // an odd last block, after the pairs (or alone)
            for (int r = 0; r < rows; r++) {
                const qk_block_q80 *last = (const qk_block_q80 *)ROW(w, r) + nb - 1;
                for (int t = 0; t < 4; t++)
                    o[(size_t)t * out_stride + r] = (np ? o[(size_t)t * out_stride + r] : 0.0f) +
                                                    qk_dot_q80_q80_avx2(QK_BLOCK, last, prepared_tail(prepared + (size_t)(t0 + t) * prepared_row_bytes, nb));
            }
    }
}

#include "unprepared_matvec.h"

UNPREPARED_MATVEC(qk_matvec_q80_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q80_avx512, qk_matvec_prepared_q80_avx512, qk_dot_q80_q80_avx512)
UNPREPARED_MATMAT(qk_matmat_q80_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q80_avx512, qk_matmat_prepared_q80_avx512, qk_dot_q80_q80_avx512)
#endif
