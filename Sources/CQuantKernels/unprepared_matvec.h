// Whole-share and batched kernels from plain Q80 rows, for callers without a prepared activation
// (tests, benchmarks): each call prepares the rows into a buffer of its own, then runs the prepared
// kernel.
// Used by matvec_avx2.c, matvec_quads_avx512.c and matvec_q80_avx512.c, which define ROW(w, r) before
// including it.
#ifndef QK_UNPREPARED_MATVEC_H
#define QK_UNPREPARED_MATVEC_H
#include <stdint.h>
#include <stdlib.h>

/// `name`: the kernel over a plain Q80 row y; `prepared_bytes(n)` bytes aligned to `alignment` are
/// prepared by `prepare` for `prepared_kernel`; `dot` per row if that allocation fails.
#define UNPREPARED_MATVEC(name, alignment, prepared_bytes, prepare, prepared_kernel, dot)         \
    void name(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out) {     \
        void *prepared = aligned_alloc(alignment, prepared_bytes(n));                              \
        if (!prepared) { /* out of memory: one dot product per row */                              \
            for (int r = 0; r < rows; r++) out[r] = dot(n, ROW(w, r), y);                          \
            return;                                                                                \
        }                                                                                          \
        prepare(n, y, prepared);                                                                   \
        prepared_kernel(n, w, row_bytes, rows, prepared, out);                                     \
        free(prepared);                                                                            \
    }

/// `name`: the batched kernel over `batch` plain Q80 token rows `y_row_bytes` apart, prepared into
/// one buffer for `prepared_kernel`; `dot` per token and row if that allocation fails.
#define UNPREPARED_MATMAT(name, alignment, prepared_bytes, prepare, prepared_kernel, dot)                              \
    void name(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes, int batch, float *out, \
              size_t out_stride) {                                                                                      \
        const size_t bytes = prepared_bytes(n);                                                                          \
        uint8_t *prepared = aligned_alloc(alignment, (size_t)(batch > 0 ? batch : 1) * bytes); /* [batch][bytes] */      \
        if (!prepared) { /* out of memory: one dot product per token and row */                                          \
            for (int t = 0; t < batch; t++)                                                                              \
                for (int r = 0; r < rows; r++)                                                                           \
                    out[(size_t)t * out_stride + r] = dot(n, ROW(w, r), (const uint8_t *)y + (size_t)t * y_row_bytes);   \
            return;                                                                                                      \
        }                                                                                                                \
        for (int t = 0; t < batch; t++) prepare(n, (const uint8_t *)y + (size_t)t * y_row_bytes, prepared + (size_t)t * bytes); \
        prepared_kernel(n, w, row_bytes, rows, prepared, bytes, batch, out, out_stride);                                 \
        free(prepared);                                                                                                  \
    }
#endif
