// Q40 x Q80 matrix-vector product for AVX-512 (F, BW, VL, VNNI). The activation vector is prepared
// once per call, so the per-row loop does as little as possible per block:
//   - pairs of activation blocks are stored in the lane order the weights unpack into,
//   - each 4-byte group carries its correction -8 * sum(q_y), so VPDPBUSD of the unsigned weight
//     nibbles (0..15) starting from it yields sum((q_x - 8) * q_y) with no sign fix-ups,
//   - each block's activation scale is a float.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include <immintrin.h>
#include <stdlib.h>

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

/// One pair of activation blocks (b, b+1), laid out as the weights unpack: 64 + 64 + 8 bytes.
typedef struct {
    int8_t qy[64];      // y_b[0:16], y_b1[0:16], y_b[16:32], y_b1[16:32]
    int32_t corr[16];   // corr[k] = -8 * (qy[4k] + qy[4k+1] + qy[4k+2] + qy[4k+3])
    float dy[2];        // the two blocks' scales
    float pad[14];      // keep pairs 64-byte aligned
} qk_q80_pair;

static void prepare_pairs(int nb, const qk_block_q80 *y, qk_q80_pair *pairs) {
    for (int p = 0; p < nb / 2; p++) {
        const qk_block_q80 *a = &y[2 * p], *b = &y[2 * p + 1];
        for (int j = 0; j < 16; j++) {
            pairs[p].qy[j] = a->qs[j];
            pairs[p].qy[16 + j] = b->qs[j];
            pairs[p].qy[32 + j] = a->qs[16 + j];
            pairs[p].qy[48 + j] = b->qs[16 + j];
        }
        for (int k = 0; k < 16; k++) {
            const int8_t *g = &pairs[p].qy[4 * k];
            pairs[p].corr[k] = -8 * (g[0] + g[1] + g[2] + g[3]);
        }
        pairs[p].dy[0] = qk_half_to_float(a->d);
        pairs[p].dy[1] = qk_half_to_float(b->d);
    }
}

AVX512 static inline float q40_row_pairs(int pairs_count, const qk_block_q40 *x, const qk_q80_pair *pairs) {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i shifts = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_setzero_si256(), 0);
    const __m512i shift_hi = _mm512_inserti64x4(shifts, _mm256_set1_epi16(4), 1);  // 0 for low 256 bits, 4 above
    const __m512i scale_index = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int p = 0;
    // Hot loop: two block pairs (four blocks) per iteration.
    for (; p + 1 < pairs_count; p += 2) {
        const qk_block_q40 *b0 = &x[2 * p];
        __m256i raw0 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)b0[0].qs)),
                                               _mm_loadu_si128((const __m128i *)b0[1].qs), 1);
        __m256i raw1 = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)b0[2].qs)),
                                               _mm_loadu_si128((const __m128i *)b0[3].qs), 1);
        __m512i q0 = _mm512_and_si512(_mm512_srlv_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(raw0), raw0, 1), shift_hi), low4);
        __m512i q1 = _mm512_and_si512(_mm512_srlv_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(raw1), raw1, 1), shift_hi), low4);
        __m512i d0 = _mm512_dpbusd_epi32(_mm512_load_si512(pairs[p].corr), q0, _mm512_load_si512(pairs[p].qy));
        __m512i d1 = _mm512_dpbusd_epi32(_mm512_load_si512(pairs[p + 1].corr), q1, _mm512_load_si512(pairs[p + 1].qy));
        __m128 dx = _mm_cvtph_ps(_mm_setr_epi16((short)b0[0].d, (short)b0[1].d, (short)b0[2].d, (short)b0[3].d, 0, 0, 0, 0));
        __m128 dy = _mm_setr_ps(pairs[p].dy[0], pairs[p].dy[1], pairs[p + 1].dy[0], pairs[p + 1].dy[1]);
        __m512 s = _mm512_castps128_ps512(_mm_mul_ps(dx, dy));
        __m512 s0 = _mm512_permutexvar_ps(scale_index, s);
        __m512 s1 = _mm512_permutexvar_ps(_mm512_add_epi32(scale_index, _mm512_set1_epi32(2)), s);
        acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), s0, acc0);
        acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), s1, acc1);
    }
    for (; p < pairs_count; p++) {
        const qk_block_q40 *b0 = &x[2 * p];
        __m256i raw = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)b0[0].qs)),
                                              _mm_loadu_si128((const __m128i *)b0[1].qs), 1);
        __m512i q = _mm512_and_si512(_mm512_srlv_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(raw), raw, 1), shift_hi), low4);
        __m512i d = _mm512_dpbusd_epi32(_mm512_load_si512(pairs[p].corr), q, _mm512_load_si512(pairs[p].qy));
        __m128 dx = _mm_cvtph_ps(_mm_setr_epi16((short)b0[0].d, (short)b0[1].d, 0, 0, 0, 0, 0, 0));
        __m128 dy = _mm_setr_ps(pairs[p].dy[0], pairs[p].dy[1], 0, 0);
        __m512 s = _mm512_permutexvar_ps(scale_index, _mm512_castps128_ps512(_mm_mul_ps(dx, dy)));
        acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s, acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

AVX512 void qk_matvec_q40_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {
    const int nb = n / QK_BLOCK;
    qk_q80_pair *pairs = aligned_alloc(64, sizeof(qk_q80_pair) * (size_t)(nb / 2 + 1));
    prepare_pairs(nb, y, pairs);
    const qk_block_q80 *ay = y;
    for (int r = 0; r < rows; r++) {
        const qk_block_q40 *x = (const qk_block_q40 *)((const uint8_t *)w + (size_t)r * row_bytes);
        float sum = q40_row_pairs(nb / 2, x, pairs);
        if (nb & 1) sum += qk_dot_q40_q80_avx512(QK_BLOCK, &x[nb - 1], &ay[nb - 1]);  // odd last block
        out[r] = sum;
    }
    free(pairs);
}
#endif
