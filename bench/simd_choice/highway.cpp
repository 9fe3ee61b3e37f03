// The Highway version of the comparison kernel, compiled for every target and dispatched at
// run time (the mechanism neurons/ would use).
#include <chrono>

#include "kernel.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "highway.cpp"
#include <hwy/foreach_target.h>
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

HWY_BEFORE_NAMESPACE();
namespace bench_choice {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using D = hn::ScalableTag<double>;
using V = hn::Vec<D>;

inline void rhs(const AeifConstants& c, V Vm, V w, V ge, V gi, V& dV, V& dw) {
    const D d;
    const V Vc = hn::Min(Vm, hn::Set(d, c.V_peak));
    V I_ion = hn::Set(d, -c.g_L) * (Vc - hn::Set(d, c.E_L)) - ge * (Vc - hn::Set(d, c.E_ex)) -
              gi * (Vc - hn::Set(d, c.E_in)) - w + hn::Set(d, c.I);
    I_ion = I_ion + hn::Set(d, c.g_L * c.Delta_T) * hn::Exp(d, (Vc - hn::Set(d, c.V_th)) * hn::Set(d, c.inv_Delta_T));
    dV = I_ion * hn::Set(d, c.inv_C);
    dw = (hn::Set(d, c.a) * (Vc - hn::Set(d, c.E_L)) - w) * hn::Set(d, c.inv_tau_w);
}

double run(const AeifConstants& c, const double* v, const double* w, const double* ge, const double* gi,
           double* v_out, double* w_out, std::size_t n, int steps) {
    const D d;
    const auto t0 = std::chrono::steady_clock::now();
    const V hh = hn::Set(d, 0.5 * c.h), h = hn::Set(d, c.h), h6 = hn::Set(d, c.h / 6.0), two = hn::Set(d, 2.0);
    for (int s = 0; s < steps; ++s)
        for (std::size_t i = 0; i < n; i += hn::Lanes(d)) {
            const V Vm = hn::LoadU(d, v + i), W = hn::LoadU(d, w + i);
            const V ge0 = hn::LoadU(d, ge + i), gi0 = hn::LoadU(d, gi + i);
            const V ge1 = ge0 * hn::Set(d, c.dex_half), gi1 = gi0 * hn::Set(d, c.din_half);
            const V ge2 = ge0 * hn::Set(d, c.dex), gi2 = gi0 * hn::Set(d, c.din);
            V kV1, kw1, kV2, kw2, kV3, kw3, kV4, kw4;
            rhs(c, Vm, W, ge0, gi0, kV1, kw1);
            rhs(c, Vm + hh * kV1, W + hh * kw1, ge1, gi1, kV2, kw2);
            rhs(c, Vm + hh * kV2, W + hh * kw2, ge1, gi1, kV3, kw3);
            rhs(c, Vm + h * kV3, W + h * kw3, ge2, gi2, kV4, kw4);
            hn::StoreU(Vm + h6 * (kV1 + two * kV2 + two * kV3 + kV4), d, v_out + i);
            hn::StoreU(W + h6 * (kw1 + two * kw2 + two * kw3 + kw4), d, w_out + i);
        }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace HWY_NAMESPACE
}  // namespace bench_choice
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bench_choice {
HWY_EXPORT(run);
}
double run_highway(long long target, const AeifConstants& c, const double* v, const double* w, const double* ge,
                   const double* gi, double* v_out, double* w_out, std::size_t n, int steps) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    return HWY_DYNAMIC_DISPATCH(bench_choice::run)(c, v, w, ge, gi, v_out, w_out, n, steps);
}
#endif
