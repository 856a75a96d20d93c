// Single-thread throughput of the C kernels on cold matrices, outside SwiftPM: the figures the
// kernel table's choices cite (docs/performance.md, QuantKernels). x86-64 with AVX-512 VNNI only.
//
//   clang -O2 -I../../Sources/CQuantKernels/include ../../Sources/CQuantKernels/*.c kernel_harness.c -lm -o /tmp/kernel_harness
//   /tmp/kernel_harness
//
// Each matrix is kept in 4 copies (8 for float types) used in turn, so reads come from memory;
// results are checked against the reference kernels.
#include "CQuantKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float (*dot_fn)(int, const void *, const void *);
typedef void (*matvec_fn)(int, const void *, size_t, int, const void *, float *);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/// A seeded matrix of `copies` x `rows` rows of `block_bytes` blocks with sane half scales.
static uint8_t *make_matrix(int copies, int rows, size_t row_bytes, int block_bytes, int halves) {
    size_t total = (size_t)copies * rows * row_bytes;
    uint8_t *w = aligned_alloc(64, (total + 63) / 64 * 64);
    srand(7);
    for (size_t i = 0; i < total; i++) w[i] = (uint8_t)rand();
    for (size_t b = 0; b < total / block_bytes; b++)
        for (int h = 0; h < halves; h++) { uint16_t d = 0x2400; memcpy(w + b * block_bytes + 2 * h, &d, 2); }
    return w;
}

