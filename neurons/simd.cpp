// APICAL_SIMD: the instruction set of the vectorised neuron updates (neurons/simd.hpp).
#include "neurons/simd.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <hwy/highway.h>
#include <hwy/targets.h>

#include "core/error.hpp"

namespace apical {

namespace {

std::int64_t requested_target(const char* name) {
    if (std::strcmp(name, "scalar") == 0) return HWY_STATIC_TARGET;
#if HWY_ARCH_X86
    if (std::strcmp(name, "sse4") == 0) return HWY_SSE4;
    if (std::strcmp(name, "avx2") == 0) return HWY_AVX2;
    if (std::strcmp(name, "avx512") == 0) return HWY_AVX3;
#endif
    throw RuntimeFailure(std::string("APICAL_SIMD=") + name + ": expected scalar, sse4, avx2 or avx512");
}

// The best of the targets the build has and the CPU supports (lower bits are better).
std::int64_t best(std::int64_t targets) { return targets & -targets; }

}  // namespace

void select_simd_target() {
    static const bool selected = [] {
        const char* name = std::getenv("APICAL_SIMD");
        if (name && *name) {
            const std::int64_t t = requested_target(name);
            if ((t & HWY_TARGETS & hwy::SupportedTargets()) == 0)
                throw RuntimeFailure(std::string("APICAL_SIMD=") + name +
                                     ": not available (this CPU lacks it, or the build has only the baseline: "
                                     "APICAL_RUNTIME_DISPATCH=OFF)");
            hwy::SetSupportedTargetsForTest(t);
        }
        hwy::GetChosenTarget().Update(hwy::SupportedTargets());
        return true;
    }();
    (void)selected;
}

std::string simd_target_name() {
    select_simd_target();
    return hwy::TargetName(best(hwy::SupportedTargets() & HWY_TARGETS));
}

}  // namespace apical
