// Q40, Q41, Q5_0 and Q5_1 weights times prepared Q80 activations on AVX-512 (F, BW, VL, VNNI):
// whole-share and batched. The activation is prepared in quads of four blocks, so that four weight
// blocks unpack with no shuffle at all:
//   - a quad's four `qs` arrays (16 bytes each) are put side by side in one 512-bit register by one
//     word permutation of two loads; its low nibbles are values 0..15 of each block, its high
//     nibbles values 16..31 (Q5: each plus 16 where its fifth bit, from `qh`, is set),
//   - the prepared quad holds y_b[0:16] of its four blocks in `lo` and y_b[16:32] in `hi`, so both
//     halves multiply into the same 32-bit lane, whose block is lane / 4: one accumulator, one
//     conversion, one scale vector per quad,
//   - VPDPBUSD multiplies unsigned bytes by signed ones; Q40's values 0..15 stand for q - 8 (Q5_0's
//     0..31 for q - 16), so each lane starts from the correction -offset * (its 8 activation bytes'
//     sum),
//   - the four blocks' scales d (Q41 / Q5_1's minimums m, Q5's fifth bits) come from a second word
//     permutation of the same two loads; the quad carries dy and dy * sum(q_y) to multiply them by.
// A row's last quad may be partial (fewer than 4 blocks left): the missing blocks are zero on both sides.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx512_helpers.h"
#include "weight_prefetch.h"
#include <immintrin.h>
#include <string.h>

/// Four activation blocks (b..b+3), prepared: 256 bytes, 64-byte aligned.
typedef struct {
    int8_t lo[64];      // y_b[0:16], y_b+1[0:16], y_b+2[0:16], y_b+3[0:16]: what the low nibbles multiply
    int8_t hi[64];      // the same blocks' values 16..31: what the high nibbles multiply
    int32_t corr[16];   // -offset * (lane's 4 bytes of lo + 4 bytes of hi): Q40 8, Q5_0 16, else 0
    float dy[4];        // the blocks' scales (0 for a missing block)
    float sy[4];        // dy * sum(q_y) of each block (Q41 / Q5_1's minimum term)
    float pad[8];
} qk_q80_quad;

_Static_assert(sizeof(qk_q80_quad) == 256, "a prepared quad is four cache lines");
_Static_assert(sizeof(qk_block_q40) == 18 && sizeof(qk_block_q41) == 20 && sizeof(qk_block_q50) == 22 && sizeof(qk_block_q51) == 24,
               "the quad loads assume these block sizes (d first; Q41 / Q5_1: m next; Q5: qh next; qs last)");

size_t qk_prepared_quads_bytes_avx512(int n) { return sizeof(qk_q80_quad) * (size_t)((n / QK_BLOCK + 3) / 4); }

/// Lays out a Q80 row in quads (see the top of this file); `offset` is the value the weights'
/// unsigned codes stand for as zero (Q40 8, Q5_0 16; 0 for the types with a minimum).
AVX512 static void prepare_quads(int nb, const qk_block_q80 *y, int offset, void *out) {
    qk_q80_quad *quads = out;
    const __m512i ones = _mm512_set1_epi8(1);
    for (int q = 0; q < (nb + 3) / 4; q++) {
        qk_q80_quad *quad = &quads[q];
        __m128i lo[4], hi[4];
        for (int k = 0; k < 4; k++) {
            const int present = 4 * q + k < nb;
            const qk_block_q80 *b = &y[4 * q + k];
            lo[k] = present ? _mm_loadu_si128((const __m128i *)b->qs) : _mm_setzero_si128();
            hi[k] = present ? _mm_loadu_si128((const __m128i *)(b->qs + 16)) : _mm_setzero_si128();
            quad->dy[k] = present ? qk_half_to_float(b->d) : 0.0f;
        }
        __m512i l = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(lo[0]), lo[1], 1)),
                                       _mm256_inserti128_si256(_mm256_castsi128_si256(lo[2]), lo[3], 1), 1);
        __m512i h = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(hi[0]), hi[1], 1)),
                                       _mm256_inserti128_si256(_mm256_castsi128_si256(hi[2]), hi[3], 1), 1);
        _mm512_store_si512(quad->lo, l);
        _mm512_store_si512(quad->hi, h);
        // Each lane's 8 activation bytes summed (ones as the unsigned factor).
        __m512i sums = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, l), ones, h);
        _mm512_store_si512(quad->corr, _mm512_mullo_epi32(sums, _mm512_set1_epi32(-offset)));
        int32_t lane[16];
        _mm512_storeu_si512(lane, sums);
        for (int k = 0; k < 4; k++) quad->sy[k] = quad->dy[k] * (float)(lane[4 * k] + lane[4 * k + 1] + lane[4 * k + 2] + lane[4 * k + 3]);
        memset(quad->pad, 0, sizeof quad->pad);
    }
}

