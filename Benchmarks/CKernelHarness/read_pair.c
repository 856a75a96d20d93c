// What the machine's memory gives processes that read side by side: PROCESSES processes (forked),
// each reading its own 512 MiB buffer (2 MiB pages where granted) over and over with one thread, in
// the same window of SECONDS; first one process alone, then all of them at once. Each process's
// GB/s and its share of the lone reader: the physical bound of `bench-threads.py`'s "pair t1 / alone
// t1" (two dllama processes at one thread each), which docs/performance.md ("The seventh round") cites.
//
//   clang -O2 -mavx2 read_pair.c -o /tmp/read_pair
//   /tmp/read_pair [PROCESSES [SECONDS]]        (defaults 2 and 3)
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { BUFFER_BYTES = 512 << 20, HUGE_PAGE = 2 << 20 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// Reads `x` whole, again and again, from `start` (CLOCK_MONOTONIC, shared by the forked processes)
/// until `seconds` later; returns GB/s.
__attribute__((target("avx2"))) static double read_window(const float *x, double start, double seconds) {
    while (now() < start) {}
    double bytes = 0;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    while (now() < start + seconds) {
        for (size_t i = 0; i < BUFFER_BYTES / sizeof(float); i += 32) {
            s0 = _mm256_add_ps(s0, _mm256_load_ps(x + i));
            s1 = _mm256_add_ps(s1, _mm256_load_ps(x + i + 8));
            s2 = _mm256_add_ps(s2, _mm256_load_ps(x + i + 16));
            s3 = _mm256_add_ps(s3, _mm256_load_ps(x + i + 24));
        }
        bytes += BUFFER_BYTES;
    }
    static volatile float sink[8];  // the sums stay live, so the reads stay
    float sums[8];
    _mm256_storeu_ps(sums, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (int i = 0; i < 8; i++) sink[i] = sums[i];
    return bytes / (now() - start) / 1e9;
}

/// `processes` forked readers over one window starting a second from now (so every buffer is filled
/// first); returns each one's GB/s, which they write into memory shared with this process.
static const double *measure(int processes, double seconds) {
    double *rates = mmap(NULL, (size_t)processes * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rates == MAP_FAILED) return NULL;
    const double start = now() + 1.0;
    for (int p = 0; p < processes; p++) {
        rates[p] = 0;
        if (fork() == 0) {
            float *x = aligned_alloc(HUGE_PAGE, BUFFER_BYTES);
            if (!x) _exit(1);
            madvise(x, BUFFER_BYTES, MADV_HUGEPAGE);
            for (size_t i = 0; i < BUFFER_BYTES / sizeof(float); i++) x[i] = 1.0f;
            rates[p] = read_window(x, start, seconds);
            _exit(0);
        }
    }
    while (wait(NULL) > 0) {}
    return rates;
}

int main(int argc, char **argv) {
    const int processes = argc > 1 ? atoi(argv[1]) : 2;
    const double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    if (processes < 1 || seconds <= 0) {
        fprintf(stderr, "usage: read_pair [PROCESSES >= 1 [SECONDS > 0]]\n");
        return 2;
    }
    const double *lone = measure(1, seconds);
    if (!lone || lone[0] <= 0) return 1;
    const double alone = lone[0];
    printf("1 alone: %.1f GB/s\n", alone);
    const double *together = measure(processes, seconds);
    if (!together) return 1;
    for (int p = 0; p < processes; p++)
        printf("  %d together, process %d: %.1f GB/s, %.2f of one alone\n", processes, p + 1, together[p], together[p] / alone);
    return 0;
}
