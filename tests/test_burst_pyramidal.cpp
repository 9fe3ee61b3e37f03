// Validation of burst_pyramidal (neurons/burst_pyramidal.cpp, docs/models.md section 1):
//  - reference_step_order: auryn reproduces the single-neuron spike trains that the authors'
//    simulator (Auryn NaudGroup) produced, docs/models.md 1.8 (a): first spike, spike count, rates,
//    event and burst rates by the ISI rule, burst sizes and event period, for every current
//    pair of the table, to the time step;
//  - the default step converges: traces against an independent reference (classical RK4 on
//    the whole state, conductances, w_s and theta included, at a 10 times finer step, the
//    same threshold semantics at the coarse grid points) under spiking synaptic input;
//    rates and burst sizes of the table within a few percent;
//  - the options of docs/models.md 1.6: absolute refractory period, summed bAP boxes, bAP delay.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/spike_classifier.hpp"
#include "neurons/models.hpp"
#include "spec_builders.hpp"

using namespace apical;
using apical::test::default_parameters;

namespace {

// Indices in burst_pyramidal_info().state.
constexpr int V_S = 0, V_D = 1, W_S = 2, W_D = 3, THETA = 4;

struct NeuronRun {
    std::vector<step_t> spikes;  // steps (apical: the step that ends with the spike)
    std::vector<double> vs, vd;  // after every step
};

// One neuron at rest (V_s = V_d = E_L, theta = theta_0, w_d = w_d0) under constant currents on
// soma and dendrite from t = 0, for n_steps steps of h.
NeuronRun run_neuron(const std::map<std::string, double>& p, const std::map<std::string, std::string>& options,
                 double I_s, double I_d, int n_steps, double w_d0, double h = 0.1, bool keep_trace = false) {
    ModelContext ctx;
    ctx.options = burst_pyramidal_info().option_indices(options);
    auto g = make_burst_pyramidal({0}, 16, h, p, ctx);
    g->state(V_S)[0] = p.at("E_L");
    g->state(V_D)[0] = p.at("E_L");
    g->state(THETA)[0] = p.at("theta_0");
    g->state(W_D)[0] = w_d0;
    constexpr int slice = 8;
    std::vector<double> soma(slice, I_s), dend(slice, I_d);
    const double* rows[] = {soma.data(), dend.data()};
    std::vector<Spike> spikes;
    NeuronRun t;
    for (int s = 1; s <= n_steps;) {
        const int n = keep_trace ? 1 : std::min(slice, n_steps - s + 1);
        g->update(SliceInput{s, n, rows}, spikes);
        s += n;
        if (keep_trace) {
            t.vs.push_back(g->state(V_S)[0]);
            t.vd.push_back(g->state(V_D)[0]);
        }
    }
    for (auto& sp : spikes) t.spikes.push_back(sp.step);
    return t;
}

// docs/models.md 1.8 (a): Auryn's NaudGroup, one neuron per current pair, 2 s, dt 0.1 ms.
struct TableRow {
    double I_s, I_d, first_ms;
    int count;
    double rate, er, br;
    std::set<int> burst_sizes;  // in [0.5, 2] s, ISI rule; empty: no spike in the window
    double event_period_ms;     // mean interval between event onsets; < 0: not given
};
const std::vector<TableRow> table = {
    {0, 600, 25.6, 66, 32.00, 32.00, 0, {1}, 31.0},
    {100, 600, 23.9, 75, 36.67, 36.67, 0, {1}, 27.5},
    {200, 600, 22.4, 83, 40.67, 40.67, 0, {1}, 24.8},
    {300, 500, 36.0, 6, 0, 0, 0, {}, -1},
    {300, 600, 20.7, 91, 44.67, 44.67, 0, {1}, 22.7},
    {400, 500, 26.9, 28, 14.00, 4.00, 2.00, {1, 6}, 224.6},
    {400, 600, 19.0, 98, 47.33, 47.33, 0, {1}, 20.9},
    {500, -100, 41.1, 10, 4.67, 4.67, 0, {1}, 197.5},
    {500, 0, 40.1, 11, 5.33, 5.33, 0, {1}, 192.4},
    {500, 100, 38.5, 11, 5.33, 5.33, 0, {1}, 184.9},
    {500, 200, 36.0, 30, 13.33, 2.67, 2.67, {5}, 340.5},
    {500, 300, 32.3, 36, 16.00, 2.67, 2.67, {6}, 343.8},
    {500, 400, 27.0, 42, 20.00, 3.33, 3.33, {6}, 318.5},
    {500, 500, 21.4, 102, 50.00, 50.00, 0, {1}, 20.2},
    {500, 600, 17.1, 106, 51.33, 51.33, 0, {1}, 19.4},
    {600, -100, 23.5, 20, 9.33, 9.33, 0, {1}, 101.1},
    {600, 0, 23.3, 21, 10.00, 10.00, 0, {1}, 100.0},
    {600, 100, 22.9, 21, 10.00, 10.00, 0, {1}, 98.3},
    {600, 200, 22.3, 46, 23.33, 4.67, 4.67, {5}, 237.6},
    {600, 300, 21.3, 48, 24.00, 4.00, 4.00, {6}, 251.1},
    {600, 400, 19.7, 54, 27.33, 4.67, 4.67, {5, 6}, 241.1},
    {600, 500, 17.5, 110, 53.33, 53.33, 0, {1}, 18.7},
    {600, 600, 15.1, 113, 54.67, 54.67, 0, {1}, 18.2},
};

// The table's statistics of a train of spike times (ms), as docs/models.md 1.8 (a) defines them:
// ISI rule (16 ms) on the whole train; rates over the window [0.5, 2) s.
struct TrainStats {
    double first_ms = -1;
    int count = 0;
    double rate = 0, er = 0, br = 0, event_period_ms = -1;
    std::set<int> burst_sizes;
};
TrainStats stats_of(const std::vector<double>& t_ms) {
    TrainStats s;
    s.count = int(t_ms.size());
    if (t_ms.empty()) return s;
    s.first_ms = t_ms.front();
    int in_window = 0, events = 0, bursts = 0;
    std::vector<double> onsets;
    int size = 0;
    auto close_burst = [&](double onset) {
        if (size > 0 && onset >= 500.0) s.burst_sizes.insert(size);
    };
    double onset = -1;
    for (std::size_t k = 0; k < t_ms.size(); ++k) {
        const bool continues = k > 0 && t_ms[k] - t_ms[k - 1] <= 16.0 + 1e-9;
        const bool in = t_ms[k] >= 500.0 && t_ms[k] < 2000.0;
        in_window += in;
        if (!continues) {
            close_burst(onset);
            onset = t_ms[k];
            size = 1;
            if (in) {
                ++events;
                onsets.push_back(t_ms[k]);
            }
        } else {
            ++size;
            if (size == 2 && in) ++bursts;
        }
    }
    close_burst(onset);
    s.rate = in_window / 1.5;
    s.er = events / 1.5;
    s.br = bursts / 1.5;
    if (onsets.size() > 1) s.event_period_ms = (onsets.back() - onsets.front()) / double(onsets.size() - 1);
    return s;
}

const std::map<std::string, std::string> auryn = {{"reference_step_order", "auryn"},
                                                  {"dendritic_driving_force", "soma"}};

}  // namespace

