// One Q41 matrix (rows x columns) multiplied by one activation again and again, 1 thread: the
// whole-share AVX-512 kernel's compute speed with its weights in L2 (GB/s of weights and ns per row),
// the figure docs/performance.md ("The third round") cites. Checked against the scalar reference.
// x86-64 with AVX-512 VNNI only.
//
//   clang -O2 -I../../Sources/CQuantKernels/include ../../Sources/CQuantKernels/*.c q41_matvec.c -lm -o /tmp/q41_matvec
//   /tmp/q41_matvec ROWS COLUMNS        (e.g. 1536 576, 576 1536, 576 576, 256 4096)
#include "CQuantKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s ROWS COLUMNS (COLUMNS a multiple of 32)\n", argv[0]); return 2; }
    const int rows = atoi(argv[1]), n = atoi(argv[2]), repeats = 3000;
    if (rows <= 0 || n <= 0 || n % 32) { fprintf(stderr, "ROWS must be positive and COLUMNS a positive multiple of 32\n"); return 2; }
    const size_t row_bytes = (size_t)(n / 32) * sizeof(qk_block_q41), total = row_bytes * rows;
    uint8_t *w = aligned_alloc(64, (total + 63) / 64 * 64);
    float *x = malloc(sizeof(float) * n), *out = malloc(sizeof(float) * rows);
    uint8_t *y = malloc((size_t)(n / 32) * sizeof(qk_block_q80));
    void *prepared = aligned_alloc(64, qk_prepared_bytes_avx512(n));
    srand(7);
    for (size_t i = 0; i < total; i++) w[i] = (uint8_t)rand();
    for (size_t b = 0; b < total / sizeof(qk_block_q41); b++) {  // sane half scales and minimums
        const uint16_t d = 0x2400, m = 0xa400;
        memcpy(w + b * sizeof(qk_block_q41), &d, 2);
        memcpy(w + b * sizeof(qk_block_q41) + 2, &m, 2);
    }
    for (int i = 0; i < n; i++) x[i] = (float)(rand() % 1000) / 1000 - 0.5f;
    qk_quantize_q80_ref(n, x, y);
    qk_prepare_q41_avx512(n, y, prepared);
    double best = 1e9;
    for (int k = 0; k < 5; k++) {
        const double start = now();
        for (int i = 0; i < repeats; i++) qk_matvec_prepared_q41_avx512(n, w, row_bytes, rows, prepared, out);
        const double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    double error = 0;
    for (int r = 0; r < rows; r++) {
        const double e = qk_dot_q41_q80_ref(n, w + r * row_bytes, y) - out[r];
        if (e > error || -e > error) error = e < 0 ? -e : e;
    }
    printf("%d x %d: %.1f GB/s, %.1f ns per row, largest difference from the reference %g\n", rows, n,
           (double)total * repeats / best / 1e9, best / repeats / rows * 1e9, error);
    return error < 1e-3 ? 0 : 1;
}
