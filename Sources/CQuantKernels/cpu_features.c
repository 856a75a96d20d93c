// Run-time CPU feature detection. __builtin_cpu_supports also checks that the OS saves the wide
// registers (XGETBV), so a reported feature is safe to use.
#include "CQuantKernels.h"
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

uint32_t qk_cpu_features(void) {
    uint32_t features = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) features |= QK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) features |= QK_CPU_FMA;
    if (__builtin_cpu_supports("f16c")) features |= QK_CPU_F16C;
    if (__builtin_cpu_supports("avx512f")) features |= QK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) features |= QK_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vl")) features |= QK_CPU_AVX512VL;
    if (__builtin_cpu_supports("avx512vnni")) features |= QK_CPU_AVX512VNNI;
#elif defined(__aarch64__)
    features |= QK_CPU_NEON;  // Advanced SIMD is mandatory on ARMv8-A
#if defined(__linux__)
    if (getauxval(AT_HWCAP) & (1UL << 20)) features |= QK_CPU_NEON_DOTPROD;  // HWCAP_ASIMDDP
#elif defined(__APPLE__)
    features |= QK_CPU_NEON_DOTPROD;  // every Apple silicon core has it
#endif
#endif
    return features;
}

int qk_compiled_arch(void) {
#if defined(__x86_64__)
    return 1;
#elif defined(__aarch64__)
    return 2;
#else
    return 0;
#endif
}