void qk_prepare_q40_avx512(int n, const void *y, void *out) { prepare_quads(n / QK_BLOCK, y, 8, out); }
void qk_prepare_q41_avx512(int n, const void *y, void *out) { prepare_quads(n / QK_BLOCK, y, 0, out); }
void qk_prepare_q50_avx512(int n, const void *y, void *out) { prepare_quads(n / QK_BLOCK, y, 16, out); }
void qk_prepare_q51_avx512(int n, const void *y, void *out) { prepare_quads(n / QK_BLOCK, y, 0, out); }

/// The block types by size: Q40 18, Q41 20, Q5_0 22, Q5_1 24 bytes.
static inline int has_minimum(int block_bytes) { return block_bytes == 20 || block_bytes == 24; }
static inline int has_fifth_bits(int block_bytes) { return block_bytes >= 22; }

/// A weight quad unpacked: the 128 values (0..15, Q5 0..31) as `lo` / `hi` in the prepared lane
/// order, and `scales` = [d_0..d_3, m_0..m_3] (m unused for Q40 / Q5_0).
typedef struct {
    __m512i lo, hi;
    __m256 scales;
} weight_quad;

/// The quad at `b` of `blocks` (1-4) blocks of `block_bytes` (18, 20, 22, 24); a partial quad reads
/// nothing past its blocks and unpacks the missing ones as zeros.
AVX512 __attribute__((always_inline)) static inline weight_quad unpack_quad(const uint8_t *b, int block_bytes, int blocks) {
    // The first 64 bytes, and a masked load of the rest of the quad (8 to 32 bytes of a full one).
    const int w = block_bytes / 2, qs = (block_bytes - 16) / 2, qh = block_bytes == 22 ? 1 : 2;  // in 16-bit words
    const int bytes = blocks * block_bytes;
    __m512i raw0 = bytes >= 64 ? _mm512_loadu_si512(b) : _mm512_maskz_loadu_epi16((__mmask32)((1u << (bytes / 2)) - 1), b);
    // A full quad's rest (16 to 32 bytes) by a plain load: the permutation reads no word past it.
    __m512i raw1 = blocks == 4 ? (bytes - 64 <= 16 ? _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(b + 64)))
                                                    : _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(b + 64))))
                 : bytes > 64 ? _mm512_maskz_loadu_epi16((__mmask32)((1u << ((bytes - 64) / 2)) - 1), b + 64) : _mm512_setzero_si512();
    // words of the four qs arrays, side by side (indexes past 31 select from raw1)
    const __m512i nibble_words = _mm512_setr_epi32(
        (qs + 0) | (qs + 1) << 16, (qs + 2) | (qs + 3) << 16, (qs + 4) | (qs + 5) << 16, (qs + 6) | (qs + 7) << 16,
        (w + qs + 0) | (w + qs + 1) << 16, (w + qs + 2) | (w + qs + 3) << 16, (w + qs + 4) | (w + qs + 5) << 16, (w + qs + 6) | (w + qs + 7) << 16,
        (2 * w + qs + 0) | (2 * w + qs + 1) << 16, (2 * w + qs + 2) | (2 * w + qs + 3) << 16, (2 * w + qs + 4) | (2 * w + qs + 5) << 16,
        (2 * w + qs + 6) | (2 * w + qs + 7) << 16, (3 * w + qs + 0) | (3 * w + qs + 1) << 16, (3 * w + qs + 2) | (3 * w + qs + 3) << 16,
        (3 * w + qs + 4) | (3 * w + qs + 5) << 16, (3 * w + qs + 6) | (3 * w + qs + 7) << 16);
    // each block's d, then m (the word after d: unused where there is none), then qh's low and high words
    const __m512i head_words = _mm512_setr_epi32(0 | w << 16, 2 * w | 3 * w << 16, 1 | (w + 1) << 16, (2 * w + 1) | (3 * w + 1) << 16,
                                                  qh | (w + qh) << 16, (2 * w + qh) | (3 * w + qh) << 16,
                                                  (qh + 1) | (w + qh + 1) << 16, (2 * w + qh + 1) | (3 * w + qh + 1) << 16,
                                                  0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    __m512i v = _mm512_permutex2var_epi16(raw0, nibble_words, raw1);
    __m512i head = _mm512_permutex2var_epi16(raw0, head_words, raw1);
    weight_quad quad = {_mm512_and_si512(v, nibble), _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble),
                        _mm256_cvtph_ps(_mm512_castsi512_si128(head))};
    if (has_fifth_bits(block_bytes)) {  // bit j of a block's qh is value j's fifth bit: values 0..15 lo, 16..31 hi
        __m128i bits = _mm512_extracti32x4_epi32(head, 1);
        const __m512i sixteen = _mm512_set1_epi8(16);
        quad.lo = _mm512_mask_add_epi8(quad.lo, (__mmask64)(uint64_t)_mm_cvtsi128_si64(bits), quad.lo, sixteen);
        quad.hi = _mm512_mask_add_epi8(quad.hi, (__mmask64)(uint64_t)_mm_extract_epi64(bits, 1), quad.hi, sixteen);
    }
    return quad;
}

