// SwiGLU's gate and the softmax for AVX2 (also the AVX-512 path's: they are a few thousand values
// per layer and token, so wider registers would not show). Eight exponentials at a time instead of
// one libm call per value: in decode the softmax runs once per head and cached position, the gate
// once per FFN row; in prefill both for every token of the batch.
#if defined(__x86_64__)
#include "CQuantKernels.h"
#include "avx2_helpers.h"
#include <math.h>

AVX2 void qk_swiglu_f32_avx2(int n, float *gate, const float *up) {
    int i = 0;
    // Hot loop: gate = gate / (1 + e^-gate) * up, 8 values at a time.
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = exp_f32x8(_mm256_sub_ps(_mm256_setzero_ps(), g));
        __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

AVX2 void qk_softmax_f32_avx2(int n, float *x) {
    if (n <= 0) return;
    float maximum = x[0];
    int i = 0;
    __m256 wide = _mm256_set1_ps(x[0]);
    for (; i + 8 <= n; i += 8) wide = _mm256_max_ps(wide, _mm256_loadu_ps(x + i));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(wide), _mm256_extractf128_ps(wide, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    maximum = _mm_cvtss_f32(m);
    for (; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
    __m256 top = _mm256_set1_ps(maximum), sums = _mm256_setzero_ps();
    i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp_f32x8(_mm256_sub_ps(_mm256_loadu_ps(x + i), top));
        _mm256_storeu_ps(x + i, e);
        sums = _mm256_add_ps(sums, e);
    }
    float sum = hsum_f32x8(sums);
    for (; i < n; i++) {
        x[i] = expf(x[i] - maximum);
        sum += x[i];
    }
    __m256 inverse = _mm256_set1_ps(1.0f / sum);
    i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inverse));
    for (; i < n; i++) x[i] *= 1.0f / sum;
}
#endif
