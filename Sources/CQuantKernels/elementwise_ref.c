// SwiGLU's gate and the softmax, reference (plain C, any CPU): libm's expf, in index order, so they
// give the bits the engine's Swift loops gave before these kernels.
#pragma STDC FP_CONTRACT OFF
#include "CQuantKernels.h"
#include <math.h>

void qk_swiglu_f32_ref(int n, float *gate, const float *up) {
    for (int i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void qk_softmax_f32_ref(int n, float *x) {
    if (n <= 0) return;
    float maximum = x[0];
    for (int i = 1; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - maximum);
        sum += x[i];
    }
    float inverse = 1.0f / sum;
    for (int i = 0; i < n; i++) x[i] *= inverse;
}
