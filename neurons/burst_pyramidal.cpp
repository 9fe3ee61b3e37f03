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
//
// Vectorised (default step): steps 1-4 for all neurons are one Highway kernel
// (neurons/simd_inl.hpp, docs/architecture.md "Vectorised neuron updates") over padded arrays,
// with Highway's Exp for the sigmoid f (within 1 ulp of std::exp, not bitwise it; fused
// multiply-add inside Exp on AVX2/AVX-512), reading and clearing the input rows in the same
// pass, and listing the neurons past threshold; the resets of those (and the ring of the sum
// mode's bAP boxes) are scalar. The auryn order is unchanged (scalar single precision).
#ifndef APICAL_BURST_PYRAMIDAL_SHARED  // compiled once, not per SIMD target
#define APICAL_BURST_PYRAMIDAL_SHARED
#include <algorithm>
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

}  // namespace apical::burst_pyramidal_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/burst_pyramidal.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::burst_pyramidal_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

struct Derivs {
    Vd vs, vd, wd;
};

struct Rhs {
    Vd E_L, E_exc, E_inh, E_d, inv_D_d, inv_tau_s, inv_tau_d, inv_C_s, inv_C_d, g_s, g_d, b, a_w, inv_tau_wd, one;
    explicit Rhs(const Constants& c)
        : E_L(hn::Set(Dd(), c.E_L)), E_exc(hn::Set(Dd(), c.E_exc)), E_inh(hn::Set(Dd(), c.E_inh)),
          E_d(hn::Set(Dd(), c.E_d)), inv_D_d(hn::Set(Dd(), c.inv_D_d)), inv_tau_s(hn::Set(Dd(), c.inv_tau_s)),
          inv_tau_d(hn::Set(Dd(), c.inv_tau_d)), inv_C_s(hn::Set(Dd(), c.inv_C_s)), inv_C_d(hn::Set(Dd(), c.inv_C_d)),
          g_s(hn::Set(Dd(), c.g_s)), g_d(hn::Set(Dd(), c.g_d)), b(hn::Set(Dd(), c.b)), a_w(hn::Set(Dd(), c.a_w)),
          inv_tau_wd(hn::Set(Dd(), c.inv_tau_wd)), one(hn::Set(Dd(), 1.0)) {}
    template <bool DriveSoma>
    Derivs at(Vd v_s, Vd v_d, Vd w_dend, Vd w_soma, Vd ge_s, Vd gi_s, Vd ge_d, Vd gi_d, Vd free, Vd drive_d,
              Vd soma_ext) const {
        const Vd f = one / (one + hn::Exp(Dd(), hn::Neg(v_d - E_d) * inv_D_d));
        const Vd v_star = DriveSoma ? v_s : v_d;
        const Vd i_s = g_s * f + b * w_soma + ge_s * (E_exc - v_s) + gi_s * (E_inh - v_s);
        const Vd i_d = g_d * f + a_w * w_dend + ge_d * (E_exc - v_star) + gi_d * (E_inh - v_star);
        return {free * ((E_L - v_s) * inv_tau_s + i_s * inv_C_s) + soma_ext,
                (E_L - v_d) * inv_tau_d + i_d * inv_C_d + drive_d, ((v_d - E_L) - w_dend) * inv_tau_wd};
    }
};