TEST_CASE("burst_pyramidal, reference_step_order auryn: docs/models.md 1.8 (a) to the time step",
          "[burst_pyramidal]") {
    const auto p = default_parameters("burst_pyramidal");
    for (const auto& row : table) {
        // Auryn starts w_d at 0.1 mV (docs/models.md 1.1) and stamps a spike with the start of its
        // cycle: apical step s is Auryn time (s - 1) dt.
        const NeuronRun tr = run_neuron(p, auryn, row.I_s, row.I_d, 20000, 0.1);
        std::vector<double> t_ms;
        for (step_t s : tr.spikes) t_ms.push_back(double(s - 1) * 0.1);
        const TrainStats st = stats_of(t_ms);
        INFO("I_s " << row.I_s << " pA, I_d " << row.I_d << " pA");
        CHECK(st.first_ms == Approx(row.first_ms).margin(1e-6));
        CHECK(st.count == row.count);
        // The table's rates are counts / 1.5 s rounded to 0.01 Hz.
        CHECK(st.rate == Approx(row.rate).margin(0.006));
        CHECK(st.er == Approx(row.er).margin(0.006));
        CHECK(st.br == Approx(row.br).margin(0.006));
        CHECK(st.burst_sizes == row.burst_sizes);
        if (row.event_period_ms > 0) CHECK(st.event_period_ms == Approx(row.event_period_ms).margin(0.051));
    }
}

