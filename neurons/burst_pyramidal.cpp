// burst_pyramidal: the two-compartment (soma + apical dendrite) bursting pyramidal neuron of
// Naud & Sprekeler 2018 (PNAS 115:E6329, SI eqs. S42-S44), as used by Payeur et al. 2021
// (Nat Neurosci 24:1010, Figs. 2e-g, 3, S5, S10). The papers' own text could not be read;
// equations, parameters and the discrete update follow the code that produced the published
// figures, Auryn's NaudGroup (github apayeur/auryn src/auryn/NaudGroup.cpp, identical in
// fzenke/auryn), as distilled in docs/models.md section 1 (1.2 equations, 1.3 spikes, 1.4 synapses,
// 1.6 parameters and the differences between implementations, 1.7 Auryn's step).
//
// Units: mV, ms, pA, pF, nS. Equations (docs/models.md 1.2, 1.4; f(V) = 1/(1 + exp(-(V - E_d)/D_d))):
//   C_s dV_s/dt = -(C_s/tau_s)(V_s - E_L) + g_s f(V_d) + b w_s + I_s^syn + I_s^ext
//   C_d dV_d/dt = -(C_d/tau_d)(V_d - E_L) + g_d f(V_d) + c_d K(t) + a_w w_d + I_d^syn + I_d^ext
//   dw_s/dt = -w_s/tau_ws (+1 per spike)   tau_wd dw_d/dt = (V_d - E_L) - w_d
//   dtheta/dt = (theta_0 - theta)/tau_theta (+Delta_theta per spike)
//   I_s^syn = g_s_E (E_exc - V_s) + g_s_I (E_inh - V_s)
//   I_d^syn = g_d_E (E_exc - V*) + g_d_I (E_inh - V*)
//   dg/dt = -g/tau_AMPA (g_*_E) or -g/tau_GABA (g_*_I); a spike of weight w (nS) adds w.
// g_s, g_d and c_d are currents (pA); b w_s and a_w w_d are the (hyperpolarising, b < 0,
// a_w < 0) adaptation currents. The soma sees the dendrite only through g_s f(V_d), the
// dendrite the soma only through the back-propagation kernel K.
// Spike when V_s > theta (strict; docs/models.md 1.3), checked at the grid point ending each step:
// V_s <- V_reset, theta += Delta_theta, w_s += 1, a bAP box starts; V_d and w_d are not reset.
//
// Synaptic weights are conductances in nS (>= 0). Auryn's weights are in units of the
// compartment's leak conductance C/tau (23.125 nS soma, 24.2857 nS dendrite): an Auryn weight
// w corresponds to w C/tau nS here.
//
// Options and parameters for the points where implementations differ (docs/models.md 1.6):
//  - bAP kernel K: a box of unit height on (t^ + bAP_delay, t^ + bAP_delay + bAP_duration],
//    both rounded to whole steps (Auryn: delay 0, duration 2 ms, i.e. the 20 steps after the
//    spike; the BurstCCN-journal re-implementation: 0.5 ms and 2 ms).
//    Option bAP_summation: restart (default; Auryn: only the last spike's box counts, a new
//    spike restarts it) or sum (one box per spike, overlapping boxes add, as BurstCCN-journal).
//  - t_ref: absolute refractory period (default 0, as Auryn; third-party re-implementations
//    use 3 ms). During it V_s is held at V_reset and no spike is possible; the rest evolves.
//  - Option dendritic_driving_force: dendrite (default, physically correct: V_d) or soma (V_s,
//    as Auryn, whose synapse objects use the parent group's somatic potential for the
//    dendritic synapses too); the same values as burst_poisson's option.
//  - Option reference_step_order: default (below) or auryn (further below).
//
// reference_step_order: default -- a convergent discretisation of the continuous equations.
// Within a step (length h, from t0) the conductances, w_s and theta are linear and decoupled
// and advance exactly (g(t) = g(t0) exp(-(t - t0)/tau), likewise w_s; theta relaxes
// exponentially to theta_0); the stimulus currents (common and per-neuron) and K are constant
// over the step (apical's stimulus convention; the bAP box edges fall on grid points).
// (V_s, V_d, w_d) advance by one classical fourth-order Runge-Kutta step with the exact g(t),
// w_s(t) at the stage times t0, t0 + h/2, t0 + h. Stability: the Jacobian's entries are
// 1/tau_s = 0.0625/ms, 1/tau_d = 0.14/ms, |a_w|/C_d = 0.076/ms, 1/tau_wd = 0.033/ms,
// g_d max f'/C_d = 0.29/ms
// (the regenerative term), plus (g_E + g_I)/C for synapses (0.27/ms per 100 nS on the soma):
// h |lambda| ~ 0.03 at h = 0.1 ms, far inside RK4's stability interval (2.78); every
// discontinuity (spike resets, bAP box edges, input spikes, stimulus steps) is at a grid
// point, so RK4 keeps its order 4 between them (tests/test_burst_pyramidal.cpp: traces within
// 1e-4 mV of an RK4 reference at a 10 times finer step). Per step s:
//   1. K for this step from the bAP state (countdown of the last spike's box, or the number of
//      boxes covering the step in sum mode); the countdown moves on by one.
//   2. RK4 on (V_s, V_d, w_d) over the step (dV_s/dt = 0 and V_s = V_reset while refractory).
//   3. w_s, theta exact; conductances decay exactly, then the weights arriving at step s are
//      added (they act from the next step on).
//   4. Refractory countdown; then, if not refractory, V_s > theta is a spike at step s:
//      V_s <- V_reset, theta += Delta_theta, w_s += 1, bAP countdown <- delay + duration
//      (steps), refractory count <- t_ref (steps).
//
// reference_step_order: auryn -- Auryn's discrete update, step for step (docs/models.md 1.7), in
// Auryn's arithmetic: single precision (AurynState is float) in SI units (V, s, A, F), with
// the constants computed as NaudGroup::precalculate_constants does (float members, double
// intermediate expressions) and the operations in the order of its vector calls. State stays
// in the declared double arrays in apical's units; every step loads it into floats, and the
// float results are stored back exactly (float -> double -> float round-trips). Single
// precision matters: in double the long silent phases of I_s/I_d = 400/500 pA end one to three
// steps earlier and the table of docs/models.md 1.8 (a) is not reproduced. Per step s (Auryn's
// cycle at clock s - 1):
//   1. Synapses: current terms g (E - V_s) from the conductances at the start of the step
//      (V_d instead of V_s for the dendritic ones if dendritic_driving_force is dendrite), then the
//      conductances decay by exp(-dt/tau).
//   2. Membrane, forward Euler: f from V_d at the start of the step;
//      V_s += dt/tau_s (E_L - V_s); V_s += dt b/C_s w_s; V_s += dt g_s/C_s f;
//      V_d += dt/tau_d (E_L - V_d); V_d += dt a_w/C_d w_d; V_d += dt g_d/C_d f;
//      if the bAP box is on, V_d += dt c_d/C_d; then the synaptic terms times dt/tau;
//      w_s *= exp(-dt/tau_ws); w_d += dt/tau_wd ((V_d - E_L) - w_d) with the new V_d;
//      theta += dt/tau_theta (theta_0 - theta).
//   3. Threshold V_s > theta: spike at step s, reset as above (bAP countdown <- 20 steps).
//   4. The weights arriving at step s are added to the conductances (act from the next step).
//   5. Current injection (Auryn's CurrentInjector, a device that runs after the threshold
//      check): V_s += dt (I_s/C_s), V_d += dt (I_d/C_d), with the stimulus current of step s
//      (common plus per-neuron, e.g. noise_current; I/C rounded to float per neuron).
//   While refractory (t_ref > 0; Auryn has none) V_s is set to V_reset at the end of the step
//   and the threshold is not checked.
// Auryn stamps a spike with the clock at the start of its cycle, apical with the step that
// ends it: a spike Auryn writes at time T appears here at step T/dt + 1 (T + 0.1 ms).
// Known residual differences to Auryn, none of which occurs in the single-neuron table:
// several input spikes arriving in the same step are summed in double before the float
// addition (Auryn adds them one by one in float); weights in nS are divided by C/tau before
// they enter the float conductance; Auryn's NMDA channel is taken as switched off (every
// Payeur script sets set_nmda_ampa_current_ampl_ratio(0)); with -ffast-math Auryn may use a
// vectorised expf. Initial w_d: the engine's default is 0; Auryn starts at 0.1 mV (set the
// initial state of w_d to reproduce it).
// Vectorised (auryn): one Highway kernel over float arrays (8 lanes on AVX2, 16 on AVX-512).
// The state is converted to float (x / unit) at the start of each update and back
// (double(x) * unit) at its end, exact round trips; a step's ring-buffer rows are read,
// cleared and multiplied by 1/gL in double in the same pass, then rounded to float. Two knowing
// departures from the scalar single-precision code this replaced (both leave the table of
// docs/models.md 1.8 (a) unchanged, tests/test_burst_pyramidal.cpp): the sigmoid's exp is
// Highway's float Exp (within 1 ulp, as std::exp; not bitwise glibc's expf), and the weights
// are multiplied by 1/gL instead of divided by gL (the two doubles differ in the last bit at
// most, and then round to different floats only within that distance of a float boundary).
// While refractory, the recorded V_s is V_reset in single precision, as every other value.
//
// Vectorised (default step): steps 1-4 for all neurons are one Highway kernel
// (neurons/simd_inl.hpp, docs/architecture.md "Vectorised neuron updates") over padded arrays,
// reading and clearing the input rows in the same pass, and listing the neurons past
// threshold; the resets of those (and the ring of the sum mode's bAP boxes) are scalar. The
// RK4 stages are written in the coefficients of the right-hand side, which apart from the
// sigmoid is linear in (V_s, V_d, w_d) with coefficients known per step and stage time (see
// StepCoefficients), in fused multiply-adds; the sigmoid f is single precision (Highway's float
// Exp and a float division on the double lanes; f's relative error ~1e-7 moves V_d by ~1e-8 mV
// per step, far below RK4's error: docs/models.md 1.7.1). Measured against the reference at a
// 10 times finer step (tests/test_burst_pyramidal.cpp): 4.6e-7 mV on V_s, 9.4e-7 mV on V_d.
#ifndef APICAL_BURST_PYRAMIDAL_SHARED  // compiled once, not per SIMD target
#define APICAL_BURST_PYRAMIDAL_SHARED
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/error.hpp"
#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::burst_pyramidal_kernel {