// Steps 1-4 of the default step for every neuron (see the top of the file), up to the reset.
template <bool DriveSoma, bool Noise>
std::size_t rk4_slice(const Constants& c, const Step& s) {
    const Dd d;
    const Rhs rhs(c);
    const Vd h = hn::Set(d, c.h), half = hn::Set(d, 0.5 * c.h), h_6 = hn::Set(d, c.h / 6.0), two = hn::Set(d, 2.0);
    const Vd zero = hn::Zero(d), one = hn::Set(d, 1.0), V_reset = hn::Set(d, c.V_reset);
    const Vd inv_C_s = hn::Set(d, c.inv_C_s), inv_C_d = hn::Set(d, c.inv_C_d), c_d = hn::Set(d, c.c_d);
    const Vd I_s = hn::Set(d, s.I_s), I_d = hn::Set(d, s.I_d);
    const Vd soma_ext_common = hn::Set(d, s.I_s * c.inv_C_s);
    const Vd dws_half = hn::Set(d, c.decay_ws_half), dws = hn::Set(d, c.decay_ws);
    const Vd dexc_half = hn::Set(d, c.decay_exc_half), dexc = hn::Set(d, c.decay_exc);
    const Vd dinh_half = hn::Set(d, c.decay_inh_half), dinh = hn::Set(d, c.decay_inh);
    const Vd theta_0 = hn::Set(d, c.theta_0), decay_theta = hn::Set(d, c.decay_theta);
    const Vd bap_steps = hn::Set(d, c.bap_steps);
    const auto& a = s.a;
    std::size_t n_spiking = 0;
    for (std::size_t i = 0; i < s.n; i += hn::Lanes(d)) {
        // Step 1: K (restart: the last spike's box covers the step iff its countdown is in
        // [1, duration]); the countdown moves on.
        const Vd countdown = hn::LoadU(d, s.countdown + i);
        const Vd K = s.K ? hn::LoadU(d, s.K + i)
                         : hn::IfThenElse(hn::And(hn::Gt(countdown, zero), hn::Le(countdown, bap_steps)), one, zero);
        hn::StoreU(hn::Max(countdown - one, zero), d, s.countdown + i);
        // V_s clamped while refractory.
        const Vd ref = hn::LoadU(d, a.ref + i);
        const Md refractory = hn::Gt(ref, zero);
        const Vd free = hn::IfThenElse(refractory, zero, one);
        // Constant over the step: dendritic stimulus and bAP (mV/ms); the somatic stimulus
        // enters as a current next to the others (zeroed by `free`).
        const Vd soma_ext = Noise ? (I_s + load_unpadded(s.noise_s, i, s.n)) * inv_C_s : soma_ext_common;
        const Vd drive_d = ((Noise ? I_d + load_unpadded(s.noise_d, i, s.n) : I_d) + c_d * K) * inv_C_d;
        const Vd v_s = hn::LoadU(d, a.vs + i), v_d = hn::LoadU(d, a.vd + i), w_dend = hn::LoadU(d, a.wd + i);
        const Vd ws0 = hn::LoadU(d, a.ws + i), ws1 = ws0 * dws_half, ws2 = ws0 * dws;
        const Vd ge_s0 = hn::LoadU(d, a.gsE + i), ge_s1 = ge_s0 * dexc_half, ge_s2 = ge_s0 * dexc;
        const Vd gi_s0 = hn::LoadU(d, a.gsI + i), gi_s1 = gi_s0 * dinh_half, gi_s2 = gi_s0 * dinh;
        const Vd ge_d0 = hn::LoadU(d, a.gdE + i), ge_d1 = ge_d0 * dexc_half, ge_d2 = ge_d0 * dexc;
        const Vd gi_d0 = hn::LoadU(d, a.gdI + i), gi_d1 = gi_d0 * dinh_half, gi_d2 = gi_d0 * dinh;
        const Vd se = free * soma_ext;
        const Derivs k1 = rhs.at<DriveSoma>(v_s, v_d, w_dend, ws0, ge_s0, gi_s0, ge_d0, gi_d0, free, drive_d, se);
        const Derivs k2 = rhs.at<DriveSoma>(v_s + half * k1.vs, v_d + half * k1.vd, w_dend + half * k1.wd, ws1, ge_s1,
                                            gi_s1, ge_d1, gi_d1, free, drive_d, se);
        const Derivs k3 = rhs.at<DriveSoma>(v_s + half * k2.vs, v_d + half * k2.vd, w_dend + half * k2.wd, ws1, ge_s1,
                                            gi_s1, ge_d1, gi_d1, free, drive_d, se);
        const Derivs k4 = rhs.at<DriveSoma>(v_s + h * k3.vs, v_d + h * k3.vd, w_dend + h * k3.wd, ws2, ge_s2, gi_s2,
                                            ge_d2, gi_d2, free, drive_d, se);
        const Vd vs_new = hn::IfThenElse(refractory, V_reset, v_s + h_6 * (k1.vs + two * k2.vs + two * k3.vs + k4.vs));
        hn::StoreU(vs_new, d, a.vs + i);
        hn::StoreU(v_d + h_6 * (k1.vd + two * k2.vd + two * k3.vd + k4.vd), d, a.vd + i);
        hn::StoreU(w_dend + h_6 * (k1.wd + two * k2.wd + two * k3.wd + k4.wd), d, a.wd + i);
        hn::StoreU(ws2, d, a.ws + i);
        const Vd th_new = theta_0 + (hn::LoadU(d, a.th + i) - theta_0) * decay_theta;
        hn::StoreU(th_new, d, a.th + i);
        hn::StoreU(ge_s2 + take_input(s.x[0], i), d, a.gsE + i);
        hn::StoreU(gi_s2 + take_input(s.x[1], i), d, a.gsI + i);
        hn::StoreU(ge_d2 + take_input(s.x[2], i), d, a.gdE + i);
        hn::StoreU(gi_d2 + take_input(s.x[3], i), d, a.gdI + i);
        // Step 4: refractory countdown, or the threshold test (the reset is the caller's).
        hn::StoreU(hn::IfThenElse(refractory, ref - one, ref), d, a.ref + i);
        for_each_lane(hn::AndNot(refractory, hn::Gt(vs_new, th_new)), i, s.n,
                      [&](std::size_t k) { s.spiking[n_spiking++] = std::uint32_t(k); });
    }
    return n_spiking;
}

