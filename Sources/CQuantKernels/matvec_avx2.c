// Q40, Q41, Q5_0 and Q5_1 x Q80 matrix-vector and batched (4 tokens per weight pass) products for AVX2. The activation vector is prepared
// once (`qk_prepare_*_avx2`, by the caller into a buffer of its own that every thread reads): each 4-byte group of q_y carries the correction -offset * sum(q_y) (offset 8 for
// Q40, 16 for Q5_0), so the unsigned weight values (0..15, 0..31) multiply directly (VPMADDUBSW) with
// no sign fix-ups; each block's scale, and dy * sum(q_y) for Q41 / Q5_1's minimum term, are floats.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx2_helpers.h"
#include "weight_prefetch.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/// One activation block, prepared: 32 + 32 + 4 bytes, padded to 96 for alignment.
typedef struct {
    int8_t qy[32];
    int32_t corr[8];  // corr[k] = -offset * (qy[4k] + qy[4k+1] + qy[4k+2] + qy[4k+3])
    float dy;
    float sy;  // dy * sum(q_y)
    float pad[6];
} qk_q80_prepared;

_Static_assert(sizeof(qk_q80_prepared) == 96, "a prepared block is 96 bytes, 32-byte aligned in an array");

size_t qk_prepared_bytes_avx2(int n) { return sizeof(qk_q80_prepared) * (size_t)(n / QK_BLOCK > 0 ? n / QK_BLOCK : 1); }

static void prepare_blocks(int nb, const qk_block_q80 *y, qk_q80_prepared *out, int offset) {
    for (int b = 0; b < nb; b++) {
        for (int j = 0; j < 32; j++) out[b].qy[j] = y[b].qs[j];
        for (int k = 0; k < 8; k++) out[b].corr[k] = -offset * (y[b].qs[4 * k] + y[b].qs[4 * k + 1] + y[b].qs[4 * k + 2] + y[b].qs[4 * k + 3]);
        out[b].dy = qk_half_to_float(y[b].d);
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += y[b].qs[j];
        out[b].sy = out[b].dy * (float)sum;
    }
}


AVX2 static inline float q40_row(int nb, const qk_block_q40 *x, const qk_q80_prepared *y) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int b = 0;
    // Hot loop: two blocks per iteration into independent accumulators.
    for (; b + 1 < nb; b += 2) {
        __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[b].qs), _mm256_load_si256((const __m256i *)y[b].qy)), ones);
        __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[b + 1].qs), _mm256_load_si256((const __m256i *)y[b + 1].qy)), ones);
        p0 = _mm256_add_epi32(p0, _mm256_load_si256((const __m256i *)y[b].corr));
        p1 = _mm256_add_epi32(p1, _mm256_load_si256((const __m256i *)y[b + 1].corr));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(_cvtsh_ss(x[b].d) * y[b].dy), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(_cvtsh_ss(x[b + 1].d) * y[b + 1].dy), acc1);
    }
    for (; b < nb; b++) {
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[b].qs), _mm256_load_si256((const __m256i *)y[b].qy)), ones);
        p = _mm256_add_epi32(p, _mm256_load_si256((const __m256i *)y[b].corr));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(x[b].d) * y[b].dy), acc0);
    }
    return hsum_f32x8(_mm256_add_ps(acc0, acc1));
}

AVX2 static inline float q41_row(int nb, const qk_block_q41 *x, const qk_q80_prepared *y) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float minimum0 = 0.0f, minimum1 = 0.0f;  // sum of m_x * dy * sum(q_y)
    int b = 0;
    // Hot loop: two blocks per iteration into independent accumulators.
    for (; b + 1 < nb; b += 2) {
        __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[b].qs), _mm256_load_si256((const __m256i *)y[b].qy)), ones);
        __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[b + 1].qs), _mm256_load_si256((const __m256i *)y[b + 1].qy)), ones);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(_cvtsh_ss(x[b].d) * y[b].dy), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(_cvtsh_ss(x[b + 1].d) * y[b + 1].dy), acc1);
        minimum0 += _cvtsh_ss(x[b].m) * y[b].sy;
        minimum1 += _cvtsh_ss(x[b + 1].m) * y[b + 1].sy;
    }
    for (; b < nb; b++) {
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[b].qs), _mm256_load_si256((const __m256i *)y[b].qy)), ones);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(x[b].d) * y[b].dy), acc0);
        minimum0 += _cvtsh_ss(x[b].m) * y[b].sy;
    }
    return hsum_f32x8(_mm256_add_ps(acc0, acc1)) + minimum0 + minimum1;
}

