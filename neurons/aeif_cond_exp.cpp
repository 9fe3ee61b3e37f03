// aeif_cond_exp: adaptive exponential integrate-and-fire neuron (AdEx) with exponentially
// decaying synaptic conductances. Equations: Brette R, Gerstner W (2005) J Neurophysiol
// 94:3637-3642, the two model equations (membrane and adaptation current) of their Methods,
// with the conductance-based synapses and the parameter names, units, defaults and
// spike/refractory semantics of NEST's aeif_cond_exp (user documentation and
// Parameters_ defaults in nest-simulator models/aeif_cond_exp.{h,cpp}):
//   C_m dV/dt  = -g_L (V - E_L) + g_L Delta_T exp((V - V_th)/Delta_T)
//                - g_ex (V - E_ex) - g_in (V - E_in) - w + I_e + I_stim
//   tau_w dw/dt = a (V - E_L) - w
//   dg_x/dt     = -g_x / tau_syn_x,   g_x += weight (nS) for every input spike.
// I_stim (common and per-neuron stimulus currents) is constant over a step.
// Spike when V >= V_peak (V_th if Delta_T = 0: the exponential term is dropped and the model
// is a LIF with hard threshold V_th plus adaptation, as in NEST): V <- V_reset, w <- w + b,
// then t_ref of refractoriness during which V is clamped at V_reset while w keeps evolving
// (with V = V_reset in its equation), as NEST does.
//
// Integration scheme (ours; NEST uses an adaptive RKF45 from GSL with steps <= 10 us): fixed
// step h = dt; the conductances are known exactly within a step, g(t) = g(t0) exp(-(t - t0)/
// tau_syn), and enter the stages at their times (as in iaf_cond_exp); the rest advances by one
// classical fourth-order Runge-Kutta (RK4) step, in one of two forms chosen at the step's start:
//  - V <= V_th (or Delta_T = 0): RK4 on (V, w). Here the exponential term's rate
//    g_L/C_m exp((V - V_th)/Delta_T) <= g_L/C_m (0.11/ms for the defaults) and the fastest
//    passive time constant C_m/(g_L + g_ex + g_in) is >= 1 ms for the defaults even with
//    150 nS of synaptic conductance: h/tau <= 0.1, far inside RK4's stability interval
//    (|h lambda| < 2.78), local error O(h^5). (With tau_syn_ex = 0.2 ms the fast synaptic
//    forcing dominates the error: ~1e-4 mV, tests/test_aeif_cond_exp.cpp.)
//  - V > V_th and Delta_T > 0 (the upswing of a spike): RK4 on (u, z) with
//      u = exp(-(V - V_th)/Delta_T)   (V = V_th - Delta_T ln u),
//      z = w - c (u ln u - u),        c = a Delta_T C_m / (tau_w g_L),
//      du/dt = -g_L/C_m - u F/(C_m Delta_T),
//      dz/dt = (a (V_th - E_L) - w + (a/g_L) u ln(u) F) / tau_w,
//    F = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) - w + I (derived from the equations
//    above by the chain rule). V blows up in finite time, but u goes to 0 almost linearly
//    (du/dt -> -g_L/C_m), and z removes the -a Delta_T ln u singularity from w's equation
//    (what remains, u ln u, is bounded), so both are smooth up to the spike. Plain RK4 on
//    (V, w) cannot follow the blow-up (its rate exceeds 1/h from V_th + 5 Delta_T on): under
//    noisy input it put ~20 % of the spikes one step late relative to the reference of the
//    test, and its quadrature of w across the spike left errors of 0.1-0.2 pA per spike.
//  - Spike within the step: V_peak corresponds to u_peak = exp(-(V_peak - V_th)/Delta_T)
//    (1.3e-11 for the defaults). If the RK4 step of length h ends at u <= u_peak, the crossing
//    time t_c is located as the root of u_RK4(t) = u_peak over RK4 steps of length t from the
//    step's start (Illinois regula falsi to 1e-10 ms, on spike steps only); w(t_c) follows
//    from z; from t_c to the grid point the right-hand side is clamped at V_peak (as in NEST's
//    right-hand side), so tau_w dw/dt = a (V_peak - E_L) - w is solved exactly there. The
//    spike is at the grid point s h ending the step (timing error < h, as for the grid-based
//    iaf models); V is reset there. NEST instead resets at its inner adaptive step, so with
//    t_ref = 0 it can fire more than once per step; here at most once.
//  - Overflow: inside every stage the right-hand side uses min(V, V_peak) (max(u, u_peak) in
//    the u form), so the exponential never exceeds exp((V_peak - V_th)/Delta_T); the parameter
//    check keeps that argument below log(DBL_MAX / 1e20) (NEST's condition), so every stage
//    stays finite however far it overshoots V_peak. A step that starts below V_th and crosses
//    V_peak within the same step (only under a very large input) stays in the V form.
//  - w: when a = 0 the RK4 update of w alone multiplies it by the degree-4 Taylor polynomial of
//    exp(-h/tau_w), relative error (h/tau_w)^5/120 ~ 1e-18 per step: exact to rounding. While
//    refractory w is advanced exactly: w_inf + (w - w_inf) exp(-h/tau_w), w_inf = a (V_reset - E_L).
// Measured against RK4 of the full system (V, w, g_ex, g_in) at steps 100 and 10000 times
// finer (tests/test_aeif_cond_exp.cpp): identical spike steps over 2 s and 56-111 spikes;
// w within 1.4e-4 pA of the 10000x reference with slow synapses.
// Option refractory_clamp: V_reset (default, NEST) or E_L. With E_L, V is held at E_L instead
// of V_reset while refractory (and w relaxes with V = E_L, i.e. towards a (E_L - E_L) = 0), as in
// Auryn's AdExGroup (fzenke/auryn src/auryn/AdExGroup.cpp, evolve(): the refractory branch
// sets mem = e_rest), which the interneurons of Payeur et al. (2021) Fig. 3 use: there V_reset
// only survives the spike step, the reset is effectively to E_L (docs/models.md 7.4).
// Per step: if refractory, V is held at V_reset (E_L), w advances exactly, and the counter counts
// down; otherwise the state advances by one RK4 step (V form or u form, with the crossing
// treatment above). Then the conductances decay and the spikes arriving in this step are added
// (they act from the next step); then, if not refractory, V >= V_peak (V_th if Delta_T = 0)
// emits a spike: V <- V_reset, w <- w + b, counter <- t_ref / h (rounded).
// Vectorised across neurons (neurons/simd_inl.hpp, docs/architecture.md "Vectorised neuron
// updates"): every neuron's step runs the V-form RK4 and the refractory update in vector lanes,
// selected by masks; the V form's stages in the coefficients of its right-hand side with fused
// multiply-adds, and its exponential term in single precision (Highway's float Exp; see
// VForm), so results differ from the earlier scalar code and between targets in the last bits,
// never between decompositions. Neurons in the upswing (V > V_th, rare: the last steps before
// a spike) are gathered and advanced in the u form with Highway's double Exp and Log; the
// crossing of V_peak inside a step is found by the scalar code above (std::exp, std::log).
#ifndef APICAL_AEIF_COND_EXP_SHARED  // compiled once, not per SIMD target
#define APICAL_AEIF_COND_EXP_SHARED
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::aeif_cond_exp_kernel {

// The model's constants and the scalar part of its update (the upswing, see the top).
struct Constants {
    double E_L, g_L, inv_C, E_ex, E_in, I_e, V_th, Delta_T, inv_Delta_T, V_peak, V_spike, V_reset, a, b,
        inv_tau_w, h, u_peak, psi_peak, c, w_peak, inv_tau_ex, inv_tau_in;
    double decay_ex_half, decay_in_half, decay_ex, decay_in, decay_w, V_hold, w_refractory;

    static double parameter(const std::map<std::string, double>& p, const char* name) { return p.at(name); }
    Constants(const std::map<std::string, double>& p, double h, bool clamp_at_E_L)
        : E_L(parameter(p, "E_L")), g_L(parameter(p, "g_L")), inv_C(1.0 / parameter(p, "C_m")),
          E_ex(parameter(p, "E_ex")), E_in(parameter(p, "E_in")), I_e(parameter(p, "I_e")),
          V_th(parameter(p, "V_th")), Delta_T(parameter(p, "Delta_T")),
          inv_Delta_T(Delta_T > 0.0 ? 1.0 / Delta_T : 0.0), V_peak(parameter(p, "V_peak")),
          V_spike(Delta_T > 0.0 ? V_peak : V_th), V_reset(parameter(p, "V_reset")),
          a(parameter(p, "a")), b(parameter(p, "b")), inv_tau_w(1.0 / parameter(p, "tau_w")),
          h(h), u_peak(Delta_T > 0.0 ? std::exp(-(V_peak - V_th) * inv_Delta_T) : 0.0),
          psi_peak(u_peak * (-(V_peak - V_th) * inv_Delta_T) - u_peak),
          c(a * Delta_T * inv_tau_w / (g_L * inv_C)), w_peak(a * (V_peak - E_L)),
          inv_tau_ex(1.0 / parameter(p, "tau_syn_ex")), inv_tau_in(1.0 / parameter(p, "tau_syn_in")),
          decay_ex_half(std::exp(-0.5 * h / parameter(p, "tau_syn_ex"))),
          decay_in_half(std::exp(-0.5 * h / parameter(p, "tau_syn_in"))),
          decay_ex(std::exp(-h / parameter(p, "tau_syn_ex"))),
          decay_in(std::exp(-h / parameter(p, "tau_syn_in"))),
          decay_w(std::exp(-h / parameter(p, "tau_w"))),
          V_hold(clamp_at_E_L ? E_L : V_reset),
          w_refractory(a * (V_hold - E_L)) {}

    // Upswing (V > V_th, Delta_T > 0), see the top of the file: state (u, z) with
    // u = exp(-(V - V_th)/Delta_T), z = w - c (u ln u - u), c = a Delta_T C_m/(tau_w g_L).
    //   du/dt = -g_L/C_m - u F/(C_m Delta_T),
    //   dz/dt = (a (V_th - E_L) - w + (a/g_L) u ln(u) F) / tau_w,
    // F = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) - w + I the non-exponential
    // currents. Below u_peak (V past V_peak) the right-hand side is clamped at V_peak.
    void rhs_uz(double u, double z, double ge, double gi, double I, double& du, double& dz) const {
        if (u > u_peak) {
            const double ln_u = std::log(u);
            const double V = V_th - Delta_T * ln_u;
            const double w = z + c * (u * ln_u - u);
            const double F = -g_L * (V - E_L) - ge * (V - E_ex) - gi * (V - E_in) - w + I;
            du = -g_L * inv_C - u * F * inv_C * inv_Delta_T;
            dz = (a * (V_th - E_L) - w + a / g_L * u * ln_u * F) * inv_tau_w;
        } else {
            const double w = z + c * psi_peak;
            const double F = -g_L * (V_peak - E_L) - ge * (V_peak - E_ex) - gi * (V_peak - E_in) - w + I;
            du = -g_L * inv_C - u_peak * F * inv_C * inv_Delta_T;
            dz = (a * (V_peak - E_L) - w) * inv_tau_w;
        }
    }
    // One RK4 step of length tau <= h on (u, z), conductances exact.
    void rk4_uz(double u, double z, double ge0, double gi0, double I, double tau, double& u_out,
                double& z_out) const {
        double dex_half = decay_ex_half, din_half = decay_in_half, dex = decay_ex, din = decay_in;
        if (tau != h) {
            dex_half = std::exp(-0.5 * tau * inv_tau_ex);
            din_half = std::exp(-0.5 * tau * inv_tau_in);
            dex = std::exp(-tau * inv_tau_ex);
            din = std::exp(-tau * inv_tau_in);
        }
        const double ge1 = ge0 * dex_half, gi1 = gi0 * din_half, ge2 = ge0 * dex, gi2 = gi0 * din;
        double ku1, kz1, ku2, kz2, ku3, kz3, ku4, kz4;
        rhs_uz(u, z, ge0, gi0, I, ku1, kz1);
        rhs_uz(u + 0.5 * tau * ku1, z + 0.5 * tau * kz1, ge1, gi1, I, ku2, kz2);
        rhs_uz(u + 0.5 * tau * ku2, z + 0.5 * tau * kz2, ge1, gi1, I, ku3, kz3);
        rhs_uz(u + tau * ku3, z + tau * kz3, ge2, gi2, I, ku4, kz4);
        u_out = u + tau / 6.0 * (ku1 + 2.0 * ku2 + 2.0 * ku3 + ku4);
        z_out = z + tau / 6.0 * (kz1 + 2.0 * kz2 + 2.0 * kz3 + kz4);
    }
    void upswing_step(double& V, double& w, double ge0, double gi0, double I) const {
        const double ln_u0 = -(V - V_th) * inv_Delta_T;
        const double u0 = std::exp(ln_u0);
        double t_cross = 0.0, w_cross = w;  // V >= V_peak already (set from outside): crossing at 0
        if (u0 > u_peak) {
            const double z0 = w - c * (u0 * ln_u0 - u0);
            double u1, z1;
            rk4_uz(u0, z0, ge0, gi0, I, h, u1, z1);
            if (u1 > u_peak) {  // no crossing in this step
                const double ln_u1 = std::log(u1);
                V = V_th - Delta_T * ln_u1;
                w = z1 + c * (u1 * ln_u1 - u1);
                return;
            }
            // Crossing inside the step: the t in (0, h] where the RK4 step of length t from the
            // step's start reaches u_peak; Illinois regula falsi (u is nearly linear in t there).
            double lo = 0.0, g_lo = u0 - u_peak, hi = h, g_hi = u1 - u_peak;
            int side = 0;
            for (int it = 0; it < 100 && hi - lo > 1e-10 && g_hi < 0.0; ++it) {
                const double t = hi - g_hi * (hi - lo) / (g_hi - g_lo);
                double ut, zt;
                rk4_uz(u0, z0, ge0, gi0, I, t, ut, zt);
                if (ut > u_peak) {
                    lo = t;
                    g_lo = ut - u_peak;
                    if (side == -1) g_hi *= 0.5;
                    side = -1;
                } else {
                    hi = t;
                    g_hi = ut - u_peak;
                    if (side == 1) g_lo *= 0.5;
                    side = 1;
                }
            }
            t_cross = hi;
            double uc, zc;
            rk4_uz(u0, z0, ge0, gi0, I, t_cross, uc, zc);
            w_cross = zc + c * psi_peak;
        }
        // From the crossing to the grid point the right-hand side is clamped at V_peak:
        // tau_w dw/dt = a (V_peak - E_L) - w, solved exactly.
        w = w_peak + (w_cross - w_peak) * std::exp(-(h - t_cross) * inv_tau_w);
        V = V_peak;
    }

};

// The neurons in the upswing in this step and their state at its start, gathered by the
// vectorised pass for the upswing pass (padded: it runs over whole vectors too).
struct Upswing {
    std::vector<std::uint32_t> index;
    PaddedVector<double> v, w, ge, gi, I;
    explicit Upswing(std::size_t n) : index(n), v(n), w(n), ge(n), gi(n), I(n) {}
};

// What the vectorised update reads: the constants and the group's arrays.
struct Group {
    const Constants* c;
    Upswing* up;
    double ref_steps;
    double *v, *w, *ge, *gi;
    double* r;  // refractory steps left (whole numbers, as doubles: same lanes as V)
    RingBuffer *buf_ex, *buf_in;
    const gid_t* gids;
    std::size_t n;
};

constexpr step_t stable = -1;

}  // namespace apical::aeif_cond_exp_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/aeif_cond_exp.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::aeif_cond_exp_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

