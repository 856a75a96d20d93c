// The unnormalized softmax of the grouped attention kernels, in plain C (attention_ref.c, and
// attention_neon.c, which has no vector e^x): libm's expf, in index order.
#ifndef QK_EXPONENTIALS_REF_H
#define QK_EXPONENTIALS_REF_H
#include <math.h>

/// s[t] = e^(s[t] - m), stats = {m, sum_t s[t]} with m = max_t s[t].
static inline void exponentials_ref(int count, float *s, float *stats) {
    float maximum = -INFINITY, sum = 0.0f;
    for (int t = 0; t < count; t++) maximum = s[t] > maximum ? s[t] : maximum;
    for (int t = 0; t < count; t++) {
        s[t] = expf(s[t] - maximum);
        sum += s[t];
    }
    stats[0] = maximum;
    stats[1] = sum;
}
#endif
