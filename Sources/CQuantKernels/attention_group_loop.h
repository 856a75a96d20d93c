// The grouped-query attention driver the SIMD paths share (attention_avx2.c, attention_neon.c):
// query heads in groups of up to four over one KV head's rows, and the public entry points.
// Included by each kernel file after its `group_scores`, `exponentials` and `group_values_tile`,
// with AG_TARGET (its target attribute, or nothing) and AG_SUFFIX (avx2, neon) defined.
#ifndef AG_TARGET
#error "define AG_TARGET and AG_SUFFIX before including attention_group_loop.h"
#endif

/// o_h[i] = sum_t w_h[t] value_t[i]: tiles of 64 positions, so that the rows one strip of outputs
/// brings into the L1 cache are still there for the next strips.
AG_TARGET __attribute__((always_inline)) static inline void group_values(int n, int G, const float *w, size_t w_stride,
                                                                         const void *values, size_t stride, int count, float *out,
                                                                         int half) {
    if (count <= 0) {
        for (int i = 0; i < G * n; i++) out[i] = 0.0f;
        return;
    }
    for (int first = 0; first < count; first += 64) {
        group_values_tile(n, G, w, w_stride, values, stride, first, first + 64 < count ? first + 64 : count, out, half);
    }
}

AG_TARGET __attribute__((always_inline)) static inline void attention_group(int n, int heads, const float *q, const void *keys,
                                                                            const void *values, size_t stride, int count, float scale,
                                                                            float *scores, size_t score_stride, float *out, float *stats,
                                                                            int half) {
    for (int first = 0; first < heads; first += 4) {
        int G = heads - first < 4 ? heads - first : 4;
        const float *qg = q + (size_t)first * n;
        float *sg = scores + (size_t)first * score_stride, *og = out + (size_t)first * n;
        switch (G) {  // each case a copy specialized for its head count
        case 1: group_scores(n, 1, qg, keys, values, stride, count, scale, sg, score_stride, half); break;
        case 2: group_scores(n, 2, qg, keys, values, stride, count, scale, sg, score_stride, half); break;
        case 3: group_scores(n, 3, qg, keys, values, stride, count, scale, sg, score_stride, half); break;
        default: group_scores(n, 4, qg, keys, values, stride, count, scale, sg, score_stride, half); break;
        }
        for (int h = 0; h < G; h++) exponentials(count, sg + (size_t)h * score_stride, stats + 2 * (first + h));
        switch (G) {
        case 1: group_values(n, 1, sg, score_stride, values, stride, count, og, half); break;
        case 2: group_values(n, 2, sg, score_stride, values, stride, count, og, half); break;
        case 3: group_values(n, 3, sg, score_stride, values, stride, count, og, half); break;
        default: group_values(n, 4, sg, score_stride, values, stride, count, og, half); break;
        }
    }
}

#define AG_CONCAT(a, b) a##b
#define AG_NAME(a, b) AG_CONCAT(a, b)

AG_TARGET void AG_NAME(qk_attention_group_f32_, AG_SUFFIX)(int n, int heads, const float *q, const void *keys, const void *values,
                                                           size_t stride, int count, float scale, float *scores, size_t score_stride,
                                                           float *out, float *stats) {
    attention_group(n, heads, q, keys, values, stride, count, scale, scores, score_stride, out, stats, 0);
}

AG_TARGET void AG_NAME(qk_attention_group_f16_, AG_SUFFIX)(int n, int heads, const float *q, const void *keys, const void *values,
                                                           size_t stride, int count, float scale, float *scores, size_t score_stride,
                                                           float *out, float *stats) {
    attention_group(n, heads, q, keys, values, stride, count, scale, scores, score_stride, out, stats, 1);
}