// The V form of the step (RK4 on (V, w), conductances exact), as vectors. The right-hand side
// is linear in the clamped Vc = min(V, V_peak) and in w apart from the exponential term, with
// coefficients that depend on the conductances at the stage time t (t0, t0 + h/2, t0 + h):
//   dV/dt = B_t - A_t Vc - w / C_m + (g_L Delta_T / C_m) exp((Vc - V_th) / Delta_T)
//   dw/dt = (a (Vc - E_L) - w) / tau_w
// with A_t = (g_L + g_ex(t) + g_in(t)) / C_m, B_t = (g_L E_L + g_ex(t) E_ex + g_in(t) E_in + I) / C_m,
// computed once per step and time; the stages are fused multiply-adds. The exponential is
// single precision (its exponent computed in double and capped at +-80): its relative error
// of about 1e-7 is 1e-7 of a current that is at most comparable to the leak below threshold
// (V changes by ~1e-9 mV per step), and it costs a quarter of a double Exp. An exponent of 80
// (5.5e34 times g_L Delta_T) puts V past V_peak within the stage, so the cap changes no
// spike; V is reset there.
template <bool exponential>
struct VForm {
    Vd inv_C, V_peak, a_tau_w, neg_a_E_L_tau_w, inv_tau_w, inv_Delta_T, neg_V_th_inv_Delta_T, g_L_Delta_T_C;
    Vd g_L_C, g_L_E_L_C, half_h, h, h_6, dex, din;
    StageConductances g;  // the conductances' share of A_t and B_t
    explicit VForm(const Constants& c)
        : inv_C(hn::Set(Dd(), c.inv_C)), V_peak(hn::Set(Dd(), c.V_peak)),
          a_tau_w(hn::Set(Dd(), c.a * c.inv_tau_w)), neg_a_E_L_tau_w(hn::Set(Dd(), -c.a * c.E_L * c.inv_tau_w)),
          inv_tau_w(hn::Set(Dd(), c.inv_tau_w)), inv_Delta_T(hn::Set(Dd(), c.inv_Delta_T)),
          neg_V_th_inv_Delta_T(hn::Set(Dd(), -c.V_th * c.inv_Delta_T)),
          g_L_Delta_T_C(hn::Set(Dd(), c.g_L * c.Delta_T * c.inv_C)), g_L_C(hn::Set(Dd(), c.g_L * c.inv_C)),
          g_L_E_L_C(hn::Set(Dd(), c.g_L * c.E_L * c.inv_C)), half_h(hn::Set(Dd(), 0.5 * c.h)),
          h(hn::Set(Dd(), c.h)), h_6(hn::Set(Dd(), c.h / 6.0)), dex(hn::Set(Dd(), c.decay_ex)),
          din(hn::Set(Dd(), c.decay_in)),
          g(c.decay_ex_half, c.decay_ex, c.decay_in_half, c.decay_in, c.inv_C, c.E_ex, c.E_in) {}
    // The derivatives at (V, w) with the coefficients A, B of the stage's time.
    void rhs(Vd V, Vd w, Vd A, Vd B, Vd& dV, Vd& dw) const {
        const Vd Vc = hn::IfThenElse(hn::Lt(V, V_peak), V, V_peak);
        dV = fnma(inv_C, w, fnma(A, Vc, B));
        if constexpr (exponential)
            dV = fma(g_L_Delta_T_C, hn::PromoteTo(Dd(), exp_float(fma(Vc, inv_Delta_T, neg_V_th_inv_Delta_T))), dV);
        dw = fma(a_tau_w, Vc, fnma(inv_tau_w, w, neg_a_E_L_tau_w));
    }
    // One classical RK4 step for U vectors at once, each stage for all U before the next, so
    // that their chains of dependent instructions overlap (see rk4_pair).
    template <std::size_t U>
    void rk4(Vd (&V)[U], Vd (&w)[U], const Vd (&ge0)[U], const Vd (&gi0)[U], const Vd (&I)[U]) const {
        Vd A[3][U], B[3][U], kV[4][U], kw[4][U];
        for (std::size_t u = 0; u < U; ++u) {
            const Vd b_I = fma(I[u], inv_C, g_L_E_L_C);
            for (int t = 0; t < 3; ++t)
                A[t][u] = g.rate(t, ge0[u], gi0[u], g_L_C), B[t][u] = g.drive(t, ge0[u], gi0[u], b_I);
            rhs(V[u], w[u], A[0][u], B[0][u], kV[0][u], kw[0][u]);
        }
        for (std::size_t u = 0; u < U; ++u)
            rhs(fma(half_h, kV[0][u], V[u]), fma(half_h, kw[0][u], w[u]), A[1][u], B[1][u], kV[1][u], kw[1][u]);
        for (std::size_t u = 0; u < U; ++u)
            rhs(fma(half_h, kV[1][u], V[u]), fma(half_h, kw[1][u], w[u]), A[1][u], B[1][u], kV[2][u], kw[2][u]);
        for (std::size_t u = 0; u < U; ++u)
            rhs(fma(h, kV[2][u], V[u]), fma(h, kw[2][u], w[u]), A[2][u], B[2][u], kV[3][u], kw[3][u]);
        for (std::size_t u = 0; u < U; ++u) {
            V[u] = rk4_combine(V[u], kV[0][u], kV[1][u], kV[2][u], kV[3][u], h_6);
            w[u] = rk4_combine(w[u], kw[0][u], kw[1][u], kw[2][u], kw[3][u], h_6);
        }
    }
};

