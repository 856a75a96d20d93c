// Reference dot products for the GGML types models are published in besides Q4_0 / Q4_1 / Q8_0:
// Q5_0 and Q5_1 (blocks of 32) and the K-quants Q4_K, Q5_K, Q6_K (super-blocks of 256). Plain C,
// written for clarity: each weight block is first unpacked to its integer values in row order, then
// multiplied with the activation's integers; floats enter once per block. Every SIMD variant is
// tested against these.
//
// Which activation encoding each weight type is dotted with:
//   - Q5_0 / Q5_1 with Q80: the same 32-value blocks, so one integer sum per block, as for Q4_0.
//   - The K-quants with Q8_K (a float scale per 256 values, and the sum of every 16 quantized
//     values), as GGML does, not with Q80. With Q80 each 32-value sub-block would carry its own
//     activation scale, so the integer sums of a super-block could not be added before converting
//     to float: 8 (Q4_K, Q5_K) or 16 (Q6_K) float multiply-adds per super-block instead of one.
//     Q8_K keeps the whole super-block in integers (sub-block sums times the weights' 6- or 8-bit
//     scales), its block sums give the minimum (Q4_K, Q5_K) and offset (Q6_K) terms without another
//     pass over the values, and the activation is rounded exactly as llama.cpp rounds it, so greedy
//     text can be compared with llama.cpp's. The cost: activations entering K-quant matrices are
//     quantized a second time, to Q8_K (once per vector, a few microseconds).
#pragma STDC FP_CONTRACT OFF
#include "CQuantKernels.h"
#include <math.h>
#include <string.h>

// ---------------------------------------------------------------- Q8_K activations

void qk_quantize_q8k_ref(int n, const float *x, void *out) {
    qk_block_q8k *blocks = out;
    for (int b = 0; b < n / QK_SUPER; b++) {
        const float *v = x + b * QK_SUPER;
        float amax = 0.0f, max = 0.0f;  // the first value of largest magnitude, with its sign
        for (int j = 0; j < QK_SUPER; j++) {
            float a = fabsf(v[j]);
            if (a > amax) { amax = a; max = v[j]; }
        }
        if (amax == 0.0f) {
            memset(&blocks[b], 0, sizeof(blocks[b]));
            continue;
        }
        const float iscale = -127.0f / max;  // the largest magnitude becomes -127
        for (int j = 0; j < QK_SUPER; j++) {
            float r = nearbyintf(iscale * v[j]);  // ties to even; |r| <= 127 unless x holds NaN
            blocks[b].qs[j] = (int8_t)(r >= 127.0f ? 127 : (r >= -127.0f ? (int)r : -127));  // NaN -> -127
        }
        for (int k = 0; k < QK_SUPER / 16; k++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += blocks[b].qs[16 * k + j];
            blocks[b].bsums[k] = (int16_t)sum;
        }
        blocks[b].d = 1.0f / iscale;
    }
}

void qk_dequantize_q8k_ref(int n, const void *x, float *out) {
    const qk_block_q8k *blocks = x;
    for (int b = 0; b < n / QK_SUPER; b++, out += QK_SUPER) {
        for (int j = 0; j < QK_SUPER; j++) out[j] = blocks[b].d * (float)blocks[b].qs[j];
    }
}

// ---------------------------------------------------------------- Q5_0, Q5_1 x Q80

/// The 32 five-bit values of a Q5_0 / Q5_1 block (0..31): low nibbles are values 0..15, high nibbles
/// 16..31, and bit j of `qh` is value j's fifth bit.
static void unpack_q5(const uint8_t qh_bytes[4], const uint8_t qs[16], int out[32]) {
    uint32_t qh;
    memcpy(&qh, qh_bytes, 4);
    for (int j = 0; j < 16; j++) {
        out[j] = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
        out[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
    }
}

float qk_dot_q50_q80_ref(int n, const void *x, const void *y) {
    const qk_block_q50 *wx = x;
    const qk_block_q80 *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        int q[32], isum = 0;
        unpack_q5(wx[b].qh, wx[b].qs, q);
        for (int j = 0; j < 32; j++) isum += (q[j] - 16) * ay[b].qs[j];
        sum += (float)isum * (qk_half_to_float(wx[b].d) * qk_half_to_float(ay[b].d));
    }
    return sum;
}

float qk_dot_q51_q80_ref(int n, const void *x, const void *y) {
    const qk_block_q51 *wx = x;
    const qk_block_q80 *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_BLOCK; b++) {
        int q[32], isum = 0, ysum = 0;  // value = d_x q_x + m_x
        unpack_q5(wx[b].qh, wx[b].qs, q);
        for (int j = 0; j < 32; j++) { isum += q[j] * ay[b].qs[j]; ysum += ay[b].qs[j]; }
        float dy = qk_half_to_float(ay[b].d);
        sum += (float)isum * (qk_half_to_float(wx[b].d) * dy) + (float)ysum * (qk_half_to_float(wx[b].m) * dy);
    }
    return sum;
}