/// Lane l of a quad's dot products belongs to block l / 4.
AVX512 static inline __m512 lane_scales(__m256 scales) {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), _mm512_castps256_ps512(scales));
}

/// One weight quad times one prepared quad, into `acc`; the minimum terms [m * dy * sum(q_y)] into
/// the high half of `minimums`.
AVX512 __attribute__((always_inline)) static inline __m512 quad_token(weight_quad x, const qk_q80_quad *y, int minimum, __m512 acc,
                                                                      __m256 *minimums) {
    __m512i start = minimum ? _mm512_setzero_si512() : _mm512_load_si512(y->corr);
    __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(start, x.lo, _mm512_load_si512(y->lo)), x.hi, _mm512_load_si512(y->hi));
    __m256 scales = _mm256_mul_ps(x.scales, _mm256_load_ps(y->dy));  // [dx * dy | mx * sy]
    if (minimum) *minimums = _mm256_add_ps(*minimums, scales);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), lane_scales(scales), acc);
}

AVX512 static inline float finish(__m512 acc, __m256 minimums) {
    __m128 m = _mm256_extractf128_ps(minimums, 1);
    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
    m = _mm_add_ss(m, _mm_movehdup_ps(m));
    return _mm512_reduce_add_ps(acc) + _mm_cvtss_f32(m);
}

/// One row of `nb` blocks times a prepared activation, before the horizontal add (finish).
typedef struct {
    __m512 acc;
    __m256 minimums;
} row_sums;

AVX512 __attribute__((always_inline)) static inline row_sums quad_row_sums(int nb, const uint8_t *row, int block_bytes, const qk_q80_quad *y) {
    const int minimum = has_minimum(block_bytes);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m256 minimums = _mm256_setzero_ps();
    int q = 0;
    // Hot loop: two quads (eight blocks) per iteration, alternating accumulators.
    for (; 4 * q + 8 <= nb; q += 2) {
        acc0 = quad_token(unpack_quad(row + (size_t)(4 * q) * block_bytes, block_bytes, 4), &y[q], minimum, acc0, &minimums);
        acc1 = quad_token(unpack_quad(row + (size_t)(4 * q + 4) * block_bytes, block_bytes, 4), &y[q + 1], minimum, acc1, &minimums);
    }
    if (4 * q + 4 <= nb) {
        acc0 = quad_token(unpack_quad(row + (size_t)(4 * q) * block_bytes, block_bytes, 4), &y[q], minimum, acc0, &minimums);
        q++;
    }
    if (4 * q < nb) acc1 = quad_token(unpack_quad(row + (size_t)(4 * q) * block_bytes, block_bytes, nb - 4 * q), &y[q], minimum, acc1, &minimums);
    return (row_sums){_mm512_add_ps(acc0, acc1), minimums};
}

AVX512 __attribute__((always_inline)) static inline float quad_row(int nb, const uint8_t *row, int block_bytes, const qk_q80_quad *y) {
    row_sums s = quad_row_sums(nb, row, block_bytes, y);
    return finish(s.acc, s.minimums);
}

