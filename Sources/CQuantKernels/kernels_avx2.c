// x86-64 AVX2 + FMA + F16C kernels. Each function carries its own target attribute, so this file
// compiles for baseline x86-64 and the code only runs after qk_cpu_features() reports the features.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx2_helpers.h"
#include "weight_prefetch.h"
#include <float.h>
#include <immintrin.h>
#include <math.h>


/// Sum over 32 lanes of x*y for signed bytes, as 8 int32 partial sums (x, y in -127..127 or
/// x in -8..7): |x| times y carrying x's sign, multiplied as unsigned x signed.
AVX2 static inline __m256i dot_i8x32(__m256i x, __m256i y) {
    __m256i products = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(products, _mm256_set1_epi16(1));
}

AVX2 float qk_dot_q40_q80_avx2(int n, const void *x, const void *y) {
    const qk_block_q40 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int b = 0;
    // Hot loop: two blocks per iteration into independent accumulators.
    for (; b + 1 < nb; b += 2) {
        __m256i qx0 = _mm256_sub_epi8(unpack_nibbles(wx[b].qs), _mm256_set1_epi8(8));
        __m256i qx1 = _mm256_sub_epi8(unpack_nibbles(wx[b + 1].qs), _mm256_set1_epi8(8));
        __m256i p0 = dot_i8x32(qx0, _mm256_loadu_si256((const __m256i *)ay[b].qs));
        __m256i p1 = dot_i8x32(qx1, _mm256_loadu_si256((const __m256i *)ay[b + 1].qs));
        __m256 d0 = _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d));
        __m256 d1 = _mm256_set1_ps(_cvtsh_ss(wx[b + 1].d) * _cvtsh_ss(ay[b + 1].d));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), d0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), d1, acc1);
    }
    for (; b < nb; b++) {
        __m256i qx = _mm256_sub_epi8(unpack_nibbles(wx[b].qs), _mm256_set1_epi8(8));
        __m256i p = dot_i8x32(qx, _mm256_loadu_si256((const __m256i *)ay[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d)), acc0);
    }
    return hsum_f32x8(_mm256_add_ps(acc0, acc1));
}

AVX2 float qk_dot_q41_q80_avx2(int n, const void *x, const void *y) {
    const qk_block_q41 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    const __m256i ones16 = _mm256_set1_epi16(1), ones8 = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps(), accMin = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i qx = unpack_nibbles(wx[b].qs);  // 0..15, unsigned: value = d * qx + m
        __m256i qy = _mm256_loadu_si256((const __m256i *)ay[b].qs);
        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(qx, qy), ones16);
        __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, qy), ones16);
        float dy = _cvtsh_ss(ay[b].d);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * dy), acc);
        accMin = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(_cvtsh_ss(wx[b].m) * dy), accMin);
    }
    return hsum_f32x8(_mm256_add_ps(acc, accMin));
}

AVX2 float qk_dot_q80_q80_avx2(int n, const void *x, const void *y) {
    const qk_block_q80 *wx = x;
    const qk_block_q80 *ay = y;
    const int nb = n / QK_BLOCK;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        __m256i p = dot_i8x32(_mm256_loadu_si256((const __m256i *)wx[b].qs), _mm256_loadu_si256((const __m256i *)ay[b].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(wx[b].d) * _cvtsh_ss(ay[b].d)), acc);
    }
    return hsum_f32x8(acc);
}

AVX2 float qk_dot_f32_f32_avx2(int n, const void *x, const void *y) {
    const float *a = x, *b = y;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float sum = hsum_f32x8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

AVX2 float qk_dot_f16_f32_avx2(int n, const void *x, const void *y) {
    const qk_half *a = x;
    const float *b = y;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i + 8))), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))), _mm256_loadu_ps(b + i), s0);
    float sum = hsum_f32x8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) sum += _cvtsh_ss(a[i]) * b[i];
    return sum;
}

