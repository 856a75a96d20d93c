// SmolLM2's attention for one token (9 query heads of 64 over 3 KV heads, an F16 cache) at POSITIONS
// cached positions, 1 thread: the per-head kernels (scores, softmax, weighted sum per query head)
// and the grouped kernel (one pass per KV head) over a cache laid out by position
// ([position][kvHead][64], as the engine's was), and the grouped kernel over a cache laid out by
// head ([kvHead][position][64], as the engine's is: each task one contiguous stream), microseconds
// per layer, the figures docs/performance.md cites. With `cold`, each of 30 layers has its own
// cache (its rows come from L3 and memory); with `memory`, 3 MB of other data (a layer's weights)
// are read before each layer (untimed), so its cache comes from memory, as in a token. Checks the
// three against each other first. x86-64 with AVX2, F16C and FMA.
//
//   clang -O2 -I../../Sources/CQuantKernels/include ../../Sources/CQuantKernels/*.c attention_group.c -lm -o /tmp/attention_group
//   /tmp/attention_group POSITIONS [cold|memory]      (e.g. 150, 1000)
#include "CQuantKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HEAD = 64, KV_HEADS = 3, GROUP = 3, HEADS = KV_HEADS * GROUP, SEQ = 4096 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float next_value(void) { return (float)(rand() % 20000) / 10000.0f - 1.0f; }

/// One token's attention over `layer`'s cache: 0 per-head kernels (position-major), 1 grouped
/// (position-major), 2 grouped (head-major).
static void attend(int variant, const qk_half *keys, const qk_half *values, int count, const float *q, float *scores, float *out,
                   float *stats) {
    const size_t row = KV_HEADS * HEAD * sizeof(qk_half), head_row = HEAD * sizeof(qk_half);
    for (int kv = 0; kv < KV_HEADS; kv++) {
        const float scale = 0.125f;
        if (variant == 0) {
            for (int h = kv * GROUP; h < (kv + 1) * GROUP; h++) {
                qk_attention_scores_f16_avx2(HEAD, q + h * HEAD, keys + kv * HEAD, row, count, scale, scores + h * SEQ);
                qk_softmax_f32_avx2(count, scores + h * SEQ);
                qk_attention_values_f16_avx2(HEAD, scores + h * SEQ, values + kv * HEAD, row, count, out + h * HEAD);
            }
        } else {
            const size_t offset = variant == 1 ? (size_t)kv * HEAD : (size_t)kv * SEQ * HEAD, stride = variant == 1 ? row : head_row;
            qk_attention_group_f16_avx2(HEAD, GROUP, q + kv * GROUP * HEAD, keys + offset, values + offset, stride, count, scale,
                                        scores + kv * GROUP * SEQ, SEQ, out + kv * GROUP * HEAD, stats + 2 * kv * GROUP);
            for (int h = kv * GROUP; h < (kv + 1) * GROUP; h++) {
                for (int i = 0; i < HEAD; i++) out[h * HEAD + i] /= stats[2 * h + 1];
            }
        }
    }
}

int main(int argc, char **argv) {
    const int count = argc > 1 ? atoi(argv[1]) : 150;
    const char *mode = argc > 2 ? argv[2] : "";
    const int layers = strcmp(mode, "cold") == 0 || strcmp(mode, "memory") == 0 ? 30 : 1, from_memory = strcmp(mode, "memory") == 0;
    if (count <= 0 || count > SEQ) { fprintf(stderr, "POSITIONS must be 1-%d\n", SEQ); return 2; }
    const size_t layer_values = (size_t)KV_HEADS * HEAD * SEQ, weight_bytes = 3u << 20;
    // [layers][SEQ][KV_HEADS][HEAD] and the same values as [layers][KV_HEADS][SEQ][HEAD]
    qk_half *keys = malloc(layer_values * layers * sizeof(qk_half)), *values = malloc(layer_values * layers * sizeof(qk_half));
    qk_half *head_keys = malloc(layer_values * layers * sizeof(qk_half)), *head_values = malloc(layer_values * layers * sizeof(qk_half));
    float *weights = from_memory ? malloc(weight_bytes * layers) : NULL;
    srand(7);
    for (size_t i = 0; i < layer_values * layers; i++) {
        keys[i] = qk_float_to_half(next_value());
        values[i] = qk_float_to_half(next_value());
    }
    for (int l = 0; l < layers; l++) {
        for (int t = 0; t < SEQ; t++) {
            for (int kv = 0; kv < KV_HEADS; kv++) {
                const size_t from = l * layer_values + ((size_t)t * KV_HEADS + kv) * HEAD, to = l * layer_values + ((size_t)kv * SEQ + t) * HEAD;
                memcpy(head_keys + to, keys + from, HEAD * sizeof(qk_half));
                memcpy(head_values + to, values + from, HEAD * sizeof(qk_half));
            }
        }
    }
    for (size_t i = 0; weights && i < weight_bytes * layers / sizeof(float); i++) weights[i] = 1.0f;
    static float q[HEADS * HEAD], scores[HEADS * SEQ], out[3][HEADS * HEAD], stats[2 * HEADS];
    for (int i = 0; i < HEADS * HEAD; i++) q[i] = next_value();

    // Agreement: the grouped kernel's o / l, over both layouts, against the per-head softmax-weighted sums.
    attend(0, keys, values, count, q, scores, out[0], stats);
    attend(1, keys, values, count, q, scores, out[1], stats);
    attend(2, head_keys, head_values, count, q, scores, out[2], stats);
    for (int v = 1; v < 3; v++) {
        for (int i = 0; i < HEADS * HEAD; i++) {
            if (!(fabsf(out[0][i] - out[v][i]) <= 1e-5f * (1.0f + fabsf(out[0][i])))) {
                printf("differs: variant %d, output %d, %g against %g\n", v, i, out[v][i], out[0][i]);
                return 1;
            }
        }
    }

    const int repeats = from_memory ? 20 : 400;
    double best[3] = {1e9, 1e9, 1e9};
    float sink = 0.0f;
    for (int round = 0; round < 9; round++) {  // interleaved, the best of each
        for (int v = 0; v < 3; v++) {
            double total = 0.0;
            for (int r = 0; r < repeats; r++) {
                for (int layer = 0; layer < layers; layer++) {
                    if (weights) {  // the layer's weights go through the caches first
                        const float *w = weights + layer * weight_bytes / sizeof(float);
                        for (size_t i = 0; i < weight_bytes / sizeof(float); i += 16) sink += w[i];
                    }
                    const size_t base = layer * layer_values;
                    double t0 = now();
                    attend(v, (v == 2 ? head_keys : keys) + base, (v == 2 ? head_values : values) + base, count, q, scores, out[v], stats);
                    total += now() - t0;
                }
            }
            if (total < best[v]) best[v] = total;
        }
    }
    const double per_layer = 1e6 / ((double)repeats * layers);
    printf("%d positions, %s: per-head kernels %.2f us per layer, grouped %.2f, grouped over a head-major cache %.2f%s\n", count,
           from_memory ? "caches from memory" : layers > 1 ? "30 layers' caches" : "one layer's cache", best[0] * per_layer,
           best[1] * per_layer, best[2] * per_layer, sink < 0 ? "" : "");
    free(keys);
    free(values);
    free(head_keys);
    free(head_values);
    free(weights);
    return 0;
}