TEST_CASE("burst_pyramidal, reference_step_order auryn: the exact trains quoted in docs/models.md 1.8",
          "[burst_pyramidal]") {
    const auto p = default_parameters("burst_pyramidal");
    auto first_times = [&](double I_s, double I_d, std::size_t n) {
        const NeuronRun tr = run_neuron(p, auryn, I_s, I_d, 6000, 0.1);
        std::vector<double> t;
        for (std::size_t k = 0; k < std::min(n, tr.spikes.size()); ++k)
            t.push_back(std::round(double(tr.spikes[k] - 1)) / 10.0);
        return t;
    };
    CHECK(first_times(600, 0, 6) == std::vector<double>{23.3, 84.1, 181.9, 281.8, 381.8, 481.8});
    CHECK(first_times(600, 300, 6) == std::vector<double>{21.3, 28.4, 35.2, 43.4, 53.2, 64.9});
    CHECK(first_times(500, 200, 6) == std::vector<double>{36.0, 45.7, 53.2, 62.1, 73.0, 370.5});
}

TEST_CASE("burst_pyramidal, tonic rows of 1.8 (a) separate the ISI and trace classifiers",
          "[burst_pyramidal]") {
    // docs/models.md 1.8: a regular train with period T < tau (1 + ln(1 + e^-1)) ~ 21.0 ms is all
    // events under the ISI rule (T > 16 ms) and one endless burst under the trace rule.
    const auto p = default_parameters("burst_pyramidal");
    const NeuronRun tr = run_neuron(p, auryn, 400, 600, 20000, 0.1);  // event period 20.9 ms
    SpikeClassifier isi(SpikeClassifier::Rule::isi, 16.0, 0.1, 1), trace(SpikeClassifier::Rule::trace, 16.0, 0.1, 1);
    // Steady state: the spikes of the window [0.5, 2) s of the table (the first ones form an
    // initial burst under either rule).
    int in_window = 0, isi_events = 0, trace_events = 0, trace_bursts = 0;
    for (step_t s : tr.spikes) {
        const auto ci = isi.classify(0, s), ct = trace.classify(0, s);
        if (s - 1 < 5000) continue;
        ++in_window;
        isi_events += ci == SpikeClass::event;
        trace_events += ct == SpikeClass::event;
        trace_bursts += ct == SpikeClass::burst;
    }
    CHECK(in_window == 71);  // 47.33 Hz x 1.5 s (docs/models.md 1.8 (a))
    CHECK(isi_events == in_window);
    CHECK(trace_events == 0);
    CHECK(trace_bursts == 0);
}

