#define XSIMD_RUN run_xsimd_avx2
#include "xsimd_kernel.inc"
