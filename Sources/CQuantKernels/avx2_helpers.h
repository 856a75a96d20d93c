// Helpers shared by the AVX2 kernel files (kernels_avx2.c, matvec_avx2.c, q5_kquants_avx2.c,
// attention_avx2.c, elementwise_avx2.c). Included only inside their `#if defined(__x86_64__)`; each
// function carries the target attribute, so the files still compile for baseline x86-64.
#ifndef QK_AVX2_HELPERS_H
#define QK_AVX2_HELPERS_H
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum_f32x8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Each 128-bit vector's lanes summed as hsum_f32x8 sums its last 128 bits (lanes 0+2 and 1+3, then
/// those two), four vectors at once by unpacking: [sum a, sum b, sum c, sum d].
AVX2 static inline __m128 hsum4_f32x4(__m128 a, __m128 b, __m128 c, __m128 d) {
    __m128 ab = _mm_add_ps(_mm_unpacklo_ps(a, b), _mm_unpackhi_ps(a, b));  // [a0+a2, b0+b2, a1+a3, b1+b3]
    __m128 cd = _mm_add_ps(_mm_unpacklo_ps(c, d), _mm_unpackhi_ps(c, d));
    return _mm_add_ps(_mm_movelh_ps(ab, cd), _mm_movehl_ps(cd, ab));
}

/// hsum_f32x8 of four vectors, the same pairs added in the same order (so the same sums).
AVX2 static inline __m128 hsum4_f32x8(__m256 a, __m256 b, __m256 c, __m256 d) {
    return hsum4_f32x4(_mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1)),
                       _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1)),
                       _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1)),
                       _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1)));
}

/// The 32 nibbles of a block's 16 `qs` bytes as bytes 0..15 in block order: low nibbles, then high.
AVX2 static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

/// e^x for 8 floats, within a few ULP of expf: x = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor
/// polynomial to r^7 (relative error below 2^-24 on that interval), 2^k through the exponent bits.
/// Inputs are clamped to [-87.3, 89]: below, 2^k stays a normal float (e^-87.3 is 1.2e-38: a softmax
/// weight or a gate that small is zero for every use here); above 88.4, 2^128 is +inf, as expf's
/// overflow. A NaN passes through (it is the second operand of the min and max, which return it).
AVX2 static inline __m256 exp_f32x8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-87.3f), x));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);  // ln 2 in two parts: k * hi is exact
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

/// s[t] = e^(s[t] - m), stats = {m, sum_t s[t]} with m = max_t s[t] (the softmax, not divided).
AVX2 static inline void exponentials(int count, float *s, float *stats) {
    float maximum = -INFINITY;
    int t = 0;
    if (count >= 8) {
        __m256 wide = _mm256_loadu_ps(s);
        for (t = 8; t + 8 <= count; t += 8) wide = _mm256_max_ps(wide, _mm256_loadu_ps(s + t));
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(wide), _mm256_extractf128_ps(wide, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        maximum = _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
    }
    for (; t < count; t++) maximum = s[t] > maximum ? s[t] : maximum;
    __m256 top = _mm256_set1_ps(maximum), sums = _mm256_setzero_ps();
    for (t = 0; t + 8 <= count; t += 8) {
        __m256 e = exp_f32x8(_mm256_sub_ps(_mm256_loadu_ps(s + t), top));
        _mm256_storeu_ps(s + t, e);
        sums = _mm256_add_ps(sums, e);
    }
    float sum = hsum_f32x8(sums);
    for (; t < count; t++) {
        s[t] = expf(s[t] - maximum);
        sum += s[t];
    }
    stats[0] = maximum;
    stats[1] = sum;
}
#endif