/// 0x10 in byte j where bit j of a Q5 block's 4 `qh` bytes is set (its values' fifth bits).
AVX2 static inline __m256i fifth_bits_u(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),  // byte j: byte j / 8 of the bits
                                         _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);  // byte j: bit j % 8
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select), _mm256_set1_epi8(0x10));
}

/// One row of Q5_0 (`minimum` 0, corrections for offset 16 in `y`) or Q5_1 (`minimum` 1) blocks.
AVX2 __attribute__((always_inline)) static inline float q5_row(int nb, const uint8_t *row, int minimum, const qk_q80_prepared *y) {
    const int block_bytes = minimum ? 24 : 22, qh_offset = minimum ? 4 : 2;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float minimum0 = 0.0f;
    // Hot loop: one block per iteration, alternating accumulators.
    for (int b = 0; b < nb; b++) {
        const uint8_t *block = row + (size_t)b * block_bytes;
        __m256i q = _mm256_or_si256(unpack_nibbles(block + qh_offset + 4), fifth_bits_u(block + qh_offset));  // 0..31
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, _mm256_load_si256((const __m256i *)y[b].qy)), ones);
        if (!minimum) p = _mm256_add_epi32(p, _mm256_load_si256((const __m256i *)y[b].corr));
        else minimum0 += _cvtsh_ss(*(const uint16_t *)(block + 2)) * y[b].sy;
        __m256 d = _mm256_set1_ps(_cvtsh_ss(*(const uint16_t *)block) * y[b].dy);
        if (b & 1) acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc1);
        else acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc0);
    }
    return hsum_f32x8(_mm256_add_ps(acc0, acc1)) + minimum0;
}

void qk_prepare_q40_avx2(int n, const void *y, void *out) { prepare_blocks(n / QK_BLOCK, y, out, 8); }
void qk_prepare_q41_avx2(int n, const void *y, void *out) { prepare_blocks(n / QK_BLOCK, y, out, 0); }
void qk_prepare_q50_avx2(int n, const void *y, void *out) { prepare_blocks(n / QK_BLOCK, y, out, 16); }
void qk_prepare_q51_avx2(int n, const void *y, void *out) { prepare_blocks(n / QK_BLOCK, y, out, 0); }

#define ROW(w, r) ((const uint8_t *)(w) + (size_t)(r) * row_bytes)

AVX2 void qk_matvec_prepared_q40_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out) {
    for (int r = 0; r < rows; r++) {
        prefetch_weights_ahead(ROW(w, r), row_bytes);
        out[r] = q40_row(n / QK_BLOCK, (const qk_block_q40 *)ROW(w, r), prepared);
    }
}

AVX2 void qk_matvec_prepared_q41_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out) {
    for (int r = 0; r < rows; r++) {
        prefetch_weights_ahead(ROW(w, r), row_bytes);
        out[r] = q41_row(n / QK_BLOCK, (const qk_block_q41 *)ROW(w, r), prepared);
    }
}

AVX2 void qk_matvec_prepared_q50_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out) {
    for (int r = 0; r < rows; r++) {
        prefetch_weights_ahead(ROW(w, r), row_bytes);
        out[r] = q5_row(n / QK_BLOCK, ROW(w, r), 0, prepared);
    }
}

AVX2 void qk_matvec_prepared_q51_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out) {
    for (int r = 0; r < rows; r++) {
        prefetch_weights_ahead(ROW(w, r), row_bytes);
        out[r] = q5_row(n / QK_BLOCK, ROW(w, r), 1, prepared);
    }
}

#include "unprepared_matvec.h"

UNPREPARED_MATVEC(qk_matvec_q40_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q40_avx2, qk_matvec_prepared_q40_avx2, qk_dot_q40_q80_avx2)
UNPREPARED_MATVEC(qk_matvec_q41_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q41_avx2, qk_matvec_prepared_q41_avx2, qk_dot_q41_q80_avx2)
UNPREPARED_MATVEC(qk_matvec_q50_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q50_avx2, qk_matvec_prepared_q50_avx2, qk_dot_q50_q80_avx2)
UNPREPARED_MATVEC(qk_matvec_q51_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q51_avx2, qk_matvec_prepared_q51_avx2, qk_dot_q51_q80_avx2)

