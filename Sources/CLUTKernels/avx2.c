// x86-64-v3: AVX2 with FMA, BMI1/2, LZCNT, MOVBE and F16C.
#if defined(__x86_64__)
#define TIER avx2
#define LUT_AVX2
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,movbe,f16c"))), apply_to = function)
#include "kernels.inc"
#pragma clang attribute pop
#endif