// The upswing (V > V_th) in the u form (see the top), as vectors: one RK4 step of length h on
// (u, z) for every lane. Lanes that stay below V_peak (u above u_peak) over the whole step take
// its result; the others (a crossing inside the step: once per spike) then take the scalar
// Constants::upswing_step, with its root finding.
struct UForm {
    Vd V_th, Delta_T, inv_Delta_T, c, u_peak, V_peak, w_at_peak, E_L, minus_g_L, E_ex, E_in, minus_g_L_inv_C,
        inv_C, a_V_th_E_L, a_V_peak_E_L, a_g_L, inv_tau_w;
    Vd half_h, h, h_6, dex_half, din_half, dex, din;
    explicit UForm(const Constants& k)
        : V_th(hn::Set(Dd(), k.V_th)), Delta_T(hn::Set(Dd(), k.Delta_T)), inv_Delta_T(hn::Set(Dd(), k.inv_Delta_T)),
          c(hn::Set(Dd(), k.c)), u_peak(hn::Set(Dd(), k.u_peak)), V_peak(hn::Set(Dd(), k.V_peak)),
          w_at_peak(hn::Set(Dd(), k.c * k.psi_peak)), E_L(hn::Set(Dd(), k.E_L)), minus_g_L(hn::Set(Dd(), -k.g_L)),
          E_ex(hn::Set(Dd(), k.E_ex)), E_in(hn::Set(Dd(), k.E_in)), minus_g_L_inv_C(hn::Set(Dd(), -k.g_L * k.inv_C)),
          inv_C(hn::Set(Dd(), k.inv_C)), a_V_th_E_L(hn::Set(Dd(), k.a * (k.V_th - k.E_L))),
          a_V_peak_E_L(hn::Set(Dd(), k.a * (k.V_peak - k.E_L))), a_g_L(hn::Set(Dd(), k.a / k.g_L)),
          inv_tau_w(hn::Set(Dd(), k.inv_tau_w)), half_h(hn::Set(Dd(), 0.5 * k.h)), h(hn::Set(Dd(), k.h)),
          h_6(hn::Set(Dd(), k.h / 6.0)), dex_half(hn::Set(Dd(), k.decay_ex_half)),
          din_half(hn::Set(Dd(), k.decay_in_half)), dex(hn::Set(Dd(), k.decay_ex)), din(hn::Set(Dd(), k.decay_in)) {}
    // Constants::rhs_uz, both branches computed and the one of each lane selected.
    void rhs(Vd u, Vd z, Vd ge, Vd gi, Vd I, Vd& du, Vd& dz) const {
        const Dd d;
        const Md below_peak = hn::Gt(u, u_peak);  // V below V_peak
        const Vd ln_u = hn::Log(d, hn::IfThenElse(below_peak, u, u_peak));
        const Vd V = hn::IfThenElse(below_peak, V_th - Delta_T * ln_u, V_peak);
        const Vd w = hn::IfThenElse(below_peak, z + c * (u * ln_u - u), z + w_at_peak);
        const Vd u_c = hn::IfThenElse(below_peak, u, u_peak);
        const Vd F = minus_g_L * (V - E_L) - ge * (V - E_ex) - gi * (V - E_in) - w + I;
        du = minus_g_L_inv_C - u_c * F * inv_C * inv_Delta_T;
        dz = hn::IfThenElse(below_peak, a_V_th_E_L - w + a_g_L * u * ln_u * F, a_V_peak_E_L - w) * inv_tau_w;
    }
    // One RK4 step of length h from V, w, for U vectors at once (see rk4_pair); `stays` gets
    // the lanes that stay below V_peak.
    template <std::size_t U>
    void step(Vd (&V)[U], Vd (&w)[U], const Vd (&ge)[U], const Vd (&gi)[U], const Vd (&I)[U], Md (&stays)[U]) const {
        const Dd d;
        Vd u0[U], u[U], z[U];
        for (std::size_t k = 0; k < U; ++k) {
            const Vd ln_u0 = hn::Neg(V[k] - V_th) * inv_Delta_T;
            u0[k] = hn::Exp(d, ln_u0);
            u[k] = u0[k];
            z[k] = w[k] - c * (u0[k] * ln_u0 - u0[k]);
        }
        const auto f = [this](Vd u_, Vd z_, Vd ge_, Vd gi_, Vd I_j, Vd& du, Vd& dz) { rhs(u_, z_, ge_, gi_, I_j, du, dz); };
        rk4_pair(f, u, z, ge, gi, dex_half, din_half, dex, din, I, half_h, h, h_6);
        for (std::size_t k = 0; k < U; ++k) {
            stays[k] = hn::And(hn::Gt(u0[k], u_peak), hn::Gt(u[k], u_peak));
            const Vd ln_u1 = hn::Log(d, hn::IfThenElse(stays[k], u[k], u_peak));
            V[k] = V_th - Delta_T * ln_u1;
            w[k] = z[k] + c * (u[k] * ln_u1 - u[k]);
        }
    }
};

