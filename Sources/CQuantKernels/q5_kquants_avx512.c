// AVX-512 (F, BW, VL, VNNI) dot products for Q5_0 / Q5_1 (x Q80) and the K-quants (x Q8_K), and the
// K-quants' whole-share matrix-vector products. Same contracts as q5_kquants_ref.c.
//   - Q5_0 / Q5_1: a block's 32 fifth bits are a mask register (VPMOVM2B's masked move), and the
//     block's integer dot is one VPDPBUSD.
//   - K-quants: 64 values per 512-bit register; VPMADDUBSW multiplies the unsigned weight values by
//     the activation bytes and VPDPWSSD multiplies the pair sums by each sub-block's scale and adds
//     them, so a super-block stays in int32 until its single float multiply.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx512_helpers.h"
#include "weight_prefetch.h"
#include "kquant_scales.h"
#include <immintrin.h>
#include <string.h>

/// A Q5 block's 32 values (0..31) in block order: nibbles, plus 16 where the bit of qh is set.
AVX512 static inline __m256i q5_values(const uint8_t *qs, const uint8_t *qh) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m256i nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
    uint32_t bits;
    memcpy(&bits, qh, 4);
    return _mm256_mask_add_epi8(nibbles, (__mmask32)bits, nibbles, _mm256_set1_epi8(16));  // nibble + 16 = nibble | 16
}

// ---------------------------------------------------------------- Q5_0, Q5_1 x Q80

AVX512 float qk_dot_q50_q80_avx512(int n, const void *x, const void *y) {
    const qk_block_q50 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i q = _mm256_sub_epi8(q5_values(wx[b].qs, wx[b].qh), _mm256_set1_epi8(16));  // -16..15
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(q), _mm256_sign_epi8(qy, q));
        __m256 d = _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d));
        if (b & 1) acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc1);
        else acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc0);
    }
    return hsum_f32x8(_mm256_add_ps(acc0, acc1));
}

AVX512 float qk_dot_q51_q80_avx512(int n, const void *x, const void *y) {
    const qk_block_q51 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    const __m256i ones8 = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), accMin = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q5_values(wx[b].qs, wx[b].qh), qy);
        __m256i s = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones8, qy);
        float dy = _cvtsh_ss(ay[b].d);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * dy), acc);
        accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(wx[b].m) * dy), accMin);
    }
    return hsum_f32x8(_mm256_add_ps(acc, accMin));
}

// ---------------------------------------------------------------- K-quants x Q8_K

/// One Q4_K (qh NULL) or Q5_K super-block times a Q8_K block: 16 int32 partial sums of scale_j q y.
/// The eight scales are widened once and spread per 64 values with one permute; two accumulators
/// halve the chain of dependent VPDPWSSDs (their latency, not the loads, bounded the first version).
AVX512 __attribute__((always_inline)) static inline __m512i k45_block(const uint8_t *qs, const uint8_t *qh, uint64_t scales,
                                                                       const int8_t *qy) {
    // 32 bytes of qs in both halves, shifted by 0 (low half) and 4 (high half): 64 values in row order.
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    const __m512i low = _mm512_set1_epi8(0x0F);
    // Lanes 0-15 take scale 2p, lanes 16-31 scale 2p + 1.
    const __m512i spread = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(1), 1);
    const __m512i scales16 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales)));
    __m512i hbits = qh ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)qh)) : _mm512_setzero_si512();
    __m512i isum[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int p = 0; p < 4; p++) {
        __m512i raw = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * p)));
        __m512i q = _mm512_and_si512(_mm512_srlv_epi16(raw, shift), low);
        if (qh) {  // bit 2p of qh[l] belongs to value l (low half), bit 2p + 1 to value 32 + l (high half)
            __m512i bit = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (2 * p))), _mm256_set1_epi8((char)(1 << (2 * p + 1))), 1);
            q = _mm512_mask_add_epi8(q, _mm512_test_epi8_mask(hbits, bit), q, _mm512_set1_epi8(16));
        }
        __m512i scale = _mm512_permutexvar_epi16(_mm512_add_epi16(spread, _mm512_set1_epi16((short)(2 * p))), scales16);
        __m512i pairs = _mm512_maddubs_epi16(q, _mm512_loadu_si512((const void *)(qy + 64 * p)));
        isum[p & 1] = _mm512_dpwssd_epi32(isum[p & 1], pairs, scale);
    }
    return _mm512_add_epi32(isum[0], isum[1]);
}