/// Four consecutive rows, read in order, their horizontal adds done together (the same pairs in
/// the same order as finish(), so the same results): a 576-value row (SmolLM2) is 4.5 quads, and
/// its own horizontal add was a good part of its time.
AVX512 __attribute__((always_inline)) static inline void quad_rows4(int nb, const uint8_t *w, size_t row_bytes, int block_bytes,
                                                                    const qk_q80_quad *y, float *out) {
    row_sums s0 = quad_row_sums(nb, w, block_bytes, y), s1 = quad_row_sums(nb, w + row_bytes, block_bytes, y);
    row_sums s2 = quad_row_sums(nb, w + 2 * row_bytes, block_bytes, y), s3 = quad_row_sums(nb, w + 3 * row_bytes, block_bytes, y);
    __m128 sums = hsum4_f32x16(s0.acc, s1.acc, s2.acc, s3.acc);
    __m128 mins = hsum4_f32x4(_mm256_extractf128_ps(s0.minimums, 1), _mm256_extractf128_ps(s1.minimums, 1),
                              _mm256_extractf128_ps(s2.minimums, 1), _mm256_extractf128_ps(s3.minimums, 1));
    _mm_storeu_ps(out, _mm_add_ps(sums, mins));
}

// ---------------------------------------------------------------- batches of activation rows

/// Quads per pass over the rows: 4 tokens x 12 quads x 256 bytes = 12 KiB of prepared activations,
/// which stay in L1 while the rows go by.
enum { CHUNK_QUADS = 12 };

/// Four tokens through `quads` quads of one row (the last one `last_blocks` long): each weight quad
/// is unpacked once and used for every token.
AVX512 __attribute__((always_inline)) static inline void quad_row_tokens(int quads, int last_blocks, const uint8_t *row, int block_bytes,
                                                                       const qk_q80_quad *const *y, float *sums) {
    const int minimum = has_minimum(block_bytes);
    __m512 acc[4];
    __m256 minimums[4];
    for (int t = 0; t < 4; t++) { acc[t] = _mm512_setzero_ps(); minimums[t] = _mm256_setzero_ps(); }
    // Hot loop: one weight quad, unpacked once, times every token.
    for (int q = 0; q < quads; q++) {
        const uint8_t *b = row + (size_t)(4 * q) * block_bytes;
        weight_quad x = q + 1 < quads || last_blocks == 4 ? unpack_quad(b, block_bytes, 4) : unpack_quad(b, block_bytes, last_blocks);
        for (int t = 0; t < 4; t++) acc[t] = quad_token(x, &y[t][q], minimum, acc[t], &minimums[t]);
    }
    for (int t = 0; t < 4; t++) sums[t] = finish(acc[t], minimums[t]);
}

/// out[t * out_stride + r] = dot(row r of w, token t), over token rows prepared in quads
/// (`prepared_row_bytes` apart, each 64-byte aligned). Each chunk of columns adds its partial sums
/// into `out`.
AVX512 static void quads_matmat_prepared(int n, const void *w, size_t row_bytes, int rows, const uint8_t *prepared,
                                      size_t prepared_row_bytes, int batch, float *out, size_t out_stride, int block_bytes) {
    const int nb = n / QK_BLOCK, nq = (nb + 3) / 4;
    for (int t0 = 0; t0 < batch; t0 += 4) {
        const int tokens = batch - t0 < 4 ? batch - t0 : 4;
        if (tokens < 4) {  // a last group of 1-3 tokens: the per-token kernel is faster than a partial group
            for (int t = 0; t < tokens; t++) {
                const void *y = prepared + (size_t)(t0 + t) * prepared_row_bytes;
                float *o = out + (size_t)(t0 + t) * out_stride;
                switch (block_bytes) {
                case 18: qk_matvec_prepared_q40_avx512(n, w, row_bytes, rows, y, o); break;
                case 20: qk_matvec_prepared_q41_avx512(n, w, row_bytes, rows, y, o); break;
                case 22: qk_matvec_prepared_q50_avx512(n, w, row_bytes, rows, y, o); break;
                default: qk_matvec_prepared_q51_avx512(n, w, row_bytes, rows, y, o); break;
                }
            }
            break;
        }
        const qk_q80_quad *quads[4];  // [4 tokens][nq], each from quad q0 of its row
        float *o = out + (size_t)t0 * out_stride;  // [4][out_stride]
        for (int q0 = 0; q0 < nq; q0 += CHUNK_QUADS) {
            const int count = nq - q0 < CHUNK_QUADS ? nq - q0 : CHUNK_QUADS;
            const int last_blocks = q0 + count < nq ? 4 : nb - 4 * (nq - 1);
            for (int t = 0; t < 4; t++) quads[t] = (const qk_q80_quad *)(prepared + (size_t)(t0 + t) * prepared_row_bytes) + q0;
            for (int r = 0; r < rows; r++) {
                const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes + (size_t)(4 * q0) * block_bytes;
                // The rows are read a chunk at a time, not as one stream: fetch a later row's chunk ahead.
                if (r + 2 < rows)
                    for (int line = 0; line < 4 * count * block_bytes; line += 64) _mm_prefetch((const char *)row + 2 * row_bytes + line, _MM_HINT_T0);
                float sums[4];
                switch (block_bytes) {  // constant block sizes, so the token loop unrolls into registers
                case 18: quad_row_tokens(count, last_blocks, row, 18, quads, sums); break;
                case 20: quad_row_tokens(count, last_blocks, row, 20, quads, sums); break;
                case 22: quad_row_tokens(count, last_blocks, row, 22, quads, sums); break;
                default: quad_row_tokens(count, last_blocks, row, 24, quads, sums); break;
                }
                for (int t = 0; t < 4; t++) o[(size_t)t * out_stride + r] = (q0 ? o[(size_t)t * out_stride + r] : 0.0f) + sums[t];
            }
        }
    }
}