// The upswing pass of a step: the n_up neurons gathered in g.up take the vector u form from
// their state at the step's start (whole vectors over the gathered neurons), or the scalar code
// for a crossing inside the step; then their threshold test, reset and stability check, which
// the vectorised pass left out. Returns whether one became unstable.
inline bool upswing_pass(const Group& g, const UForm& f, std::size_t n_up, step_t step, std::vector<Spike>& spikes) {
    const Dd d;
    const Constants& c = *g.c;
    Upswing& u = *g.up;
    // Four vectors at a time, as the V form (run_slice); the scratch arrays are padded to whole
    // groups of them, and lanes past n_up are never read back.
    constexpr std::size_t U = rk4_vectors;
    const std::size_t L = hn::Lanes(d);
    for (std::size_t j0 = 0; j0 < n_up; j0 += U * L) {
        Vd v[U], w[U], ge[U], gi[U], I[U];
        Md smooth[U];
        for (std::size_t k = 0; k < U; ++k) {
            const std::size_t j = j0 + k * L;
            v[k] = hn::LoadU(d, u.v.data() + j), w[k] = hn::LoadU(d, u.w.data() + j);
            ge[k] = hn::LoadU(d, u.ge.data() + j), gi[k] = hn::LoadU(d, u.gi.data() + j);
            I[k] = hn::LoadU(d, u.I.data() + j);
        }
        f.step(v, w, ge, gi, I, smooth);
        for (std::size_t k = 0; k < U; ++k) {
            const std::size_t j = j0 + k * L;
            for_each_lane(hn::Not(smooth[k]), j, n_up,
                          [&](std::size_t m) { c.upswing_step(u.v[m], u.w[m], u.ge[m], u.gi[m], u.I[m]); });
            hn::StoreU(hn::IfThenElse(smooth[k], v[k], hn::LoadU(d, u.v.data() + j)), d, u.v.data() + j);
            hn::StoreU(hn::IfThenElse(smooth[k], w[k], hn::LoadU(d, u.w.data() + j)), d, u.w.data() + j);
        }
    }
    bool unstable = false;
    for (std::size_t m = 0; m < n_up; ++m) {
        const std::size_t k = u.index[m];
        double v = u.v[m], w = u.w[m];
        if (v >= c.V_spike) {  // not refractory: it took a step
            v = c.V_reset;
            w += c.b;
            g.r[k] = g.ref_steps;
            spikes.push_back({step, g.gids[k], 0.0f});
        }
        g.v[k] = v, g.w[k] = w;
        unstable |= !(v >= -1e3 && w >= -1e6 && w <= 1e6);
    }
    return unstable;
}