// ---------------------------------------------------------------- batches of activation rows

/// The block kinds the batched kernel takes. Odd kinds have a minimum term (value d * q + m, m at
/// byte 2); the others' offset (8, 16) is in the prepared blocks' corrections.
enum { KIND_Q40, KIND_Q41, KIND_Q50, KIND_Q51 };
static const int kind_block_bytes[] = {18, 20, 22, 24};

/// A block of `kind` unpacked to its unsigned values (0..15, or 0..31 with the fifth bits).
AVX2 __attribute__((always_inline)) static inline __m256i unpack_kind(const uint8_t *block, int kind) {
    if (kind == KIND_Q40) return unpack_nibbles(block + 2);
    if (kind == KIND_Q41) return unpack_nibbles(block + 4);
    const int qh_offset = kind == KIND_Q51 ? 4 : 2;
    return _mm256_or_si256(unpack_nibbles(block + qh_offset + 4), fifth_bits_u(block + qh_offset));
}

/// One unpacked weight block `q` (scale `dx`) times one token's prepared block; `minimum` kinds
/// skip the corrections (prepared with offset 0, they are zero).
AVX2 __attribute__((always_inline)) static inline __m256 block_token(__m256i q, float dx, const qk_q80_prepared *yb, int minimum, __m256 acc) {
    __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, _mm256_load_si256((const __m256i *)yb->qy)), _mm256_set1_epi16(1));
    if (!minimum) p = _mm256_add_epi32(p, _mm256_load_si256((const __m256i *)yb->corr));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dx * yb->dy), acc);
}