std::size_t rk4_all(const Constants& c, const Step& s) {
    const bool noise = s.noise_s != nullptr;
    if (s.drive_soma)
        return noise ? rk4_slice<true, true>(c, s) : rk4_slice<true, false>(c, s);
    return noise ? rk4_slice<false, true>(c, s) : rk4_slice<false, false>(c, s);
}

}  // namespace apical::burst_pyramidal_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical::burst_pyramidal_kernel {
APICAL_EXPORT_KERNEL(rk4_all)
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

// Auryn's constants (NaudGroup::precalculate_constants and the synapse classes), float
// members computed from float parameters in SI units with double intermediate expressions.
struct AurynConstants {
    float e_rest, e_reset, e_thr, e_spk_thr, e_dend, xi, e_exc, e_inh;
    float mul_thr, mul_soma, mul_alpha, mul_wsoma, mul_dend, mul_beta, box_height, mul_wdend;
    float scale_wsoma, aux_mul_wdend, scale_ampa, scale_gaba, alpha;
    double C_s_SI, C_d_SI;  // F, for the injected I/C
    double gL_s, gL_d;  // nS: converts apical's conductances to Auryn's units and back

    AurynConstants(const std::map<std::string, double>& p, double h_ms) {
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
    }
};

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
          ac_(p, h), kernel_(size(), 0.0),
          kc_{E_L_, E_exc_, E_inh_, E_d_, inv_D_d_, inv_tau_s_, inv_tau_d_, inv_C_s_, inv_C_d_, g_s_, g_d_, b_, a_w_,
              c_d_, inv_tau_wd_, h_, V_reset_, theta_0_, decay_ws_half_, decay_ws_, decay_theta_, decay_exc_half_,
              decay_exc_, decay_inh_half_, decay_inh_, double(bap_steps_)},
          candidates_(size()) {
        select_simd_target();
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
    // K of step `step` for every neuron (number of bAP boxes covering it) into kernel_; moves
    // the countdown on. Restart: the box of the last spike covers the step iff its countdown
    // k (set to delay + duration at the spike) is in [1, duration]. Sum: the spikes at
    // steps step - delay - duration .. step - delay - 1, counted in a ring of spike flags.
    // (The default step does the countdown and the restart kernel inside its vectorised pass
    // and calls only bap_sum.)
    void bap_kernel(step_t step) {
        const std::size_t n = size();
        double* k = state(bAP_countdown).data();
        for (std::size_t i = 0; i < n; ++i) {
            kernel_[i] = (k[i] > 0.0 && k[i] <= bap_steps_) ? 1.0 : 0.0;
            k[i] = std::max(k[i] - 1.0, 0.0);
        }
        if (sum_) bap_sum(step);
    }
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
        if (sum_) ring_[i * std::size_t(ring_len_) + std::size_t(step % ring_len_)] = 1;
    }

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

    // Auryn's cycle in single precision and SI units (see the top of the file).
    template <bool Noise>
    void update_auryn(const SliceInput& in, std::vector<Spike>& spikes) {
        const AurynConstants& c = ac_;
        const std::size_t n = size();
        auto [vs, vd, ws, wd, th, gsE, gsI, gdE, gdI, ref] = arrays();
        const double* soma_current = in.stimulus_current(0);
        const double* dend_current = in.stimulus_current(1);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = input(soma_exc).slot_of(step);
            const double* xsE = input(soma_exc).row(slot);
            const double* xsI = input(soma_inh).row(slot);
            const double* xdE = input(dendrite_exc).row(slot);
            const double* xdI = input(dendrite_inh).row(slot);
            // CurrentInjector's currents vector: I/C in V/s, float (per neuron with noise).
            const float cur_s_common = float((soma_current[k] / 1e12) / c.C_s_SI);
            const float cur_d_common = float((dend_current[k] / 1e12) / c.C_d_SI);
            const double* noise_s = Noise ? in.neuron_current_row(0, k, n) : nullptr;
            const double* noise_d = Noise ? in.neuron_current_row(1, k, n) : nullptr;
            bap_kernel(step);
            for (std::size_t i = 0; i < n; ++i) {
                const float cur_s = Noise ? float(((soma_current[k] + noise_s[i]) / 1e12) / c.C_s_SI) : cur_s_common;
                const float cur_d = Noise ? float(((dend_current[k] + noise_d[i]) / 1e12) / c.C_d_SI) : cur_d_common;
                float v_s = float(vs[i] / 1e3), v_d = float(vd[i] / 1e3);
                float w_soma = float(ws[i]), w_dend = float(wd[i] / 1e3), thr = float(th[i] / 1e3);
                float ge_s = float(gsE[i] / c.gL_s), gi_s = float(gsI[i] / c.gL_s);
                float ge_d = float(gdE[i] / c.gL_d), gi_d = float(gdI[i] / c.gL_d);
                // 1. Synapses (LinearComboSynapse with the NMDA part off, ExpCobaSynapse).
                const float v_syn_d = drive_soma_ ? v_s : v_d;
                const float syn_exc_s = ge_s * (c.e_exc - v_s);
                const float syn_inh_s = (c.e_inh - v_s) * gi_s;
                const float syn_exc_d = ge_d * (c.e_exc - v_syn_d);
                const float syn_inh_d = (c.e_inh - v_syn_d) * gi_d;
                ge_s *= c.scale_ampa;
                gi_s *= c.scale_gaba;
                ge_d *= c.scale_ampa;
                gi_d *= c.scale_gaba;
                // 2. Membrane (NaudGroup::integrate_membrane).
                float temp = v_d + (-c.e_dend);
                temp *= -c.xi;
                temp = std::exp(temp);
                temp += 1.0f;
                temp = float(1.0 / double(temp));
                float t_leak = c.e_rest - v_s;
                v_s += c.mul_soma * t_leak;
                v_s += c.mul_wsoma * w_soma;
                v_s += c.mul_alpha * temp;
                t_leak = c.e_rest - v_d;
                v_d += c.mul_dend * t_leak;
                v_d += c.mul_wdend * w_dend;
                v_d += c.mul_beta * temp;
                for (double b = kernel_[i]; b > 0.0; b -= 1.0) v_d += c.box_height;
                v_s += c.mul_soma * syn_exc_s;
                v_s += c.mul_soma * syn_inh_s;
                v_d += c.mul_dend * syn_exc_d;
                v_d += c.mul_dend * syn_inh_d;
                w_soma *= c.scale_wsoma;
                temp = v_d + (-c.e_rest);
                temp += -1.0f * w_dend;
                w_dend += c.aux_mul_wdend * temp;
                thr += c.mul_thr * (c.e_thr - thr);
                // 3. Threshold.
                const bool refractory = ref[i] > 0.0;
                bool spike = false;
                if (refractory) {
                    ref[i] -= 1.0;
                } else if (v_s > thr) {
                    spike = true;
                    v_s = c.e_reset;
                    thr += c.e_spk_thr;
                    w_soma += 1.0f;
                    ref[i] = ref_steps_;
                }
                // 4. Arriving weights (Auryn's propagate: g += w).
                ge_s += float(xsE[i] / c.gL_s);
                gi_s += float(xsI[i] / c.gL_s);
                ge_d += float(xdE[i] / c.gL_d);
                gi_d += float(xdI[i] / c.gL_d);
                // 5. Current injection.
                v_s += c.alpha * cur_s;
                v_d += c.alpha * cur_d;
                vs[i] = refractory ? V_reset_ : double(v_s) * 1e3;
                vd[i] = double(v_d) * 1e3;
                ws[i] = double(w_soma);
                wd[i] = double(w_dend) * 1e3;
                th[i] = double(thr) * 1e3;
                gsE[i] = double(ge_s) * c.gL_s;
                gsI[i] = double(gi_s) * c.gL_s;
                gdE[i] = double(ge_d) * c.gL_d;
                gdI[i] = double(gi_d) * c.gL_d;
                if (spike) {
                    spikes.push_back({step, gids_[i], 0.0f});
                    note_spike(i, step);
                }
            }
            for (int r = 0; r < n_receptors(); ++r) input(r).clear_row(slot);
        }
    }

    double E_L_, V_reset_, theta_0_, Delta_theta_, E_exc_, E_inh_, E_d_, inv_D_d_;
    double inv_tau_s_, inv_tau_d_, inv_C_s_, inv_C_d_, g_s_, g_d_, b_, a_w_, c_d_, inv_tau_wd_, h_;
    double decay_ws_half_, decay_ws_, decay_theta_;
    double decay_exc_half_, decay_exc_, decay_inh_half_, decay_inh_;
    int bap_delay_, bap_steps_, ref_steps_;
    bool auryn_, drive_soma_, sum_;
    AurynConstants ac_;
    PaddedVector<double> kernel_;     // K of the current step, per neuron
    burst_pyramidal_kernel::Constants kc_;
    std::vector<std::uint32_t> candidates_;  // default step: the neurons spiking in the step
    int ring_len_ = 0;                // sum mode: spike flags of the last delay + duration + 1 steps
    std::vector<std::uint8_t> ring_;  // [neuron][step % ring_len_]
    std::vector<int> active_;         // sum mode: boxes covering the current step
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