// Returns the first step at which a neuron became numerically unstable, or `stable`.
template <bool exponential, bool Noise>
step_t run_slice(const Group& group, const SliceInput& in, std::vector<Spike>& spikes) {
    const Group g = group;  // a local copy: no spike's push_back can change it, so its pointers stay in registers
    const Dd d;
    const Constants& c = *g.c;
    const VForm<exponential> f(c);
    const UForm uf(c);
    const std::size_t lanes = hn::Lanes(d);
    const Vd V_th = hn::Set(d, c.V_th), V_spike = hn::Set(d, c.V_spike), V_reset = hn::Set(d, c.V_reset);
    const Reset reset(c.V_reset, g.ref_steps, g.gids, g.n, spikes);
    const Vd V_hold = hn::Set(d, c.V_hold), w_refractory = hn::Set(d, c.w_refractory);
    const Vd decay_w = hn::Set(d, c.decay_w), b = hn::Set(d, c.b);
    const Vd V_low = hn::Set(d, -1e3), w_low = hn::Set(d, -1e6), w_high = hn::Set(d, 1e6);
    const double* soma_current = in.stimulus_current(0);
    for (int k = 0; k < in.n_steps; ++k) {
        const step_t step = in.first_step + k;
        double* x_ex = g.buf_ex->row_of_step(step);
        double* x_in = g.buf_in->row_of_step(step);
        const Vd I = hn::Set(d, c.I_e + soma_current[k]);
        const double* noise = Noise ? in.neuron_current_row(0, k, g.n) : nullptr;
        Md unstable = hn::FirstN(d, 0);
        std::size_t n_up = 0;
        // U vectors of neurons at a time through the RK4 stages (see rk4_pair; U = 1, 2, 4 took
        // 14.4, 11.1, 9.0 ns per neuron-step on AVX-512); the arrays are padded to whole groups
        // of U vectors.
        constexpr std::size_t U = rk4_vectors;
        for (std::size_t i0 = 0; i0 < g.n; i0 += U * lanes) {
            Vd v0[U], w0[U], r0[U], ge[U], gi[U], I_i[U], v[U], w[U];
            for (std::size_t u = 0; u < U; ++u) {
                const std::size_t i = i0 + u * lanes;
                v0[u] = hn::LoadU(d, g.v + i), w0[u] = hn::LoadU(d, g.w + i), r0[u] = hn::LoadU(d, g.r + i);
                ge[u] = hn::LoadU(d, g.ge + i), gi[u] = hn::LoadU(d, g.gi + i);
                I_i[u] = Noise ? I + load_unpadded(noise, i, g.n) : I;
                v[u] = v0[u], w[u] = w0[u];
            }
            f.rk4(v, w, ge, gi, I_i);
            for (std::size_t u = 0; u < U; ++u) {
                const std::size_t i = i0 + u * lanes;
                // Padding lanes (past the last neuron) take no scalar step and are never unstable.
                const Md neuron = hn::FirstN(d, i < g.n ? g.n - i : 0);
                // Refractory: V held, w relaxes exactly, the counter counts down.
                const Md free = is_free(r0[u]);
                Vd vu = hn::IfThenElse(free, v[u], V_hold);
                Vd wu = hn::IfThenElse(free, w[u], w_refractory + (w0[u] - w_refractory) * decay_w);
                const Vd r = count_down(free, r0[u]);
                // The upswing's neurons are gathered for the upswing pass, which finishes them.
                Md upswing = hn::FirstN(d, 0);
                if constexpr (exponential) {
                    upswing = hn::And(neuron, hn::And(free, hn::Gt(v0[u], V_th)));
                    for_each_lane(upswing, i, g.n, [&](std::size_t j) {
                        Upswing& up = *g.up;
                        up.index[n_up] = std::uint32_t(j);
                        up.v[n_up] = g.v[j], up.w[n_up] = g.w[j], up.ge[n_up] = g.ge[j], up.gi[n_up] = g.gi[j];
                        up.I[n_up] = Noise ? c.I_e + soma_current[k] + noise[j] : c.I_e + soma_current[k];
                        ++n_up;
                    });
                }
                hn::StoreU(f.dex * ge[u] + take_input(x_ex, i), d, g.ge + i);
                hn::StoreU(f.din * gi[u] + take_input(x_in, i), d, g.gi + i);
                const Md spiking = hn::AndNot(upswing, hn::And(is_free(r), hn::Ge(vu, V_spike)));
                wu = hn::IfThenElse(spiking, wu + b, wu);
                hn::StoreU(wu, d, g.w + i);
                reset.apply(spiking, vu, r, g.v, g.r, i, step);
                vu = hn::IfThenElse(spiking, V_reset, vu);
                // NEST's aeif models throw NumericalInstability past these bounds (also NaN).
                const Md fine = hn::And(hn::Ge(vu, V_low), hn::And(hn::Ge(wu, w_low), hn::Le(wu, w_high)));
                unstable = hn::Or(unstable, hn::AndNot(fine, hn::AndNot(upswing, neuron)));
            }
        }
        bool unstable_upswing = false;
        if (exponential && n_up > 0) unstable_upswing = upswing_pass(g, uf, n_up, step, spikes);
        if (unstable_upswing || !hn::AllFalse(d, unstable)) return step;
    }
    return stable;
}