/// Up to 4 tokens through one row of 4- or 5-bit blocks of `kind`: each weight block is unpacked
/// once (the Q5 fifth bits are the costly part) and used for every token.
AVX2 __attribute__((always_inline)) static inline void row_tokens(int nb, const uint8_t *row, int kind, int tokens,
                                                                   qk_q80_prepared *const *y, float *sums) {
    const int block_bytes = kind_block_bytes[kind], minimum = kind & 1;
    // Two accumulators per token (even and odd blocks), so no token waits on its own FMA latency.
    __m256 even[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 odd[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float minimums[4] = {0.0f, 0.0f, 0.0f, 0.0f};  // sum of m_x * dy * sum(q_y) per token
    int b = 0;
    // Hot loop: two weight blocks, each unpacked once, times every token.
    for (; b + 1 < nb; b += 2) {
        const uint8_t *b0 = row + (size_t)b * block_bytes, *b1 = b0 + block_bytes;
        __m256i q0 = unpack_kind(b0, kind), q1 = unpack_kind(b1, kind);
        float dx0 = _cvtsh_ss(*(const uint16_t *)b0), dx1 = _cvtsh_ss(*(const uint16_t *)b1);
        float mx0 = minimum ? _cvtsh_ss(*(const uint16_t *)(b0 + 2)) : 0.0f, mx1 = minimum ? _cvtsh_ss(*(const uint16_t *)(b1 + 2)) : 0.0f;
        for (int t = 0; t < tokens; t++) {
            even[t] = block_token(q0, dx0, &y[t][b], minimum, even[t]);
            odd[t] = block_token(q1, dx1, &y[t][b + 1], minimum, odd[t]);
            if (minimum) minimums[t] += mx0 * y[t][b].sy + mx1 * y[t][b + 1].sy;
        }
    }
    if (b < nb) {  // an odd last block
        const uint8_t *b0 = row + (size_t)b * block_bytes;
        __m256i q0 = unpack_kind(b0, kind);
        float dx0 = _cvtsh_ss(*(const uint16_t *)b0), mx0 = minimum ? _cvtsh_ss(*(const uint16_t *)(b0 + 2)) : 0.0f;
        for (int t = 0; t < tokens; t++) {
            even[t] = block_token(q0, dx0, &y[t][b], minimum, even[t]);
            if (minimum) minimums[t] += mx0 * y[t][b].sy;
        }
    }
    for (int t = 0; t < tokens; t++) sums[t] = hsum_f32x8(_mm256_add_ps(even[t], odd[t])) + minimums[t];
}

/// Blocks per pass over the rows: 4 tokens x 32 blocks x 96 bytes = 12 KiB of prepared activations,
/// which stay in L1 while the rows go by (whole 4096-value token rows, 48 KiB for 4, do not).
enum { CHUNK_BLOCKS = 32 };

/// out[t * out_stride + r] = dot(row r of w, token t) for weights of `kind`, over token rows
/// prepared for `kind` (`prepared_row_bytes` apart, each 32-byte aligned). Each chunk of columns
/// adds its partial sums into `out`.
AVX2 static void matmat_prepared(int n, const void *w, size_t row_bytes, int rows, const uint8_t *prepared,
                                 size_t prepared_row_bytes, int batch, float *out, size_t out_stride, int kind) {
    typedef void (*matvec_fn_t)(int, const void *, size_t, int, const void *, float *);
    static const matvec_fn_t per_token[] = {qk_matvec_prepared_q40_avx2, qk_matvec_prepared_q41_avx2,
                                            qk_matvec_prepared_q50_avx2, qk_matvec_prepared_q51_avx2};
    const int nb = n / QK_BLOCK, block_bytes = kind_block_bytes[kind];
    for (int t0 = 0; t0 < batch; t0 += 4) {
        const int tokens = batch - t0 < 4 ? batch - t0 : 4;
        if (tokens < 4) {  // a last group of 1-3 tokens: the per-token kernel is faster than a partial group
            for (int t = 0; t < tokens; t++)
                per_token[kind](n, w, row_bytes, rows, prepared + (size_t)(t0 + t) * prepared_row_bytes, out + (size_t)(t0 + t) * out_stride);
            break;
        }
        qk_q80_prepared *blocks[4];  // [4 tokens][nb], each from block b0 of its row
        float *o = out + (size_t)t0 * out_stride;  // [4][out_stride]
        for (int b0 = 0; b0 < nb; b0 += CHUNK_BLOCKS) {
            const int count = nb - b0 < CHUNK_BLOCKS ? nb - b0 : CHUNK_BLOCKS;
            for (int t = 0; t < 4; t++) blocks[t] = (qk_q80_prepared *)(prepared + (size_t)(t0 + t) * prepared_row_bytes) + b0;
            for (int r = 0; r < rows; r++) {
                const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes + (size_t)b0 * block_bytes;
                // The rows are read a chunk at a time, not as one stream: fetch a later row's chunk ahead.
                if (r + 2 < rows)
                    for (int line = 0; line < count * block_bytes; line += 64) _mm_prefetch((const char *)row + 2 * row_bytes + line, _MM_HINT_T0);
                float sums[4];
                switch (kind) {  // constant arguments, so the token loop unrolls into registers
                case KIND_Q40: row_tokens(count, row, KIND_Q40, 4, blocks, sums); break;
                case KIND_Q41: row_tokens(count, row, KIND_Q41, 4, blocks, sums); break;
                case KIND_Q50: row_tokens(count, row, KIND_Q50, 4, blocks, sums); break;
                default: row_tokens(count, row, KIND_Q51, 4, blocks, sums); break;
                }
                for (int t = 0; t < 4; t++) o[(size_t)t * out_stride + r] = (b0 ? o[(size_t)t * out_stride + r] : 0.0f) + sums[t];
            }
        }
    }
}

#define MATMAT(suffix, kind)                                                                                              \
    AVX2 void qk_matmat_prepared_##suffix##_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, \
                                                 size_t prepared_row_bytes, int batch, float *out, size_t out_stride) { \
        matmat_prepared(n, w, row_bytes, rows, prepared, prepared_row_bytes, batch, out, out_stride, kind);             \
    }

MATMAT(q40, KIND_Q40)
MATMAT(q41, KIND_Q41)
MATMAT(q50, KIND_Q50)
MATMAT(q51, KIND_Q51)

UNPREPARED_MATMAT(qk_matmat_q40_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q40_avx2, qk_matmat_prepared_q40_avx2, qk_dot_q40_q80_avx2)
UNPREPARED_MATMAT(qk_matmat_q41_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q41_avx2, qk_matmat_prepared_q41_avx2, qk_dot_q41_q80_avx2)
UNPREPARED_MATMAT(qk_matmat_q50_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q50_avx2, qk_matmat_prepared_q50_avx2, qk_dot_q50_q80_avx2)
UNPREPARED_MATMAT(qk_matmat_q51_q80_avx2, 32, qk_prepared_bytes_avx2, qk_prepare_q51_avx2, qk_matmat_prepared_q51_avx2, qk_dot_q51_q80_avx2)
#endif
