// Validation of aeif_cond_exp (neurons/aeif_cond_exp.cpp: RK4 on (V, w), or in the upswing on
// (u, z) with u = exp(-(V - V_th)/Delta_T), with exact conductance decay inside a step):
//  - against an independent reference: classical RK4 on the full system (V, w, g_ex, g_in, all
//    four integrated numerically, V itself, no change of variable) at a step 100 times finer,
//    with the same spike inputs and the model's semantics at the coarse grid points (threshold
//    check, reset, w += b, refractory counter; V clamped to V_peak in the right-hand side);
//  - against closed forms: w = b exp(-t/tau_w) after a spike when a = 0, jumps of exactly b,
//    and the LIF crossing times when Delta_T = 0;
//  - convergence of the f-I curve between dt = 0.1 ms and dt = 0.01 ms;
//  - option refractory_clamp: E_L (Auryn's AdExGroup): the same reference with V held at E_L.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "neurons/models.hpp"
#include "spec_builders.hpp"

using namespace apical;
using apical::test::default_parameters;

namespace {

// Indices in aeif_cond_exp_info().state.
constexpr int V_m = 0, W = 1, G_EX = 2, G_IN = 3;

struct Reference {
    std::map<std::string, double> p;
    double y[4];        // V, w, g_ex, g_in
    bool hold_at_E_L = false;  // refractory_clamp: E_L
    int r = 0;          // refractory steps left
    double hold() const { return hold_at_E_L ? p.at("E_L") : p.at("V_reset"); }
    double t_cross = -1;  // time of the first fine step with V >= threshold in the last coarse step
    double threshold() const { return p.at("Delta_T") > 0 ? p.at("V_peak") : p.at("V_th"); }
    void deriv(const double s[4], double I, double f[4]) const {
        const bool refractory = r > 0;
        const double V = refractory ? hold() : std::min(s[0], p.at("V_peak"));
        double I_ion = -p.at("g_L") * (V - p.at("E_L")) - s[2] * (V - p.at("E_ex")) -
                       s[3] * (V - p.at("E_in")) - s[1] + I;
        if (p.at("Delta_T") > 0)
            I_ion += p.at("g_L") * p.at("Delta_T") * std::exp((V - p.at("V_th")) / p.at("Delta_T"));
        f[0] = refractory ? 0.0 : I_ion / p.at("C_m");
        f[1] = (p.at("a") * (V - p.at("E_L")) - s[1]) / p.at("tau_w");
        f[2] = -s[2] / p.at("tau_syn_ex");
        f[3] = -s[3] / p.at("tau_syn_in");
    }
    // One coarse step of length h as n fine RK4 steps; returns true on a spike.
    bool step(double h, int n, double I, double in_ex, double in_in) {
        const double dt = h / n;
        t_cross = -1;
        for (int k = 0; k < n; ++k) {
            double k1[4], k2[4], k3[4], k4[4], t[4];
            deriv(y, I, k1);
            for (int j = 0; j < 4; ++j) t[j] = y[j] + 0.5 * dt * k1[j];
            deriv(t, I, k2);
            for (int j = 0; j < 4; ++j) t[j] = y[j] + 0.5 * dt * k2[j];
            deriv(t, I, k3);
            for (int j = 0; j < 4; ++j) t[j] = y[j] + dt * k3[j];
            deriv(t, I, k4);
            for (int j = 0; j < 4; ++j) y[j] += dt / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
            if (t_cross < 0 && r == 0 && y[0] >= threshold()) t_cross = (k + 1) * dt;
        }
        if (r > 0) {
            y[0] = hold();
            --r;
        }
        y[2] += in_ex;
        y[3] += in_in;
        if (r == 0 && y[0] >= threshold()) {
            y[0] = p.at("V_reset");
            y[1] += p.at("b");
            r = int(std::lround(p.at("t_ref") / h));
            return true;
        }
        return false;
    }
};

// Advances a group one step at a time with a stimulus current.
struct Driver {
    NeuronGroup& g;
    double current = 0.0;
    step_t now = 0;
    std::vector<Spike> spikes = {};
    bool step() {
        ++now;
        const double* rows[] = {&current};
        const std::size_t before = spikes.size();
        g.update(SliceInput{now, 1, rows}, spikes);
        return spikes.size() > before;
    }
};

struct TraceErrors {
    int spikes = 0;
    double V_sub = 0;       // max |V - V_ref| (mV) where the reference is below V_th
    double t_upswing = 0;   // max |u - u_ref| C_m / g_L (ms) where the reference is above V_th
    double w = 0;           // max |w - w_ref| (pA)
    double margin = 1e9;    // min distance (ms) of a reference crossing from the step's start
};

// Runs the model and the reference side by side over `steps` steps of h = 0.1 ms with the
// input train of the spiking-trace test; REQUIREs identical spike steps and returns the errors.
TraceErrors compare_with_reference(const std::map<std::string, double>& p, int steps,
                                   double w_ex, double w_in, double I_step, bool hold_at_E_L = false) {
    const double h = 0.1;
    ModelContext ctx;
    ctx.options = {hold_at_E_L ? 1 : 0};
    auto g = make_aeif_cond_exp({0}, 4, h, p, ctx);
    g->state(V_m)[0] = p.at("E_L");
    Reference ref{p, {p.at("E_L"), 0.0, 0.0, 0.0}, hold_at_E_L};
    const double u_scale = p.at("C_m") / p.at("g_L");
    auto u_of = [&](double V) { return std::exp(-(V - p.at("V_th")) / p.at("Delta_T")); };
    std::vector<Spike> spikes;
    TraceErrors e;
    for (int s = 1; s <= steps; ++s) {
        // Excitatory spikes every 0.3 ms from 20 ms, inhibitory every 3.1 ms, a current step at 100 ms.
        const double in_ex = (s >= 200 && s % 3 == 0) ? w_ex : 0.0;
        const double in_in = (s % 31 == 0) ? w_in : 0.0;
        const double I = s > 1000 ? I_step : 0.0;
        g->input(0).row_of_step(s)[0] += in_ex;
        g->input(1).row_of_step(s)[0] += in_in;
        const std::size_t before = spikes.size();
        const double* rows[] = {&I};
        g->update(SliceInput{s, 1, rows}, spikes);
        const bool ref_spiked = ref.step(h, 100, I, in_ex, in_in);
        INFO("step " << s << ": V " << g->state(V_m)[0] << " V_ref " << ref.y[0]);
        REQUIRE((spikes.size() > before) == ref_spiked);
        if (ref_spiked) {
            ++e.spikes;
            e.margin = std::min(e.margin, ref.t_cross);
        }
        const double V = g->state(V_m)[0];
        if (ref.y[0] < p.at("V_th"))
            e.V_sub = std::max(e.V_sub, std::abs(V - ref.y[0]));
        else
            e.t_upswing = std::max(e.t_upswing, std::abs(u_of(V) - u_of(ref.y[0])) * u_scale);
        e.w = std::max(e.w, std::abs(g->state(W)[0] - ref.y[1]));
        // Conductances: both decay exactly (model) or by RK4 at h/100 (reference, relative error
        // (h/100/tau_syn)^5/120 ~ 1e-12 per fine step for tau_syn_ex = 0.2 ms).
        REQUIRE(std::abs(g->state(G_EX)[0] - ref.y[2]) < 1e-8);
        REQUIRE(std::abs(g->state(G_IN)[0] - ref.y[3]) < 1e-8);
    }
    return e;
}

double rel_err(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

}  // namespace

TEST_CASE("aeif_cond_exp declares NEST's parameters, defaults and checks", "[neurons][aeif_cond_exp]") {
    // Expected values: NEST's aeif_cond_exp documentation and Parameters_ defaults
    // (nest-simulator models/aeif_cond_exp.{h,cpp}).
    const ModelInfo* m = find_model_info("aeif_cond_exp");
    REQUIRE(m != nullptr);
    const std::map<std::string, double> nest = {
        {"C_m", 281.0}, {"t_ref", 0.0}, {"V_reset", -60.0}, {"E_L", -70.6}, {"g_L", 30.0},
        {"I_e", 0.0}, {"a", 4.0}, {"b", 80.5}, {"Delta_T", 2.0}, {"tau_w", 144.0},
        {"V_th", -50.4}, {"V_peak", 0.0}, {"E_ex", 0.0}, {"E_in", -85.0},
        {"tau_syn_ex", 0.2}, {"tau_syn_in", 2.0}};
    REQUIRE(m->parameters.size() == nest.size());
    for (auto& [name, value] : nest) {
        INFO(name);
        REQUIRE(m->find_parameter(name) != nullptr);
        REQUIRE(m->find_parameter(name)->default_value == value);
    }
    REQUIRE(m->state.size() == 4);
    REQUIRE(m->state[V_m].name == "V_m");
    REQUIRE(m->state[W].name == "w");
    REQUIRE(m->state[G_EX].name == "g_ex");
    REQUIRE(m->state[G_IN].name == "g_in");
    REQUIRE(m->find_receptor("exc") == 0);
    REQUIRE(m->find_receptor("inh") == 1);
    REQUIRE_FALSE(m->receptors[0].signed_weights);
    REQUIRE_FALSE(m->route_by_sign);
    auto p = default_parameters("aeif_cond_exp");
    REQUIRE(m->check(p, 0.1).empty());
    REQUIRE_FALSE(m->check(default_parameters("aeif_cond_exp", {{"V_peak", -55.0}}), 0.1).empty());
    REQUIRE_FALSE(m->check(default_parameters("aeif_cond_exp", {{"V_reset", 0.0}}), 0.1).empty());
    // (V_peak - V_th)/Delta_T = 50.4/0.05 = 1008 > log(DBL_MAX/1e20) = 663.7: exp would overflow.
    REQUIRE_FALSE(m->check(default_parameters("aeif_cond_exp", {{"Delta_T", 0.05}}), 0.1).empty());
}

TEST_CASE("aeif_cond_exp subthreshold trace matches a reference integration at a 100x finer step",
          "[neurons][aeif_cond_exp][no_sanitize]") {
    // NEST defaults; inputs of 10 nS (exc, every 0.3 ms) and 20 nS (inh, every 3.1 ms) and a
    // 400 pA current step, below the rheobase (about 550 pA here), so neither fires.
    // Tolerances: the error is dominated by the excitatory conductance, which decays with
    // tau_syn_ex = 0.2 ms, i.e. by exp(-0.5) within a step: RK4's error for that forcing is
    // ~(h/tau_syn_ex)^5/120 = 2.6e-4 relative to the voltage change it causes in a step (up to
    // ~0.5 mV here), ~1e-4 mV, partly accumulating over the membrane time constant; we allow
    // 1e-3 mV. w follows V through a (V - E_L)/tau_w, so its error is about a times the V error:
    // we allow a * 1e-3 mV = 4e-3 pA. Both far below the scales of the dynamics (mV, pA).
    auto p = default_parameters("aeif_cond_exp");
    const TraceErrors e = compare_with_reference(p, 5000, 10.0, 20.0, 400.0);
    REQUIRE(e.spikes == 0);
    REQUIRE(e.V_sub < 1e-3);
    REQUIRE(e.w < 4e-3);
    WARN("aeif_cond_exp subthreshold: max |V - V_ref| = " << e.V_sub << " mV, max |w - w_ref| = "
                                                          << e.w << " pA");
}

TEST_CASE("aeif_cond_exp spiking trace matches a reference integration at a 100x finer step",
          "[neurons][aeif_cond_exp][no_sanitize]") {
    // Two parameter sets over 2 s: NEST defaults (t_ref = 0) under 900 pA plus synaptic input
    // (56 spikes), and t_ref = 2 ms, slower excitation, stronger and faster adaptation under
    // 800 pA (111 spikes: refractory clamping and the exact w update while refractory).
    // Both are driven well above rheobase: near rheobase the trajectory lingers at the saddle of
    // the V-nullcline, where differences grow exponentially (with 600 pA in the second set,
    // 10-fold every ~3 spikes, so that even references at 1000x and 10000x finer steps part).
    // Checks and tolerances (measured values in the WARN output and the report of the commit):
    //  - spike steps identical (REQUIRE at every step inside compare_with_reference). The
    //    reference locates a crossing only to its fine step (1 us), so this is meaningful only if
    //    no reference crossing falls within a fine step of a grid point: checked (margin).
    //  - below V_th: |V - V_ref| < 1e-3 mV, the subthreshold tolerance (previous test).
    //  - above V_th, V itself is ill-conditioned (V = V_th - Delta_T ln u diverges at the spike),
    //    so we compare u as a time to spike, |u - u_ref| C_m/g_L (u decreases at rate g_L/C_m
    //    near the spike): < 2 us, twice the reference's resolution.
    //  - w: < 0.02 pA. The reference's own error dominates: after a crossing its fine RK4 meets
    //    the kink of the clamped right-hand side (first order in its 1 us step: ~2e-3 pA per
    //    spike for a = 4-10 nS, checked against a 10000x reference, where the model's w agrees
    //    to 1.4e-4 pA in the second set), accumulating over tau_w. 0.02 pA is 2.5e-4 of b.
    SECTION("NEST defaults, t_ref = 0") {
        auto p = default_parameters("aeif_cond_exp");
        const TraceErrors e = compare_with_reference(p, 20000, 6.0, 5.0, 900.0);
        REQUIRE(e.spikes >= 50);
        REQUIRE(e.margin > 0.001);
        REQUIRE(e.V_sub < 1e-3);
        REQUIRE(e.t_upswing < 2e-3);
        REQUIRE(e.w < 0.02);
        WARN("aeif_cond_exp defaults: " << e.spikes << " spikes, max |V - V_ref| (V < V_th) = "
                                        << e.V_sub << " mV, max |du| C_m/g_L = " << e.t_upswing
                                        << " ms, max |w - w_ref| = " << e.w << " pA, min margin "
                                        << e.margin << " ms");
    }
    SECTION("t_ref = 2 ms, tau_syn_ex = 2 ms, a = 10 nS, b = 40 pA, tau_w = 50 ms") {
        auto p = default_parameters("aeif_cond_exp", {{"t_ref", 2.0}, {"tau_syn_ex", 2.0}, {"a", 10.0},
                                                      {"b", 40.0}, {"tau_w", 50.0}});
        const TraceErrors e = compare_with_reference(p, 20000, 1.0, 5.0, 800.0);
        REQUIRE(e.spikes >= 100);
        REQUIRE(e.margin > 0.001);
        REQUIRE(e.V_sub < 1e-3);
        REQUIRE(e.t_upswing < 2e-3);
        REQUIRE(e.w < 0.02);
        WARN("aeif_cond_exp t_ref 2 ms: " << e.spikes << " spikes, max |V - V_ref| (V < V_th) = "
                                          << e.V_sub << " mV, max |du| C_m/g_L = " << e.t_upswing
                                          << " ms, max |w - w_ref| = " << e.w << " pA, min margin "
                                          << e.margin << " ms");
    }
}

TEST_CASE("aeif_cond_exp refractory_clamp: E_L holds V at E_L while refractory, as Auryn's AdExGroup",
          "[neurons][aeif_cond_exp][no_sanitize]") {
    // Auryn's AdExGroup sets V = E_L in every refractory step (fzenke/auryn AdExGroup::evolve),
    // so V_reset only lasts for the spike step. Reference: the RK4 reference above at a 100x
    // finer step with V held at E_L (and w relaxing with V = E_L), on the second parameter set
    // of the spiking trace test (t_ref 2 ms, strong adaptation: V_reset = -60 mV and E_L =
    // -70.6 mV differ by 10.6 mV, so holding at the wrong one would move every later spike),
    // under 900 pA (120 spikes; at 800 and 850 pA a reference crossing falls within its first
    // fine step after a grid point, where the comparison of spike steps is not meaningful);
    // same tolerances. Measured: |V - V_ref| <= 7.1e-5 mV below V_th, |w - w_ref| <= 3.9e-3 pA.
    auto p = default_parameters("aeif_cond_exp", {{"t_ref", 2.0}, {"tau_syn_ex", 2.0}, {"a", 10.0},
                                                  {"b", 40.0}, {"tau_w", 50.0}});
    const TraceErrors e = compare_with_reference(p, 20000, 1.0, 5.0, 900.0, true);
    REQUIRE(e.spikes >= 100);
    REQUIRE(e.margin > 0.001);
    REQUIRE(e.V_sub < 1e-3);
    REQUIRE(e.t_upswing < 2e-3);
    REQUIRE(e.w < 0.02);
    WARN("aeif_cond_exp refractory_clamp E_L: " << e.spikes << " spikes, max |V - V_ref| (V < V_th) = " << e.V_sub
                                                << " mV, max |w - w_ref| = " << e.w << " pA");
    // Exactly, with the SOM cells' values of Payeur et al. (2021) Fig. 3 (docs/models.md 6.2:
    // E_L -70 mV, V_reset -65 mV, t_ref 2 ms): V_reset in the spike step, then E_L for the
    // t_ref / dt = 20 refractory steps, then free (400 pA depolarises).
    auto q = default_parameters("aeif_cond_exp", {{"C_m", 100.0}, {"g_L", 5.0}, {"E_L", -70.0}, {"V_reset", -65.0},
                                                  {"Delta_T", 4.0}, {"V_th", -61.84}, {"a", 0.5}, {"b", 10.0},
                                                  {"tau_w", 500.0}, {"t_ref", 2.0}});
    ModelContext ctx;
    ctx.options = {1};
    auto g = make_aeif_cond_exp({0}, 4, 0.1, q, ctx);
    g->state(V_m)[0] = q["V_peak"];
    Driver d{*g, 400.0};
    REQUIRE(d.step());
    REQUIRE(g->state(V_m)[0] == -65.0);
    for (int s = 0; s < 20; ++s) {
        REQUIRE_FALSE(d.step());
        REQUIRE(g->state(V_m)[0] == -70.0);
    }
    REQUIRE_FALSE(d.step());
    REQUIRE(g->state(V_m)[0] > -70.0);
}

TEST_CASE("aeif_cond_exp with a = 0: w decays as b exp(-t/tau_w) after a spike",
          "[neurons][aeif_cond_exp]") {
    // With a = 0, tau_w dw/dt = -w is independent of V: after a spike at step 1 (V_m starts at
    // V_peak, so the first threshold check fires), w(s h) = b exp(-(s - 1) h/tau_w) exactly
    // (closed form). The scheme's w update is w * (degree-4 Taylor polynomial of
    // exp(-h/tau_w)), relative error (h/tau_w)^5/120 = 1.3e-18 per step, plus rounding
    // (~2e-16 per step): < 1e-12 relative over 5000 steps. With t_ref = 5 ms the refractory steps
    // use exp(-h/tau_w) itself.
    const double h = 0.1;
    for (double t_ref : {0.0, 5.0}) {
        auto p = default_parameters("aeif_cond_exp", {{"a", 0.0}, {"t_ref", t_ref}});
        auto g = make_aeif_cond_exp({0}, 4, h, p);
        g->state(V_m)[0] = p["V_peak"];
        Driver d{*g};
        REQUIRE(d.step());
        double max_err = 0.0;
        for (int s = 1; s <= 5000; ++s) {
            if (s > 1) REQUIRE_FALSE(d.step());
            const double expected = 80.5 * std::exp(-(s - 1) * h / 144.0);
            max_err = std::max(max_err, rel_err(g->state(W)[0], expected));
        }
        INFO("t_ref " << t_ref);
        REQUIRE(max_err < 1e-12);
        WARN("aeif_cond_exp a = 0, t_ref " << t_ref << ": max relative error of w = " << max_err);
    }
}

TEST_CASE("aeif_cond_exp with a = 0: each spike of a burst adds exactly b to w", "[neurons][aeif_cond_exp]") {
    // A strong DC current (3 nA) fires a burst of spikes in quick succession. With a = 0 the
    // closed form is w(t) = sum over past spikes t_j of b exp(-(t - t_j)/tau_w) (each spike adds
    // b, then w decays), and in a spike step w jumps by b over the decayed previous value.
    // Tolerance 1e-12 relative, as in the previous test (RK4 on w alone is exact to rounding).
    const double h = 0.1;
    auto p = default_parameters("aeif_cond_exp", {{"a", 0.0}});
    auto g = make_aeif_cond_exp({0}, 4, h, p);
    g->state(V_m)[0] = p["E_L"];
    Driver d{*g, 3000.0};
    std::vector<int> spike_steps;
    const double decay = std::exp(-h / 144.0);
    for (int s = 1; s <= 1000; ++s) {
        const double w_before = g->state(W)[0];
        if (d.step()) {
            spike_steps.push_back(s);
            REQUIRE(rel_err(g->state(W)[0] - w_before * decay, 80.5) < 1e-12);
        }
        double expected = 0.0;
        for (int sj : spike_steps) expected += 80.5 * std::exp(-(s - sj) * h / 144.0);
        if (!spike_steps.empty()) REQUIRE(rel_err(g->state(W)[0], expected) < 1e-12);
    }
    REQUIRE(spike_steps.size() >= 5);
    REQUIRE(spike_steps[4] - spike_steps[0] < 200);  // five spikes within 20 ms: a burst
}

TEST_CASE("aeif_cond_exp with Delta_T = 0 is a LIF with threshold V_th", "[neurons][aeif_cond_exp]") {
    // Delta_T = 0, a = b = 0, no input but I = 1000 pA: C_m dV/dt = -g_L (V - E_L) + I, so
    // V(t) = V_inf + (V_0 - V_inf) exp(-t/tau_m) with V_inf = E_L + I/g_L = -37.267 mV and
    // tau_m = C_m/g_L = 9.3667 ms (closed form). The spike threshold is V_th = -50.4 mV (NEST:
    // V_peak is replaced by V_th when Delta_T = 0); the crossing time from V_0 is
    // t* = tau_m ln((V_inf - V_0)/(V_inf - V_th)): 8.724 ms from E_L (spike at step 88), then
    // 5.140 ms from V_reset = -60 mV (every 52 steps, t_ref = 0). Trace tolerance: RK4 on a
    // linear ODE has relative error (h/tau_m)^5/120 = 1.2e-12 per step; we allow 1e-9.
    const double h = 0.1;
    auto p = default_parameters("aeif_cond_exp", {{"Delta_T", 0.0}, {"a", 0.0}, {"b", 0.0}});
    auto g = make_aeif_cond_exp({0}, 4, h, p);
    g->state(V_m)[0] = p["E_L"];
    Driver d{*g, 1000.0};
    const double tau = 281.0 / 30.0, V_inf = -70.6 + 1000.0 / 30.0;
    double V0 = -70.6, t0 = 0.0;  // start of the current trajectory
    std::vector<int> expected_steps;
    for (int s = 1; s <= 2000; ++s) {
        const bool spiked = d.step();
        const double V_closed = V_inf + (V0 - V_inf) * std::exp(-(s * h - t0) / tau);
        if (V_closed >= -50.4) {  // the closed form crosses V_th in this step
            const double t_star = t0 + tau * std::log((V_inf - V0) / (V_inf + 50.4));
            REQUIRE(s * h - t_star > 1e-6);       // not a tie at the grid point
            REQUIRE(t_star > (s - 1) * h + 1e-6);
            expected_steps.push_back(s);
            REQUIRE(spiked);
            REQUIRE(g->state(V_m)[0] == -60.0);
            V0 = -60.0;
            t0 = s * h;
        } else {
            REQUIRE_FALSE(spiked);
            REQUIRE(rel_err(g->state(V_m)[0], V_closed) < 1e-9);
        }
        REQUIRE(g->state(W)[0] == 0.0);
    }
    REQUIRE(expected_steps.size() >= 30);
    REQUIRE(expected_steps[0] == 88);   // ceil(8.724 ms / h)
    REQUIRE(expected_steps[1] == 140);  // 88 + ceil(5.140 ms / h)
    REQUIRE(d.spikes.size() == expected_steps.size());
}

TEST_CASE("aeif_cond_exp f-I curve converges: dt = 0.1 ms vs 0.01 ms within 1 %", "[neurons][aeif_cond_exp]") {
    // NEST defaults under DC currents above the rheobase. The rate is the inverse mean ISI of the
    // adapted (steady) state, spikes in [1 s, 6 s] (tau_w = 144 ms: the transient is over). With
    // the grid semantics each spike is registered up to one step late, a relative rate error up
    // to dt/ISI (0.1 ms / 25 ms = 0.4 % at 40 Hz at dt = 0.1 ms); the integration error is far
    // smaller. The brief asks for agreement within 1 %.
    auto rate = [](double dt, double I) {
        auto p = default_parameters("aeif_cond_exp");
        auto g = make_aeif_cond_exp({0}, 4, dt, p);
        g->state(V_m)[0] = p["E_L"];
        Driver d{*g, I};
        const int n = int(std::lround(6000.0 / dt)), start = int(std::lround(1000.0 / dt));
        double first = -1, last = -1;
        int count = 0;
        for (int s = 1; s <= n; ++s)
            if (d.step() && s >= start) {
                if (first < 0) first = s * dt;
                last = s * dt;
                ++count;
            }
        return count > 1 ? (count - 1) / (last - first) * 1000.0 : 0.0;  // Hz
    };
    for (double I : {700.0, 1000.0, 1500.0}) {
        const double coarse = rate(0.1, I), fine = rate(0.01, I);
        INFO("I = " << I << " pA: " << coarse << " Hz at dt 0.1 ms, " << fine << " Hz at dt 0.01 ms");
        REQUIRE(fine > 2.0);
        REQUIRE(rel_err(coarse, fine) < 0.01);
        WARN("aeif_cond_exp f-I, I = " << I << " pA: " << coarse << " Hz (dt 0.1) vs " << fine
                                       << " Hz (dt 0.01), relative difference " << rel_err(coarse, fine));
    }
}
