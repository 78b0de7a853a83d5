// x86-64-v4 with the byte permutes (VBMI) and 16-bit dot products (VNNI) of Ice Lake and Zen 4: shuffles that put 16
// pixels' samples in their output row take one instruction (as dav1d's AVX512ICL tier), and so does a row's
// multiply-add into its sums.
#if defined(__x86_64__)
#define TIER avx512icl
#define LUT_BYTE_PERMUTES
#define LUT_FLOAT_PERMUTES
#define LUT_VNNI
#pragma clang attribute push(__attribute__((target("avx512vbmi,avx512vnni,avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2,lzcnt,popcnt,movbe,f16c"))), apply_to = function)
#include "kernels.inc"
#pragma clang attribute pop
#endif
