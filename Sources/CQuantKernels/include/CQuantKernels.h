// CQuantKernels: the innermost loops of QuantKernels, in C so that each SIMD variant can carry its
// own `__attribute__((target(...)))` and one binary can pick AVX2, AVX-512 or NEON at run time.
// Everything around these loops (dispatch, threading, batching) is Swift, in QuantKernels.
//
// Naming: qk_<operation>_<types>_<path>, path one of ref (plain C, the reference every SIMD
// variant is tested against), avx2, avx512, neon. Lengths `n` count values (a multiple of 32 for
// the block types, of 256 for K-quants); all pointers are to little-endian data.
#ifndef CQUANTKERNELS_H
#define CQUANTKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- block layouts (GGML-identical)

#define QK_BLOCK 32   // values per Q40 / Q41 / Q80 / Q5_0 / Q5_1 block
#define QK_SUPER 256  // values per K-quant super-block

typedef uint16_t qk_half;  // IEEE 754 binary16 bits

typedef struct { qk_half d; uint8_t qs[16]; } qk_block_q40;                      // 18 bytes
typedef struct { qk_half d; qk_half m; uint8_t qs[16]; } qk_block_q41;           // 20 bytes
typedef struct { qk_half d; int8_t qs[32]; } qk_block_q80;                       // 34 bytes
typedef struct { qk_half d; uint8_t qh[4]; uint8_t qs[16]; } qk_block_q50;       // 22 bytes
typedef struct { qk_half d; qk_half m; uint8_t qh[4]; uint8_t qs[16]; } qk_block_q51;  // 24 bytes
typedef struct { qk_half d; qk_half dmin; uint8_t scales[12]; uint8_t qs[128]; } qk_block_q4k;  // 144
typedef struct { qk_half d; qk_half dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } qk_block_q5k;  // 176
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; qk_half d; } qk_block_q6k;  // 210
// Q8_K: the activation blocks K-quant weights are dotted with (GGML's block_q8_K): a float scale, 256
// signed bytes and the sum of each 16 of them, so the K-quants' minimum and offset terms need no pass
// over the values. Never stored in a model file.
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } qk_block_q8k;  // 292

_Static_assert(sizeof(qk_block_q40) == 18, "Q40 block is 18 bytes");
_Static_assert(sizeof(qk_block_q41) == 20, "Q41 block is 20 bytes");
_Static_assert(sizeof(qk_block_q80) == 34, "Q80 block is 34 bytes");
_Static_assert(sizeof(qk_block_q50) == 22, "Q5_0 block is 22 bytes");
_Static_assert(sizeof(qk_block_q51) == 24, "Q5_1 block is 24 bytes");
_Static_assert(sizeof(qk_block_q4k) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(qk_block_q5k) == 176, "Q5_K block is 176 bytes");
_Static_assert(sizeof(qk_block_q6k) == 210, "Q6_K block is 210 bytes");
_Static_assert(sizeof(qk_block_q8k) == 292, "Q8_K block is 292 bytes");

/// Byte size of one block of each type, for the Swift-side size checks.
size_t qk_block_bytes(int which);  // which: 0 Q40, 1 Q41, 2 Q80, 3 Q5_0, 4 Q5_1, 5 Q4_K, 6 Q5_K, 7 Q6_K, 8 Q8_K

// ---------------------------------------------------------------- half / bfloat conversions

float qk_half_to_float(qk_half h);
qk_half qk_float_to_half(float f);  // round to nearest, ties to even (as numpy and F16C do)

// ---------------------------------------------------------------- CPU features

enum {
    QK_CPU_AVX2 = 1 << 0, QK_CPU_FMA = 1 << 1, QK_CPU_F16C = 1 << 2,
    QK_CPU_AVX512F = 1 << 3, QK_CPU_AVX512BW = 1 << 4, QK_CPU_AVX512VL = 1 << 5,
    QK_CPU_AVX512VNNI = 1 << 6, QK_CPU_NEON = 1 << 7, QK_CPU_NEON_DOTPROD = 1 << 8,
};
/// The features this CPU (and OS) supports, as a QK_CPU_* mask.
uint32_t qk_cpu_features(void);
/// Whether this binary contains the x86-64 (1) or ARM64 (2) kernels; 0 for neither.
int qk_compiled_arch(void);

// ---------------------------------------------------------------- reference (plain C) kernels

