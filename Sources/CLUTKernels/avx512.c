// x86-64-v4: AVX-512 F, BW, CD, DQ and VL on top of x86-64-v3.
#if defined(__x86_64__)
#define TIER avx512
#define LUT_FLOAT_PERMUTES
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi,bmi2,lzcnt,popcnt,movbe,f16c"))), apply_to = function)
#include "kernels.inc"
#pragma clang attribute pop
#endif
