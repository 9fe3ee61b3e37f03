// iaf_psc_delta_ps (neurons/iaf_psc_delta_ps.cpp) against the closed-form solution of its linear
// subthreshold dynamics: exact spike times off the grid under DC input, jumps at exact input
// times, threshold on arrival, refractoriness with exact timing, and the order of equal-time
// inputs. Expected values: the formulas written beside each check, from the equations at the
// top of the model's file (NEST's iaf_psc_delta_ps; Morrison et al. 2007).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/network.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
#include "neurons/models.hpp"
#include "spec_builders.hpp"

using namespace apical;
using apical::test::default_parameters;

namespace {

// Advances a group one step at a time without stimulus current.
struct Driver {
    NeuronGroup& g;
    step_t now = 0;
    std::vector<Spike> spikes = {};
    void run_to(step_t last) {
        const double zero = 0.0;
        const double* rows[] = {&zero};
        while (now < last) {
            ++now;
            g.update(SliceInput{now, 1, rows}, spikes);
        }
    }
};

double time_of(const Spike& s, double h) { return (double(s.step) + double(s.offset)) * h; }

}  // namespace

TEST_CASE("iaf_psc_delta_ps under DC input spikes at the exact crossings of the closed form",
          "[neurons][iaf_psc_delta_ps]") {
    // I_e = 500 pA, R = tau_m / C_m = 0.04 GOhm: V_inf = E_L + R I_e = -50 mV > V_th = -55 mV.
    // From V = E_L: t1 = -tau_m ln(1 - (V_th - E_L)/(R I_e)) = 10 ln 4 = 13.8629 ms; after each
    // spike V_reset = E_L and t_ref = 2 ms, so the interval is t_ref + 10 ln 4 = 15.8629 ms.
    // The times do not depend on dt (the grid only bounds the update), so dt = 0.1 and 1 ms give
    // the same spikes. Tolerance: a spike's offset is single precision, 2^-24 of a step.
    const double t1 = 10.0 * std::log(4.0), isi = 2.0 + t1;
    for (double h : {0.1, 1.0}) {
        INFO("dt = " << h);
        auto p = default_parameters("iaf_psc_delta_ps", {{"I_e", 500.0}});
        auto g = make_iaf_psc_delta_ps({3}, 4, h, p);
        g->state(0)[0] = -70.0;
        Driver d{*g};
        d.run_to(step_t(std::llround(1000.0 / h)));
        REQUIRE(d.spikes.size() == 63);  // t1 + k isi <= 1000 ms: k = 0..62
        for (std::size_t k = 0; k < d.spikes.size(); ++k) {
            CHECK(d.spikes[k].gid == 3);
            CHECK(std::abs(time_of(d.spikes[k], h) - (t1 + double(k) * isi)) < 1e-6);
            CHECK(d.spikes[k].offset >= 0.0f);
            CHECK(d.spikes[k].offset < 1.0f);
        }
    }
}

TEST_CASE("iaf_psc_delta_ps: an input at an exact time is a jump that decays with tau_m",
          "[neurons][iaf_psc_delta_ps]") {
    // An input of 5 mV at t_in = (10 + 0.37) dt: V(t) = E_L + 5 exp(-(t - t_in)/tau_m) after it,
    // E_L before; at the end of every step, to 1e-12 relative.
    const double h = 0.1, t_in = 10.37 * h;
    auto p = default_parameters("iaf_psc_delta_ps");
    auto g = make_iaf_psc_delta_ps({0}, 4, h, p);
    g->state(0)[0] = -70.0;
    g->events().push(10, 0.37f, 0, 5.0);
    Driver d{*g};
    for (step_t s = 1; s <= 300; ++s) {
        d.run_to(s);
        const double t = double(s) * h;
        const double expected = t < t_in ? -70.0 : -70.0 + 5.0 * std::exp(-(t - double(10.0 + double(0.37f)) * h) / 10.0);
        REQUIRE(std::abs(g->state(0)[0] - expected) <= 1e-12 * 70.0);
    }
    CHECK(d.spikes.empty());
}