// What the vectorised RK4 pass reads: the default step's constants ...
struct Constants {
    double E_L, E_exc, E_inh, E_d, inv_D_d, inv_tau_s, inv_tau_d, inv_C_s, inv_C_d, g_s, g_d, b, a_w, c_d,
        inv_tau_wd, h, V_reset, theta_0, decay_ws_half, decay_ws, decay_theta, decay_exc_half, decay_exc,
        decay_inh_half, decay_inh, bap_steps;
};
// ... and one step's arrays (padded), stimulus currents and choices.
struct Step {
    struct {
        double *vs, *vd, *ws, *wd, *th, *gsE, *gsI, *gdE, *gdI, *ref;
    } a;
    double* countdown;  // bAP countdown, moved on by one
    const double* K;    // bAP kernel of the step (sum mode), or nullptr: from the countdown (restart)
    double* x[4];     // input rows: soma exc, soma inh, dendrite exc, dendrite inh (cleared)
    double I_s, I_d;  // common stimulus currents
    const double *noise_s, *noise_d;  // per-neuron ones (nullptr: none)
    std::size_t n;
    bool drive_soma;
    // Out: the neurons past threshold and not refractory, in increasing order (rk4_all returns
    // their number); the refractory counters are counted down.
    std::uint32_t* spiking;
};

// Auryn's constants (NaudGroup::precalculate_constants and the synapse classes), float
// members computed from float parameters in SI units with double intermediate expressions.
struct AurynConstants {
    float e_rest, e_reset, e_thr, e_spk_thr, e_dend, xi, e_exc, e_inh;
    float mul_thr, mul_soma, mul_alpha, mul_wsoma, mul_dend, mul_beta, box_height, mul_wdend;
    float scale_wsoma, aux_mul_wdend, scale_ampa, scale_gaba, alpha;
    double C_s_SI, C_d_SI;  // F, for the injected I/C
    double gL_s, gL_d;  // nS: converts apical's conductances to Auryn's units and back
    double inv_gL_s, inv_gL_d;  // 1/gL: the arriving weights enter the float conductances
    float ref_steps, bap_steps, bap_total;  // t_ref, the bAP box and delay + box, in steps

    AurynConstants(const std::map<std::string, double>& p, double h_ms, int ref_steps_, int bap_delay_steps,
                   int bap_box_steps) {
        auto at = [&](const char* n) { return p.at(n); };
        // Unit conversions by exact powers of ten, so that e.g. 370 pF becomes the same float
        // as Auryn's literal 370e-12.
        auto V = [&](const char* n) { return float(at(n) / 1e3); };
        auto s = [&](const char* n) { return float(at(n) / 1e3); };
        auto A = [&](const char* n) { return float(at(n) / 1e12); };
        auto F = [&](const char* n) { return float(at(n) / 1e12); };
        const double dt = h_ms / 1e3;  // auryn_timestep (double)
        e_rest = V("E_L");
        e_reset = V("V_reset");
        e_thr = V("theta_0");
        e_spk_thr = V("Delta_theta");
        e_dend = V("E_d");
        const float Dthresh = V("D_d");
        xi = float(1.0 / Dthresh);
        e_exc = V("E_exc");
        e_inh = V("E_inh");
        const float tau_thr = s("tau_theta"), tau_soma = s("tau_s"), tau_dend = s("tau_d");
        const float tau_wsoma = s("tau_ws"), tau_wdend = s("tau_wd");
        const float tau_ampa = s("tau_AMPA"), tau_gaba = s("tau_GABA");
        const float Cs = F("C_s"), Cd = F("C_d"), gs = A("g_s"), gd = A("g_d");
        const float b_wsoma = A("b"), zeta = A("c_d");
        const float a_wdend = float(at("a_w") / 1e9);
        mul_thr = float(dt / tau_thr);
        mul_soma = float(dt / tau_soma);
        mul_alpha = float(dt * (gs / Cs));
        mul_wsoma = float(dt * (b_wsoma / Cs));
        mul_dend = float(dt / tau_dend);
        mul_beta = float(dt * (gd / Cd));
        box_height = float(dt * (zeta / Cd));
        mul_wdend = float(dt * (a_wdend / Cd));
        scale_wsoma = float(std::exp(-dt / tau_wsoma));
        aux_mul_wdend = float(dt / tau_wdend);
        scale_ampa = float(std::exp(-dt / tau_ampa));
        scale_gaba = float(std::exp(-dt / tau_gaba));
        alpha = float(dt);  // CurrentInjector: target += alpha * (I/C)
        C_s_SI = at("C_s") / 1e12;
        C_d_SI = at("C_d") / 1e12;
        gL_s = at("C_s") / at("tau_s");
        gL_d = at("C_d") / at("tau_d");
        inv_gL_s = 1.0 / gL_s;
        inv_gL_d = 1.0 / gL_d;
        ref_steps = float(ref_steps_);
        bap_steps = float(bap_box_steps);
        bap_total = float(bap_delay_steps + bap_box_steps);
    }
};

