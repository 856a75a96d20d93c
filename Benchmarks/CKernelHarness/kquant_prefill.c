// Prefill through K-quant matrices, 1 thread, tokens/s: per-token whole-share products, the batched
// kernels (qk_matmat_q{4,5,6}k_q8k_*) and OpenBLAS over dequantized tiles of 64 rows (what
// BatchedProduct does), on Qwen2.5-0.5B's ffn_down shape (896 x 4864) and 4096 x 4096. The figures
// BatchedProduct.minimumBatch cites for K-quants. x86-64 with AVX-512 VNNI only.
//
//   clang -O2 -I../../Sources/CQuantKernels/include -I/usr/include/x86_64-linux-gnu/openblas-pthread \
//     ../../Sources/CQuantKernels/*.c kquant_prefill.c -lopenblas -lm -o /tmp/kquant_prefill
//   /tmp/kquant_prefill
//
// The batched results are first checked against the reference dots (batch 1-9, padded token rows).
#include "CQuantKernels.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float (*dot_fn)(int, const void *, const void *);
typedef void (*matvec_fn)(int, const void *, size_t, int, const void *, float *);
typedef void (*matmat_fn)(int, const void *, size_t, int, const void *, size_t, int, float *, size_t);
typedef void (*dequantize_fn)(int, const void *, float *);
void openblas_set_num_threads(int);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static const struct {
    const char *name;
    int block_bytes, half0, half1;  // offsets of the half-float scales, set to sane values
    dot_fn ref;
    dequantize_fn dequantize;
    matvec_fn mv2, mv512;
    matmat_fn mm2, mm512;
} kinds[] = {
    {"Q4_K", 144, 0, 2, qk_dot_q4k_q8k_ref, qk_dequantize_q4k_ref, qk_matvec_q4k_q8k_avx2, qk_matvec_q4k_q8k_avx512,
     qk_matmat_q4k_q8k_avx2, qk_matmat_q4k_q8k_avx512},
    {"Q5_K", 176, 0, 2, qk_dot_q5k_q8k_ref, qk_dequantize_q5k_ref, qk_matvec_q5k_q8k_avx2, qk_matvec_q5k_q8k_avx512,
     qk_matmat_q5k_q8k_avx2, qk_matmat_q5k_q8k_avx512},
    {"Q6_K", 210, 208, 208, qk_dot_q6k_q8k_ref, qk_dequantize_q6k_ref, qk_matvec_q6k_q8k_avx2, qk_matvec_q6k_q8k_avx512,
     qk_matmat_q6k_q8k_avx2, qk_matmat_q6k_q8k_avx512},
};

/// `blocks` seeded random super-blocks with half scales near 0.016.
static uint8_t *make_blocks(int kind, size_t blocks) {
    size_t bytes = blocks * kinds[kind].block_bytes;
    uint8_t *w = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rand();
    for (size_t b = 0; b < blocks; b++) {
        uint16_t d = (uint16_t)(0x2400 + (rand() & 0xFF));
        memcpy(w + b * kinds[kind].block_bytes + kinds[kind].half0, &d, 2);
        memcpy(w + b * kinds[kind].block_bytes + kinds[kind].half1, &d, 2);
    }
    return w;
}

/// `batch` Q8_K rows of random values, `stride` bytes apart; `x` receives the floats ([batch][n]).
static uint8_t *make_tokens(int n, int batch, size_t stride, float *x) {
    uint8_t *y = calloc((size_t)batch, stride);
    for (int t = 0; t < batch; t++) {
        for (int i = 0; i < n; i++) x[(size_t)t * n + i] = (float)((rand() % 1000) / 100.0 - 5.0);
        qk_quantize_q8k_ref(n, x + (size_t)t * n, y + (size_t)t * stride);
    }
    return y;
}