/// Q4_K (`QH` NULL) and Q5_K (`QH` the block's fifth bits) super-blocks . Q8_K: the integer dot per
/// super-block, its scale, and the minimums' term from the Q8_K block sums.
#define K45_DOT(name, block_t, QH)                                                                              \
    AVX512 float name(int n, const void *x, const void *y) {                                                          \
        const block_t *wx = x;                                                                                  \
        const qk_block_q8k *ay = y;                                                                             \
        __m512 acc = _mm512_setzero_ps();                                                                        \
        float minimum = 0.0f;                                                                                   \
        for (int b = 0; b < n / QK_SUPER; b++) {                                                                \
            uint64_t scales, mins;                                                                              \
            kquant_scales_mins(wx[b].scales, &scales, &mins);                                                   \
            __m512i isum = k45_block(wx[b].qs, QH, scales, ay[b].qs);                                             \
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(ay[b].d * _cvtsh_ss(wx[b].d)), acc);        \
            minimum += ay[b].d * _cvtsh_ss(wx[b].dmin) * (float)kquant_min_term(mins, ay[b].bsums);                   \
        }                                                                                                       \
        return _mm512_reduce_add_ps(acc) - minimum;                                                                                 \
    }

K45_DOT(qk_dot_q4k_q8k_avx512, qk_block_q4k, NULL)
K45_DOT(qk_dot_q5k_q8k_avx512, qk_block_q5k, wx[b].qh)

AVX512 float qk_dot_q6k_q8k_avx512(int n, const void *x, const void *y) {
    const qk_block_q6k *wx = x;
    const qk_block_q8k *ay = y;
    const __m512i low = _mm512_set1_epi8(0x0F), two = _mm512_set1_epi8(3);
    // 16-bit shifts of qh (broadcast to both halves): bits 0-1 / 2-3 for values 0..63, 4-5 / 6-7 for 64..127.
    const __m512i shiftA = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i shiftB = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    // Lane k (16 values, 8 int16 pair sums) of a register takes the scale of sub-block base + k.
    const __m512i lanes = _mm512_setr_epi64(0x0000000000000000LL, 0x0000000000000000LL, 0x0001000100010001LL, 0x0001000100010001LL,
                                            0x0002000200020002LL, 0x0002000200020002LL, 0x0003000300030003LL, 0x0003000300030003LL);
    __m512 acc = _mm512_setzero_ps();
    for (int b = 0; b < n / QK_SUPER; b++) {
        const int8_t *qy = ay[b].qs;
        __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wx[b].scales));
        __m512i scales = _mm512_zextsi256_si512(scales16);
        // The -32 offset: 32 * sum_k scale_k * bsums_k.
        __m256i offset = _mm256_madd_epi16(scales16, _mm256_loadu_si256((const __m256i *)ay[b].bsums));
        __m512i isum = _mm512_setzero_si512(), isum2 = _mm512_setzero_si512();  // two chains of VPDPWSSD
        for (int half = 0; half < 2; half++) {
            __m512i ql = _mm512_loadu_si512((const void *)(wx[b].ql + 64 * half));
            __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(wx[b].qh + 32 * half)));
            __m512i va = _mm512_or_si512(_mm512_and_si512(ql, low), _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shiftA), two), 4));
            __m512i vb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low),
                                         _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shiftB), two), 4));
            __m512i sa = _mm512_permutexvar_epi16(_mm512_add_epi16(lanes, _mm512_set1_epi16((short)(8 * half))), scales);
            __m512i sb = _mm512_permutexvar_epi16(_mm512_add_epi16(lanes, _mm512_set1_epi16((short)(8 * half + 4))), scales);
            isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(va, _mm512_loadu_si512((const void *)(qy + 128 * half))), sa);
            isum2 = _mm512_dpwssd_epi32(isum2, _mm512_maddubs_epi16(vb, _mm512_loadu_si512((const void *)(qy + 128 * half + 64))), sb);
        }
        __m512i total = _mm512_sub_epi32(_mm512_add_epi32(isum, isum2), _mm512_zextsi256_si512(_mm256_slli_epi32(offset, 5)));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_set1_ps(ay[b].d * _cvtsh_ss(wx[b].d)), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// ---------------------------------------------------------------- whole-share products (K-quants)
// The Q8_K activation is already the prepared form (computed once per vector by the caller): a share
// is one dot per row, looped here so the rows of a share stay in C.

#define K_MATVEC(name, dot)                                                                                          \
    AVX512 void name(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {                  \
        for (int r = 0; r < rows; r++) {                                                                             \
            const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;                                         \
            prefetch_weights_ahead(row, row_bytes);                                                                  \
            out[r] = dot(n, row, y);                                                                                 \
        }                                                                                                            \
    }
K_MATVEC(qk_matvec_q4k_q8k_avx512, qk_dot_q4k_q8k_avx512)
K_MATVEC(qk_matvec_q5k_q8k_avx512, qk_dot_q5k_q8k_avx512)
K_MATVEC(qk_matvec_q6k_q8k_avx512, qk_dot_q6k_q8k_avx512)
#endif