// Quantizers exactly as the distributed-llama converter (and our oracle writer) compute them, in
// float32: Q40 d = m / -8 (m the signed value of largest magnitude), q = clamp(trunc(x/d + 8.5), 0, 15)
// with x/d computed as x * (1/d); Q80 d = absmax / 127, q = round-half-even(x * (1/d)).
// Non-finite input, the same on every path: a block holding a NaN or an infinity gets the scale
// (and Q41's minimum) NaN and quant bytes 0, so everything computed from it is NaN; no float is
// converted to an integer out of range. A block so small that 1/d overflows gets quants 0 (its
// half-precision scale is 0 anyway).
#define QK_HALF_NAN ((qk_half)0x7E00)
void qk_quantize_q40_ref(int n, const float *x, void *out);
void qk_quantize_q41_ref(int n, const float *x, void *out);  // d = (max - min) / 15, m = min
void qk_quantize_q80_ref(int n, const float *x, void *out);
/// Q8_K as GGML computes it: m = the value of largest magnitude (the first one on a tie, keeping its
/// sign), q = min(127, round-half-even(x * (-127 / m))), d = 1 / (-127 / m); all zeros for a zero block.
void qk_quantize_q8k_ref(int n, const float *x, void *out);
void qk_dequantize_q8k_ref(int n, const void *x, float *out);

void qk_dequantize_q40_ref(int n, const void *x, float *out);
void qk_dequantize_q41_ref(int n, const void *x, float *out);
void qk_dequantize_q80_ref(int n, const void *x, float *out);
void qk_dequantize_q50_ref(int n, const void *x, float *out);
void qk_dequantize_q51_ref(int n, const void *x, float *out);
void qk_dequantize_q4k_ref(int n, const void *x, float *out);
void qk_dequantize_q5k_ref(int n, const void *x, float *out);
void qk_dequantize_q6k_ref(int n, const void *x, float *out);
void qk_dequantize_f16_ref(int n, const void *x, float *out);
void qk_dequantize_bf16_ref(int n, const void *x, float *out);
void qk_quantize_f16_ref(int n, const float *x, void *out);
void qk_quantize_bf16_ref(int n, const float *x, void *out);  // round to nearest even, NaN kept

// Dot products of one weight row x with one activation row y of n values.
float qk_dot_q40_q80_ref(int n, const void *x, const void *y);
float qk_dot_q41_q80_ref(int n, const void *x, const void *y);
float qk_dot_q80_q80_ref(int n, const void *x, const void *y);
float qk_dot_f32_f32_ref(int n, const void *x, const void *y);
float qk_dot_f16_f32_ref(int n, const void *x, const void *y);
// Q5_0 / Q5_1 weights take Q80 activations (blocks of 32, like theirs); the K-quants take Q8_K
// activations (super-blocks of 256, like theirs): see q5_kquants_ref.c for why.
float qk_dot_q50_q80_ref(int n, const void *x, const void *y);
float qk_dot_q51_q80_ref(int n, const void *x, const void *y);
float qk_dot_q4k_q8k_ref(int n, const void *x, const void *y);
float qk_dot_q5k_q8k_ref(int n, const void *x, const void *y);
float qk_dot_q6k_q8k_ref(int n, const void *x, const void *y);

// ---------------------------------------------------------------- SIMD variants (same contracts)
// Call only when qk_cpu_features() reports what the variant needs (see QuantKernels' KernelPath).

#if defined(__x86_64__) || defined(_M_X64)
void qk_quantize_q80_avx2(int n, const float *x, void *out);
void qk_dequantize_q40_avx2(int n, const void *x, float *out);
void qk_dequantize_q41_avx2(int n, const void *x, float *out);
float qk_dot_q40_q80_avx2(int n, const void *x, const void *y);
float qk_dot_q41_q80_avx2(int n, const void *x, const void *y);
float qk_dot_q80_q80_avx2(int n, const void *x, const void *y);
float qk_dot_f32_f32_avx2(int n, const void *x, const void *y);
float qk_dot_f16_f32_avx2(int n, const void *x, const void *y);
void qk_quantize_f16_avx2(int n, const float *x, void *out);
void qk_dequantize_f16_avx2(int n, const void *x, float *out);