/// Failures of the batched kernels against one reference dot per token and row.
static int check(int kind) {
    int failures = 0;
    for (int nb = 1; nb <= 19; nb += 6) {
        const int n = nb * QK_SUPER, rows = 5;
        const size_t row_bytes = (size_t)nb * kinds[kind].block_bytes, stride = (size_t)nb * sizeof(qk_block_q8k) + 40;
        uint8_t *w = make_blocks(kind, (size_t)rows * nb);
        float *x = malloc((size_t)9 * n * sizeof(float)), out[9 * 5];
        for (int batch = 1; batch <= 9; batch++) {
            uint8_t *y = make_tokens(n, batch, stride, x);
            for (int path = 0; path < 2; path++) {
                (path ? kinds[kind].mm512 : kinds[kind].mm2)(n, w, row_bytes, rows, y, stride, batch, out, rows);
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r++) {
                        float ref = kinds[kind].ref(n, w + r * row_bytes, y + t * stride);
                        if (!(fabsf(out[t * rows + r] - ref) <= 1e-4f * (fabsf(ref) + 1.0f))) failures++;
                    }
            }
            free(y);
        }
        free(w);
        free(x);
    }
    return failures;
}

/// Best of 3 seconds for each method: per-token avx2 / avx512, batched avx2 / avx512, OpenBLAS.
static void measure(int kind, int rows, int n, int batch) {
    const size_t row_bytes = (size_t)n / QK_SUPER * kinds[kind].block_bytes, stride = (size_t)n / QK_SUPER * sizeof(qk_block_q8k);
    uint8_t *w = make_blocks(kind, (size_t)rows * (n / QK_SUPER));
    float *x = malloc((size_t)batch * n * sizeof(float)), *out = malloc((size_t)batch * rows * sizeof(float));
    float *tile = malloc((size_t)64 * n * sizeof(float));  // [64][n] dequantized rows
    uint8_t *y = make_tokens(n, batch, stride, x);
    double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};
    for (int k = 0; k < 3; k++) {
        for (int m = 0; m < 5; m++) {
            double start = now();
            if (m < 2) {
                for (int t = 0; t < batch; t++)
                    (m ? kinds[kind].mv512 : kinds[kind].mv2)(n, w, row_bytes, rows, y + t * stride, out + (size_t)t * rows);
            } else if (m < 4) {  // the activations' quantization is part of the cost, as in MatrixProduct
                for (int t = 0; t < batch; t++) qk_quantize_q8k_ref(n, x + (size_t)t * n, y + t * stride);
                (m == 3 ? kinds[kind].mm512 : kinds[kind].mm2)(n, w, row_bytes, rows, y, stride, batch, out, rows);
            } else {
                for (int r0 = 0; r0 < rows; r0 += 64) {
                    const int count = rows - r0 < 64 ? rows - r0 : 64;
                    for (int r = 0; r < count; r++) kinds[kind].dequantize(n, w + (size_t)(r0 + r) * row_bytes, tile + (size_t)r * n);
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, count, n, 1.0f, x, n, tile, n, 0.0f, out + r0, rows);
                }
            }
            double seconds = now() - start;
            if (seconds < best[m]) best[m] = seconds;
        }
    }
    printf("%-5s %4d x %4d batch %3d  per-token avx2 %5.0f  batched avx2 %5.0f  per-token avx512 %5.0f  batched avx512 %5.0f  sgemm %5.0f\n",
           kinds[kind].name, rows, n, batch, batch / best[0], batch / best[2], batch / best[1], batch / best[3], batch / best[4]);
    free(w); free(x); free(out); free(tile); free(y);
}

int main(void) {
    openblas_set_num_threads(1);
    int failures = 0;
    for (int kind = 0; kind < 3; kind++) failures += check(kind);
    printf("batched kernels against the reference: %d failures\n", failures);
    printf("prefill, 1 thread, tokens/s\n");
    for (int kind = 0; kind < 3; kind++) {
        for (int batch = 16; batch <= 64; batch *= 4) measure(kind, 896, 4864, batch);
        for (int batch = 16; batch <= 128; batch *= 2) measure(kind, 4096, 4096, batch);
    }
    return failures != 0;
}
