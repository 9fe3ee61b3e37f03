// The kernel of the SIMD library comparison (bench/simd_choice): one RK4 step of
// aeif_cond_exp below threshold (neurons/aeif_cond_exp.cpp, rk4_step<true>), 4 exponentials
// per neuron, from fixed state arrays into output arrays; the same arithmetic in each library.
#pragma once
#include <cstddef>

struct AeifConstants {
    double g_L = 30.0, E_L = -70.6, inv_C = 1.0 / 281.0, E_ex = 0.0, E_in = -85.0, V_th = -50.4,
           Delta_T = 2.0, inv_Delta_T = 0.5, V_peak = 0.0, a = 4.0, inv_tau_w = 1.0 / 144.0, h = 0.1,
           dex_half = 0.7788007830714049, din_half = 0.9753099120283326, dex = 0.6065306597126334,
           din = 0.951229424500714, I = 0.0;
};

// Each returns seconds for `steps` passes over n neurons.
double run_scalar(const AeifConstants&, const double* v, const double* w, const double* ge, const double* gi,
                  double* v_out, double* w_out, std::size_t n, int steps);
double run_xsimd_avx2(const AeifConstants&, const double* v, const double* w, const double* ge, const double* gi,
                      double* v_out, double* w_out, std::size_t n, int steps);
double run_xsimd_avx512(const AeifConstants&, const double* v, const double* w, const double* ge,
                        const double* gi, double* v_out, double* w_out, std::size_t n, int steps);
// target: 0 = best, else a HWY_* bit forced through hwy::SetSupportedTargetsForTest.
double run_highway(long long target, const AeifConstants&, const double* v, const double* w, const double* ge,
                   const double* gi, double* v_out, double* w_out, std::size_t n, int steps);
