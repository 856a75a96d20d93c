// The software prefetch of the weights: the x86 whole-share kernels, and the per-row dot loop
// (`qk_prefetch_weights_ahead`, every path; docs/performance.md, "The seventh round"). In this
// project's VMs the hardware prefetcher alone kept a matrix-vector product at 26-29 GB/s with 2
// threads (a bare read loop: 40-50): the kernels' loads come between long runs of arithmetic, and
// the stream it detects runs dry. Asking for the lines a fixed distance ahead of the row in use took
// SmolLM2's Q8_0 output matrix from 28 to 50 GB/s and a decode token 1.39x faster (1.54x at 1
// thread), results unchanged.
#ifndef QK_WEIGHT_PREFETCH_H
#define QK_WEIGHT_PREFETCH_H
#include <stddef.h>

/// How far ahead of the row in use: 8 KiB measured best (4 KiB 0.97-1.02x of it, 12-32 KiB 0.95-0.98x).
enum { QK_WEIGHT_PREFETCH_BYTES = 8192 };

/// Asks for the cache lines of `bytes` weight bytes `QK_WEIGHT_PREFETCH_BYTES` past `rows`: called
/// once per row (or group of rows) as it is read, so the lines ahead arrive before their turn. A
/// prefetch past the end of the matrix is harmless (it never faults).
static inline __attribute__((always_inline)) void prefetch_weights_ahead(const void *rows, size_t bytes) {
    const char *ahead = (const char *)rows + QK_WEIGHT_PREFETCH_BYTES;
    for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(ahead + b, 0, 3);
}
#endif