// reference_step_order: auryn, vectorised in single precision (8 lanes on AVX2, 16 on
// AVX-512). During an update the state lives in float arrays in Auryn's units (V, leak units),
// loaded from and stored back to the double state arrays once per update, not per step.
struct AurynArrays {
    float *vs, *vd, *ws, *wd, *th, *gsE, *gsI, *gdE, *gdI, *ref, *countdown;
};
// With per-neuron stimulus currents: a step's injected I/C per neuron.
struct AurynCurrents {
    double I_s, I_d;                  // common stimulus currents, pA
    const double *noise_s, *noise_d;  // per-neuron ones, pA
    float *cur_s, *cur_d;             // out: I/C (V/s) per neuron
    std::size_t n;
};
struct AurynStep {
    AurynArrays a;
    const float* K;  // bAP boxes covering the step (sum mode), or nullptr: from the countdown
    double* x[4];  // input rows, nS: soma exc, soma inh, dendrite exc, dendrite inh (cleared)
    float cur_s, cur_d;                // common I/C (V/s)
    const float *cur_s_row, *cur_d_row;  // per neuron (nullptr: the common ones)
    std::size_t n;
    bool drive_soma;
    std::uint32_t* spiking;  // out: the neurons that spiked in the step, in increasing order
};
}  // namespace apical::burst_pyramidal_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/burst_pyramidal.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::burst_pyramidal_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

// The restart-mode bAP kernel K of a step: the last spike's box covers the step iff its
// countdown is in [1, duration]. For double (default step) and float (auryn) vectors.
template <class D, class V>
V restart_kernel(D d, V countdown, V bap_steps) {
    const V zero = hn::Zero(d);
    return hn::IfThenElse(hn::And(hn::Gt(countdown, zero), hn::Le(countdown, bap_steps)), hn::Set(d, 1), zero);
}

struct Derivs {
    Vd vs, vd, wd;
};

// The right-hand side in the coefficients of a step (see the top of the file): within a step
// every term but the sigmoid is linear in (V_s, V_d, w_d) with coefficients that depend on the
// exactly known conductances and w_s at the stage time t (t0, t0 + h/2, t0 + h), so they are
// computed once per step and time, and each stage costs a few fused multiply-adds besides f:
//   dV_s/dt = B_s - A_s V_s + F_s f                        (all three times `free`)
//   dV_d/dt = B_d - A_d V_d - A_ds V_s + (g_d/C_d) f + (a_w/C_d) w_d
//   dw_d/dt = (V_d - w_d) / tau_wd - E_L / tau_wd
// with A_s = 1/tau_s + (g_sE + g_sI)/C_s, B_s = E_L/tau_s + (b w_s + g_sE E_exc + g_sI E_inh
// + I_s)/C_s, F_s = g_s/C_s; on the dendrite the synaptic terms go to A_d (driving force V_d)
// or to A_ds (driving force V_s, dendritic_driving_force: soma), B_d = E_L/tau_d + (g_dE E_exc
// + g_dI E_inh + I_d + c_d K)/C_d.
struct StepCoefficients {
    Vd A_s[3], B_s[3], A_d[3], B_d[3], A_ds[3], F_s;
};

struct Rhs {
    Vd neg_inv_D_d, E_d_inv_D_d, gC_d, awC_d, inv_tau_wd, neg_E_L_tau_wd;
    explicit Rhs(const Constants& c)
        : neg_inv_D_d(hn::Set(Dd(), -c.inv_D_d)), E_d_inv_D_d(hn::Set(Dd(), c.E_d * c.inv_D_d)),
          gC_d(hn::Set(Dd(), c.g_d * c.inv_C_d)), awC_d(hn::Set(Dd(), c.a_w * c.inv_C_d)),
          inv_tau_wd(hn::Set(Dd(), c.inv_tau_wd)), neg_E_L_tau_wd(hn::Set(Dd(), -c.E_L * c.inv_tau_wd)) {}
    // The sigmoid f(V_d) = 1 / (1 + exp(-(V_d - E_d)/D_d)), in single precision on the same
    // lanes (a vector of half the width): f's relative error is about 1e-7, which moves V_d by
    // ~1e-8 mV per step (docs/models.md 1.7.1), and it costs a quarter of the double Exp and
    // division. The exponent is capped at +-80, where f is 0 or 1 to float precision anyway,
    // so that the float Exp stays finite and its results normal.
    Vd sigmoid(Vd v_d) const {
        const Dh dh;
        const Vh e = exp_float(fma(v_d, neg_inv_D_d, E_d_inv_D_d));
        return hn::PromoteTo(Dd(), hn::Set(dh, 1.0f) / (hn::Set(dh, 1.0f) + e));
    }
    template <bool DriveSoma>
    Derivs at(const StepCoefficients& q, int t, Vd v_s, Vd v_d, Vd w_dend) const {
        const Vd f = sigmoid(v_d);
        Vd dvd = fma(awC_d, w_dend, fnma(q.A_d[t], v_d, q.B_d[t]));
        if constexpr (DriveSoma) dvd = fnma(q.A_ds[t], v_s, dvd);
        return {fma(q.F_s, f, fnma(q.A_s[t], v_s, q.B_s[t])), fma(gC_d, f, dvd),
                fma(v_d - w_dend, inv_tau_wd, neg_E_L_tau_wd)};
    }
};

