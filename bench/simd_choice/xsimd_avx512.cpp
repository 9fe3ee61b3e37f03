#define XSIMD_RUN run_xsimd_avx512
#include "xsimd_kernel.inc"