AVX2 void qk_quantize_q80_avx2(int n, const float *x, void *out) {
    qk_block_q80 *blocks = out;
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 largest = _mm256_set1_ps(FLT_MAX);
    for (int b = 0; b < n / QK_BLOCK; b++) {
        const float *v = x + b * QK_BLOCK;
        __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
        __m256 a0 = _mm256_and_ps(v0, absMask), a1 = _mm256_and_ps(v1, absMask);
        __m256 a2 = _mm256_and_ps(v2, absMask), a3 = _mm256_and_ps(v3, absMask);
        // NaN or infinity anywhere (|v| <= FLT_MAX false): the block's scale is NaN, its quants 0.
        __m256 finite = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(a0, largest, _CMP_LE_OQ), _mm256_cmp_ps(a1, largest, _CMP_LE_OQ)),
                                      _mm256_and_ps(_mm256_cmp_ps(a2, largest, _CMP_LE_OQ), _mm256_cmp_ps(a3, largest, _CMP_LE_OQ)));
        if (_mm256_movemask_ps(finite) != 0xFF) {
            blocks[b].d = QK_HALF_NAN;
            _mm256_storeu_si256((__m256i *)blocks[b].qs, _mm256_setzero_si256());
            continue;
        }
        __m256 m = _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float d = _mm_cvtss_f32(m4) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        id = id <= FLT_MAX ? id : 0.0f;  // d so small that 1/d overflows: quants 0, as the reference
        blocks[b].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        __m256 scale = _mm256_set1_ps(id);
        // cvtps rounds to nearest even, as the reference's nearbyintf does.
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, scale)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, scale));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, scale)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, scale));
        __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        // The packs work per 128-bit lane; this permutation restores value order.
        packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)blocks[b].qs, packed);
    }
}

AVX2 void qk_dequantize_q40_avx2(int n, const void *x, float *out) {
    const qk_block_q40 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss(blocks[b].d));
        __m256i q = _mm256_sub_epi8(unpack_nibbles(blocks[b].qs), _mm256_set1_epi8(8));
        __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
        _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), d));
        _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), d));
        _mm256_storeu_ps(out + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), d));
        _mm256_storeu_ps(out + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), d));
    }
}

AVX2 void qk_dequantize_q41_avx2(int n, const void *x, float *out) {
    const qk_block_q41 *blocks = x;
    for (int b = 0; b < n / QK_BLOCK; b++, out += QK_BLOCK) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss(blocks[b].d)), m = _mm256_set1_ps(_cvtsh_ss(blocks[b].m));
        __m256i q = unpack_nibbles(blocks[b].qs);
        __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
        // Multiply then add (no FMA): the same two roundings as the reference and the gguf package.
        _mm256_storeu_ps(out, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo))), m));
        _mm256_storeu_ps(out + 8, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)))), m));
        _mm256_storeu_ps(out + 16, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi))), m));
        _mm256_storeu_ps(out + 24, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)))), m));
    }
}

AVX2 float qk_read_bandwidth_probe_avx2(size_t n, const float *x) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
    }
    float sum = hsum_f32x8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) sum += x[i];
    return sum;
}

/// F32 -> F16, round to nearest even (as qk_float_to_half), 8 values at a time with F16C: the
/// activations the cluster sends as f16.
AVX2 void qk_quantize_f16_avx2(int n, const float *x, void *out) {
    qk_half *h = out;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) h[i] = qk_float_to_half(x[i]);
}

/// F16 -> F32 (exact), 8 values at a time with F16C.
AVX2 void qk_dequantize_f16_avx2(int n, const void *x, float *out) {
    const qk_half *h = x;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
    }
    for (; i < n; i++) out[i] = qk_half_to_float(h[i]);
}

// ---------------------------------------------------------------- batches of Q80 token rows

