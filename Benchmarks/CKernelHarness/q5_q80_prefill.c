// Prefill through Q5_0, Q5_1 and Q8_0 matrices, 1 thread, tokens/s: per-token whole-share products,
// the batched kernels (qk_matmat_prepared_* / qk_matmat_q80_q80_avx2) and OpenBLAS over dequantized
// tiles of 64 rows (what BatchedProduct does), on Qwen2.5-0.5B's ffn_up / ffn_down shapes (4864 x 896,
// 896 x 4864) and 4096 x 4096. The figures BatchedProduct.minimumBatch cites for these types. x86-64
// with AVX-512 VNNI only.
//
//   clang -O2 -I../../Sources/CQuantKernels/include -I/usr/include/x86_64-linux-gnu/openblas-pthread \
//     ../../Sources/CQuantKernels/*.c q5_q80_prefill.c -lopenblas -lm -o /tmp/q5_q80_prefill
//   /tmp/q5_q80_prefill [kind: 0 Q5_0, 1 Q5_1, 2 Q8_0 [batch]]   (--check: only the check)
//
// Every method is what the kernel table runs per token or per batch, the activations' Q80
// quantization and preparation included. The batched results are first checked against the
// reference dots (batch 1-9, odd block counts, padded token rows).
#include "CQuantKernels.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float (*dot_fn)(int, const void *, const void *);
typedef void (*prepare_fn)(int, const void *, void *);
typedef size_t (*prepared_bytes_fn)(int);
typedef void (*matvec_fn)(int, const void *, size_t, int, const void *, float *);
typedef void (*matmat_fn)(int, const void *, size_t, int, const void *, size_t, int, float *, size_t);
typedef void (*dequantize_fn)(int, const void *, float *);
void openblas_set_num_threads(int);

/// This thread's CPU time: every method runs on the calling thread (OpenBLAS with 1 thread), and on a
/// shared machine wall time would count the time other processes had the core.
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/// One path's kernels for a type, as KernelTable sets them: `prepare` nil means plain Q80 token rows,
/// `matvec` nil one dot per row.
typedef struct { prepare_fn prepare; prepared_bytes_fn bytes; matvec_fn matvec; dot_fn dot; matmat_fn matmat; } path_kernels;

static const struct {
    const char *name;
    int block_bytes, has_min;  // has_min: a half minimum at byte 2
    dot_fn ref;
    dequantize_fn dequantize;
    path_kernels avx2, avx512;
} kinds[] = {
    {"Q5_0", 22, 0, qk_dot_q50_q80_ref, qk_dequantize_q50_ref,
     {qk_prepare_q50_avx2, qk_prepared_bytes_avx2, qk_matvec_prepared_q50_avx2, qk_dot_q50_q80_avx2, qk_matmat_prepared_q50_avx2},
     {qk_prepare_q50_avx512, qk_prepared_bytes_avx512, qk_matvec_prepared_q50_avx512, qk_dot_q50_q80_avx512, qk_matmat_prepared_q50_avx512}},
    {"Q5_1", 24, 1, qk_dot_q51_q80_ref, qk_dequantize_q51_ref,
     {qk_prepare_q51_avx2, qk_prepared_bytes_avx2, qk_matvec_prepared_q51_avx2, qk_dot_q51_q80_avx2, qk_matmat_prepared_q51_avx2},
     {qk_prepare_q51_avx512, qk_prepared_bytes_avx512, qk_matvec_prepared_q51_avx512, qk_dot_q51_q80_avx512, qk_matmat_prepared_q51_avx512}},
    {"Q8_0", 34, 0, qk_dot_q80_q80_ref, qk_dequantize_q80_ref,
     {NULL, NULL, NULL, qk_dot_q80_q80_avx2, qk_matmat_q80_q80_avx2},
     {qk_prepare_q80_avx512, qk_prepared_bytes_avx512, qk_matvec_prepared_q80_avx512, qk_dot_q80_q80_avx512, qk_matmat_prepared_q80_avx512}},
};

/// `blocks` seeded random blocks with half scales (and minimums) near 0.016; Q8_0 bytes in -127..127.
static uint8_t *make_blocks(int kind, size_t blocks) {
    const int bytes = kinds[kind].block_bytes;
    uint8_t *w = malloc(blocks * bytes);
    for (size_t i = 0; i < blocks * bytes; i++) w[i] = (uint8_t)rand();
    for (size_t b = 0; b < blocks; b++) {
        uint8_t *block = w + b * bytes;
        uint16_t d = (uint16_t)(0x2400 + (rand() & 0xFF)), m = (uint16_t)(0xA400 + (rand() & 0xFF));
        memcpy(block, &d, 2);
        if (kinds[kind].has_min) memcpy(block + 2, &m, 2);
        if (bytes == 34)
            for (int j = 2; j < 34; j++) if (block[j] == 0x80) block[j] = 0x81;
    }
    return w;
}

/// `batch` Q80 rows of random values, `stride` bytes apart; `x` receives the floats ([batch][n]).
static uint8_t *make_tokens(int n, int batch, size_t stride, float *x) {
    uint8_t *y = calloc((size_t)batch, stride);
    for (int t = 0; t < batch; t++) {
        for (int i = 0; i < n; i++) x[(size_t)t * n + i] = (float)((rand() % 1000) / 100.0 - 5.0);
        qk_quantize_q80_ref(n, x + (size_t)t * n, y + (size_t)t * stride);
    }
    return y;
}

/// The kernel's input rows: the Q80 rows as they are, or prepared into `prepared` ([batch][pstride]).
static const uint8_t *lay_out(const path_kernels *k, int n, int batch, const uint8_t *y, size_t stride, uint8_t *prepared, size_t pstride) {
    if (!k->prepare) return y;
    for (int t = 0; t < batch; t++) k->prepare(n, y + t * stride, prepared + t * pstride);
    return prepared;
}

