// AVX2 + FMA + F16C dot products for Q5_0 / Q5_1 (x Q80) and the K-quants (x Q8_K), and the
// K-quants' whole-share matrix-vector products. Same contracts as q5_kquants_ref.c; integer sums are
// exact, so results differ from the reference only by float summation order.
//
// The K-quant kernels multiply unsigned weight values (0..15, 0..31, 0..63) by the signed activation
// bytes with VPMADDUBSW, then by each sub-block's scale with VPMADDWD, adding whole super-blocks in
// int32; Q6_K's -32 offset is taken out at the end with the activation's block sums.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "kquant_scales.h"
#include "avx2_helpers.h"
#include "weight_prefetch.h"
#include <immintrin.h>
#include <string.h>


/// 0x10 in byte j where bit j of the 4 little-endian bytes at `qh` is set: a Q5 block's fifth bits.
AVX2 static inline __m256i fifth_bits(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    // Byte j takes byte j / 8 of the bits, then tests its own bit j % 8.
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
                                         _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// ---------------------------------------------------------------- Q5_0, Q5_1 x Q80

AVX2 float qk_dot_q50_q80_avx2(int n, const void *x, const void *y) {
    const qk_block_q50 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    for (int b = 0; b < nb; b++) {
        // q - 16 in -16..15: |q - 16| times y carrying q - 16's sign, as unsigned x signed bytes.
        __m256i q = _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles(wx[b].qs), fifth_bits(wx[b].qh)), _mm256_set1_epi8(16));
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(qy, q)), ones);
        __m256 d = _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d));
        if (b & 1) acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc1);
        else acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc0);
    }
    return hsum_f32x8(_mm256_add_ps(acc0, acc1));
}

AVX2 float qk_dot_q51_q80_avx2(int n, const void *x, const void *y) {
    const qk_block_q51 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    const __m256i ones16 = _mm256_set1_epi16(1), ones8 = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), accMin = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i q = _mm256_or_si256(unpack_nibbles(wx[b].qs), fifth_bits(wx[b].qh));  // 0..31: value = d q + m
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, qy), ones16);
        __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, qy), ones16);
        float dy = _cvtsh_ss(ay[b].d);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * dy), acc);
        accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(wx[b].m) * dy), accMin);
    }
    return hsum_f32x8(_mm256_add_ps(acc, accMin));
}

// ---------------------------------------------------------------- K-quants x Q8_K

/// One Q4_K (qh NULL) or Q5_K super-block times a Q8_K block: the integer sum of scale_j * q * y.
AVX2 __attribute__((always_inline)) static inline __m256i k45_block(const uint8_t *qs, const uint8_t *qh, uint64_t scales,
                                                                     const int8_t *qy) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i hbits = qh ? _mm256_loadu_si256((const __m256i *)qh) : _mm256_setzero_si256();
    __m256i isum = _mm256_setzero_si256();
    for (int p = 0; p < 4; p++) {  // 64 values: 32 low nibbles (sub-block 2p), 32 high (2p + 1)
        __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * p));
        __m256i q0 = _mm256_and_si256(raw, low), q1 = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
        if (qh) {  // bit 2p of qh[l] is value l's fifth bit, bit 2p + 1 value 32 + l's
            const __m256i m0 = _mm256_set1_epi8((char)(1 << (2 * p))), m1 = _mm256_set1_epi8((char)(1 << (2 * p + 1)));
            const __m256i sixteen = _mm256_set1_epi8(16);
            q0 = _mm256_or_si256(q0, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, m0), m0), sixteen));
            q1 = _mm256_or_si256(q1, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, m1), m1), sixteen));
        }
        __m256i p0 = _mm256_maddubs_epi16(q0, _mm256_loadu_si256((const __m256i *)(qy + 64 * p)));
        __m256i p1 = _mm256_maddubs_epi16(q1, _mm256_loadu_si256((const __m256i *)(qy + 64 * p + 32)));
        p0 = _mm256_madd_epi16(p0, _mm256_set1_epi16((short)((scales >> (16 * p)) & 0xFF)));
        p1 = _mm256_madd_epi16(p1, _mm256_set1_epi16((short)((scales >> (16 * p + 8)) & 0xFF)));
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(p0, p1));
    }
    return isum;
}

