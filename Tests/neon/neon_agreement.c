// NEON kernels against the scalar reference, for ARM64 (run by `make test-neon`: cross-compiled with
// aarch64-linux-gnu-gcc -march=armv8.2-a+dotprod and run under qemu-aarch64 on an x86-64 machine,
// or natively on an ARM64 one). Random data over odd block counts, so unrolled loops hit their tails.
//
// Each kernel kind has a table below; adding a NEON kernel is one line in its table:
//   quantizers    F32 -> blocks, byte-identical to the reference (special values included)
//   dequantizers  blocks -> F32, bit-identical
//   dots          one weight row . one activation row, within a tolerance of sum |w_i x_i|
//   matvecs       whole shares (rows 1..9): every row against the reference dot, same tolerance
//   matmats       batches (rows 1..9 x tokens 1..9): every row and token against the reference dot
//   attention     q . k over cached rows and sum a v, F16 and F32 rows, within a tolerance
// Block types (how to make valid random rows of them) are described once, in `types`.
#include "CQuantKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__aarch64__)
#error "the NEON agreement driver is built for aarch64 only (make test-neon cross-compiles it)"
#endif

// ---------------------------------------------------------------- random data

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t next_u32(void) {  // xorshift64*
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/// Uniform in [-scale, scale), with an occasional outlier ten times larger (blocks with a spike).
static float next_float(float scale) {
    float u = (float)(next_u32() >> 8) / 16777216.0f * 2.0f - 1.0f;
    return (next_u32() % 64 == 0) ? u * scale * 10.0f : u * scale;
}

static void fill_floats(int n, float *x) {
    float scale = 0.01f + (float)(next_u32() % 1000) / 100.0f;  // a different magnitude per row
    for (int i = 0; i < n; i++) x[i] = next_float(scale);
}

static void fill_bytes(size_t count, uint8_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = (uint8_t)next_u32();
}

/// Overwrites the half at byte `offset` of every block with a random scale in [0.001, 0.1).
static void sane_halves(uint8_t *row, int blocks, size_t block_bytes, size_t offset) {
    for (int b = 0; b < blocks; b++) {
        qk_half h = qk_float_to_half(0.001f + (float)(next_u32() % 1000) / 10000.0f);
        memcpy(row + b * block_bytes + offset, &h, sizeof h);
    }
}

// ---------------------------------------------------------------- block types

typedef struct {
    const char *name;
    int values;          // per block
    size_t bytes;        // per block
    /// Fills a valid random row of n values (n a multiple of `values`).
    void (*make)(int n, void *out);
    void (*dequantize)(int n, const void *x, float *out);  // the reference
} block_type;

static void make_f32(int n, void *out) { fill_floats(n, out); }

static float scratch_floats[1 << 16];

static void make_f16(int n, void *out) { fill_floats(n, scratch_floats); qk_quantize_f16_ref(n, scratch_floats, out); }
static void make_q40(int n, void *out) { fill_floats(n, scratch_floats); qk_quantize_q40_ref(n, scratch_floats, out); }
static void make_q41(int n, void *out) { fill_floats(n, scratch_floats); qk_quantize_q41_ref(n, scratch_floats, out); }
static void make_q80(int n, void *out) { fill_floats(n, scratch_floats); qk_quantize_q80_ref(n, scratch_floats, out); }
static void make_q8k(int n, void *out) { fill_floats(n, scratch_floats); qk_quantize_q8k_ref(n, scratch_floats, out); }
// Types without a quantizer: random bytes, then sane scales where the block keeps its halves.
static void make_q50(int n, void *out) { fill_bytes((size_t)n / 32 * 22, out); sane_halves(out, n / 32, 22, 0); }
static void make_q51(int n, void *out) {
    fill_bytes((size_t)n / 32 * 24, out);
    sane_halves(out, n / 32, 24, 0);
    sane_halves(out, n / 32, 24, 2);
}
static void make_q4k(int n, void *out) {
    fill_bytes((size_t)n / 256 * 144, out);
    sane_halves(out, n / 256, 144, 0);
    sane_halves(out, n / 256, 144, 2);
}
static void make_q5k(int n, void *out) {
    fill_bytes((size_t)n / 256 * 176, out);
    sane_halves(out, n / 256, 176, 0);
    sane_halves(out, n / 256, 176, 2);
}
static void make_q6k(int n, void *out) { fill_bytes((size_t)n / 256 * 210, out); sane_halves(out, n / 256, 210, 208); }

static void dequantize_f32(int n, const void *x, float *out) { memcpy(out, x, (size_t)n * sizeof(float)); }

static const block_type F32 = {"F32", 1, 4, make_f32, dequantize_f32};
static const block_type F16 = {"F16", 1, 2, make_f16, qk_dequantize_f16_ref};
static const block_type Q40 = {"Q40", 32, 18, make_q40, qk_dequantize_q40_ref};
static const block_type Q41 = {"Q41", 32, 20, make_q41, qk_dequantize_q41_ref};
static const block_type Q80 = {"Q80", 32, 34, make_q80, qk_dequantize_q80_ref};
static const block_type Q50 = {"Q5_0", 32, 22, make_q50, qk_dequantize_q50_ref};
static const block_type Q51 = {"Q5_1", 32, 24, make_q51, qk_dequantize_q51_ref};
static const block_type Q4K = {"Q4_K", 256, 144, make_q4k, qk_dequantize_q4k_ref};
static const block_type Q5K = {"Q5_K", 256, 176, make_q5k, qk_dequantize_q5k_ref};
static const block_type Q6K = {"Q6_K", 256, 210, make_q6k, qk_dequantize_q6k_ref};
static const block_type Q8K = {"Q8_K", 256, 292, make_q8k, qk_dequantize_q8k_ref};  // K-quants' activations
/// Every type with its index in qk_block_bytes (-1: not a block type), for the driver's self-check.
static const struct { const block_type *type; int which; } types[] = {
    {&F32, -1}, {&F16, -1}, {&Q40, 0}, {&Q41, 1}, {&Q80, 2}, {&Q50, 3}, {&Q51, 4}, {&Q4K, 5}, {&Q5K, 6}, {&Q6K, 7},
    {&Q8K, 8},
};

// ---------------------------------------------------------------- the kernels under test

typedef void (*quantize_fn)(int n, const float *x, void *out);
typedef void (*dequantize_fn)(int n, const void *x, float *out);
typedef float (*dot_fn)(int n, const void *x, const void *y);

typedef struct { const char *name; const block_type *type; quantize_fn ref, neon; } quantizer;
typedef struct { const char *name; const block_type *type; dequantize_fn ref, neon; } dequantizer;
typedef struct { const char *name; const block_type *weights, *activations; dot_fn ref, neon; } dot_kernel;
typedef void (*matvec_fn)(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
typedef void (*matmat_fn)(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes, int batch,
                          float *out, size_t out_stride);
/// `ref` is the reference dot every row (and token) is checked against.
typedef struct { const char *name; const block_type *weights, *activations; dot_fn ref; matvec_fn neon; } matvec_kernel;
typedef struct { const char *name; const block_type *weights; dot_fn ref; matmat_fn neon; } matmat_kernel;  // Q80 tokens
typedef void (*scores_fn)(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
typedef void (*values_fn)(int n, const float *a, const void *rows, size_t stride, int count, float *out);
typedef struct { const char *name; const block_type *rows; scores_fn ref, neon; } scores_kernel;
typedef struct { const char *name; const block_type *rows; values_fn ref, neon; } values_kernel;
typedef void (*group_fn)(int n, int heads, const float *q, const void *keys, const void *values, size_t stride, int count,
                         float scale, float *scores, size_t score_stride, float *out, float *stats);
typedef struct { const char *name; const block_type *rows; group_fn ref, neon; } group_kernel;

// Add new NEON kernels here: one line each, in the table of their kind.
static const quantizer quantizers[] = {
    {"quantize_q80", &Q80, qk_quantize_q80_ref, qk_quantize_q80_neon},
    {"quantize_f16", &F16, qk_quantize_f16_ref, qk_quantize_f16_neon},
};
static const dequantizer dequantizers[] = {
    {"dequantize_f16", &F16, qk_dequantize_f16_ref, qk_dequantize_f16_neon},
};
static const dot_kernel dots[] = {
    {"dot_q40_q80", &Q40, &Q80, qk_dot_q40_q80_ref, qk_dot_q40_q80_neon},
    {"dot_q41_q80", &Q41, &Q80, qk_dot_q41_q80_ref, qk_dot_q41_q80_neon},
    {"dot_q80_q80", &Q80, &Q80, qk_dot_q80_q80_ref, qk_dot_q80_q80_neon},
    {"dot_q50_q80", &Q50, &Q80, qk_dot_q50_q80_ref, qk_dot_q50_q80_neon},
    {"dot_q51_q80", &Q51, &Q80, qk_dot_q51_q80_ref, qk_dot_q51_q80_neon},
    {"dot_q4k_q8k", &Q4K, &Q8K, qk_dot_q4k_q8k_ref, qk_dot_q4k_q8k_neon},
    {"dot_q5k_q8k", &Q5K, &Q8K, qk_dot_q5k_q8k_ref, qk_dot_q5k_q8k_neon},
    {"dot_q6k_q8k", &Q6K, &Q8K, qk_dot_q6k_q8k_ref, qk_dot_q6k_q8k_neon},
    {"dot_f32_f32", &F32, &F32, qk_dot_f32_f32_ref, qk_dot_f32_f32_neon},
    {"dot_f16_f32", &F16, &F32, qk_dot_f16_f32_ref, qk_dot_f16_f32_neon},
};
static const matvec_kernel matvecs[] = {
    {"matvec_q40_q80", &Q40, &Q80, qk_dot_q40_q80_ref, qk_matvec_q40_q80_neon},
    {"matvec_q41_q80", &Q41, &Q80, qk_dot_q41_q80_ref, qk_matvec_q41_q80_neon},
    {"matvec_q80_q80", &Q80, &Q80, qk_dot_q80_q80_ref, qk_matvec_q80_q80_neon},
    {"matvec_q50_q80", &Q50, &Q80, qk_dot_q50_q80_ref, qk_matvec_q50_q80_neon},
    {"matvec_q51_q80", &Q51, &Q80, qk_dot_q51_q80_ref, qk_matvec_q51_q80_neon},
    {"matvec_q4k_q8k", &Q4K, &Q8K, qk_dot_q4k_q8k_ref, qk_matvec_q4k_q8k_neon},
    {"matvec_q5k_q8k", &Q5K, &Q8K, qk_dot_q5k_q8k_ref, qk_matvec_q5k_q8k_neon},
    {"matvec_q6k_q8k", &Q6K, &Q8K, qk_dot_q6k_q8k_ref, qk_matvec_q6k_q8k_neon},
};
static const matmat_kernel matmats[] = {
    {"matmat_q40_q80", &Q40, qk_dot_q40_q80_ref, qk_matmat_q40_q80_neon},
    {"matmat_q41_q80", &Q41, qk_dot_q41_q80_ref, qk_matmat_q41_q80_neon},
    {"matmat_q80_q80", &Q80, qk_dot_q80_q80_ref, qk_matmat_q80_q80_neon},
    {"matmat_q50_q80", &Q50, qk_dot_q50_q80_ref, qk_matmat_q50_q80_neon},
    {"matmat_q51_q80", &Q51, qk_dot_q51_q80_ref, qk_matmat_q51_q80_neon},
};
static const scores_kernel scores[] = {
    {"attention_scores_f32", &F32, qk_attention_scores_f32_ref, qk_attention_scores_f32_neon},
    {"attention_scores_f16", &F16, qk_attention_scores_f16_ref, qk_attention_scores_f16_neon},
};
static const values_kernel values[] = {
    {"attention_values_f32", &F32, qk_attention_values_f32_ref, qk_attention_values_f32_neon},
    {"attention_values_f16", &F16, qk_attention_values_f16_ref, qk_attention_values_f16_neon},
};
static const group_kernel groups[] = {
    {"attention_group_f32", &F32, qk_attention_group_f32_ref, qk_attention_group_f32_neon},
    {"attention_group_f16", &F16, qk_attention_group_f16_ref, qk_attention_group_f16_neon},
};

// ---------------------------------------------------------------- checks

static const int block_counts[] = {1, 3, 7, 17, 33, 129};
#define BLOCK_COUNTS (int)(sizeof block_counts / sizeof block_counts[0])
#define COUNT(table) (int)(sizeof(table) / sizeof((table)[0]))
#define ROUNDS 8  // random rows per block count
static const double dot_tolerance = 1e-5;  // relative to sum |w_i x_i|: summation order only

static int failures = 0, checks = 0;

static void fail(const char *kernel, const char *what, int n) {
    failures++;
    if (failures <= 20) printf("FAIL %s: %s (n = %d)\n", kernel, what, n);
}

static uint8_t bytes_a[1 << 18], bytes_b[1 << 18];
static float floats_a[1 << 16], floats_b[1 << 16], floats_x[1 << 16];

/// Rows of special values: NaN, infinities, spikes, tiny and huge finite values, zeros.
static void special_row(int n, int which, float *x) {
    fill_floats(n, x);
    int at = (int)(next_u32() % (uint32_t)n);
    switch (which) {
    case 0: x[at] = NAN; break;
    case 1: x[at] = -INFINITY; break;
    case 2: x[at] = INFINITY; break;
    case 3: for (int i = 0; i < n; i++) x[i] = (float)i * 1e-44f; break;     // 1/d overflows
    case 4: for (int i = 0; i < n; i++) x[i] = i % 2 ? 3.4e38f : -3.4e38f; break;
    case 5: memset(x, 0, (size_t)n * sizeof(float)); break;
    case 6: x[at] = 1e30f; break;
    default: break;
    }
}

/// The driver's own type descriptions: the sizes the header asserts, and random rows that decode
/// to finite values (a generator that made NaN scales would make every dot check vacuous).
static void check_types(void) {
    for (int t = 0; t < COUNT(types); t++) {
        const block_type *type = types[t].type;
        checks++;
        if (types[t].which >= 0 && qk_block_bytes(types[t].which) != type->bytes) fail(type->name, "block size differs from the header's", 0);
        int n = 3 * (type->values == 1 ? 32 : type->values);
        type->make(n, bytes_a);
        type->dequantize(n, bytes_a, floats_a);
        int finite = 1, nonzero = 0;
        for (int i = 0; i < n; i++) { finite &= isfinite(floats_a[i]) != 0; nonzero |= floats_a[i] != 0.0f; }
        if (!finite || !nonzero) fail(type->name, "random rows do not decode to finite, nonzero values", n);
    }
}

static void check_quantizers(void) {
    for (int k = 0; k < COUNT(quantizers); k++) {
        const quantizer *q = &quantizers[k];
        for (int c = 0; c < BLOCK_COUNTS; c++) {
            int n = block_counts[c] * q->type->values;
            size_t size = (size_t)block_counts[c] * q->type->bytes;
            for (int round = 0; round < ROUNDS + 8; round++) {
                if (round < ROUNDS) fill_floats(n, floats_x); else special_row(n, round - ROUNDS, floats_x);
                memset(bytes_a, 0xA5, size);
                memset(bytes_b, 0x5A, size);
                q->ref(n, floats_x, bytes_a);
                q->neon(n, floats_x, bytes_b);
                checks++;
                if (memcmp(bytes_a, bytes_b, size) != 0) fail(q->name, round < ROUNDS ? "bytes differ" : "bytes differ on special values", n);
            }
        }
    }
}

static void check_dequantizers(void) {
    for (int k = 0; k < COUNT(dequantizers); k++) {
        const dequantizer *d = &dequantizers[k];
        for (int c = 0; c < BLOCK_COUNTS; c++) {
            int n = block_counts[c] * d->type->values;
            for (int round = 0; round < ROUNDS; round++) {
                d->type->make(n, bytes_a);
                d->ref(n, bytes_a, floats_a);
                d->neon(n, bytes_a, floats_b);
                checks++;
                if (memcmp(floats_a, floats_b, (size_t)n * sizeof(float)) != 0) fail(d->name, "values differ", n);
            }
        }
    }
}

/// sum |w_i x_i| over the dequantized rows: the scale a summation-order difference is judged by.
static double magnitude(int n, const block_type *wt, const void *w, const block_type *xt, const void *x) {
    wt->dequantize(n, w, floats_a);
    xt->dequantize(n, x, floats_b);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += fabs((double)floats_a[i] * (double)floats_b[i]);
    return sum;
}

static void check_dots(void) {
    for (int k = 0; k < COUNT(dots); k++) {
        const dot_kernel *d = &dots[k];
        int values = d->weights->values > d->activations->values ? d->weights->values : d->activations->values;
        for (int c = 0; c < BLOCK_COUNTS; c++) {
            int n = block_counts[c] * (values == 1 ? 32 : values) + (values == 1 ? c : 0);  // odd tails for F32/F16
            for (int round = 0; round < ROUNDS; round++) {
                d->weights->make(n, bytes_a);
                d->activations->make(n, bytes_b);
                float expected = d->ref(n, bytes_a, bytes_b), got = d->neon(n, bytes_a, bytes_b);
                double scale = magnitude(n, d->weights, bytes_a, d->activations, bytes_b);
                checks++;
                if (!(fabs((double)got - (double)expected) <= dot_tolerance * scale + 1e-30)) {
                    char what[160];
                    snprintf(what, sizeof what, "%.9g, reference %.9g (scale %.3g)", got, expected, scale);
                    fail(d->name, what, n);
                }
            }
        }
    }
}

// Whole shares and batches: row and token counts around the kernels' groups of 2 and 4.
#define MAX_ROWS 9
#define MAX_TOKENS 9
#define SENTINEL 12345.0f
static float weights_f[MAX_ROWS << 16], tokens_f[MAX_TOKENS << 13];  // [row][n], [token][n] dequantized
static float results[MAX_TOKENS * (MAX_ROWS + 3)];                    // [token][out_stride]

/// `rows` random weight rows `row_bytes` apart and `batch` random activation rows `y_row_bytes` apart;
/// the gaps between rows hold 0xFF bytes (NaN scales), so a kernel reading past a row fails.
static void make_rows(int n, const block_type *type, int count, size_t stride, uint8_t *out, float *dequantized) {
    memset(out, 0xFF, (size_t)count * stride);
    for (int r = 0; r < count; r++) {
        type->make(n, out + (size_t)r * stride);
        type->dequantize(n, out + (size_t)r * stride, dequantized + (size_t)r * n);
    }
}

/// results[t * out_stride + r] against the reference dot of row r and token t, and the sentinel
/// left in every slot past `rows`.
static void check_results(const char *name, dot_fn ref, int n, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *y,
                          size_t y_row_bytes, int batch, size_t out_stride) {
    for (int t = 0; t < batch; t++) {
        for (int r = 0; r < rows; r++) {
            float expected = ref(n, w + (size_t)r * row_bytes, y + (size_t)t * y_row_bytes), got = results[(size_t)t * out_stride + r];
            double scale = 0;
            for (int i = 0; i < n; i++) scale += fabs((double)weights_f[(size_t)r * n + i] * (double)tokens_f[(size_t)t * n + i]);
            checks++;
            if (!(fabs((double)got - (double)expected) <= dot_tolerance * scale + 1e-30)) {
                char what[160];
                snprintf(what, sizeof what, "row %d of %d, token %d of %d: %.9g, reference %.9g", r, rows, t, batch, got, expected);
                fail(name, what, n);
            }
        }
        checks++;
        for (size_t r = (size_t)rows; r < out_stride; r++)
            if (results[(size_t)t * out_stride + r] != SENTINEL) { fail(name, "wrote past its rows", n); break; }
    }
}

static void check_matvecs(void) {
    for (int k = 0; k < COUNT(matvecs); k++) {
        const matvec_kernel *m = &matvecs[k];
        for (int c = 0; c < BLOCK_COUNTS; c++) {
            int n = block_counts[c] * m->weights->values;
            for (int rows = 1; rows <= MAX_ROWS; rows++) {
                size_t row_bytes = (size_t)(block_counts[c] + rows % 2) * m->weights->bytes;  // a gap of one block for odd counts
                make_rows(n, m->weights, rows, row_bytes, bytes_a, weights_f);
                make_rows(n, m->activations, 1, 0, bytes_b, tokens_f);
                for (int i = 0; i < rows + 3; i++) results[i] = SENTINEL;
                m->neon(n, bytes_a, row_bytes, rows, bytes_b, results);
                check_results(m->name, m->ref, n, bytes_a, row_bytes, rows, bytes_b, 0, 1, (size_t)rows + 3);
            }
        }
    }
}

static void check_matmats(void) {
    for (int k = 0; k < COUNT(matmats); k++) {
        const matmat_kernel *m = &matmats[k];
        for (int c = 0; c < BLOCK_COUNTS; c++) {
            int n = block_counts[c] * QK_BLOCK;
            for (int rows = 1; rows <= MAX_ROWS; rows++) {
                for (int batch = 1; batch <= MAX_TOKENS; batch++) {
                    size_t row_bytes = (size_t)(block_counts[c] + rows % 2) * m->weights->bytes;
                    size_t y_row_bytes = (size_t)(block_counts[c] + batch % 2) * Q80.bytes, out_stride = (size_t)rows + 1 + batch % 3;
                    make_rows(n, m->weights, rows, row_bytes, bytes_a, weights_f);
                    make_rows(n, &Q80, batch, y_row_bytes, bytes_b, tokens_f);
                    for (size_t i = 0; i < (size_t)batch * out_stride; i++) results[i] = SENTINEL;
                    m->neon(n, bytes_a, row_bytes, rows, bytes_b, y_row_bytes, batch, results, out_stride);
                    check_results(m->name, m->ref, n, bytes_a, row_bytes, rows, bytes_b, y_row_bytes, batch, out_stride);
                }
            }
        }
    }
}

// Attention rows: head sizes with and without SIMD tails, rows padded apart as a cache's KV heads are.
static const int head_sizes[] = {1, 3, 4, 8, 13, 16, 32, 64, 80, 128};
static const int row_counts[] = {1, 2, 7, 33, 129};

static void check_attention(void) {
    for (int h = 0; h < COUNT(head_sizes); h++) {
        for (int c = 0; c < COUNT(row_counts); c++) {
            int n = head_sizes[h], count = row_counts[c], stride_values = n + 3;
            for (int k = 0; k < COUNT(scores); k++) {
                const scores_kernel *s = &scores[k];
                size_t stride = (size_t)stride_values * s->rows->bytes;
                s->rows->make(stride_values * count, bytes_a);
                fill_floats(n, floats_x);
                s->ref(n, floats_x, bytes_a, stride, count, 0.125f, floats_a);
                s->neon(n, floats_x, bytes_a, stride, count, 0.125f, floats_b);
                for (int t = 0; t < count; t++) {
                    s->rows->dequantize(n, bytes_a + (size_t)t * stride, floats_b + count);  // row t as floats, after the results
                    double scale = 0;
                    for (int i = 0; i < n; i++) scale += fabs((double)floats_x[i] * (double)floats_b[count + i]) * 0.125;
                    checks++;
                    if (!(fabs((double)floats_a[t] - (double)floats_b[t]) <= dot_tolerance * scale + 1e-30)) fail(s->name, "score differs", n);
                }
            }
            for (int k = 0; k < COUNT(values); k++) {
                const values_kernel *v = &values[k];
                size_t stride = (size_t)stride_values * v->rows->bytes;
                v->rows->make(stride_values * count, bytes_a);
                for (int t = 0; t < count; t++) floats_x[t] = (float)(next_u32() % 1000) / 1000.0f;  // softmax-like weights
                v->ref(n, floats_x, bytes_a, stride, count, floats_a);
                v->neon(n, floats_x, bytes_a, stride, count, floats_b);
                for (int i = 0; i < n; i++) {
                    double scale = 0;
                    for (int t = 0; t < count; t++) {
                        float row[256];
                        v->rows->dequantize(n, bytes_a + (size_t)t * stride, row);
                        scale += fabs((double)floats_x[t] * (double)row[i]);
                    }
                    checks++;
                    if (!(fabs((double)floats_a[i] - (double)floats_b[i]) <= dot_tolerance * scale + 1e-30)) fail(v->name, "sum differs", n);
                }
            }
        }
    }
}

/// The grouped kernels: 1-9 query heads over one KV head's rows (between another KV head's), the
/// maxima and sums of the exponentials and the undivided weighted sums against the reference.
static void check_attention_groups(void) {
    static const int group_sizes[] = {1, 2, 3, 4, 5, 7, 9};
    static float q[9 * 128], scores_a[9 * 140], scores_b[9 * 140], out_a[9 * 128], out_b[9 * 128], stats_a[18], stats_b[18];
    for (int h = 0; h < COUNT(head_sizes); h++) {
        for (int c = 0; c < COUNT(row_counts); c++) {
            for (int g = 0; g < COUNT(group_sizes); g++) {
                int n = head_sizes[h], count = row_counts[c], heads = group_sizes[g], stride_values = 2 * n + 3;
                for (int k = 0; k < COUNT(groups); k++) {
                    const group_kernel *kernel = &groups[k];
                    size_t stride = (size_t)stride_values * kernel->rows->bytes, head_bytes = (size_t)n * kernel->rows->bytes;
                    kernel->rows->make(stride_values * count, bytes_a);
                    kernel->rows->make(stride_values * count, bytes_b);
                    for (int i = 0; i < heads * n; i++) q[i] = next_float(0.5f);
                    kernel->ref(n, heads, q, bytes_a + head_bytes, bytes_b + head_bytes, stride, count, 0.125f, scores_a, 140, out_a, stats_a);
                    kernel->neon(n, heads, q, bytes_a + head_bytes, bytes_b + head_bytes, stride, count, 0.125f, scores_b, 140, out_b, stats_b);
                    for (int head = 0; head < heads; head++) {
                        checks += 2;
                        double m = stats_a[2 * head], l = stats_a[2 * head + 1];
                        if (!(fabs(m - stats_b[2 * head]) <= 1e-5 * (1 + fabs(m)))) fail(kernel->name, "maximum differs", n);
                        if (!(fabs(l - stats_b[2 * head + 1]) <= 1e-4 * l)) fail(kernel->name, "sum of weights differs", n);
                        for (int i = 0; i < n; i++) {
                            double scale = 0;
                            for (int t = 0; t < count; t++) {
                                float row[256];
                                kernel->rows->dequantize(n, bytes_b + head_bytes + (size_t)t * stride, row);
                                scale += fabs((double)scores_a[head * 140 + t] * (double)row[i]);
                            }
                            checks++;
                            if (!(fabs((double)out_a[head * n + i] - (double)out_b[head * n + i]) <= 1e-4 * scale + 1e-30)) {
                                fail(kernel->name, "weighted sum differs", n);
                            }
                        }
                    }
                }
            }
        }
    }
}

int main(void) {
    uint32_t features = qk_cpu_features();
    printf("cpu features: neon %s, dotprod %s\n", features & QK_CPU_NEON ? "yes" : "no",
           features & QK_CPU_NEON_DOTPROD ? "yes" : "no");
    check_types();
    check_quantizers();
    check_dequantizers();
    check_dots();
    check_matvecs();
    check_matmats();
    check_attention();
    check_attention_groups();
    printf("%d kernels, %d checks, %d failures\n",
           COUNT(quantizers) + COUNT(dequantizers) + COUNT(dots) + COUNT(matvecs) + COUNT(matmats) + COUNT(scores) + COUNT(values) +
           COUNT(groups),
           checks, failures);
    return failures == 0 ? 0 : 1;
}