float qk_dot_q41_q80_avx512(int n, const void *x, const void *y);
float qk_dot_q80_q80_avx512(int n, const void *x, const void *y);
float qk_dot_f32_f32_avx512(int n, const void *x, const void *y);
float qk_dot_f16_f32_avx512(int n, const void *x, const void *y);

/// Prepared activations: a Q80 row `y` of `n` values laid out for one weight type's whole-share
/// kernel (`qk_prepared_bytes_*(n)` bytes at `out`, aligned to 64). Prepared once per activation and
/// read by every thread's share, so a matrix-vector call allocates nothing and repeats no work.
size_t qk_prepared_bytes_avx512(int n);
size_t qk_prepared_quads_bytes_avx512(int n);  // the quads' part (Q40, Q41, Q5_0, Q5_1) of qk_prepared_bytes_avx512
void qk_prepare_q40_avx512(int n, const void *y, void *out);
void qk_prepare_q41_avx512(int n, const void *y, void *out);
void qk_prepare_q50_avx512(int n, const void *y, void *out);
void qk_prepare_q51_avx512(int n, const void *y, void *out);
void qk_prepare_q80_avx512(int n, const void *y, void *out);
size_t qk_prepared_bytes_avx2(int n);
void qk_prepare_q40_avx2(int n, const void *y, void *out);
void qk_prepare_q41_avx2(int n, const void *y, void *out);
void qk_prepare_q50_avx2(int n, const void *y, void *out);
void qk_prepare_q51_avx2(int n, const void *y, void *out);

/// Matrix-vector products over a prepared activation: out[r] = dot(row r of w, y) for `rows` rows
/// `row_bytes` apart, each of `n` values, `prepared` made from y by the same path's prepare kernel
/// for the weights' type. Same results as the dot kernel per row (up to float summation order).
void qk_matvec_prepared_q40_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q41_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q50_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q51_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q40_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q41_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q50_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);
void qk_matvec_prepared_q51_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, float *out);

/// The same from a plain Q80 row y: each call prepares y into a buffer it allocates (for callers
/// without a prepared activation: tests, benchmarks, the batched kernels' last tokens).
void qk_matvec_q40_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q41_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q80_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q40_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q41_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);

/// Batches (prefill): out[t * out_stride + r] = dot(row r of w, token t of y) for `batch` Q80 token
/// rows `y_row_bytes` apart. Each weight block is unpacked once for up to 4 tokens.
void qk_matmat_q40_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q41_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q50_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q51_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q80_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
/// The same over token rows prepared for the weights' type (`qk_prepare_*` of the same path),
/// `prepared_row_bytes` apart: the batch is prepared once and every thread's rows read it.
void qk_matmat_prepared_q40_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                   int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q41_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                   int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q50_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                   int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q51_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                   int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q40_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                 int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q41_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                 int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                   int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q50_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                 int batch, float *out, size_t out_stride);
void qk_matmat_prepared_q51_avx2(int n, const void *w, size_t row_bytes, int rows, const void *prepared, size_t prepared_row_bytes,
                                 int batch, float *out, size_t out_stride);
void qk_matmat_q40_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q41_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q50_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q51_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
/// AVX2 Q80 weights read the plain Q80 token rows (that path has no Q80 prepare); no allocation.
void qk_matvec_q80_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matmat_q80_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
/// K-quant batches (matmat_kquants_*.c): `batch` Q8_K token rows `y_row_bytes` apart, read as they are
/// (no allocation); each super-block is unpacked once for up to 4 tokens.
void qk_matmat_q4k_q8k_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q5k_q8k_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q6k_q8k_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                              int batch, float *out, size_t out_stride);
void qk_matmat_q4k_q8k_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q5k_q8k_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q6k_q8k_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);

