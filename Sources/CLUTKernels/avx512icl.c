// x86-64-v4 with the byte permutes of Ice Lake and Zen 4 (VBMI): shuffles that put 16 pixels' samples in
// their output row take one instruction (as dav1d's AVX512ICL tier).
#if defined(__x86_64__)
#define TIER avx512icl
#define LUT_BYTE_PERMUTES
#define LUT_FLOAT_PERMUTES
#pragma clang attribute push(__attribute__((target("avx512vbmi,avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2,lzcnt,popcnt,movbe,f16c"))), apply_to = function)
#include "kernels.inc"
#pragma clang attribute pop
#endif