/// The whole-share and batched kernels of one block type (by its size in bytes).
#define QUAD_KERNELS(suffix, block_bytes)                                                                                     \
    AVX512 void qk_matvec_prepared_##suffix##_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared,   \
                                                     float *out) {                                                           \
        int r = 0;                                                                                                            \
        for (; r + 4 <= rows; r += 4) {                                                                                       \
            const uint8_t *four = (const uint8_t *)w + (size_t)r * row_bytes;                                                 \
            prefetch_weights_ahead(four, 4 * row_bytes);                                                                      \
            quad_rows4(n / QK_BLOCK, four, row_bytes, block_bytes, prepared, out + r);                                        \
        }                                                                                                                     \
        for (; r < rows; r++) {                                                                                               \
            const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;                                                  \
            prefetch_weights_ahead(row, row_bytes);                                                                           \
            out[r] = quad_row(n / QK_BLOCK, row, block_bytes, prepared);                                                      \
        }                                                                                                                     \
    }                                                                                                                         \
    AVX512 void qk_matmat_prepared_##suffix##_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared,   \
                                                     size_t prepared_row_bytes, int batch, float *out, size_t out_stride) {  \
        quads_matmat_prepared(n, w, row_bytes, rows, prepared, prepared_row_bytes, batch, out, out_stride, block_bytes);         \
    }

QUAD_KERNELS(q40, 18)
QUAD_KERNELS(q41, 20)
QUAD_KERNELS(q50, 22)
QUAD_KERNELS(q51, 24)

#define ROW(x, r) ((const void *)((const uint8_t *)(x) + (size_t)(r) * row_bytes))
#include "unprepared_matvec.h"

UNPREPARED_MATVEC(qk_matvec_q40_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q40_avx512, qk_matvec_prepared_q40_avx512, qk_dot_q40_q80_avx2)
UNPREPARED_MATVEC(qk_matvec_q41_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q41_avx512, qk_matvec_prepared_q41_avx512, qk_dot_q41_q80_avx512)
UNPREPARED_MATMAT(qk_matmat_q40_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q40_avx512, qk_matmat_prepared_q40_avx512, qk_dot_q40_q80_avx2)
UNPREPARED_MATMAT(qk_matmat_q41_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q41_avx512, qk_matmat_prepared_q41_avx512, qk_dot_q41_q80_avx512)
UNPREPARED_MATVEC(qk_matvec_q50_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q50_avx512, qk_matvec_prepared_q50_avx512, qk_dot_q50_q80_avx512)
UNPREPARED_MATVEC(qk_matvec_q51_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q51_avx512, qk_matvec_prepared_q51_avx512, qk_dot_q51_q80_avx512)
UNPREPARED_MATMAT(qk_matmat_q50_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q50_avx512, qk_matmat_prepared_q50_avx512, qk_dot_q50_q80_avx512)
UNPREPARED_MATMAT(qk_matmat_q51_q80_avx512, 64, qk_prepared_bytes_avx512, qk_prepare_q51_avx512, qk_matmat_prepared_q51_avx512, qk_dot_q51_q80_avx512)
#endif