// Q5_0 / Q5_1 x Q80 and K-quants x Q8_K (q5_kquants_*.c; the Q5 whole-share kernels in matvec_*.c).
float qk_dot_q50_q80_avx2(int n, const void *x, const void *y);
float qk_dot_q51_q80_avx2(int n, const void *x, const void *y);
float qk_dot_q4k_q8k_avx2(int n, const void *x, const void *y);
float qk_dot_q5k_q8k_avx2(int n, const void *x, const void *y);
float qk_dot_q6k_q8k_avx2(int n, const void *x, const void *y);
float qk_dot_q50_q80_avx512(int n, const void *x, const void *y);
float qk_dot_q51_q80_avx512(int n, const void *x, const void *y);
float qk_dot_q4k_q8k_avx512(int n, const void *x, const void *y);
float qk_dot_q5k_q8k_avx512(int n, const void *x, const void *y);
float qk_dot_q6k_q8k_avx512(int n, const void *x, const void *y);
void qk_matvec_q50_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q51_q80_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q50_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q51_q80_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
/// K-quant whole-share products: y is one Q8_K row (already the prepared form).
void qk_matvec_q4k_q8k_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q5k_q8k_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q6k_q8k_avx2(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q4k_q8k_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q5k_q8k_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q6k_q8k_avx512(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);

/// Sums `n` floats with wide loads: the memory-read bandwidth probe the benchmarks compare against.
float qk_read_bandwidth_probe_avx2(size_t n, const float *x);
#endif

#if defined(__aarch64__)
void qk_quantize_q80_neon(int n, const float *x, void *out);
float qk_dot_q40_q80_neon(int n, const void *x, const void *y);
float qk_dot_q41_q80_neon(int n, const void *x, const void *y);
float qk_dot_q80_q80_neon(int n, const void *x, const void *y);
float qk_dot_f32_f32_neon(int n, const void *x, const void *y);
float qk_dot_f16_f32_neon(int n, const void *x, const void *y);
void qk_quantize_f16_neon(int n, const float *x, void *out);
void qk_dequantize_f16_neon(int n, const void *x, float *out);
float qk_dot_q50_q80_neon(int n, const void *x, const void *y);
float qk_dot_q51_q80_neon(int n, const void *x, const void *y);
float qk_dot_q4k_q8k_neon(int n, const void *x, const void *y);
float qk_dot_q5k_q8k_neon(int n, const void *x, const void *y);
float qk_dot_q6k_q8k_neon(int n, const void *x, const void *y);
/// Whole-share and batched products (matvec_neon.c), the contracts of the x86 ones above; y is the
/// plain Q80 (K-quants: Q8_K) row. SDOT where the CPU has the dot-product extension, else widening
/// multiplies, chosen per call; no allocation.
void qk_matvec_q40_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q41_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q80_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q50_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q51_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q4k_q8k_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q5k_q8k_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matvec_q6k_q8k_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, float *out);
void qk_matmat_q40_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q41_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q80_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q50_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
void qk_matmat_q51_q80_neon(int n, const void *w, size_t row_bytes, int rows, const void *y, size_t y_row_bytes,
                            int batch, float *out, size_t out_stride);
#endif

/// Portable read probe (plain C, any CPU).
float qk_read_bandwidth_probe_ref(size_t n, const float *x);

// ---------------------------------------------------------------- element-wise
/// SwiGLU's gate in place: gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g).
void qk_swiglu_f32_ref(int n, float *gate, const float *up);
/// Numerically stable softmax in place: x[i] = e^(x[i] - max) / sum.
void qk_softmax_f32_ref(int n, float *x);
#if defined(__x86_64__)
/// The same with eight polynomial exponentials at a time (a few ULP from expf; NaN stays NaN).
void qk_swiglu_f32_avx2(int n, float *gate, const float *up);
void qk_softmax_f32_avx2(int n, float *x);
#endif

// ---------------------------------------------------------------- attention over cached rows