/// Failures of the batched kernels against one reference dot per token and row.
static int check(int kind) {
    int failures = 0;
    for (int nb = 1; nb <= 70; nb += nb < 19 ? 3 : 23) {  // odd and even block counts, up to several column chunks
        const int n = nb * QK_BLOCK, rows = 5;
        const size_t row_bytes = (size_t)nb * kinds[kind].block_bytes, stride = (size_t)nb * sizeof(qk_block_q80) + 40;
        uint8_t *w = make_blocks(kind, (size_t)rows * nb);
        float *x = malloc((size_t)9 * n * sizeof(float)), out[9 * 6];
        for (int batch = 1; batch <= 9; batch++) {
            uint8_t *y = make_tokens(n, batch, stride, x);
            for (int path = 0; path < 2; path++) {
                const path_kernels *k = path ? &kinds[kind].avx512 : &kinds[kind].avx2;
                const size_t pstride = k->bytes ? k->bytes(n) + 64 : 0;
                uint8_t *prepared = aligned_alloc(64, (size_t)batch * pstride + 64);
                const uint8_t *rowsy = lay_out(k, n, batch, y, stride, prepared, pstride);
                for (int i = 0; i < 9 * 6; i++) out[i] = 12345.0f;
                k->matmat(n, w, row_bytes, rows, rowsy, k->prepare ? pstride : stride, batch, out, rows + 1);
                for (int t = 0; t < batch; t++) {
                    for (int r = 0; r < rows; r++) {
                        float ref = kinds[kind].ref(n, w + r * row_bytes, y + t * stride);
                        if (!(fabsf(out[t * (rows + 1) + r] - ref) <= 1e-4f * (fabsf(ref) + 1.0f))) failures++;
                    }
                    if (out[t * (rows + 1) + rows] != 12345.0f) failures++;  // past the rows: untouched
                }
                free(prepared);
            }
            free(y);
        }
        free(w);
        free(x);
    }
    return failures;
}

/// Best of 5 for each method: per-token avx2 / avx512, batched avx2 / avx512, OpenBLAS.
static void measure(int kind, int rows, int n, int batch) {
    const size_t row_bytes = (size_t)n / QK_BLOCK * kinds[kind].block_bytes, stride = (size_t)n / QK_BLOCK * sizeof(qk_block_q80);
    uint8_t *w = make_blocks(kind, (size_t)rows * (n / QK_BLOCK));
    float *x = malloc((size_t)batch * n * sizeof(float)), *out = malloc((size_t)batch * rows * sizeof(float));
    float *tile = malloc((size_t)64 * n * sizeof(float));  // [64][n] dequantized rows
    uint8_t *y = make_tokens(n, batch, stride, x);
    const size_t pstride = qk_prepared_bytes_avx2(n) > qk_prepared_bytes_avx512(n) ? qk_prepared_bytes_avx2(n) : qk_prepared_bytes_avx512(n);
    uint8_t *prepared = aligned_alloc(64, (size_t)batch * pstride);  // [batch][pstride]
    double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};
    for (int k = 0; k < 5; k++) {
        for (int m = 0; m < 5; m++) {
            const path_kernels *p = (m & 1) ? &kinds[kind].avx512 : &kinds[kind].avx2;
            double start = now();
            if (m < 4) for (int t = 0; t < batch; t++) qk_quantize_q80_avx2(n, x + (size_t)t * n, y + t * stride);
            if (m < 2) {  // per token: the whole-share kernel, else one dot per row
                for (int t = 0; t < batch; t++) {
                    const uint8_t *yt = lay_out(p, n, 1, y + t * stride, stride, prepared, pstride);
                    if (p->matvec) p->matvec(n, w, row_bytes, rows, yt, out + (size_t)t * rows);
                    else for (int r = 0; r < rows; r++) out[(size_t)t * rows + r] = p->dot(n, w + r * row_bytes, yt);
                }
            } else if (m < 4) {
                const uint8_t *rowsy = lay_out(p, n, batch, y, stride, prepared, pstride);
                p->matmat(n, w, row_bytes, rows, rowsy, p->prepare ? pstride : stride, batch, out, rows);
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
    printf("%-5s %4d x %4d batch %3d  per-token avx2 %6.0f  batched avx2 %6.0f  per-token avx512 %6.0f  batched avx512 %6.0f  sgemm %6.0f\n",
           kinds[kind].name, rows, n, batch, batch / best[0], batch / best[2], batch / best[1], batch / best[3], batch / best[4]);
    fflush(stdout);
    free(w); free(x); free(out); free(tile); free(y); free(prepared);
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    int failures = 0;
    for (int kind = 0; kind < 3; kind++) failures += check(kind);
    printf("batched kernels against the reference: %d failures\n", failures);
    if (argc > 1 && strcmp(argv[1], "--check") == 0) return failures != 0;
    printf("prefill, 1 thread, tokens/s of thread CPU time\n");
    const int only = argc > 1 ? atoi(argv[1]) : -1;  // one kind (0 Q5_0, 1 Q5_1, 2 Q8_0), else all
    const int one_batch = argc > 2 ? atoi(argv[2]) : 0;  // one batch size, else 16 and 64
    for (int kind = 0; kind < 3; kind++) {
        if (only >= 0 && kind != only) continue;
        for (int batch = one_batch ? one_batch : 16; batch <= (one_batch ? one_batch : 64); batch *= 4) {
            measure(kind, 4864, 896, batch);
            measure(kind, 896, 4864, batch);
            measure(kind, 4096, 4096, batch);
        }
    }
    return failures != 0;
}