namespace {

// Independent reference for the default step: classical RK4 on the whole state
// y = (V_s, V_d, w_d, w_s, theta, g_sE, g_sI, g_dE, g_dI), all integrated numerically, with
// the bAP kernel and currents constant over each coarse step; threshold, reset and input
// arrival at the coarse grid points, as the model defines them.
struct Reference {
    std::map<std::string, double> p;
    double y[9] = {};
    int bap = 0;  // coarse steps of bAP box left
    double at(const char* n) const { return p.at(n); }
    void deriv(const double s[9], double I_s, double I_d, double K, double f[9]) const {
        const double fd = 1.0 / (1.0 + std::exp(-(s[1] - at("E_d")) / at("D_d")));
        const double is = at("g_s") * fd + at("b") * s[3] + s[5] * (at("E_exc") - s[0]) + s[6] * (at("E_inh") - s[0]) + I_s;
        const double id = at("g_d") * fd + at("a_w") * s[2] + s[7] * (at("E_exc") - s[1]) +
                          s[8] * (at("E_inh") - s[1]) + I_d + at("c_d") * K;
        f[0] = -(s[0] - at("E_L")) / at("tau_s") + is / at("C_s");
        f[1] = -(s[1] - at("E_L")) / at("tau_d") + id / at("C_d");
        f[2] = ((s[1] - at("E_L")) - s[2]) / at("tau_wd");
        f[3] = -s[3] / at("tau_ws");
        f[4] = (at("theta_0") - s[4]) / at("tau_theta");
        f[5] = -s[5] / at("tau_AMPA");
        f[6] = -s[6] / at("tau_GABA");
        f[7] = -s[7] / at("tau_AMPA");
        f[8] = -s[8] / at("tau_GABA");
    }
    bool step(double h, int n, double I_s, double I_d, const double in[4]) {
        const double K = bap > 0 ? 1.0 : 0.0;
        if (bap > 0) --bap;
        const double dt = h / n;
        for (int k = 0; k < n; ++k) {
            double k1[9], k2[9], k3[9], k4[9], t[9];
            deriv(y, I_s, I_d, K, k1);
            for (int j = 0; j < 9; ++j) t[j] = y[j] + 0.5 * dt * k1[j];
            deriv(t, I_s, I_d, K, k2);
            for (int j = 0; j < 9; ++j) t[j] = y[j] + 0.5 * dt * k2[j];
            deriv(t, I_s, I_d, K, k3);
            for (int j = 0; j < 9; ++j) t[j] = y[j] + dt * k3[j];
            deriv(t, I_s, I_d, K, k4);
            for (int j = 0; j < 9; ++j) y[j] += dt / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        }
        for (int r = 0; r < 4; ++r) y[5 + r] += in[r];
        if (y[0] > y[4]) {
            y[0] = at("V_reset");
            y[4] += at("Delta_theta");
            y[3] += 1.0;
            bap = int(at("bAP_duration") / h + 0.5);
            return true;
        }
        return false;
    }
};

}  // namespace

