// The instruction set of the vectorised neuron updates (docs/architecture.md, "Vectorised
// neuron updates"). The kernels are written once with Google Highway and compiled for several
// targets (neurons/simd_inl.hpp); the best one the CPU supports is used, unless the
// environment variable APICAL_SIMD names another:
//   APICAL_SIMD=scalar   Highway's portable baseline (HWY_SCALAR: one lane, plain C++)
//   APICAL_SIMD=sse4 | avx2 | avx512
// The choice is made once per process, before the first update. Results are bitwise identical
// for every decomposition on one target; between targets they may differ in the last bits
// (Highway's Exp and Log use fused multiply-add where the target has it).
// With the CMake option APICAL_RUNTIME_DISPATCH=OFF only the baseline is compiled.
#pragma once

#include <string>
#include <utility>

// In a model file's HWY_ONCE part, inside the namespace that holds the kernel's per-target
// namespaces: exports kernel `name` for dispatch and defines `name##_best(args...)`, which
// calls the chosen target's. (HWY_DYNAMIC_DISPATCH has to name the kernel unqualified from
// its own namespace: with only the baseline compiled, APICAL_RUNTIME_DISPATCH=OFF, it becomes
// HWY_NAMESPACE::name.)
#define APICAL_EXPORT_KERNEL(name)                                      \
    HWY_EXPORT(name);                                              \
    template <class... Args>                                       \
    decltype(auto) name##_best(Args&&... args) {                   \
        return HWY_DYNAMIC_DISPATCH(name)(std::forward<Args>(args)...); \
    }

namespace apical {

// Applies APICAL_SIMD (once; thread-safe); throws RuntimeFailure for an unknown value or a
// target this CPU or build lacks. Every vectorised model calls it in its constructor.
void select_simd_target();
// The target the kernels run on ("AVX3" is AVX-512), after select_simd_target.
std::string simd_target_name();

}  // namespace apical