TEST_CASE("iaf_psc_delta_ps: threshold on arrival spikes at the input's time; refractory input is lost until "
          "exactly t_ref later",
          "[neurons][iaf_psc_delta_ps]") {
    // 16 mV from E_L = -70 reaches V_th = -55: a spike at the input's own time (20 + 0.25) dt.
    // Then V = V_reset = -70 for t_ref = 2 ms = 20 steps: an input at (30 + 0.25) dt is lost, one
    // at exactly (40 + 0.25) dt is taken (refractoriness is [t*, t* + t_ref)).
    const double h = 0.1;
    auto p = default_parameters("iaf_psc_delta_ps");
    auto g = make_iaf_psc_delta_ps({9}, 4, h, p);
    g->state(0)[0] = -70.0;
    g->events().push(20, 0.25f, 0, 16.0);
    g->events().push(30, 0.25f, 0, 3.0);
    g->events().push(40, 0.25f, 0, 4.0);
    Driver d{*g};
    d.run_to(40);
    REQUIRE(d.spikes.size() == 1);
    CHECK(d.spikes[0].step == 20);
    CHECK(d.spikes[0].offset == 0.25f);
    CHECK(g->state(0)[0] == -70.0);  // clamped, the 3 mV lost
    d.run_to(41);
    // 4 mV at 40.25 dt, decayed over the remaining 0.75 dt.
    CHECK(std::abs(g->state(0)[0] - (-70.0 + 4.0 * std::exp(-(1.0 - double(0.25f)) * h / 10.0))) < 1e-12 * 70.0);
}

TEST_CASE("iaf_psc_delta_ps: inputs at equal times are one, the sum of their weights", "[neurons][iaf_psc_delta_ps]") {
    // +16 and -10 mV at the same time, in either order: one input of +6 mV (NEST accumulates
    // simultaneous spikes), so V = -64 mV below V_th and no spike, whatever the order; the +16
    // alone would cross (previous test).
    const double h = 0.1;
    for (bool excitatory_first : {true, false}) {
        auto g = make_iaf_psc_delta_ps({0}, 4, h, default_parameters("iaf_psc_delta_ps"));
        g->state(0)[0] = -70.0;
        g->events().push(5, 0.5f, 0, excitatory_first ? 16.0 : -10.0);
        g->events().push(5, 0.5f, 0, excitatory_first ? -10.0 : 16.0);
        Driver d{*g};
        d.run_to(6);  // (5 + 0.5) dt is inside step 6
        CHECK(d.spikes.empty());
        CHECK(std::abs(g->state(0)[0] - (-70.0 + 6.0 * std::exp(-0.5 * h / 10.0))) < 1e-12 * 70.0);
    }
}

