// Shared by the AVX-512 kernel files (kernels_avx512.c, matvec_quads_avx512.c, matvec_q80_avx512.c, q5_kquants_avx512.c,
// matmat_kquants_avx512.c): the target macro. The AVX2 helpers (horizontal sum, nibble unpacking)
// serve them too: their target is a subset of this one, so they inline into AVX-512 functions.
// Included only inside their `#if defined(__x86_64__)`.
#ifndef QK_AVX512_HELPERS_H
#define QK_AVX512_HELPERS_H
#include "avx2_helpers.h"

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#endif
