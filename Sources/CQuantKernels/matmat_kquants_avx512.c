// Batched (prefill) products for the K-quants on AVX-512 (F, BW, VL, VNNI): Q4_K, Q5_K and Q6_K
// weights times up to 4 Q8_K token rows per pass. Same contract as the other qk_matmat_* kernels:
// out[t * out_stride + r] = dot(row r of w, token t of y), equal to qk_dot_*_q8k_ref up to float
// summation order (the integer sums are exact).
//
// A per-token dot spends about half its instructions unpacking the weights (nibbles, fifth or
// sixth bits, scales spread per lane); here each super-block is unpacked once into registers and
// every token of the group only multiplies (VPMADDUBSW, then VPDPWSSD by the sub-block scales).
// The tokens' extra terms need no pass over their values: Q4_K / Q5_K's minimum is one VPMADDWD of
// the Q8_K block sums by the minimums spread per 16 values, and Q6_K's -32 offset is folded into
// the integer sum as block sums times -32 * scale. Q8_K rows are read as they are: no allocation.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx512_helpers.h"
#include "kquant_scales.h"
#include <immintrin.h>
#include <string.h>

#define INLINE __attribute__((always_inline)) static inline

// ---------------------------------------------------------------- Q4_K, Q5_K

/// One row of Q4_K (q5 = 0) or Q5_K super-blocks times `tokens` Q8_K rows.
AVX512 INLINE void k45_row(int nb, const uint8_t *row, int q5, int tokens, const qk_block_q8k *const *y, float *sums) {
    const size_t block_bytes = q5 ? sizeof(qk_block_q5k) : sizeof(qk_block_q4k);
    // 32 bytes of qs in both halves, shifted by 0 (low half) and 4 (high half): 64 values in row order.
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    const __m512i low = _mm512_set1_epi8(0x0F);
    // Scale index per int16 lane of register p: lanes 0-15 sub-block 2p, lanes 16-31 sub-block 2p + 1.
    const __m512i spread = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(1), 1);
    // Q8_K block sum k (16 values) belongs to sub-block k / 2.
    const __m128i pairs = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    __m512 acc[4];
    __m256 minimum[4];
    for (int t = 0; t < tokens; t++) { acc[t] = _mm512_setzero_ps(); minimum[t] = _mm256_setzero_ps(); }
    for (int b = 0; b < nb; b++) {
        const uint8_t *block = row + (size_t)b * block_bytes;  // d, dmin, scales[12], (qh[32]), qs[128]
        const uint8_t *qs = block + (q5 ? 48 : 16), *qh = block + 16;
        uint64_t packed_scales, packed_mins;
        kquant_scales_mins(block + 4, &packed_scales, &packed_mins);
        const __m512i scales16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)packed_scales)));
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_cvtsi64_si128((long long)packed_mins), pairs));
        const __m512i hbits = q5 ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)qh)) : _mm512_setzero_si512();
        __m512i q[4], scale[4];  // the super-block's 256 values, 64 per register, and their scales
        for (int p = 0; p < 4; p++) {
            __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * p)));
            q[p] = _mm512_and_si512(_mm512_srlv_epi16(raw, shift), low);
            if (q5) {  // bit 2p of qh[l] is value l's fifth bit (low half), bit 2p + 1 value 32 + l's
                __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (2 * p))), _mm256_set1_epi8((char)(1 << (2 * p + 1))), 1);
                q[p] = _mm512_mask_add_epi8(q[p], _mm512_test_epi8_mask(hbits, bit), q[p], _mm512_set1_epi8(16));
            }
            scale[p] = _mm512_permutexvar_epi16(_mm512_add_epi16(spread, _mm512_set1_epi16((short)(2 * p))), scales16);
        }
        const float d = _cvtsh_ss(*(const uint16_t *)block), dmin = _cvtsh_ss(*(const uint16_t *)(block + 2));
        for (int t = 0; t < tokens; t++) {
            const qk_block_q8k *a = &y[t][b];
            __m512i isum = _mm512_setzero_si512();
            for (int p = 0; p < 4; p++)
                isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(q[p], _mm512_loadu_si512((const void *)(a->qs + 64 * p))), scale[p]);
            __m256i msum = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a->bsums), mins16);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(a->d * d), acc[t]);
            minimum[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(a->d * dmin), minimum[t]);
        }
    }
    for (int t = 0; t < tokens; t++) sums[t] = _mm512_reduce_add_ps(acc[t]) - hsum_f32x8(minimum[t]);
}