// ---------------------------------------------------------------- K-quants x Q8_K

/// The eight 6-bit scales and minimums of a Q4_K / Q5_K super-block's 12 packed bytes: sub-blocks
/// 0..3 in the low 6 bits of bytes 0..3 (scales) and 4..7 (minimums); sub-blocks 4..7 take their low
/// 4 bits from bytes 8..11 (scale low nibble, minimum high nibble) and their top 2 bits from the top
/// 2 bits of bytes 0..3 (scales) and 4..7 (minimums).
static void unpack_scales_mins(const uint8_t packed[12], int scales[8], int mins[8]) {
    for (int j = 0; j < 4; j++) {
        scales[j] = packed[j] & 63;
        mins[j] = packed[j + 4] & 63;
        scales[j + 4] = (packed[j + 8] & 0xF) | ((packed[j] >> 6) << 4);
        mins[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
    }
}

/// Q4_K / Q5_K: value = d * scale_j * q - dmin * min_j over sub-blocks j of 32 values, q in 0..15
/// (Q4_K) or 0..31 (Q5_K, `qh` non-null). Each 32 bytes of `qs` hold 64 values: the low nibbles are
/// the first 32, the high nibbles the next 32; bit j of qh[l] is the fifth bit of value 32 j + l.
static float dot_k4k5(const qk_half *d, const qk_half *dmin, const uint8_t packed[12], const uint8_t *qh,
                      const uint8_t *qs, const qk_block_q8k *a) {
    int scales[8], mins[8];
    unpack_scales_mins(packed, scales, mins);
    int isum = 0, msum = 0;
    for (int j = 0; j < 8; j++) {
        const uint8_t *q = qs + 32 * (j / 2);
        int sub = 0;
        for (int l = 0; l < 32; l++) {
            int v = j % 2 == 0 ? q[l] & 0xF : q[l] >> 4;
            if (qh) v |= ((qh[l] >> j) & 1) << 4;
            sub += v * a->qs[32 * j + l];
        }
        isum += scales[j] * sub;
        msum += mins[j] * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
    }
    return a->d * qk_half_to_float(*d) * (float)isum - a->d * qk_half_to_float(*dmin) * (float)msum;
}

float qk_dot_q4k_q8k_ref(int n, const void *x, const void *y) {
    const qk_block_q4k *wx = x;
    const qk_block_q8k *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_SUPER; b++) sum += dot_k4k5(&wx[b].d, &wx[b].dmin, wx[b].scales, NULL, wx[b].qs, &ay[b]);
    return sum;
}

float qk_dot_q5k_q8k_ref(int n, const void *x, const void *y) {
    const qk_block_q5k *wx = x;
    const qk_block_q8k *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_SUPER; b++) sum += dot_k4k5(&wx[b].d, &wx[b].dmin, wx[b].scales, wx[b].qh, wx[b].qs, &ay[b]);
    return sum;
}

/// The 256 six-bit values of a Q6_K super-block minus 32, in row order. Two halves of 128 values,
/// each from 64 bytes of `ql` and 32 of `qh`: value l (l < 32) is the low nibble of ql[l], value
/// 32 + l the low nibble of ql[32 + l], values 64 + l and 96 + l their high nibbles; qh[l] carries
/// the top two bits of those four values, two bits each from bit 0 up.
static void unpack_q6k(const qk_block_q6k *b, int out[256]) {
    for (int half = 0; half < 2; half++) {
        const uint8_t *ql = b->ql + 64 * half, *qh = b->qh + 32 * half;
        int *o = out + 128 * half;
        for (int l = 0; l < 32; l++) {
            o[l] = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            o[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            o[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            o[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        }
    }
}

float qk_dot_q6k_q8k_ref(int n, const void *x, const void *y) {
    const qk_block_q6k *wx = x;
    const qk_block_q8k *ay = y;
    float sum = 0.0f;
    for (int b = 0; b < n / QK_SUPER; b++) {
        int q[256], isum = 0;
        unpack_q6k(&wx[b], q);
        for (int k = 0; k < 16; k++) {  // sub-blocks of 16 values, each with a signed 8-bit scale
            int sub = 0;
            for (int l = 0; l < 16; l++) sub += q[16 * k + l] * ay[b].qs[16 * k + l];
            isum += wx[b].scales[k] * sub;
        }
        sum += ay[b].d * qk_half_to_float(wx[b].d) * (float)isum;
    }
    return sum;
}