// Steps 1-4 of the default step for every neuron (see the top of the file), up to the reset.
template <bool DriveSoma, bool Noise>
std::size_t rk4_slice(const Constants& c, const Step& s) {
    const Dd d;
    const Rhs rhs(c);
    const Vd h = hn::Set(d, c.h), half = hn::Set(d, 0.5 * c.h), h_6 = hn::Set(d, c.h / 6.0);
    const Vd zero = hn::Zero(d), one = hn::Set(d, 1.0), V_reset = hn::Set(d, c.V_reset);
    const Vd inv_C_s = hn::Set(d, c.inv_C_s), inv_C_d = hn::Set(d, c.inv_C_d), c_d_C_d = hn::Set(d, c.c_d * c.inv_C_d);
    const Vd g_s_C_s = hn::Set(d, c.g_s * c.inv_C_s);
    // The constant parts of the coefficients, and the factors of g(t0) and w_s(t0) at each time.
    const Vd base_s = hn::Set(d, c.E_L * c.inv_tau_s + s.I_s * c.inv_C_s);
    const Vd base_d = hn::Set(d, c.E_L * c.inv_tau_d + s.I_d * c.inv_C_d);
    const Vd inv_tau_s = hn::Set(d, c.inv_tau_s), inv_tau_d = hn::Set(d, c.inv_tau_d);
    const StageConductances soma(c.decay_exc_half, c.decay_exc, c.decay_inh_half, c.decay_inh, c.inv_C_s, c.E_exc,
                                 c.E_inh);
    const StageConductances dendrite(c.decay_exc_half, c.decay_exc, c.decay_inh_half, c.decay_inh, c.inv_C_d, c.E_exc,
                                     c.E_inh);
    Vd cb_s[3];  // decay_ws(t) b / C_s: w_s's share of B_s
    {
        const double dws[3] = {1.0, c.decay_ws_half, c.decay_ws};
        for (int t = 0; t < 3; ++t) cb_s[t] = hn::Set(d, dws[t] * c.inv_C_s * c.b);
    }
    const Vd dws = hn::Set(d, c.decay_ws), dexc = hn::Set(d, c.decay_exc), dinh = hn::Set(d, c.decay_inh);
    const Vd theta_0 = hn::Set(d, c.theta_0), decay_theta = hn::Set(d, c.decay_theta);
    const Vd bap_steps = hn::Set(d, c.bap_steps);
    const auto& a = s.a;
    std::size_t n_spiking = 0;
    // U vectors of neurons at a time, each stage for all of them before the next: a stage's
    // sigmoid (Exp, then a division) is a long chain of dependent instructions, and one
    // vector's whole step is longer than the out-of-order window, so one vector at a time left
    // the core waiting on that chain. The arrays are padded to simd_pad elements, whole groups
    // of U vectors.
    constexpr std::size_t U = rk4_vectors;
    const std::size_t L = hn::Lanes(d);
    for (std::size_t i0 = 0; i0 < s.n; i0 += U * L) {
        Vd v_s[U], v_d[U], w_dend[U], ws0[U], ge_s0[U], gi_s0[U], ge_d0[U], gi_d0[U];
        StepCoefficients q[U];
        Md refractory[U];
        for (std::size_t u = 0; u < U; ++u) {
            const std::size_t i = i0 + u * L;
            // Step 1: K (restart: the last spike's box covers the step iff its countdown is in
            // [1, duration]); the countdown moves on.
            const Vd countdown = hn::LoadU(d, s.countdown + i);
            const Vd K = s.K ? hn::LoadU(d, s.K + i) : restart_kernel(d, countdown, bap_steps);
            hn::StoreU(hn::Max(countdown - one, zero), d, s.countdown + i);
            // V_s clamped while refractory: its coefficients are zero.
            refractory[u] = hn::Gt(hn::LoadU(d, a.ref + i), zero);
            const Vd free = hn::IfThenElse(refractory[u], zero, one);
            // Constant over the step: the stimulus currents and the bAP.
            const Vd b_s = Noise ? fma(load_unpadded(s.noise_s, i, s.n), inv_C_s, base_s) : base_s;
            Vd b_d = Noise ? fma(load_unpadded(s.noise_d, i, s.n), inv_C_d, base_d) : base_d;
            b_d = fma(c_d_C_d, K, b_d);
            v_s[u] = hn::LoadU(d, a.vs + i), v_d[u] = hn::LoadU(d, a.vd + i), w_dend[u] = hn::LoadU(d, a.wd + i);
            ws0[u] = hn::LoadU(d, a.ws + i);
            ge_s0[u] = hn::LoadU(d, a.gsE + i), gi_s0[u] = hn::LoadU(d, a.gsI + i);
            ge_d0[u] = hn::LoadU(d, a.gdE + i), gi_d0[u] = hn::LoadU(d, a.gdI + i);
            q[u].F_s = free * g_s_C_s;
            for (int t = 0; t < 3; ++t) {
                q[u].A_s[t] = free * soma.rate(t, ge_s0[u], gi_s0[u], inv_tau_s);
                q[u].B_s[t] = free * soma.drive(t, ge_s0[u], gi_s0[u], fma(ws0[u], cb_s[t], b_s));
                const Vd syn_d = dendrite.rate(t, ge_d0[u], gi_d0[u], zero);
                if constexpr (DriveSoma) {
                    q[u].A_d[t] = inv_tau_d, q[u].A_ds[t] = syn_d;
                } else {
                    q[u].A_d[t] = inv_tau_d + syn_d;
                }
                q[u].B_d[t] = dendrite.drive(t, ge_d0[u], gi_d0[u], b_d);
            }
        }
        // RK4 stage j at the time of index t, from the state plus step * k.
        Derivs k1[U], k2[U], k3[U], k4[U];
        const auto stage = [&](std::size_t u, int t, const Derivs* k, Vd step) {
            const Vd vs = k ? fma(step, k->vs, v_s[u]) : v_s[u];
            const Vd vd = k ? fma(step, k->vd, v_d[u]) : v_d[u];
            const Vd wd = k ? fma(step, k->wd, w_dend[u]) : w_dend[u];
            return rhs.at<DriveSoma>(q[u], t, vs, vd, wd);
        };
        for (std::size_t u = 0; u < U; ++u) k1[u] = stage(u, 0, nullptr, zero);
        for (std::size_t u = 0; u < U; ++u) k2[u] = stage(u, 1, &k1[u], half);
        for (std::size_t u = 0; u < U; ++u) k3[u] = stage(u, 1, &k2[u], half);
        for (std::size_t u = 0; u < U; ++u) k4[u] = stage(u, 2, &k3[u], h);
        for (std::size_t u = 0; u < U; ++u) {
            const std::size_t i = i0 + u * L;
            const Derivs &q1 = k1[u], &q2 = k2[u], &q3 = k3[u], &q4 = k4[u];
            const Vd vs_new = hn::IfThenElse(refractory[u], V_reset, rk4_combine(v_s[u], q1.vs, q2.vs, q3.vs, q4.vs, h_6));
            hn::StoreU(vs_new, d, a.vs + i);
            hn::StoreU(rk4_combine(v_d[u], q1.vd, q2.vd, q3.vd, q4.vd, h_6), d, a.vd + i);
            hn::StoreU(rk4_combine(w_dend[u], q1.wd, q2.wd, q3.wd, q4.wd, h_6), d, a.wd + i);
            hn::StoreU(ws0[u] * dws, d, a.ws + i);
            const Vd th_new = fma(hn::LoadU(d, a.th + i) - theta_0, decay_theta, theta_0);
            hn::StoreU(th_new, d, a.th + i);
            hn::StoreU(fma(ge_s0[u], dexc, take_input(s.x[0], i)), d, a.gsE + i);
            hn::StoreU(fma(gi_s0[u], dinh, take_input(s.x[1], i)), d, a.gsI + i);
            hn::StoreU(fma(ge_d0[u], dexc, take_input(s.x[2], i)), d, a.gdE + i);
            hn::StoreU(fma(gi_d0[u], dinh, take_input(s.x[3], i)), d, a.gdI + i);
            // Step 4: refractory countdown, or the threshold test (the reset is the caller's).
            const Vd ref = hn::LoadU(d, a.ref + i);
            hn::StoreU(hn::IfThenElse(refractory[u], ref - one, ref), d, a.ref + i);
            for_each_lane(hn::AndNot(refractory[u], hn::Gt(vs_new, th_new)), i, s.n,
                          [&](std::size_t k) { s.spiking[n_spiking++] = std::uint32_t(k); });
        }
    }
    return n_spiking;
}