/// Up to 4 plain Q80 token rows (`y[t]`, `nb` blocks) through one Q80 weight row: each weight block's
/// |x| is taken once for every token, which only applies x's sign to its own bytes. No prepared form:
/// VPMADDUBSW's pairs would saturate on x + 128 (255 * 127 * 2 > 32767), so the sign trick stays.
AVX2 __attribute__((always_inline)) static inline void q80_row_tokens(int nb, const qk_block_q80 *x, int tokens,
                                                                       const qk_block_q80 *const *y, float *sums) {
    const __m256i ones = _mm256_set1_epi16(1);
    // Two accumulators per token (even and odd blocks), so no token waits on its own FMA latency.
    __m256 even[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 odd[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int b = 0;
    // Hot loop: two weight blocks times every token.
    for (; b + 1 < nb; b += 2) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)x[b].qs), x1 = _mm256_loadu_si256((const __m256i *)x[b + 1].qs);
        __m256i a0 = _mm256_sign_epi8(x0, x0), a1 = _mm256_sign_epi8(x1, x1);
        float dx0 = _cvtsh_ss(x[b].d), dx1 = _cvtsh_ss(x[b + 1].d);
        for (int t = 0; t < tokens; t++) {
            __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[t][b].qs), x0)), ones);
            __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(a1, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[t][b + 1].qs), x1)), ones);
            even[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(dx0 * _cvtsh_ss(y[t][b].d)), even[t]);
            odd[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(dx1 * _cvtsh_ss(y[t][b + 1].d)), odd[t]);
        }
    }
    if (b < nb) {  // an odd last block
        __m256i x0 = _mm256_loadu_si256((const __m256i *)x[b].qs), a0 = _mm256_sign_epi8(x0, x0);
        float dx0 = _cvtsh_ss(x[b].d);
        for (int t = 0; t < tokens; t++) {
            __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[t][b].qs), x0)), ones);
            even[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(dx0 * _cvtsh_ss(y[t][b].d)), even[t]);
        }
    }
    for (int t = 0; t < tokens; t++) sums[t] = hsum_f32x8(_mm256_add_ps(even[t], odd[t]));
}

/// Whole-share Q80: one dot product per row against the plain Q80 activation, the weights asked for ahead.
AVX2 void qk_matvec_q80_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {
    for (int r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)r * row_bytes;
        prefetch_weights_ahead(row, row_bytes);
        out[r] = qk_dot_q80_q80_avx2(n, row, y);
    }
}

/// out[t * out_stride + r] = dot(row r of w, token t) for Q80 weights and `batch` plain Q80 token rows
/// `y_row_bytes` apart (the AVX2 table has no Q80 prepare), 4 tokens per pass over the weights.
AVX2 void qk_matmat_q80_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                                 int batch, float *out, size_t out_stride) {
    const int nb = n / QK_BLOCK;
    for (int t0 = 0; t0 < batch; t0 += 4) {
        const int tokens = batch - t0 < 4 ? batch - t0 : 4;
        const qk_block_q80 *tokens_y[4];  // [tokens][nb]
        for (int t = 0; t < tokens; t++) tokens_y[t] = (const qk_block_q80 *)((const uint8_t *)y + (size_t)(t0 + t) * y_row_bytes);
        for (int r = 0; r < rows; r++) {
            const qk_block_q80 *x = (const qk_block_q80 *)((const uint8_t *)w + (size_t)r * row_bytes);
            float sums[4];
            switch (tokens) {  // constant token counts, so the token loop unrolls into registers; a last
                               // 1-3 tokens still share each weight block (there is no per-token whole-share kernel)
            case 4: q80_row_tokens(nb, x, 4, tokens_y, sums); break;
            case 3: q80_row_tokens(nb, x, 3, tokens_y, sums); break;
            case 2: q80_row_tokens(nb, x, 2, tokens_y, sums); break;
            default: q80_row_tokens(nb, x, 1, tokens_y, sums); break;
            }
            for (int t = 0; t < tokens; t++) out[(size_t)(t0 + t) * out_stride + r] = sums[t];
        }
    }
}
#endif
