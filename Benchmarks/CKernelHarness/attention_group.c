// SmolLM2's attention for one token (9 query heads of 64 over 3 KV heads, an F16 cache) at POSITIONS
// cached positions, 1 thread: the per-head kernels (scores, softmax, weighted sum per query head)
// against the grouped kernel (one pass per KV head), microseconds per layer, the figures
// docs/performance.md ("The fourth round") cites. With `cold`, each of 30 layers has its own cache,
// so each layer's rows come from further out than L1 / L2, as in a real token. Checks the two
// against each other first. x86-64 with AVX2, F16C and FMA.
//
//   clang -O2 -I../../Sources/CQuantKernels/include ../../Sources/CQuantKernels/*.c attention_group.c -lm -o /tmp/attention_group
//   /tmp/attention_group POSITIONS [cold]      (e.g. 150, 1000)
#include "CQuantKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HEAD = 64, KV_HEADS = 3, GROUP = 3, HEADS = KV_HEADS * GROUP, SEQ = 4096 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float next_value(void) { return (float)(rand() % 20000) / 10000.0f - 1.0f; }

int main(int argc, char **argv) {
    const int count = argc > 1 ? atoi(argv[1]) : 150, layers = argc > 2 && strcmp(argv[2], "cold") == 0 ? 30 : 1;
    if (count <= 0 || count > SEQ) { fprintf(stderr, "POSITIONS must be 1-%d\n", SEQ); return 2; }
    const size_t stride = KV_HEADS * HEAD * sizeof(qk_half), layer_bytes = stride * SEQ;
    qk_half *keys = malloc(layer_bytes * layers), *values = malloc(layer_bytes * layers);
    srand(7);
    for (size_t i = 0; i < layer_bytes * layers / sizeof(qk_half); i++) {
        keys[i] = qk_float_to_half(next_value());
        values[i] = qk_float_to_half(next_value());
    }
    static float q[HEADS * HEAD], scores[HEADS * SEQ], single[HEADS * HEAD], grouped[HEADS * HEAD], stats[2 * HEADS];
    for (int i = 0; i < HEADS * HEAD; i++) q[i] = next_value();
    const float scale = 0.125f;

    // Agreement: the grouped kernel's o / l against the per-head kernels' softmax-weighted sums.
    for (int h = 0; h < HEADS; h++) {
        const qk_half *k = keys + (h / GROUP) * HEAD, *v = values + (h / GROUP) * HEAD;
        qk_attention_scores_f16_avx2(HEAD, q + h * HEAD, k, stride, count, scale, scores + h * SEQ);
        qk_softmax_f32_avx2(count, scores + h * SEQ);
        qk_attention_values_f16_avx2(HEAD, scores + h * SEQ, v, stride, count, single + h * HEAD);
    }
    for (int kv = 0; kv < KV_HEADS; kv++) {
        qk_attention_group_f16_avx2(HEAD, GROUP, q + kv * GROUP * HEAD, keys + kv * HEAD, values + kv * HEAD, stride, count, scale,
                                    scores + kv * GROUP * SEQ, SEQ, grouped + kv * GROUP * HEAD, stats + 2 * kv * GROUP);
    }
    for (int i = 0; i < HEADS * HEAD; i++) {
        float expected = single[i], got = grouped[i] / stats[2 * (i / HEAD) + 1];
        if (!(fabsf(expected - got) <= 1e-5f * (1.0f + fabsf(expected)))) {
            printf("differs: output %d, %g against %g\n", i, got, expected);
            return 1;
        }
    }

    const int repeats = 400;
    double best_single = 1e9, best_grouped = 1e9;
    for (int round = 0; round < 9; round++) {  // interleaved, the best of each
        double t0 = now();
        for (int r = 0; r < repeats; r++) {
            for (int layer = 0; layer < layers; layer++) {
                const qk_half *k0 = keys + layer * layer_bytes / sizeof(qk_half), *v0 = values + layer * layer_bytes / sizeof(qk_half);
                for (int h = 0; h < HEADS; h++) {
                    qk_attention_scores_f16_avx2(HEAD, q + h * HEAD, k0 + (h / GROUP) * HEAD, stride, count, scale, scores + h * SEQ);
                    qk_softmax_f32_avx2(count, scores + h * SEQ);
                    qk_attention_values_f16_avx2(HEAD, scores + h * SEQ, v0 + (h / GROUP) * HEAD, stride, count, single + h * HEAD);
                }
            }
        }
        double t1 = now();
        for (int r = 0; r < repeats; r++) {
            for (int layer = 0; layer < layers; layer++) {
                const qk_half *k0 = keys + layer * layer_bytes / sizeof(qk_half), *v0 = values + layer * layer_bytes / sizeof(qk_half);
                for (int kv = 0; kv < KV_HEADS; kv++) {
                    qk_attention_group_f16_avx2(HEAD, GROUP, q + kv * GROUP * HEAD, k0 + kv * HEAD, v0 + kv * HEAD, stride, count, scale,
                                                scores + kv * GROUP * SEQ, SEQ, grouped + kv * GROUP * HEAD, stats + 2 * kv * GROUP);
                }
            }
        }
        double t2 = now();
        if (t1 - t0 < best_single) best_single = t1 - t0;
        if (t2 - t1 < best_grouped) best_grouped = t2 - t1;
    }
    const double per_layer = 1e6 / ((double)repeats * layers);
    printf("%d positions, %s: per-head kernels %.2f us per layer, grouped %.2f us (%.2fx)\n", count,
           layers > 1 ? "30 layers' caches" : "one layer's cache", best_single * per_layer, best_grouped * per_layer,
           best_single / best_grouped);
    free(keys);
    free(values);
    return 0;
}