std::size_t rk4_all(const Constants& c, const Step& s) {
    const bool noise = s.noise_s != nullptr;
    if (s.drive_soma)
        return noise ? rk4_slice<true, true>(c, s) : rk4_slice<true, false>(c, s);
    return noise ? rk4_slice<false, true>(c, s) : rk4_slice<false, false>(c, s);
}


// Converts n values between the double state arrays (apical's units) and the float ones
// (Auryn's): to_float y = float(x / unit), to_double x = double(y) * unit. A float stored with
// to_double comes back unchanged (the product is within a few double ulps of y * unit).
void to_float(const double* x, float* y, std::size_t n, double unit) {
    const Dd d;
    const hn::Rebind<float, Dd> df;
    const Vd u = hn::Set(d, unit);
    for (std::size_t i = 0; i < n; i += hn::Lanes(d)) hn::StoreU(hn::DemoteTo(df, hn::LoadU(d, x + i) / u), df, y + i);
}
void to_double(const float* y, double* x, std::size_t n, double unit) {
    const Dd d;
    const hn::Rebind<float, Dd> df;
    const Vd u = hn::Set(d, unit);
    for (std::size_t i = 0; i < n; i += hn::Lanes(d)) hn::StoreU(hn::PromoteTo(d, hn::LoadU(df, y + i)) * u, d, x + i);
}

// With per-neuron stimulus currents, a step's I/C = float(((I + I_i) / 1e12) / C) per neuron,
// as the scalar reference computes it.
void auryn_currents(const AurynConstants& c, const AurynCurrents& s) {
    const Dd d;
    const hn::Rebind<float, Dd> df;
    const Vd I_s = hn::Set(d, s.I_s), I_d = hn::Set(d, s.I_d), pico = hn::Set(d, 1e12);
    const Vd C_s = hn::Set(d, c.C_s_SI), C_d = hn::Set(d, c.C_d_SI);
    for (std::size_t i = 0; i < s.n; i += hn::Lanes(d)) {
        hn::StoreU(hn::DemoteTo(df, ((I_s + load_unpadded(s.noise_s, i, s.n)) / pico) / C_s), df, s.cur_s + i);
        hn::StoreU(hn::DemoteTo(df, ((I_d + load_unpadded(s.noise_d, i, s.n)) / pico) / C_d), df, s.cur_d + i);
    }
}

// A float vector of a step's input (nS times 1/gL, in double, then rounded to float) from a
// ring-buffer row of doubles, which is cleared: two double vectors make one float vector.
inline Vf take_input_float(double* row, std::size_t i, Vd inv_gL) {
    const Df df;
#if HWY_TARGET == HWY_SCALAR
    return hn::DemoteTo(df, take_input(row, i) * inv_gL);
#else
    const Dd d;
    const hn::Half<Df> dh;
    const auto lo = hn::DemoteTo(dh, take_input(row, i) * inv_gL);
    const auto hi = hn::DemoteTo(dh, take_input(row, i + hn::Lanes(d)) * inv_gL);
    return hn::Combine(df, hi, lo);
#endif
}

