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
#include <cmath>
#include <string>
#include <limits>

#include "core/error.hpp"
#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_m, w_ad, g_ex, g_in };
enum Option { refractory_clamp };
constexpr int clamp_E_L = 1;  // index of "E_L" in the option's values

class AeifCondExp final : public NeuronGroup {
public:
    AeifCondExp(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          E_L_(parameter(p, "E_L")), g_L_(parameter(p, "g_L")), inv_C_(1.0 / parameter(p, "C_m")),
          E_ex_(parameter(p, "E_ex")), E_in_(parameter(p, "E_in")), I_e_(parameter(p, "I_e")),
          V_th_(parameter(p, "V_th")), Delta_T_(parameter(p, "Delta_T")),
          inv_Delta_T_(Delta_T_ > 0.0 ? 1.0 / Delta_T_ : 0.0), V_peak_(parameter(p, "V_peak")),
          V_spike_(Delta_T_ > 0.0 ? V_peak_ : V_th_), V_reset_(parameter(p, "V_reset")),
          a_(parameter(p, "a")), b_(parameter(p, "b")), inv_tau_w_(1.0 / parameter(p, "tau_w")),
          h_(h), u_peak_(Delta_T_ > 0.0 ? std::exp(-(V_peak_ - V_th_) * inv_Delta_T_) : 0.0),
          psi_peak_(u_peak_ * (-(V_peak_ - V_th_) * inv_Delta_T_) - u_peak_),
          c_(a_ * Delta_T_ * inv_tau_w_ / (g_L_ * inv_C_)), w_peak_(a_ * (V_peak_ - E_L_)),
          inv_tau_ex_(1.0 / parameter(p, "tau_syn_ex")), inv_tau_in_(1.0 / parameter(p, "tau_syn_in")),
          decay_ex_half_(std::exp(-0.5 * h / parameter(p, "tau_syn_ex"))),
          decay_in_half_(std::exp(-0.5 * h / parameter(p, "tau_syn_in"))),
          decay_ex_(std::exp(-h / parameter(p, "tau_syn_ex"))),
          decay_in_(std::exp(-h / parameter(p, "tau_syn_in"))),
          decay_w_(std::exp(-h / parameter(p, "tau_w"))),
          V_hold_(ctx.option(refractory_clamp) == clamp_E_L ? E_L_ : V_reset_),
          w_refractory_(a_ * (V_hold_ - E_L_)),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          refractory_(size(), 0) {}

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        // Per-neuron stimulus currents (noise_current) or not, chosen once per slice.
        with_neuron_current(in, [&](auto noise) {
            if (Delta_T_ > 0.0)
                run<true, decltype(noise)::value>(in, spikes);
            else
                run<false, decltype(noise)::value>(in, spikes);
        });
    }

private:
    template <bool exponential, bool Noise>
    void run(const SliceInput& in, std::vector<Spike>& spikes) {
        double* v = state(V_m).data();
        double* w = state(w_ad).data();
        double* ge = state(g_ex).data();
        double* gi = state(g_in).data();
        int* r = refractory_.data();
        RingBuffer& buf_ex = input(0);
        RingBuffer& buf_in = input(1);
        const std::size_t n = size();
        const double* soma_current = in.stimulus_current(0);
        bool unstable = false;
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = buf_ex.slot_of(step);
            const double* x_ex = buf_ex.row(slot);
            const double* x_in = buf_in.row(slot);
            const double I = I_e_ + soma_current[k];
            const double* noise = Noise ? in.neuron_current_row(0, k, n) : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                if (r[i] == 0) {
                    const double I_i = Noise ? I + noise[i] : I;
                    if (exponential && v[i] > V_th_)
                        upswing_step(v[i], w[i], ge[i], gi[i], I_i);
                    else
                        rk4_step<exponential>(v[i], w[i], ge[i], gi[i], I_i);
                } else {
                    --r[i];
                    v[i] = V_hold_;
                    w[i] = w_refractory_ + (w[i] - w_refractory_) * decay_w_;
                }
                ge[i] = decay_ex_ * ge[i] + x_ex[i];
                gi[i] = decay_in_ * gi[i] + x_in[i];
                if (r[i] == 0 && v[i] >= V_spike_) {
                    r[i] = ref_steps_;
                    v[i] = V_reset_;
                    w[i] += b_;
                    spikes.push_back({step, gids_[i], 0.0f});
                }
                // NEST's aeif models throw NumericalInstability past these bounds (also NaN).
                unstable |= !(v[i] >= -1e3 && w[i] >= -1e6 && w[i] <= 1e6);
            }
            buf_ex.clear_row(slot);
            buf_in.clear_row(slot);
            if (unstable) throw_instability(step);
        }
    }

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

    // Right-hand side at (V, w) with conductances ge, gi; V is clamped to V_peak.
    template <bool exponential>
    void rhs(double V, double w, double ge, double gi, double I, double& dV, double& dw) const {
        const double Vc = V < V_peak_ ? V : V_peak_;
        double I_ion = -g_L_ * (Vc - E_L_) - ge * (Vc - E_ex_) - gi * (Vc - E_in_) - w + I;
        if constexpr (exponential) I_ion += g_L_ * Delta_T_ * std::exp((Vc - V_th_) * inv_Delta_T_);
        dV = I_ion * inv_C_;
        dw = (a_ * (Vc - E_L_) - w) * inv_tau_w_;
    }

    template <bool exponential>
    void rk4_step(double& V, double& w, double ge0, double gi0, double I) const {
        const double ge1 = ge0 * decay_ex_half_, gi1 = gi0 * decay_in_half_;
        const double ge2 = ge0 * decay_ex_, gi2 = gi0 * decay_in_;
        double kV1, kw1, kV2, kw2, kV3, kw3, kV4, kw4;
        rhs<exponential>(V, w, ge0, gi0, I, kV1, kw1);
        rhs<exponential>(V + 0.5 * h_ * kV1, w + 0.5 * h_ * kw1, ge1, gi1, I, kV2, kw2);
        rhs<exponential>(V + 0.5 * h_ * kV2, w + 0.5 * h_ * kw2, ge1, gi1, I, kV3, kw3);
        rhs<exponential>(V + h_ * kV3, w + h_ * kw3, ge2, gi2, I, kV4, kw4);
        V += h_ / 6.0 * (kV1 + 2.0 * kV2 + 2.0 * kV3 + kV4);
        w += h_ / 6.0 * (kw1 + 2.0 * kw2 + 2.0 * kw3 + kw4);
    }

    // Upswing (V > V_th, Delta_T > 0), see the top of the file: state (u, z) with
    // u = exp(-(V - V_th)/Delta_T), z = w - c (u ln u - u), c = a Delta_T C_m/(tau_w g_L).
    //   du/dt = -g_L/C_m - u F/(C_m Delta_T),
    //   dz/dt = (a (V_th - E_L) - w + (a/g_L) u ln(u) F) / tau_w,
    // F = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) - w + I the non-exponential
    // currents. Below u_peak (V past V_peak) the right-hand side is clamped at V_peak.
    void rhs_uz(double u, double z, double ge, double gi, double I, double& du, double& dz) const {
        if (u > u_peak_) {
            const double ln_u = std::log(u);
            const double V = V_th_ - Delta_T_ * ln_u;
            const double w = z + c_ * (u * ln_u - u);
            const double F = -g_L_ * (V - E_L_) - ge * (V - E_ex_) - gi * (V - E_in_) - w + I;
            du = -g_L_ * inv_C_ - u * F * inv_C_ * inv_Delta_T_;
            dz = (a_ * (V_th_ - E_L_) - w + a_ / g_L_ * u * ln_u * F) * inv_tau_w_;
        } else {
            const double w = z + c_ * psi_peak_;
            const double F = -g_L_ * (V_peak_ - E_L_) - ge * (V_peak_ - E_ex_) - gi * (V_peak_ - E_in_) - w + I;
            du = -g_L_ * inv_C_ - u_peak_ * F * inv_C_ * inv_Delta_T_;
            dz = (a_ * (V_peak_ - E_L_) - w) * inv_tau_w_;
        }
    }
    // One RK4 step of length tau <= h on (u, z), conductances exact.
    void rk4_uz(double u, double z, double ge0, double gi0, double I, double tau, double& u_out,
                double& z_out) const {
        double dex_half = decay_ex_half_, din_half = decay_in_half_, dex = decay_ex_, din = decay_in_;
        if (tau != h_) {
            dex_half = std::exp(-0.5 * tau * inv_tau_ex_);
            din_half = std::exp(-0.5 * tau * inv_tau_in_);
            dex = std::exp(-tau * inv_tau_ex_);
            din = std::exp(-tau * inv_tau_in_);
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
        const double ln_u0 = -(V - V_th_) * inv_Delta_T_;
        const double u0 = std::exp(ln_u0);
        double t_cross = 0.0, w_cross = w;  // V >= V_peak already (set from outside): crossing at 0
        if (u0 > u_peak_) {
            const double z0 = w - c_ * (u0 * ln_u0 - u0);
            double u1, z1;
            rk4_uz(u0, z0, ge0, gi0, I, h_, u1, z1);
            if (u1 > u_peak_) {  // no crossing in this step
                const double ln_u1 = std::log(u1);
                V = V_th_ - Delta_T_ * ln_u1;
                w = z1 + c_ * (u1 * ln_u1 - u1);
                return;
            }
            // Crossing inside the step: the t in (0, h] where the RK4 step of length t from the
            // step's start reaches u_peak; Illinois regula falsi (u is nearly linear in t there).
            double lo = 0.0, g_lo = u0 - u_peak_, hi = h_, g_hi = u1 - u_peak_;
            int side = 0;
            for (int it = 0; it < 100 && hi - lo > 1e-10 && g_hi < 0.0; ++it) {
                const double t = hi - g_hi * (hi - lo) / (g_hi - g_lo);
                double ut, zt;
                rk4_uz(u0, z0, ge0, gi0, I, t, ut, zt);
                if (ut > u_peak_) {
                    lo = t;
                    g_lo = ut - u_peak_;
                    if (side == -1) g_hi *= 0.5;
                    side = -1;
                } else {
                    hi = t;
                    g_hi = ut - u_peak_;
                    if (side == 1) g_lo *= 0.5;
                    side = 1;
                }
            }
            t_cross = hi;
            double uc, zc;
            rk4_uz(u0, z0, ge0, gi0, I, t_cross, uc, zc);
            w_cross = zc + c_ * psi_peak_;
        }
        // From the crossing to the grid point the right-hand side is clamped at V_peak:
        // tau_w dw/dt = a (V_peak - E_L) - w, solved exactly.
        w = w_peak_ + (w_cross - w_peak_) * std::exp(-(h_ - t_cross) * inv_tau_w_);
        V = V_peak_;
    }

    double E_L_, g_L_, inv_C_, E_ex_, E_in_, I_e_, V_th_, Delta_T_, inv_Delta_T_, V_peak_, V_spike_,
        V_reset_, a_, b_, inv_tau_w_, h_, u_peak_, psi_peak_, c_, w_peak_, inv_tau_ex_, inv_tau_in_;
    double decay_ex_half_, decay_in_half_, decay_ex_, decay_in_, decay_w_, V_hold_, w_refractory_;
    int ref_steps_;
    std::vector<int> refractory_;
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
