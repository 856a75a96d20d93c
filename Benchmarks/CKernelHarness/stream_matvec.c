// The AVX-512 whole-share Q41 and Q80 kernels streaming a 96 MB matrix of 576-value rows (SmolLM2's
// width) from memory, THREADS threads each taking one contiguous share in chunks of 384 rows (a
// layer's gate and up), alternated pass by pass with the read-bandwidth probe over the same bytes:
// medians of 60 passes each, GB/s of weights and the share of the probe, the figures
// docs/performance.md ("The fifth round") cites. What a decode token's products can reach at best.
// x86-64 with AVX-512 VNNI only.
//
//   clang -O2 -I../../Sources/CQuantKernels/include ../../Sources/CQuantKernels/*.c stream_matvec.c -lm -lpthread -o /tmp/stream_matvec
//   /tmp/stream_matvec THREADS        (e.g. 1, 2)
#include "CQuantKernels.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N = 576, CHUNK_ROWS = 384, PASSES = 60, MATRIX_BYTES = 96000000, MAX_THREADS = 16 };
typedef void (*matvec_fn)(int, const void *, size_t, int, const void *, float *);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int by_value(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

/// One kind of pass: a kernel over a matrix, or (kernel NULL) the probe over `floats`.
typedef struct {
    const char *name;
    matvec_fn kernel;
    const uint8_t *weights;
    size_t row_bytes, rows;
    const void *prepared;
} pass_kind;

static pass_kind kinds[3];
static const float *floats;
static size_t float_count;
static float *out;
static int threads;
static volatile int current;
static pthread_barrier_t start_line, finish_line;

static void run_share(int t) {
    const pass_kind *k = &kinds[current];
    if (!k->kernel) {
        const size_t first = float_count * t / threads, last = float_count * (t + 1) / threads;
        out[t] = qk_read_bandwidth_probe_avx2(last - first, floats + first);
        return;
    }
    const size_t first = k->rows * t / threads, last = k->rows * (t + 1) / threads;
    for (size_t r = first; r < last; r += CHUNK_ROWS) {
        const size_t end = r + CHUNK_ROWS < last ? r + CHUNK_ROWS : last;
        k->kernel(N, k->weights + r * k->row_bytes, k->row_bytes, (int)(end - r), k->prepared, out + r);
    }
}

static void *worker(void *arg) {
    for (int p = 0; p < 3 * PASSES; p++) {
        pthread_barrier_wait(&start_line);
        run_share((int)(long)arg);
        pthread_barrier_wait(&finish_line);
    }
    return NULL;
}

/// A matrix of `block_bytes` blocks whose scales (and Q41 minimums) are sane halves.
static uint8_t *matrix(size_t block_bytes, size_t *rows) {
    const size_t row_bytes = (N / 32) * block_bytes;
    *rows = MATRIX_BYTES / row_bytes;
    uint8_t *w = aligned_alloc(64, (*rows * row_bytes + 63) / 64 * 64);
    for (size_t i = 0; i < *rows * row_bytes; i++) w[i] = (uint8_t)(i * 2654435761u >> 13);
    for (size_t b = 0; b < *rows * (N / 32); b++) {
        const uint16_t d = 0x2400, m = 0xa400;
        memcpy(w + b * block_bytes, &d, 2);
        if (block_bytes == sizeof(qk_block_q41)) memcpy(w + b * block_bytes + 2, &m, 2);
    }
    return w;
}

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > MAX_THREADS) { fprintf(stderr, "THREADS must be 1-%d\n", MAX_THREADS); return 2; }
    if (!(qk_cpu_features() & QK_CPU_AVX512VNNI)) { fprintf(stderr, "this CPU has no AVX-512 VNNI\n"); return 2; }
    float x[N];
    for (int i = 0; i < N; i++) x[i] = (float)(i % 100) / 100.0f - 0.5f;
    uint8_t y[(N / 32) * sizeof(qk_block_q80)];
    qk_quantize_q80_ref(N, x, y);
    void *prepared41 = aligned_alloc(64, qk_prepared_bytes_avx512(N)), *prepared80 = aligned_alloc(64, qk_prepared_bytes_avx512(N));
    qk_prepare_q41_avx512(N, y, prepared41);
    qk_prepare_q80_avx512(N, y, prepared80);
    size_t rows41, rows80;
    const uint8_t *w41 = matrix(sizeof(qk_block_q41), &rows41), *w80 = matrix(sizeof(qk_block_q80), &rows80);
    kinds[0] = (pass_kind){"Q41", qk_matvec_prepared_q41_avx512, w41, (N / 32) * sizeof(qk_block_q41), rows41, prepared41};
    kinds[1] = (pass_kind){"Q80", qk_matvec_prepared_q80_avx512, w80, (N / 32) * sizeof(qk_block_q80), rows80, prepared80};
    kinds[2] = (pass_kind){"read probe", NULL, NULL, 0, 0, NULL};
    float_count = MATRIX_BYTES / sizeof(float);
    float *buffer = malloc(float_count * sizeof(float));
    for (size_t i = 0; i < float_count; i++) buffer[i] = 1.0f;
    floats = buffer;
    out = malloc((rows41 > rows80 ? rows41 : rows80) * sizeof(float));

    // The kernels' first rows against the scalar reference.
    float got[4];
    qk_matvec_prepared_q41_avx512(N, w41, kinds[0].row_bytes, 4, prepared41, got);
    for (int r = 0; r < 4; r++) {
        const float expected = qk_dot_q41_q80_ref(N, w41 + r * kinds[0].row_bytes, y);
        if (!(fabsf(got[r] - expected) <= 1e-3f * (1 + fabsf(expected)))) {
            printf("Q41 row %d: %g against %g\n", r, got[r], expected);
            return 1;
        }
    }

    pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&finish_line, NULL, (unsigned)threads + 1);
    pthread_t ids[MAX_THREADS];
    for (long t = 0; t < threads; t++) pthread_create(&ids[t], NULL, worker, (void *)t);
    static double seconds[3][PASSES];
    for (int p = 0; p < 3 * PASSES; p++) {  // Q41, Q80, probe, Q41, ...
        current = p % 3;
        const double t0 = now();
        pthread_barrier_wait(&start_line);
        pthread_barrier_wait(&finish_line);
        seconds[p % 3][p / 3] = now() - t0;
    }
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    double median[3];
    for (int k = 0; k < 3; k++) {
        qsort(seconds[k], PASSES, sizeof(double), by_value);
        const double bytes = k == 2 ? (double)float_count * sizeof(float) : (double)kinds[k].rows * kinds[k].row_bytes;
        median[k] = bytes / seconds[k][PASSES / 2] / 1e9;
    }
    printf("%d thread%s, 576-value rows from memory: Q41 %.1f GB/s (%.0f%% of the probe), Q80 %.1f GB/s (%.0f%%), read probe %.1f GB/s\n",
           threads, threads > 1 ? "s" : "", median[0], 100 * median[0] / median[2], median[1], 100 * median[1] / median[2], median[2]);
    return 0;
}