step_t run(const Group& g, const SliceInput& in, std::vector<Spike>& spikes) {
    step_t unstable = stable;
    with_neuron_current(in, [&](auto noise) {
        constexpr bool Noise = decltype(noise)::value;
        unstable = g.c->Delta_T > 0.0 ? run_slice<true, Noise>(g, in, spikes) : run_slice<false, Noise>(g, in, spikes);
    });
    return unstable;
}

}  // namespace apical::aeif_cond_exp_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical {

namespace aeif_cond_exp_kernel {
APICAL_EXPORT_KERNEL(run)
}

namespace {

enum State { V_m, w_ad, g_ex, g_in };
enum Option { refractory_clamp };
constexpr int clamp_E_L = 1;  // index of "E_L" in the option's values

class AeifCondExp final : public NeuronGroup {
public:
    AeifCondExp(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          c_(p, h, ctx.option(refractory_clamp) == clamp_E_L),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          refractory_(size(), 0.0), upswing_(size()) {
        select_simd_target();
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const aeif_cond_exp_kernel::Group g{&c_, &upswing_, double(ref_steps_), state(V_m).data(), state(w_ad).data(),
                                            state(g_ex).data(), state(g_in).data(), refractory_.data(),
                                            &input(0), &input(1), gids_.data(), size()};
        const step_t unstable = aeif_cond_exp_kernel::run_best(g, in, spikes);
        if (unstable != aeif_cond_exp_kernel::stable) throw_instability(unstable);
    }

    std::vector<OwnStateArray> own_state() override { return {{"refractory", refractory_.data()}}; }

private:
    [[noreturn]] void throw_instability(step_t step) {
        const double* v = state(V_m).data();
        const double* w = state(w_ad).data();
        std::size_t i = 0;
        while (i + 1 < size() && v[i] >= -1e3 && w[i] >= -1e6 && w[i] <= 1e6) ++i;
        throw RuntimeFailure("aeif_cond_exp: numerical instability in neuron " + std::to_string(gids_[i]) + " at t = " +
                             std::to_string(double(step) * dt_) + " ms (V_m = " + std::to_string(v[i]) +
                             " mV, w = " + std::to_string(w[i]) +
                             " pA; NEST stops at V_m < -1000 mV or |w| > 1e6 pA as well): check the parameters and "
                             "inputs, or use a smaller dt");
    }

    aeif_cond_exp_kernel::Constants c_;
    int ref_steps_;
    PaddedVector<double> refractory_;
    aeif_cond_exp_kernel::Upswing upswing_;
};

}  // namespace

const ModelInfo& aeif_cond_exp_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "aeif_cond_exp";
        const double inf = std::numeric_limits<double>::infinity();
        // Defaults: NEST's aeif_cond_exp (Parameters_::Parameters_ in models/aeif_cond_exp.cpp);
        // C_m .. b, V_th are the values Brette & Gerstner (2005) fitted to a detailed model.
        m.parameters = {
            {"C_m", Dimension::capacitance, 281.0, -inf, inf, true},
            counted_in_steps({"t_ref", Dimension::time, 0.0, 0.0, inf}),
            {"V_reset", Dimension::voltage, -60.0},
            {"E_L", Dimension::voltage, -70.6},
            {"g_L", Dimension::conductance, 30.0, -inf, inf, true},
            {"I_e", Dimension::current, 0.0},
            {"a", Dimension::conductance, 4.0},
            {"b", Dimension::current, 80.5},
            {"Delta_T", Dimension::voltage, 2.0, 0.0, inf},
            {"tau_w", Dimension::time, 144.0, -inf, inf, true},
            {"V_th", Dimension::voltage, -50.4},
            {"V_peak", Dimension::voltage, 0.0},
            {"E_ex", Dimension::voltage, 0.0},
            {"E_in", Dimension::voltage, -85.0},
            {"tau_syn_ex", Dimension::time, 0.2, -inf, inf, true},
            {"tau_syn_in", Dimension::time, 2.0, -inf, inf, true},
        };
        m.state = {{"V_m", Dimension::voltage, "E_L"},
                   {"w", Dimension::current, ""},
                   {"g_ex", Dimension::conductance, ""},
                   {"g_in", Dimension::conductance, ""}};
        m.receptors = {{"exc", Dimension::conductance, false}, {"inh", Dimension::conductance, false}};
        m.route_by_sign = false;
        m.options = {{"refractory_clamp", {"V_reset", "E_L"}}};
        // NEST's checks: V_peak >= V_th, V_reset < V_peak, and no overflow of the exponential
        // at V_peak (with a margin of 1e20 for the rest of the right-hand side).
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!(p.at("V_peak") >= p.at("V_th"))) return "V_peak at or above V_th";
            if (!(p.at("V_reset") < p.at("V_peak"))) return "V_reset below V_peak";
            const double max_arg = std::log(std::numeric_limits<double>::max() / 1e20);
            if (p.at("Delta_T") > 0.0 && !((p.at("V_peak") - p.at("V_th")) / p.at("Delta_T") < max_arg))
                return "(V_peak - V_th) / Delta_T below " + std::to_string(max_arg) +
                       " (the exponential term would overflow at V_peak)";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_aeif_cond_exp(std::vector<gid_t> gids, int n_slots, double dt,
                                                const std::map<std::string, double>& p,
                                                const ModelContext& ctx) {
    return std::make_unique<AeifCondExp>(aeif_cond_exp_info(), std::move(gids), n_slots, dt, p, ctx);
}

}  // namespace apical
#endif  // HWY_ONCE