/// One query head against `count` cached rows (one KV head's slice at consecutive positions),
/// each of `n` values (F16 or F32), `stride` bytes apart:
///   scores  out[t] = scale * sum_i q[i] row_t[i]        for t < count
///   values  out[i] = sum_t a[t] row_t[i]                 for i < n (out is overwritten)
/// The references (attention_ref.c) sum in float, in index order; SIMD variants differ only by
/// summation order (and FMA).
void qk_attention_scores_f32_ref(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
void qk_attention_scores_f16_ref(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
void qk_attention_values_f32_ref(int n, const float *a, const void *rows, size_t stride, int count, float *out);
void qk_attention_values_f16_ref(int n, const float *a, const void *rows, size_t stride, int count, float *out);
#if defined(__x86_64__) || defined(_M_X64)
void qk_attention_scores_f32_avx2(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
void qk_attention_scores_f16_avx2(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
void qk_attention_values_f32_avx2(int n, const float *a, const void *rows, size_t stride, int count, float *out);
void qk_attention_values_f16_avx2(int n, const float *a, const void *rows, size_t stride, int count, float *out);
#endif
#if defined(__aarch64__)
void qk_attention_scores_f32_neon(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
void qk_attention_scores_f16_neon(int n, const float *q, const void *rows, size_t stride, int count, float scale, float *out);
void qk_attention_values_f32_neon(int n, const float *a, const void *rows, size_t stride, int count, float *out);
void qk_attention_values_f16_neon(int n, const float *a, const void *rows, size_t stride, int count, float *out);
#endif

/// Grouped-query attention of `heads` query heads that share one KV head, over a run of `count`
/// cached positions (all of them, or one chunk of a longer run that another call covers), in one
/// pass that reads each cached row once for all the heads:
///   scores   s_h[t] = scale * sum_i q_h[i] key_t[i]            q_h = q + h * n
///   weights  w_h[t] = e^(s_h[t] - m_h),  m_h = max_t s_h[t]    left in scores + h * score_stride
///   out      o_h[i] = sum_t w_h[t] value_t[i]                  out + h * n, not divided by l_h
///   stats    stats[2h] = m_h,  stats[2h + 1] = l_h = sum_t w_h[t]
/// so o_h / l_h is the head's attention over the run, and runs merge exactly: with M = max m_c,
/// o = sum_c e^(m_c - M) o_c / sum_c e^(m_c - M) l_c. Keys and values are F16 or F32 rows `stride`
/// bytes apart (one KV head's slice at consecutive positions). The references sum in index order
/// with libm's expf; SIMD variants differ by summation order, FMA and a polynomial e^x (x86).
void qk_attention_group_f32_ref(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                int count, float scale, float *scores, size_t score_stride, float *out, float *stats);
void qk_attention_group_f16_ref(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                int count, float scale, float *scores, size_t score_stride, float *out, float *stats);
#if defined(__x86_64__) || defined(_M_X64)
void qk_attention_group_f32_avx2(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                 int count, float scale, float *scores, size_t score_stride, float *out, float *stats);
void qk_attention_group_f16_avx2(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                 int count, float scale, float *scores, size_t score_stride, float *out, float *stats);
#endif
#if defined(__aarch64__)
void qk_attention_group_f32_neon(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                 int count, float scale, float *scores, size_t score_stride, float *out, float *stats);
void qk_attention_group_f16_neon(int n, int heads, const float *q, const void *keys, const void *values, size_t stride,
                                 int count, float scale, float *scores, size_t score_stride, float *out, float *stats);
#endif

// ---------------------------------------------------------------- atomics for the Swift thread pool

typedef struct qk_atomic_u64 qk_atomic_u64;  // opaque: a 64-bit counter alone on its cache line
qk_atomic_u64 *qk_atomic_create(void);       // initialized to 0
void qk_atomic_destroy(qk_atomic_u64 *a);
uint64_t qk_atomic_load(const qk_atomic_u64 *a);              // acquire
void qk_atomic_store(qk_atomic_u64 *a, uint64_t v);           // release
// The read-modify-writes are sequentially consistent: the pool's sleep/wake handshake needs a
// write followed by a read of another counter never to be reordered (see qk_atomic_fence).
uint64_t qk_atomic_fetch_add(qk_atomic_u64 *a, uint64_t v);   // returns the old value
uint64_t qk_atomic_fetch_sub(qk_atomic_u64 *a, uint64_t v);   // returns the old value
uint64_t qk_atomic_fetch_and(qk_atomic_u64 *a, uint64_t v);   // returns the old value
uint64_t qk_atomic_exchange(qk_atomic_u64 *a, uint64_t v);    // returns the old value
/// Stores `desired` if the value is `*expected`; otherwise writes the value it found to `*expected`.
int qk_atomic_compare_exchange(qk_atomic_u64 *a, uint64_t *expected, uint64_t desired);
void qk_atomic_fence(void);                                   // sequentially consistent fence
void qk_cpu_relax(void);                                      // pause / yield hint inside spin loops
uint64_t qk_monotonic_ns(void);                               // CLOCK_MONOTONIC, for spin budgets
/// Asks for the cache lines of [p, p + bytes) ahead of a write (no-op where the compiler has no hint).
void qk_prefetch_for_write(const void *p, size_t bytes);
/// Asks for the cache lines of `bytes` weight bytes a fixed distance past `row` (weight_prefetch.h):
/// for the rows a caller reads one dot product at a time.
void qk_prefetch_weights_ahead(const void *row, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
