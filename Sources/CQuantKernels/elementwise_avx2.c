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
    float stats[2];  // the maximum, the sum of the exponentials
    exponentials(n, x, stats);
    __m256 inverse = _mm256_set1_ps(1.0f / stats[1]);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inverse));
    for (; i < n; i++) x[i] *= 1.0f / stats[1];
}
#endif