// Steps 1-5 of Auryn's cycle (top of the file) for every neuron, in the order of the scalar
// single-precision code it replaces; returns the number of neurons that spiked.
template <bool DriveSoma, bool Noise>
std::size_t auryn_slice(const AurynConstants& c, const AurynStep& s) {
    const Df d;
    const Vf zero = hn::Zero(d), one = hn::Set(d, 1.0f);
    const Vf e_rest = hn::Set(d, c.e_rest), e_reset = hn::Set(d, c.e_reset), e_thr = hn::Set(d, c.e_thr);
    const Vf e_spk_thr = hn::Set(d, c.e_spk_thr), neg_e_dend = hn::Set(d, -c.e_dend), neg_xi = hn::Set(d, -c.xi);
    const Vf e_exc = hn::Set(d, c.e_exc), e_inh = hn::Set(d, c.e_inh);
    const Vf mul_thr = hn::Set(d, c.mul_thr), mul_soma = hn::Set(d, c.mul_soma), mul_alpha = hn::Set(d, c.mul_alpha);
    const Vf mul_wsoma = hn::Set(d, c.mul_wsoma), mul_dend = hn::Set(d, c.mul_dend), mul_beta = hn::Set(d, c.mul_beta);
    const Vf box_height = hn::Set(d, c.box_height), mul_wdend = hn::Set(d, c.mul_wdend);
    const Vf scale_wsoma = hn::Set(d, c.scale_wsoma), aux_mul_wdend = hn::Set(d, c.aux_mul_wdend);
    const Vf scale_ampa = hn::Set(d, c.scale_ampa), scale_gaba = hn::Set(d, c.scale_gaba), alpha = hn::Set(d, c.alpha);
    const Vf neg_e_rest = hn::Set(d, -c.e_rest), ref_steps = hn::Set(d, c.ref_steps);
    const Vf bap_steps = hn::Set(d, c.bap_steps), bap_total = hn::Set(d, c.bap_total);
    const Vf cur_s_common = hn::Set(d, s.cur_s), cur_d_common = hn::Set(d, s.cur_d);
    const Vf exp_max = hn::Set(d, 104.0f);
    const Vd inv_gL_s = hn::Set(Dd(), c.inv_gL_s), inv_gL_d = hn::Set(Dd(), c.inv_gL_d);
    const auto& a = s.a;
    std::size_t n_spiking = 0;
    for (std::size_t i = 0; i < s.n; i += hn::Lanes(d)) {
        // The bAP kernel of the step (restart: the last spike's box covers the step iff its
        // countdown is in [1, duration]); the countdown moves on.
        const Vf countdown = hn::LoadU(d, a.countdown + i);
        const Vf K = s.K ? hn::LoadU(d, s.K + i) : restart_kernel(d, countdown, bap_steps);
        Vf v_s = hn::LoadU(d, a.vs + i), v_d = hn::LoadU(d, a.vd + i);
        Vf w_soma = hn::LoadU(d, a.ws + i), w_dend = hn::LoadU(d, a.wd + i), thr = hn::LoadU(d, a.th + i);
        Vf ge_s = hn::LoadU(d, a.gsE + i), gi_s = hn::LoadU(d, a.gsI + i);
        Vf ge_d = hn::LoadU(d, a.gdE + i), gi_d = hn::LoadU(d, a.gdI + i);
        // 1. Synapses.
        const Vf v_syn_d = DriveSoma ? v_s : v_d;
        const Vf syn_exc_s = ge_s * (e_exc - v_s);
        const Vf syn_inh_s = (e_inh - v_s) * gi_s;
        const Vf syn_exc_d = ge_d * (e_exc - v_syn_d);
        const Vf syn_inh_d = (e_inh - v_syn_d) * gi_d;
        ge_s = ge_s * scale_ampa;
        gi_s = gi_s * scale_gaba;
        ge_d = ge_d * scale_ampa;
        gi_d = gi_d * scale_gaba;
        // 2. Membrane. 1/(1 + e) in float equals the reference's float(1.0 / double(1 + e)):
        // a quotient of floats computed in double and rounded to float is the float quotient.
        // Highway's Exp is valid up to 104 (e^104 is inf in float already, as std::exp's).
        const Vf f = one / (hn::Exp(d, hn::Min((v_d + neg_e_dend) * neg_xi, exp_max)) + one);
        v_s = v_s + mul_soma * (e_rest - v_s);
        v_s = v_s + mul_wsoma * w_soma;
        v_s = v_s + mul_alpha * f;
        v_d = v_d + mul_dend * (e_rest - v_d);
        v_d = v_d + mul_wdend * w_dend;
        v_d = v_d + mul_beta * f;
        if (s.K) {  // sum mode: one box height per box, added one by one
            for (Vf k = zero; !hn::AllFalse(d, hn::Gt(K, k)); k = k + one)
                v_d = hn::IfThenElse(hn::Gt(K, k), v_d + box_height, v_d);
        } else {
            v_d = hn::IfThenElse(hn::Gt(K, zero), v_d + box_height, v_d);
        }
        v_s = v_s + mul_soma * syn_exc_s;
        v_s = v_s + mul_soma * syn_inh_s;
        v_d = v_d + mul_dend * syn_exc_d;
        v_d = v_d + mul_dend * syn_inh_d;
        w_soma = w_soma * scale_wsoma;
        w_dend = w_dend + aux_mul_wdend * ((v_d + neg_e_rest) - w_dend);
        thr = thr + mul_thr * (e_thr - thr);
        // 3. Threshold, unless refractory (then the count goes down).
        const Vf ref = hn::LoadU(d, a.ref + i);
        const Mf refractory = hn::Gt(ref, zero);
        const Mf spike = hn::AndNot(refractory, hn::Gt(v_s, thr));
        v_s = hn::IfThenElse(spike, e_reset, v_s);
        thr = hn::IfThenElse(spike, thr + e_spk_thr, thr);
        w_soma = hn::IfThenElse(spike, w_soma + one, w_soma);
        hn::StoreU(hn::IfThenElse(refractory, ref - one, hn::IfThenElse(spike, ref_steps, ref)), d, a.ref + i);
        hn::StoreU(hn::IfThenElse(spike, bap_total, hn::Max(countdown - one, zero)), d, a.countdown + i);
        // 4. Arriving weights. 5. Current injection; V_s held at V_reset while refractory.
        hn::StoreU(ge_s + take_input_float(s.x[0], i, inv_gL_s), d, a.gsE + i);
        hn::StoreU(gi_s + take_input_float(s.x[1], i, inv_gL_s), d, a.gsI + i);
        hn::StoreU(ge_d + take_input_float(s.x[2], i, inv_gL_d), d, a.gdE + i);
        hn::StoreU(gi_d + take_input_float(s.x[3], i, inv_gL_d), d, a.gdI + i);
        const Vf cur_s = Noise ? hn::LoadU(d, s.cur_s_row + i) : cur_s_common;
        const Vf cur_d = Noise ? hn::LoadU(d, s.cur_d_row + i) : cur_d_common;
        v_s = v_s + alpha * cur_s;
        v_d = v_d + alpha * cur_d;
        hn::StoreU(hn::IfThenElse(refractory, e_reset, v_s), d, a.vs + i);
        hn::StoreU(v_d, d, a.vd + i);
        hn::StoreU(w_soma, d, a.ws + i);
        hn::StoreU(w_dend, d, a.wd + i);
        hn::StoreU(thr, d, a.th + i);
        for_each_lane(spike, i, s.n, [&](std::size_t k) { s.spiking[n_spiking++] = std::uint32_t(k); });
    }
    return n_spiking;
}

std::size_t auryn_all(const AurynConstants& c, const AurynStep& s) {
    const bool noise = s.cur_s_row != nullptr;
    if (s.drive_soma)
        return noise ? auryn_slice<true, true>(c, s) : auryn_slice<true, false>(c, s);
    return noise ? auryn_slice<false, true>(c, s) : auryn_slice<false, false>(c, s);
}

}  // namespace apical::burst_pyramidal_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical::burst_pyramidal_kernel {
APICAL_EXPORT_KERNEL(rk4_all)
APICAL_EXPORT_KERNEL(auryn_all)
APICAL_EXPORT_KERNEL(auryn_currents)
APICAL_EXPORT_KERNEL(to_float)
APICAL_EXPORT_KERNEL(to_double)
}

