// The instruction set of the vectorised neuron updates (docs/architecture.md, "Vectorised
// neuron updates"). The kernels are written once with Google Highway and compiled for several
// targets (neurons/simd_inl.hpp); the best one the CPU supports is used, unless the
// environment variable APICAL_SIMD names another:
//   APICAL_SIMD=scalar   Highway's portable baseline (EMU128: plain C++ on 2-lane arrays)
//   APICAL_SIMD=sse4 | avx2 | avx512
// The choice is made once per process, before the first update. Results are bitwise identical
// for every decomposition on one target; between targets they may differ in the last bits
// (Highway's Exp and Log use fused multiply-add where the target has it).
// With the CMake option APICAL_RUNTIME_DISPATCH=OFF only the baseline is compiled.
#pragma once

#include <string>

namespace apical {

// Applies APICAL_SIMD (once; thread-safe); throws RuntimeFailure for an unknown value or a
// target this CPU or build lacks. Every vectorised model calls it in its constructor.
void select_simd_target();
// The target the kernels run on ("AVX3" is AVX-512), after select_simd_target.
std::string simd_target_name();

}  // namespace apical