static double dot_gbps(dot_fn dot, const uint8_t *w, int copies, int rows, size_t row_bytes, int n, const void *y, float *out) {
    double best = 1e9;
    for (int k = 0; k < 12; k++) {
        const uint8_t *m = w + (size_t)(k % copies) * rows * row_bytes;
        double start = now();
        for (int r = 0; r < rows; r++) out[r] = dot(n, m + (size_t)r * row_bytes, y);
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    return (double)rows * row_bytes / best / 1e9;
}

static double matvec_gbps(matvec_fn mv, const uint8_t *w, int copies, int rows, size_t row_bytes, int n, const void *y, float *out) {
    double best = 1e9;
    for (int k = 0; k < 12; k++) {
        double start = now();
        mv(n, w + (size_t)(k % copies) * rows * row_bytes, row_bytes, rows, y, out);
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    return (double)rows * row_bytes / best / 1e9;
}

int main(void) {
    const int n = 4096, rows = 14336;
    float *x = malloc(n * sizeof(float)), *out = malloc(rows * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = (float)((rand() % 1000) / 100.0 - 5.0);
    uint8_t *y = malloc(n / 32 * 34);
    qk_quantize_q80_ref(n, x, y);

    struct { const char *name; int block_bytes, halves; dot_fn ref, avx2, avx512; matvec_fn mv2, mv512; } quantized[] = {
        {"Q40", 18, 1, qk_dot_q40_q80_ref, qk_dot_q40_q80_avx2, NULL, qk_matvec_q40_q80_avx2, qk_matvec_q40_q80_avx512},
        {"Q41", 20, 2, qk_dot_q41_q80_ref, qk_dot_q41_q80_avx2, qk_dot_q41_q80_avx512, qk_matvec_q41_q80_avx2, qk_matvec_q41_q80_avx512},
        {"Q80", 34, 1, qk_dot_q80_q80_ref, qk_dot_q80_q80_avx2, qk_dot_q80_q80_avx512, NULL, qk_matvec_q80_q80_avx512},
    };
    printf("cold %d x %d, 1 thread, GB/s of weights\n", rows, n);
    for (int t = 0; t < 3; t++) {
        size_t row_bytes = (size_t)n / 32 * quantized[t].block_bytes;
        uint8_t *w = make_matrix(4, rows, row_bytes, quantized[t].block_bytes, quantized[t].halves);
        printf("%s x Q80  dot avx2 %5.1f", quantized[t].name, dot_gbps(quantized[t].avx2, w, 4, rows, row_bytes, n, y, out));
        if (quantized[t].avx512) printf("  dot avx512 %5.1f", dot_gbps(quantized[t].avx512, w, 4, rows, row_bytes, n, y, out));
        if (quantized[t].mv2) printf("  matvec avx2 %5.1f", matvec_gbps(quantized[t].mv2, w, 4, rows, row_bytes, n, y, out));
        printf("  matvec avx512 %5.1f", matvec_gbps(quantized[t].mv512, w, 4, rows, row_bytes, n, y, out));
        quantized[t].mv512(n, w, row_bytes, 64, y, out);  // the AVX-512 matvec against the reference
        double worst = 0, largest = 1e-30;                // relative to the largest |result|
        for (int r = 0; r < 64; r++) {
            double ref = quantized[t].ref(n, w + (size_t)r * row_bytes, y), d = out[r] - ref;
            worst = d < 0 ? (-d > worst ? -d : worst) : (d > worst ? d : worst);
            largest = ref < 0 ? (-ref > largest ? -ref : largest) : (ref > largest ? ref : largest);
        }
        printf("  (max error %.1e relative)\n", worst / largest);
        free(w);
    }
    struct { const char *name; int bytes; dot_fn avx2, avx512; } floats[] = {
        {"F32", 4, qk_dot_f32_f32_avx2, qk_dot_f32_f32_avx512}, {"F16", 2, qk_dot_f16_f32_avx2, qk_dot_f16_f32_avx512},
    };
    for (int t = 0; t < 2; t++) {
        size_t row_bytes = (size_t)n * floats[t].bytes;
        uint8_t *w = make_matrix(8, rows / 8, row_bytes, 2, 0);
        for (size_t i = 0; i < 8 * (size_t)(rows / 8) * row_bytes / 2; i++) ((uint16_t *)w)[i] = floats[t].bytes == 2 ? 0x3800 : (i & 1 ? 0x3F00 : 0);
        printf("%s x F32  dot avx2 %5.1f  dot avx512 %5.1f\n", floats[t].name,
               dot_gbps(floats[t].avx2, w, 8, rows / 8, row_bytes, n, x, out), dot_gbps(floats[t].avx512, w, 8, rows / 8, row_bytes, n, x, out));
        free(w);
    }
    // Prefill: 64 tokens through a 4096 x 4096 matrix (it stays in the caches: compute-bound).
    typedef void (*matmat_fn)(int, const void *, size_t, int, const void *, size_t, int, float *, size_t);
    struct { const char *name; int block_bytes, halves; matvec_fn mv2, mv512; matmat_fn mm2, mm512; } batched[] = {
        {"Q40", 18, 1, qk_matvec_q40_q80_avx2, qk_matvec_q40_q80_avx512, qk_matmat_q40_q80_avx2, qk_matmat_q40_q80_avx512},
        {"Q41", 20, 2, qk_matvec_q41_q80_avx2, qk_matvec_q41_q80_avx512, qk_matmat_q41_q80_avx2, qk_matmat_q41_q80_avx512},
    };
    const int batch = 64, square = 4096;
    size_t y_row = (size_t)n / 32 * 34;
    uint8_t *ys = malloc(batch * y_row);
    for (int t = 0; t < batch; t++) {
        for (int i = 0; i < n; i++) x[i] = (float)((rand() % 1000) / 100.0 - 5.0);
        qk_quantize_q80_ref(n, x, ys + t * y_row);
    }
    float *outs = malloc((size_t)batch * square * sizeof(float));
    printf("prefill, %d tokens through %d x %d, 1 thread, tokens/s\n", batch, square, n);
    for (int t = 0; t < 2; t++) {
        size_t row_bytes = (size_t)n / 32 * batched[t].block_bytes;
        uint8_t *w = make_matrix(1, square, row_bytes, batched[t].block_bytes, batched[t].halves);
        double per_token[2] = {1e9, 1e9}, grouped[2] = {1e9, 1e9};
        for (int k = 0; k < 3; k++) {
            for (int p = 0; p < 2; p++) {
                double start = now();
                for (int b = 0; b < batch; b++) (p ? batched[t].mv512 : batched[t].mv2)(n, w, row_bytes, square, ys + b * y_row, outs + b * square);
                double seconds = now() - start;
                if (seconds < per_token[p]) per_token[p] = seconds;
                start = now();
                (p ? batched[t].mm512 : batched[t].mm2)(n, w, row_bytes, square, ys, y_row, batch, outs, square);
                seconds = now() - start;
                if (seconds < grouped[p]) grouped[p] = seconds;
            }
        }
        printf("%s  per-token avx2 %.0f  batched avx2 %.0f  per-token avx512 %.0f  batched avx512 %.0f\n", batched[t].name,
               batch / per_token[0], batch / grouped[0], batch / per_token[1], batch / grouped[1]);
        free(w);
    }

    float *buffer = aligned_alloc(64, (size_t)256 << 20);
    size_t count = ((size_t)256 << 20) / sizeof(float);
    for (size_t i = 0; i < count; i++) buffer[i] = 1.0f;
    double best = 1e9;
    for (int k = 0; k < 5; k++) {
        double start = now();
        volatile float sink = qk_read_bandwidth_probe_avx2(count, buffer);
        (void)sink;
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    printf("memory read bandwidth, 1 thread: %.1f GB/s\n", (double)count * sizeof(float) / best / 1e9);
    return 0;
}