namespace apical {

namespace {

enum State { V_s, V_d, w_s, w_d, theta, g_s_E, g_s_I, g_d_E, g_d_I, bAP_countdown, refractory_count };
enum Receptor { soma_exc, soma_inh, dendrite_exc, dendrite_inh };
// ModelInfo::options in declaration order, and the indices of their values.
enum Option { reference_step_order, dendritic_driving_force, bAP_summation };
enum StepOrder { order_default, order_auryn };
enum DrivingForce { driving_dendrite, driving_soma };
enum Summation { summation_restart, summation_sum };

class BurstPyramidal final : public NeuronGroup {
public:
    BurstPyramidal(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                   const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          E_L_(parameter(p, "E_L")), V_reset_(parameter(p, "V_reset")),
          theta_0_(parameter(p, "theta_0")), Delta_theta_(parameter(p, "Delta_theta")),
          E_exc_(parameter(p, "E_exc")), E_inh_(parameter(p, "E_inh")),
          E_d_(parameter(p, "E_d")), inv_D_d_(1.0 / parameter(p, "D_d")),
          inv_tau_s_(1.0 / parameter(p, "tau_s")), inv_tau_d_(1.0 / parameter(p, "tau_d")),
          inv_C_s_(1.0 / parameter(p, "C_s")), inv_C_d_(1.0 / parameter(p, "C_d")),
          g_s_(parameter(p, "g_s")), g_d_(parameter(p, "g_d")), b_(parameter(p, "b")),
          a_w_(parameter(p, "a_w")), c_d_(parameter(p, "c_d")),
          inv_tau_wd_(1.0 / parameter(p, "tau_wd")), h_(h),
          decay_ws_half_(std::exp(-0.5 * h / parameter(p, "tau_ws"))),
          decay_ws_(std::exp(-h / parameter(p, "tau_ws"))),
          decay_theta_(std::exp(-h / parameter(p, "tau_theta"))),
          decay_exc_half_(std::exp(-0.5 * h / parameter(p, "tau_AMPA"))),
          decay_exc_(std::exp(-h / parameter(p, "tau_AMPA"))),
          decay_inh_half_(std::exp(-0.5 * h / parameter(p, "tau_GABA"))),
          decay_inh_(std::exp(-h / parameter(p, "tau_GABA"))),
          bap_delay_(refractory_steps(parameter(p, "bAP_delay"))),
          bap_steps_(refractory_steps(parameter(p, "bAP_duration"))),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          auryn_(ctx.option(reference_step_order) == order_auryn),
          drive_soma_(ctx.option(dendritic_driving_force) == driving_soma),
          sum_(ctx.option(bAP_summation) == summation_sum),
          ac_(p, h, ref_steps_, bap_delay_, bap_steps_), kernel_(size(), 0.0),
          kc_{E_L_, E_exc_, E_inh_, E_d_, inv_D_d_, inv_tau_s_, inv_tau_d_, inv_C_s_, inv_C_d_, g_s_, g_d_, b_, a_w_,
              c_d_, inv_tau_wd_, h_, V_reset_, theta_0_, decay_ws_half_, decay_ws_, decay_theta_, decay_exc_half_,
              decay_exc_, decay_inh_half_, decay_inh_, double(bap_steps_)},
          candidates_(size()) {
        select_simd_target();
        if (auryn_) {
            for (auto& x : floats_) x.assign(size(), 0.0f);
            for (auto& x : current_float_) x.assign(size(), 0.0f);
            if (sum_) kernel_float_.assign(size(), 0.0f);
        }
        if (sum_) {
            ring_len_ = bap_delay_ + bap_steps_ + 1;
            ring_.assign(size() * std::size_t(ring_len_), 0);
            active_.assign(size(), 0);
        }
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        // Per-neuron stimulus currents (noise_current) or not, chosen once per slice.
        with_neuron_current(in, [&](auto noise) {
            constexpr bool Noise = decltype(noise)::value;
            if (auryn_)
                update_auryn<Noise>(in, spikes);
            else if (drive_soma_)
                update_default<true, Noise>(in, spikes);
            else
                update_default<false, Noise>(in, spikes);
        });
    }

    // Sum mode: the spike flags of the last steps and the boxes covering the current step.
    std::vector<OwnStateArray> own_state() override {
        if (!sum_) return {};
        return {{"bap_ring", ring_.data(), std::size_t(ring_len_)},
                {"bap_active", active_.data()}};
    }

private:
    // The bAP kernel K (number of boxes covering a step). Restart: the box of the last spike
    // covers the step iff its countdown k (set to delay + duration at the spike) is in
    // [1, duration]; both step orders do this inside their vectorised pass. Sum (bap_sum, per
    // step before the pass): the spikes at steps step - delay - duration .. step - delay - 1,
    // counted in a ring of spike flags, into kernel_.
    void bap_sum(step_t step) {
        const std::size_t n = size();
        const std::size_t L = std::size_t(ring_len_);
        const std::size_t enter = std::size_t((step - bap_delay_ - 1) % ring_len_ + ring_len_) % L;
        const std::size_t leave = std::size_t(step % ring_len_);  // step - L
        for (std::size_t i = 0; i < n; ++i) {
            std::uint8_t* r = ring_.data() + i * L;
            active_[i] += int(r[enter]) - int(r[leave]);
            r[leave] = 0;  // slot of this step: set below if the neuron spikes now
            kernel_[i] = double(active_[i]);
        }
    }
    void note_spike(std::size_t i, step_t step) {
        state(bAP_countdown)[i] = double(bap_delay_ + bap_steps_);
        if (sum_) mark_bap_ring(i, step);
    }
    void mark_bap_ring(std::size_t i, step_t step) { ring_[i * std::size_t(ring_len_) + std::size_t(step % ring_len_)] = 1; }

    // The state arrays both step orders work on.
    struct Arrays {
        double *vs, *vd, *ws, *wd, *th, *gsE, *gsI, *gdE, *gdI, *ref;
    };
    Arrays arrays() {
        return {state(V_s).data(),   state(V_d).data(),   state(w_s).data(),   state(w_d).data(),
                state(theta).data(), state(g_s_E).data(), state(g_s_I).data(), state(g_d_E).data(),
                state(g_d_I).data(), state(refractory_count).data()};
    }

    template <bool DriveSoma, bool Noise>
    void update_default(const SliceInput& in, std::vector<Spike>& spikes) {
        const std::size_t n = size();
        auto [vs, vd, ws, wd, th, gsE, gsI, gdE, gdI, ref] = arrays();
        const double* soma_current = in.stimulus_current(0);
        const double* dend_current = in.stimulus_current(1);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = input(soma_exc).slot_of(step);
            if (sum_) bap_sum(step);
            // Steps 1 (restart mode) to 4 up to the threshold test, for every neuron; clears the
            // input rows and lists the neurons past threshold.
            const burst_pyramidal_kernel::Step st{
                {vs, vd, ws, wd, th, gsE, gsI, gdE, gdI, ref}, state(bAP_countdown).data(),
                sum_ ? kernel_.data() : nullptr,
                {input(soma_exc).row(slot), input(soma_inh).row(slot), input(dendrite_exc).row(slot),
                 input(dendrite_inh).row(slot)},
                soma_current[k], dend_current[k], Noise ? in.neuron_current_row(0, k, n) : nullptr,
                Noise ? in.neuron_current_row(1, k, n) : nullptr, n, DriveSoma, candidates_.data()};
            const std::size_t n_spiking = burst_pyramidal_kernel::rk4_all_best(kc_, st);
            for (std::size_t c = 0; c < n_spiking; ++c) {
                const std::size_t i = candidates_[c];
                spikes.push_back({step, gids_[i], 0.0f});
                vs[i] = V_reset_;
                th[i] += Delta_theta_;
                ws[i] += 1.0;
                ref[i] = ref_steps_;
                note_spike(i, step);
            }
        }
    }

