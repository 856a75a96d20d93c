// The row loop the K-quant batched kernels share (matmat_kquants_avx2.c, _avx512.c): row tiles
// kept in L2 while every group of up to 4 tokens passes over them, and the public entry points.
// Included by each kernel file after its per-row kernels `k45_row` and `q6k_row`, with KQ_TARGET
// (its target attribute) and KQ_SUFFIX (avx2, avx512) defined, so each gets its own copy compiled
// for its instruction set.
#ifndef KQ_TARGET
#error "define KQ_TARGET and KQ_SUFFIX before including matmat_kquants_loop.h"
#endif

/// Rows per tile: a tile stays in L2 while each group of 4 tokens passes over it, so the weights
/// come from memory once per call, not once per group.
static int tile_rows(size_t row_bytes) {
    size_t rows = (256u << 10) / (row_bytes ? row_bytes : 1);
    return rows < 1 ? 1 : (int)rows;
}

// ---------------------------------------------------------------- the shared loop

enum { KIND_Q4K, KIND_Q5K, KIND_Q6K };

/// One row times 1-4 tokens, with the kind and token count constant in every call so the token
/// loops unroll into registers.
KQ_TARGET static void row_tokens(int kind, int tokens, int nb, const uint8_t *row, const qk_block_q8k *const *y, float *sums) {
#define TOKENS(call1, call2, call3, call4) \
    switch (tokens) { case 1: call1; break; case 2: call2; break; case 3: call3; break; default: call4; break; }
    switch (kind) {
    case KIND_Q4K: TOKENS(k45_row(nb, row, 0, 1, y, sums), k45_row(nb, row, 0, 2, y, sums), k45_row(nb, row, 0, 3, y, sums),
                          k45_row(nb, row, 0, 4, y, sums)) break;
    case KIND_Q5K: TOKENS(k45_row(nb, row, 1, 1, y, sums), k45_row(nb, row, 1, 2, y, sums), k45_row(nb, row, 1, 3, y, sums),
                          k45_row(nb, row, 1, 4, y, sums)) break;
    default: TOKENS(q6k_row(nb, row, 1, y, sums), q6k_row(nb, row, 2, y, sums), q6k_row(nb, row, 3, y, sums), q6k_row(nb, row, 4, y, sums))
    }
#undef TOKENS
}

KQ_TARGET static void kquant_matmat(int kind, int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                                    int batch, float *out, size_t out_stride) {
    const int nb = n / QK_SUPER, tile = tile_rows(row_bytes);
    for (int r0 = 0; r0 < rows; r0 += tile) {
        const int r1 = rows - r0 < tile ? rows : r0 + tile;
        for (int t0 = 0; t0 < batch; t0 += 4) {
            const int tokens = batch - t0 < 4 ? batch - t0 : 4;
            const qk_block_q8k *ys[4];  // the group's token rows
            for (int t = 0; t < tokens; t++) ys[t] = (const qk_block_q8k *)((const uint8_t *)y + (size_t)(t0 + t) * y_row_bytes);
            for (int r = r0; r < r1; r++) {
                float sums[4];
                row_tokens(kind, tokens, nb, (const uint8_t *)w + (size_t)r * row_bytes, ys, sums);
                for (int t = 0; t < tokens; t++) out[(size_t)(t0 + t) * out_stride + r] = sums[t];
            }
        }
    }
}

#define KQ_CONCAT(a, b) a##b
#define KQ_NAME(a, b) KQ_CONCAT(a, b)
#define KQ_MATMAT(type, kind)                                                                                          \
    KQ_TARGET void KQ_NAME(qk_matmat_##type##_q8k_, KQ_SUFFIX)(int n, const void *w, size_t row_bytes, int rows,      \
                                                            const void *y, size_t y_row_bytes, int batch, float *out, \
                                                            size_t out_stride) {                                       \
        kquant_matmat(kind, n, w, row_bytes, rows, y, y_row_bytes, batch, out, out_stride);                            \
    }

KQ_MATMAT(q4k, KIND_Q4K)
KQ_MATMAT(q5k, KIND_Q5K)
KQ_MATMAT(q6k, KIND_Q6K)