TEST_CASE("burst_pyramidal, default step: traces converge to RK4 at a 10x finer step", "[burst_pyramidal]") {
    // 1 s of a bursting regime (I_s 500 pA, I_d 300 pA: bursts of 6 in Auryn) plus synaptic
    // bombardment on all four receptors, so every term of the equations is exercised.
    const auto p = default_parameters("burst_pyramidal");
    const double h = 0.1;
    auto g = make_burst_pyramidal({0}, 4, h, p, ModelContext{});
    g->state(V_S)[0] = p.at("E_L");
    g->state(V_D)[0] = p.at("E_L");
    g->state(THETA)[0] = p.at("theta_0");
    Reference ref{p};
    ref.y[0] = ref.y[1] = p.at("E_L");
    ref.y[4] = p.at("theta_0");
    std::vector<Spike> spikes;
    double err_vs = 0, err_vd = 0, err_ws = 0, err_theta = 0;
    int n_spikes = 0;
    for (int s = 1; s <= 10000; ++s) {
        const double I_s = 500.0, I_d = 300.0;
        const double in[4] = {s % 7 == 0 ? 2.0 : 0.0, s % 13 == 0 ? 1.0 : 0.0, s % 11 == 0 ? 2.5 : 0.0,
                              s % 17 == 0 ? 1.0 : 0.0};
        for (int r = 0; r < 4; ++r) g->input(r).row_of_step(s)[0] += in[r];
        const double* rows[] = {&I_s, &I_d};
        const std::size_t before = spikes.size();
        g->update(SliceInput{s, 1, rows}, spikes);
        const bool ref_spiked = ref.step(h, 10, I_s, I_d, in);
        INFO("step " << s << ": V_s " << g->state(V_S)[0] << " ref " << ref.y[0]);
        REQUIRE((spikes.size() > before) == ref_spiked);
        n_spikes += ref_spiked;
        err_vs = std::max(err_vs, std::abs(g->state(V_S)[0] - ref.y[0]));
        err_vd = std::max(err_vd, std::abs(g->state(V_D)[0] - ref.y[1]));
        err_ws = std::max(err_ws, std::abs(g->state(W_S)[0] - ref.y[3]));
        err_theta = std::max(err_theta, std::abs(g->state(THETA)[0] - ref.y[4]));
    }
    // RK4's global error scales as h^4: with the fastest rates of the system ~0.3/ms (the
    // dendritic regenerative term, docs/models.md 1.6 numbers; see neurons/burst_pyramidal.cpp)
    // (h lambda)^4 / 120 per step ~ 1e-8 relative, times ~1e4 steps and voltage swings of
    // ~70 mV gives ~1e-4 mV at most (measured: 4.6e-7 mV on V_s, 9.4e-7 mV on V_d, so the bound
    // 1e-5 mV still leaves a factor 10); w_s and theta are exact exponentials in the model,
    // so they differ only by the reference's own RK4 error (~1e-12).
    INFO(n_spikes << " spikes; max |dV_s| " << err_vs << " mV, |dV_d| " << err_vd << " mV");
    CHECK(n_spikes > 20);
    CHECK(err_vs < 1e-5);
    CHECK(err_vd < 1e-5);
    CHECK(err_ws < 1e-9);
    CHECK(err_theta < 1e-9);
}

TEST_CASE("burst_pyramidal, default step: rates and burst sizes of docs/models.md 1.8 (a)",
          "[burst_pyramidal][no_sanitize]") {
    // The default step is a different discretisation (RK4 with exact decays) of the same
    // equations. docs/models.md 1.8 expects such an implementation to match the table's rates and
    // burst sizes within a few percent. Two measured exceptions, both due to the table's own
    // forward-Euler step at 0.1 ms, not to this model:
    //  - I_s 0 / I_d 600 pA: the table's 66 spikes are an artefact of Euler at 0.1 ms. Auryn's
    //    own update at dt = 0.01 ms and 0.001 ms gives 5 spikes (then the dendritic
    //    adaptation ends the plateau), as the default step does at 0.1, 0.01 and 0.001 ms.
    //  - first spikes: Euler's first-order error moves them by up to 0.9 ms (Auryn's update
    //    at 500/0 pA: 40.1 ms at dt 0.1, 39.2 at 0.01, 38.9 at 0.001; default step 39.2, 39.12,
    //    39.12), so the table is matched within 1 ms and the default step's own convergence is
    //    checked against dt = 0.01 ms within 0.1 ms.
    const auto p = default_parameters("burst_pyramidal");
    for (const auto& row : table) {
        const NeuronRun tr = run_neuron(p, {}, row.I_s, row.I_d, 20000, 0.1);
        const NeuronRun fine = run_neuron(p, {}, row.I_s, row.I_d, 200000, 0.1, 0.01);
        std::vector<double> t_ms, t_fine;
        for (step_t s : tr.spikes) t_ms.push_back(double(s) * 0.1);
        for (step_t s : fine.spikes) t_fine.push_back(double(s) * 0.01);
        const TrainStats st = stats_of(t_ms), sf = stats_of(t_fine);
        INFO("I_s " << row.I_s << " pA, I_d " << row.I_d << " pA: first " << st.first_ms << " ms, "
                    << st.count << " spikes, rate " << st.rate << " ER " << st.er << " BR " << st.br);
        CHECK(st.first_ms == Approx(sf.first_ms).margin(0.1));
        // Spikes are detected at grid points, each up to one step late: a bias of at most
        // dt / ISI (0.1 / 18 ms = 0.6 %) on the rate, at most one spike of ~110 in 2 s.
        CHECK(std::abs(st.count - sf.count) <= 1);
        if (row.I_s == 0 && row.I_d == 600) {
            CHECK(st.count == 5);
            continue;
        }
        CHECK(st.first_ms == Approx(row.first_ms).margin(1.0));
        CHECK(st.rate == Approx(row.rate).epsilon(0.05).margin(0.7));
        CHECK(st.er == Approx(row.er).epsilon(0.05).margin(0.7));
        CHECK(st.br == Approx(row.br).epsilon(0.05).margin(0.7));
        // Burst sizes seen are among the table's (600/400 pA: the table has 5 and 6, the
        // default step only 6).
        for (int b : st.burst_sizes) CHECK(row.burst_sizes.count(b) == 1);
        CHECK(st.burst_sizes.empty() == row.burst_sizes.empty());
    }
}