    // Auryn's cycle in single precision and SI units (see the top of the file), vectorised:
    // the state is converted to float once per update, each step runs over float arrays.
    template <bool Noise>
    void update_auryn(const SliceInput& in, std::vector<Spike>& spikes) {
        namespace bk = burst_pyramidal_kernel;
        const bk::AurynConstants& c = ac_;
        const std::size_t n = size();
        auto [vs, vd, ws, wd, th, gsE, gsI, gdE, gdI, ref] = arrays();
        const std::pair<double*, double> doubles[n_auryn_floats] = {
            {vs, 1e3},       {vd, 1e3},       {ws, 1.0},       {wd, 1e3},      {th, 1e3},
            {gsE, c.gL_s},   {gsI, c.gL_s},   {gdE, c.gL_d},   {gdI, c.gL_d},  {ref, 1.0},
            {state(bAP_countdown).data(), 1.0}};
        for (int v = 0; v < n_auryn_floats; ++v)
            bk::to_float_best(doubles[v].first, floats_[std::size_t(v)].data(), n, doubles[v].second);
        auto f = [&](int v) { return floats_[std::size_t(v)].data(); };
        const bk::AurynArrays fa{f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8), f(9), f(10)};
        const double* soma_current = in.stimulus_current(0);
        const double* dend_current = in.stimulus_current(1);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = input(soma_exc).slot_of(step);
            if (sum_) {
                bap_sum(step);
                bk::to_float_best(kernel_.data(), kernel_float_.data(), n, 1.0);
            }
            float* cur_s = current_float_[0].data();
            float* cur_d = current_float_[1].data();
            if (Noise)
                bk::auryn_currents_best(c, bk::AurynCurrents{soma_current[k], dend_current[k],
                                                            in.neuron_current_row(0, k, n),
                                                            in.neuron_current_row(1, k, n), cur_s, cur_d, n});
            // CurrentInjector's currents vector: I/C in V/s, float.
            const bk::AurynStep st{fa,
                                   sum_ ? kernel_float_.data() : nullptr,
                                   {input(soma_exc).row(slot), input(soma_inh).row(slot),
                                    input(dendrite_exc).row(slot), input(dendrite_inh).row(slot)},
                                   float((soma_current[k] / 1e12) / c.C_s_SI),
                                   float((dend_current[k] / 1e12) / c.C_d_SI),
                                   Noise ? cur_s : nullptr,
                                   Noise ? cur_d : nullptr,
                                   n,
                                   drive_soma_,
                                   candidates_.data()};
            const std::size_t n_spiking = bk::auryn_all_best(c, st);
            for (std::size_t s = 0; s < n_spiking; ++s) {
                const std::size_t i = candidates_[s];
                spikes.push_back({step, gids_[i], 0.0f});
                if (sum_) mark_bap_ring(i, step);
            }
        }
        for (int v = 0; v < n_auryn_floats; ++v)
            bk::to_double_best(floats_[std::size_t(v)].data(), doubles[v].first, n, doubles[v].second);
    }

    double E_L_, V_reset_, theta_0_, Delta_theta_, E_exc_, E_inh_, E_d_, inv_D_d_;
    double inv_tau_s_, inv_tau_d_, inv_C_s_, inv_C_d_, g_s_, g_d_, b_, a_w_, c_d_, inv_tau_wd_, h_;
    double decay_ws_half_, decay_ws_, decay_theta_;
    double decay_exc_half_, decay_exc_, decay_inh_half_, decay_inh_;
    int bap_delay_, bap_steps_, ref_steps_;
    bool auryn_, drive_soma_, sum_;
    burst_pyramidal_kernel::AurynConstants ac_;
    PaddedVector<double> kernel_;     // K of the current step, per neuron
    burst_pyramidal_kernel::Constants kc_;
    std::vector<std::uint32_t> candidates_;  // default step: the neurons spiking in the step
    int ring_len_ = 0;                // sum mode: spike flags of the last delay + duration + 1 steps
    std::vector<std::uint8_t> ring_;  // [neuron][step % ring_len_]
    std::vector<int> active_;         // sum mode: boxes covering the current step
    // The auryn order's float copies: the state (V_s, V_d, w_s, w_d, theta, the four
    // conductances, refractory count, bAP countdown) during an update, the per-neuron I/C
    // and the sum mode's K.
    static constexpr int n_auryn_floats = 11;
    std::array<PaddedVector<float>, n_auryn_floats> floats_;
    std::array<PaddedVector<float>, 2> current_float_;
    PaddedVector<float> kernel_float_;
};

}  // namespace

const ModelInfo& burst_pyramidal_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "burst_pyramidal";
        const double inf = std::numeric_limits<double>::infinity();
        // Defaults: Auryn NaudGroup::init (docs/models.md 1.6), the same numbers as the independent
        // re-implementation in neuralml/BurstCCN-journal.
        m.parameters = {
            {"E_L", Dimension::voltage, -70.0},
            {"V_reset", Dimension::voltage, -70.0},
            {"theta_0", Dimension::voltage, -50.0},
            {"Delta_theta", Dimension::voltage, 2.0},
            {"tau_theta", Dimension::time, 27.0, -inf, inf, true},
            {"tau_s", Dimension::time, 16.0, -inf, inf, true},
            {"C_s", Dimension::capacitance, 370.0, -inf, inf, true},
            {"g_s", Dimension::current, 1300.0},
            {"tau_ws", Dimension::time, 100.0, -inf, inf, true},
            {"b", Dimension::current, -200.0},
            {"tau_d", Dimension::time, 7.0, -inf, inf, true},
            {"C_d", Dimension::capacitance, 170.0, -inf, inf, true},
            {"g_d", Dimension::current, 1200.0},
            {"tau_wd", Dimension::time, 30.0, -inf, inf, true},
            {"a_w", Dimension::conductance, -13.0},
            {"c_d", Dimension::current, 2600.0},
            {"E_d", Dimension::voltage, -38.0},
            {"D_d", Dimension::voltage, 6.0, -inf, inf, true},
            {"tau_AMPA", Dimension::time, 5.0, -inf, inf, true},
            {"tau_GABA", Dimension::time, 10.0, -inf, inf, true},
            {"E_exc", Dimension::voltage, 0.0},
            {"E_inh", Dimension::voltage, -80.0},
            // bAP_summation sum keeps delay + duration + 1 steps per neuron: bounded as delays.
            counted_in_steps({"bAP_delay", Dimension::time, 0.0, 0.0, inf}, 65535),
            counted_in_steps({"bAP_duration", Dimension::time, 2.0, 0.0, inf}, 65535),
            counted_in_steps({"t_ref", Dimension::time, 0.0, 0.0, inf}),
        };
        m.state = {{"V_s", Dimension::voltage, "E_L"},
                   {"V_d", Dimension::voltage, "E_L"},
                   {"w_s", Dimension::dimensionless, ""},
                   {"w_d", Dimension::voltage, ""},
                   {"theta", Dimension::voltage, "theta_0"},
                   {"g_s_E", Dimension::conductance, ""},
                   {"g_s_I", Dimension::conductance, ""},
                   {"g_d_E", Dimension::conductance, ""},
                   {"g_d_I", Dimension::conductance, ""},
                   {"bAP_countdown", Dimension::dimensionless, ""},
                   {"refractory_count", Dimension::dimensionless, ""}};
        m.receptors = {{"soma.exc", Dimension::conductance, false},
                       {"soma.inh", Dimension::conductance, false},
                       {"dendrite.exc", Dimension::conductance, false},
                       {"dendrite.inh", Dimension::conductance, false}};
        m.compartments = {"soma", "dendrite"};
        m.options = {{"reference_step_order", {"default", "auryn"}},
                     {"dendritic_driving_force", {"dendrite", "soma"}},
                     {"bAP_summation", {"restart", "sum"}}};
        m.route_by_sign = false;
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!(p.at("V_reset") < p.at("theta_0"))) return "V_reset below theta_0";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_burst_pyramidal(std::vector<gid_t> gids, int n_slots, double dt,
                                                  const std::map<std::string, double>& p,
                                                  const ModelContext& context) {
    const auto& options = burst_pyramidal_info().options;
    for (std::size_t o = 0; o < options.size(); ++o)  // resolved by the description layer
        APICAL_ASSERT(context.option(o) >= 0 && std::size_t(context.option(o)) < options[o].second.size());
    return std::make_unique<BurstPyramidal>(burst_pyramidal_info(), std::move(gids), n_slots, dt, p, context);
}

}  // namespace apical
#endif  // HWY_ONCE