/// Q4_K (`QH` NULL) and Q5_K (`QH` the block's fifth bits) super-blocks . Q8_K: the integer dot per
/// super-block, its scale, and the minimums' term from the Q8_K block sums.
#define K45_DOT(name, block_t, QH)                                                                              \
    AVX2 float name(int n, const void *x, const void *y) {                                                          \
        const block_t *wx = x;                                                                                  \
        const qk_block_q8k *ay = y;                                                                             \
        __m256 acc = _mm256_setzero_ps();                                                                        \
        float minimum = 0.0f;                                                                                   \
        for (int b = 0; b < n / QK_SUPER; b++) {                                                                \
            uint64_t scales, mins;                                                                              \
            kquant_scales_mins(wx[b].scales, &scales, &mins);                                                   \
            __m256i isum = k45_block(wx[b].qs, QH, scales, ay[b].qs);                                             \
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(ay[b].d * _cvtsh_ss(wx[b].d)), acc);        \
            minimum += ay[b].d * _cvtsh_ss(wx[b].dmin) * (float)kquant_min_term(mins, ay[b].bsums);                   \
        }                                                                                                       \
        return hsum_f32x8(acc) - minimum;                                                                                 \
    }

K45_DOT(qk_dot_q4k_q8k_avx2, qk_block_q4k, NULL)
K45_DOT(qk_dot_q5k_q8k_avx2, qk_block_q5k, wx[b].qh)

AVX2 float qk_dot_q6k_q8k_avx2(int n, const void *x, const void *y) {
    const qk_block_q6k *wx = x;
    const qk_block_q8k *ay = y;
    const __m256i low = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / QK_SUPER; b++) {
        const int8_t *sc = wx[b].scales, *qy = ay[b].qs;
        // The -32 offset: 32 * sum_k scale_k * bsums_k, subtracted lane-wise from the products.
        __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc)),
                                           _mm256_loadu_si256((const __m256i *)ay[b].bsums));
        __m256i isum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5));
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = wx[b].ql + 64 * half, *qh = wx[b].qh + 32 * half;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            // Values 0..63: four runs of 32, each a nibble of ql and two bits of qh (shifted within bytes).
            __m256i v[4] = {
                _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(h, two), 4)),
                _mm256_or_si256(_mm256_and_si256(l1, low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), two), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), two), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), two), 4)),
            };
            for (int k = 0; k < 4; k++) {  // 32 values = sub-blocks 8 half + 2k (low lane) and + 2k + 1 (high lane)
                const int s = 8 * half + 2 * k;
                __m256i scale = _mm256_set_m128i(_mm_set1_epi16(sc[s + 1]), _mm_set1_epi16(sc[s]));
                __m256i p = _mm256_maddubs_epi16(v[k], _mm256_loadu_si256((const __m256i *)(qy + 128 * half + 32 * k)));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scale));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(ay[b].d * _cvtsh_ss(wx[b].d)), acc);
    }
    return hsum_f32x8(acc);
}

// ---------------------------------------------------------------- whole-share products (K-quants)
// The Q8_K activation is already the prepared form (computed once per vector by the caller), so a
// share is one dot per row; the loop is here so the rows of a share stay in C.

#define K_MATVEC(name, dot)                                                                                          \
    AVX2 void name(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {                    \
        for (int r = 0; r < rows; r++) {                                                                             \
            const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;                                         \
            prefetch_weights_ahead(row, row_bytes);                                                                  \
            out[r] = dot(n, row, y);                                                                                 \
        }                                                                                                            \
    }
K_MATVEC(qk_matvec_q4k_q8k_avx2, qk_dot_q4k_q8k_avx2)
K_MATVEC(qk_matvec_q5k_q8k_avx2, qk_dot_q5k_q8k_avx2)
K_MATVEC(qk_matvec_q6k_q8k_avx2, qk_dot_q6k_q8k_avx2)
#endif