TEST_CASE("burst_pyramidal options: t_ref, bAP summation and delay", "[burst_pyramidal]") {
    SECTION("absolute refractory period: no interval shorter than t_ref, V_s held at V_reset") {
        const auto p = default_parameters("burst_pyramidal", {{"t_ref", 3.0}});
        const NeuronRun tr = run_neuron(p, {}, 600, 300, 5000, 0.0, 0.1, true);
        REQUIRE(tr.spikes.size() > 5);
        for (std::size_t k = 1; k < tr.spikes.size(); ++k) CHECK(tr.spikes[k] - tr.spikes[k - 1] > 30);
        // During the 30 steps after a spike V_s stays at V_reset exactly.
        const step_t s0 = tr.spikes.front();
        for (step_t s = s0; s < s0 + 30; ++s) CHECK(tr.vs[std::size_t(s - 1)] == p.at("V_reset"));
    }
    SECTION("bAP kernel: the dendrite gets c_d / C_d per ms for bAP_duration after bAP_delay") {
        // Freeze the dendrite's own dynamics (huge tau_d, no regenerative or adaptation drive)
        // so V_d integrates only the bAP box: each box adds c_d/C_d * duration.
        for (const std::string mode : {"restart", "sum"}) {
            const auto p = default_parameters("burst_pyramidal", {{"tau_d", 1e12}, {"g_d", 0.0}, {"a_w", 0.0},
                                                                  {"g_s", 0.0}, {"bAP_delay", 0.5}});
            const NeuronRun tr = run_neuron(p, {{"bAP_summation", mode}}, 1500, 0, 3000, 0.0, 0.1, true);
            INFO(mode);
            REQUIRE(tr.spikes.size() >= 3);
            // Before the first spike's box starts V_d is at rest.
            const step_t s0 = tr.spikes.front();
            CHECK(tr.vd[std::size_t(s0 + 5 - 1)] == Approx(p.at("E_L")).margin(1e-9));
            // The box covers steps s0 + 6 .. s0 + 25 (delay 5 steps, duration 20).
            CHECK(tr.vd[std::size_t(s0 + 6 - 1)] - tr.vd[std::size_t(s0 + 5 - 1)] ==
                  Approx(0.1 * p.at("c_d") / p.at("C_d")).epsilon(1e-9));
            // Every step s gets K(s) c_d/C_d dt, K(s) = number of spikes t < s with
            // s - t in [6, 25] (sum) or 1 if the last spike t < s has s - t in [6, 25] (restart).
            double expected = 0;
            for (step_t s = 1; s <= 3000; ++s) {
                int K = 0;
                for (auto it = tr.spikes.rbegin(); it != tr.spikes.rend(); ++it) {
                    if (*it >= s) continue;
                    const bool covers = s - *it >= 6 && s - *it <= 25;
                    K += covers;
                    if (mode == "restart") break;
                }
                expected += K * 0.1 * p.at("c_d") / p.at("C_d");
            }
            CHECK(tr.vd.back() - p.at("E_L") == Approx(expected).epsilon(1e-9));
        }
    }
}

