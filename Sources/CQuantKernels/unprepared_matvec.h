// Whole-share kernels from a plain Q80 row, for callers without a prepared activation (tests,
// benchmarks): each call prepares the row into a buffer of its own, then runs the prepared kernel.
// Used by matvec_avx2.c and matvec_avx512.c, which define ROW(w, r) before including it.
#ifndef QK_UNPREPARED_MATVEC_H
#define QK_UNPREPARED_MATVEC_H
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
#endif
