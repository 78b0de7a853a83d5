// The portable tier: the compiler's baseline for the target (SSE2 on x86-64).
#define TIER baseline
#include "kernels.inc"
