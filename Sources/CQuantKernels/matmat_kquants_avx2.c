// Batched (prefill) products for the K-quants on AVX2 + FMA + F16C: Q4_K, Q5_K and Q6_K weights
// times up to 4 Q8_K token rows per pass. Same contract as the other qk_matmat_* kernels:
// out[t * out_stride + r] = dot(row r of w, token t of y), equal to qk_dot_*_q8k_ref up to float
// summation order (the integer sums are exact).
//
// With 16 registers a whole unpacked super-block does not fit next to 4 tokens' sums, so each 32
// or 64 values are unpacked once (with their scales) and then multiplied by every token of the
// group (VPMADDUBSW, VPMADDWD by the sub-block scale). The tokens' extra terms come from the Q8_K
// block sums: Q4_K / Q5_K's minimum (one VPMADDWD by the minimums spread per 16 values) and Q6_K's
// -32 offset (block sums times -32 * scale, the integer sum's starting value). No allocation.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "kquant_scales.h"
#include "avx2_helpers.h"
#include <immintrin.h>
#include <string.h>

#define INLINE __attribute__((always_inline)) static inline

/// VPSHUFB indices broadcasting int16 lane `j` (0..7) of each 128-bit half: its two bytes, 8 times.
AVX2 static inline __m256i word_index(int j_low, int j_high) {
    return _mm256_set_m128i(_mm_set1_epi16((short)(2 * j_high | (2 * j_high + 1) << 8)), _mm_set1_epi16((short)(2 * j_low | (2 * j_low + 1) << 8)));
}

// ---------------------------------------------------------------- Q4_K, Q5_K

/// One row of Q4_K (q5 = 0) or Q5_K super-blocks times `tokens` Q8_K rows.
AVX2 INLINE void k45_row(int nb, const uint8_t *row, int q5, int tokens, const qk_block_q8k *const *y, float *sums) {
    const size_t block_bytes = q5 ? sizeof(qk_block_q5k) : sizeof(qk_block_q4k);
    const __m256i low = _mm256_set1_epi8(0x0F);
    // Q8_K block sum k (16 values) belongs to sub-block k / 2.
    const __m128i pairs = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    __m256 acc[4];
    for (int t = 0; t < tokens; t++) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *block = row + (size_t)b * block_bytes;  // d, dmin, scales[12], (qh[32]), qs[128]
        const uint8_t *qs = block + (q5 ? 48 : 16), *qh = block + 16;
        uint64_t packed_scales, packed_mins;
        kquant_scales_mins(block + 4, &packed_scales, &packed_mins);
        const float d = _cvtsh_ss(*(const uint16_t *)block), dmin = _cvtsh_ss(*(const uint16_t *)(block + 2));
        // The minimum first, so its spread minimums are dead before the 4 tokens' sums are live.
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_cvtsi64_si128((long long)packed_mins), pairs));
        __m256i isum[4];
        for (int t = 0; t < tokens; t++) {
            const qk_block_q8k *a = &y[t][b];
            __m256i msum = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a->bsums), mins16);
            acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_set1_ps(a->d * dmin), acc[t]);
            isum[t] = _mm256_setzero_si256();
        }
        const __m256i scales16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)packed_scales)));
        for (int p = 0; p < 4; p++) {  // 64 values: 32 low nibbles (sub-block 2p), 32 high (2p + 1)
            __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * p));
            __m256i q0 = _mm256_and_si256(raw, low), q1 = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
            if (q5) {  // bit 2p of qh[l] is value l's fifth bit, bit 2p + 1 value 32 + l's
                const __m256i hbits = _mm256_loadu_si256((const __m256i *)qh), sixteen = _mm256_set1_epi8(16);
                const __m256i m0 = _mm256_set1_epi8((char)(1 << (2 * p))), m1 = _mm256_set1_epi8((char)(1 << (2 * p + 1)));
                q0 = _mm256_or_si256(q0, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, m0), m0), sixteen));
                q1 = _mm256_or_si256(q1, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, m1), m1), sixteen));
            }
            const __m256i s0 = _mm256_shuffle_epi8(scales16, word_index(2 * p, 2 * p));
            const __m256i s1 = _mm256_shuffle_epi8(scales16, word_index(2 * p + 1, 2 * p + 1));
            for (int t = 0; t < tokens; t++) {
                const int8_t *qy = y[t][b].qs + 64 * p;
                __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(q0, _mm256_loadu_si256((const __m256i *)qy)), s0);
                __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(q1, _mm256_loadu_si256((const __m256i *)(qy + 32))), s1);
                isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(p0, p1));
            }
        }
        for (int t = 0; t < tokens; t++) acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(y[t][b].d * d), acc[t]);
    }
    for (int t = 0; t < tokens; t++) sums[t] = hsum_f32x8(acc[t]);
}

// ---------------------------------------------------------------- Q6_K

/// One row of Q6_K super-blocks times `tokens` Q8_K rows.
AVX2 INLINE void q6k_row(int nb, const uint8_t *row, int tokens, const qk_block_q8k *const *y, float *sums) {
    const __m256i low = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3);
    __m256 acc[4];
    for (int t = 0; t < tokens; t++) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const qk_block_q6k *x = (const qk_block_q6k *)(row + (size_t)b * sizeof(qk_block_q6k));
        const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x->scales));  // sub-blocks 0-7 | 8-15
        // The values are stored + 32: the offset is -32 * scale_k per 16 values, times block sum k.
        const __m256i offset = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_slli_epi16(scales16, 5));
        __m256i isum[4];
        for (int t = 0; t < tokens; t++) isum[t] = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y[t][b].bsums), offset);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x->ql + 64 * h;
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
            // Sub-blocks 8h..8h+7 in both halves, so one VPSHUFB spreads any two of them.
            const __m256i half_scales = h ? _mm256_permute2x128_si256(scales16, scales16, 0x11) : _mm256_permute2x128_si256(scales16, scales16, 0x00);
            for (int k = 0; k < 4; k++) {  // 32 values = sub-blocks 8h + 2k (low 128 bits) and 8h + 2k + 1 (high)
                // Values 32k..32k+31 of the half: a nibble of ql and two bits of qh (16-bit shifts stay within bytes here).
                __m256i nibble = _mm256_and_si256(k & 2 ? _mm256_srli_epi16(k & 1 ? l1 : l0, 4) : (k & 1 ? l1 : l0), low);
                __m256i v = _mm256_or_si256(nibble, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), two), 4));
                const __m256i scale = _mm256_shuffle_epi8(half_scales, word_index(2 * k, 2 * k + 1));
                for (int t = 0; t < tokens; t++) {
                    __m256i p = _mm256_maddubs_epi16(v, _mm256_loadu_si256((const __m256i *)(y[t][b].qs + 128 * h + 32 * k)));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, scale));
                }
            }
        }
        const float d = _cvtsh_ss(x->d);
        for (int t = 0; t < tokens; t++) acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(y[t][b].d * d), acc[t]);
    }
    for (int t = 0; t < tokens; t++) sums[t] = hsum_f32x8(acc[t]);
}

#define KQ_TARGET AVX2
#define KQ_SUFFIX avx2
#include "matmat_kquants_loop.h"
#endif