TEST_CASE("iaf_psc_delta_ps in a described network: exact times through delivery, grid targets at the end of the step",
          "[neurons][iaf_psc_delta_ps][kernel]") {
    // S (iaf_psc_delta_ps, I_e = 500 pA) spikes at t_k = 10 ln 4 + k (2 + 10 ln 4) ms (first
    // test). 20 mV onto a grid iaf_psc_delta G (delay 1 ms = 10 steps) makes G spike at the end of
    // the step that contains t_k, 10 steps later: step ceil(t_k / dt) + 10 (NEST's convention for
    // precise spikes onto grid models, docs/architecture.md "Time"). 20 mV onto another
    // iaf_psc_delta_ps P with delay 1.05 ms (10.5 steps: the fraction carried into the offset)
    // makes P spike at exactly t_k + 1.05 ms. The same spikes with 1 and 2 threads.
    const double h = 0.1, t1 = 10.0 * std::log(4.0), isi = 2.0 + t1;
    std::vector<Spike> first;
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        NetworkSpec spec = parse_description(R"(simulation:
  dt: 0.1 ms
  t_stop: 200 ms
  threads: )" + std::to_string(threads) + R"(
populations:
  S: {model: iaf_psc_delta_ps, size: 1, parameters: {I_e: 500 pA}}
  G: {model: iaf_psc_delta, size: 1}
  P: {model: iaf_psc_delta_ps, size: 1}
projections:
  - {source: S, target: G, connectivity: {rule: all_to_all}, weight: 20 mV, delay: 1 ms}
  - {source: S, target: P, connectivity: {rule: all_to_all}, weight: 20 mV, delay: 1.05 ms}
)", "network.yaml");
        LocalContext ctx;
        Simulation sim(spec, ctx);
        MemorySpikeRecorder rec;
        sim.add_recorder(&rec);
        sim.run(2000);
        std::vector<Spike> of[3];
        for (const Spike& s : rec.spikes) of[s.gid].push_back(s);
        REQUIRE(of[0].size() == 12);  // t_k <= 200 ms: k = 0..11
        REQUIRE(of[1].size() == 12);
        REQUIRE(of[2].size() == 12);
        for (std::size_t k = 0; k < 12; ++k) {
            const double t = t1 + double(k) * isi;
            CHECK(std::abs(time_of(of[0][k], h) - t) < 1e-6);
            CHECK(of[1][k].step == step_t(std::ceil(t / h)) + 10);
            CHECK(of[1][k].offset == 0.0f);
            CHECK(std::abs(time_of(of[2][k], h) - (t + 1.05)) < 1e-6);
        }
        if (threads == 1) first = rec.spikes;
        else CHECK(rec.spikes == first);
    }
}

TEST_CASE("iaf_psc_delta_ps with short-term plasticity: on the grid, the jumps of iaf_psc_delta", "[neurons][iaf_psc_delta_ps][kernel]") {
    // Spikes on the grid, whole-step delays, no current: iaf_psc_delta adds the weights of step
    // s in the update of step s (7.1), iaf_psc_delta_ps takes inputs at s dt, the end of that
    // step (7.6); between inputs both decay with exp(-dt/tau_m). So with the same depressing and
    // facilitating synapse (tsodyks_markram, the efficacy of each spike from the source's state,
    // docs/models.md 4) both membranes follow the same trajectory, to rounding (1e-12 mV). The
    // trains are close enough for the efficacy to vary (U 0.2, tau_F 100 ms, tau_D 50 ms).
    NetworkSpec spec = parse_description(R"(simulation:
  dt: 0.1 ms
  t_stop: 60 ms
populations:
  S: {model: spike_source, size: 1, spike_times: [[5 ms, 7 ms, 9.5 ms, 20 ms, 22 ms, 40 ms]]}
  G: {model: iaf_psc_delta, size: 1}
  P: {model: iaf_psc_delta_ps, size: 1}
projections:
  - {source: S, target: G, connectivity: {rule: all_to_all}, weight: 3 mV, delay: 1 ms,
     synapse: {model: tsodyks_markram, U: 0.2, tau_F: 100 ms, tau_D: 50 ms}}
  - {source: S, target: P, connectivity: {rule: all_to_all}, weight: 3 mV, delay: 1 ms,
     synapse: {model: tsodyks_markram, U: 0.2, tau_F: 100 ms, tau_D: 50 ms}}
)", "stp.yaml");
    Network net(spec, 1, 0, 1);
    LocalContext ctx;
    Simulation sim(net, ctx);
    NeuronGroup& g = net.vps()[0].group(1);
    NeuronGroup& p = net.vps()[0].group(2);
    double largest = 0, highest = -70.0;
    for (step_t s = 1; s <= 600; ++s) {
        sim.run(s);
        largest = std::max(largest, std::abs(g.state(0)[0] - p.state(0)[0]));
        highest = std::max(highest, g.state(0)[0]);
    }
    CHECK(largest < 1e-12);
    CHECK(highest > -69.5);  // the inputs arrived (0.6 mV = U x 3 mV at the first spike)
}
