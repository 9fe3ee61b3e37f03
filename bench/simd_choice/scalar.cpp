// The current code's arithmetic (std::exp, compiled for the baseline x86-64).
#include <chrono>
#include <cmath>
#include "kernel.hpp"

namespace {
inline void rhs(const AeifConstants& c, double V, double w, double ge, double gi, double& dV, double& dw) {
    const double Vc = V < c.V_peak ? V : c.V_peak;
    double I_ion = -c.g_L * (Vc - c.E_L) - ge * (Vc - c.E_ex) - gi * (Vc - c.E_in) - w + c.I;
    I_ion += c.g_L * c.Delta_T * std::exp((Vc - c.V_th) * c.inv_Delta_T);
    dV = I_ion * c.inv_C;
    dw = (c.a * (Vc - c.E_L) - w) * c.inv_tau_w;
}
}  // namespace

double run_scalar(const AeifConstants& c, const double* v, const double* w, const double* ge, const double* gi,
                  double* v_out, double* w_out, std::size_t n, int steps) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s)
        for (std::size_t i = 0; i < n; ++i) {
            const double V = v[i], W = w[i], ge0 = ge[i], gi0 = gi[i];
            const double ge1 = ge0 * c.dex_half, gi1 = gi0 * c.din_half, ge2 = ge0 * c.dex, gi2 = gi0 * c.din;
            double kV1, kw1, kV2, kw2, kV3, kw3, kV4, kw4;
            rhs(c, V, W, ge0, gi0, kV1, kw1);
            rhs(c, V + 0.5 * c.h * kV1, W + 0.5 * c.h * kw1, ge1, gi1, kV2, kw2);
            rhs(c, V + 0.5 * c.h * kV2, W + 0.5 * c.h * kw2, ge1, gi1, kV3, kw3);
            rhs(c, V + c.h * kV3, W + c.h * kw3, ge2, gi2, kV4, kw4);
            v_out[i] = V + c.h / 6.0 * (kV1 + 2.0 * kV2 + 2.0 * kV3 + kV4);
            w_out[i] = W + c.h / 6.0 * (kw1 + 2.0 * kw2 + 2.0 * kw3 + kw4);
        }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