// ---------------------------------------------------------------- Q6_K

/// One row of Q6_K super-blocks times `tokens` Q8_K rows.
AVX512 INLINE void q6k_row(int nb, const uint8_t *row, int tokens, const qk_block_q8k *const *y, float *sums) {
    const __m512i low = _mm512_set1_epi8(0x0F), two = _mm512_set1_epi8(3);
    // 16-bit shifts of qh (broadcast to both halves): bits 0-1 / 2-3 for values 0..63, 4-5 / 6-7 for 64..127.
    const __m512i shift_a = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i shift_b = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    // Lane k (16 values, 8 int16 pair sums) of a register takes the scale of sub-block base + k.
    const __m512i lanes = _mm512_setr_epi64(0, 0, 0x0001000100010001LL, 0x0001000100010001LL,
                                            0x0002000200020002LL, 0x0002000200020002LL, 0x0003000300030003LL, 0x0003000300030003LL);
    __m512 acc[4];
    for (int t = 0; t < tokens; t++) acc[t] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const qk_block_q6k *x = (const qk_block_q6k *)(row + (size_t)b * sizeof(qk_block_q6k));
        const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));
        const __m512i scales = _mm512_zextsi256_si512(scales16);
        // The values are stored + 32: the offset is -32 * scale_k per 16 values, times block sum k.
        const __m256i offset = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(scales16, 5));
        __m512i va[2], vb[2], sa[2], sb[2];  // values 128 h + 0..63 (va) and 64..127 (vb), and their scales
        for (int h = 0; h < 2; h++) {
            __m512i ql = _mm512_loadu_si512((const void *)(x->ql + 64 * h));
            __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x->qh + 32 * h)));
            va[h] = _mm512_or_si512(_mm512_and_si512(ql, low), _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift_a), two), 4));
            vb[h] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low),
                                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shift_b), two), 4));
            sa[h] = _mm512_permutexvar_epi16(_mm512_add_epi16(lanes, _mm512_set1_epi16((short)(8 * h))), scales);
            sb[h] = _mm512_permutexvar_epi16(_mm512_add_epi16(lanes, _mm512_set1_epi16((short)(8 * h + 4))), scales);
        }
        const float d = _cvtsh_ss(x->d);
        for (int t = 0; t < tokens; t++) {
            const qk_block_q8k *a = &y[t][b];
            __m512i isum = _mm512_zextsi256_si512(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a->bsums), offset));
            __m512i isum2 = _mm512_setzero_si512();  // a second chain of VPDPWSSD
            for (int h = 0; h < 2; h++) {
                isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(va[h], _mm512_loadu_si512((const void *)(a->qs + 128 * h))), sa[h]);
                isum2 = _mm512_dpwssd_epi32(isum2, _mm512_maddubs_epi16(vb[h], _mm512_loadu_si512((const void *)(a->qs + 128 * h + 64))), sb[h]);
            }
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(isum, isum2)), _mm512_set1_ps(a->d * d), acc[t]);
        }
    }
    for (int t = 0; t < tokens; t++) sums[t] = _mm512_reduce_add_ps(acc[t]);
}

#define KQ_TARGET AVX512
#define KQ_SUFFIX avx512
#include "matmat_kquants_loop.h"
#endif
