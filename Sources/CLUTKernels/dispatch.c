#include "lutkernels.h"

extern const lut_kernels lut_kernels_baseline;
#if defined(__x86_64__)
extern const lut_kernels lut_kernels_avx2, lut_kernels_avx512, lut_kernels_avx512icl;
#endif

const lut_kernels *lut_kernels_for(int32_t tier) {
    switch (tier) {
    case LUT_TIER_BASELINE:
        return &lut_kernels_baseline;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
    case LUT_TIER_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2")
            ? &lut_kernels_avx2 : 0;
    case LUT_TIER_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") && lut_kernels_for(LUT_TIER_AVX2)
            ? &lut_kernels_avx512 : 0;
    case LUT_TIER_AVX512ICL:
        return __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vnni") && lut_kernels_for(LUT_TIER_AVX512)
            ? &lut_kernels_avx512icl : 0;
#endif
    default:
        return 0;
    }
}
