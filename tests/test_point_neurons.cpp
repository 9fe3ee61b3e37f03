// Validation of iaf_psc_delta and iaf_psc_exp against closed-form solutions of their ODEs.
// Expected values: the analytic solutions written next to each check (derived from the
// equations at the top of neurons/iaf_psc_delta.cpp and neurons/iaf_psc_exp.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "neurons/models.hpp"
#include "spec_builders.hpp"

using namespace apical;
using apical::test::default_parameters;

namespace {

constexpr double h = 0.1;  // ms

// Advances a group one step at a time with a constant stimulus current.
struct Driver {
    NeuronGroup& g;
    double current = 0.0;
    step_t now = 0;
    std::vector<Spike> spikes = {};
    void step() {
        ++now;
        const double* rows[] = {&current};
        g.update(SliceInput{now, 1, rows}, spikes);
    }
};

double rel_err(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

}  // namespace

TEST_CASE("iaf_psc_delta under DC input follows the closed form on the grid", "[neurons][iaf_psc_delta]") {
    // NEST defaults except t_ref; I = 300 pA gives V_inf = E_L + R I = -70 + 40*300/250... with
    // R = tau_m / C_m = 10 ms / 250 pF = 0.04 GOhm: V_inf = -70 + 12 = -58 mV (below V_th = -55),
    // so the neuron never fires: V(t) = E_L + R I (1 - exp(-t/tau_m)).
    auto p = default_parameters("iaf_psc_delta");
    auto g = make_iaf_psc_delta({0}, 4, h, p);
    g->state(0)[0] = p["E_L"];
    Driver d{*g, 300.0};
    for (int k = 1; k <= 2000; ++k) {
        d.step();
        const double t = k * h;
        const double expected = -70.0 + 0.04 * 300.0 * (1.0 - std::exp(-t / 10.0));
        REQUIRE(rel_err(g->state(0)[0], expected) < 1e-12);
    }
    REQUIRE(d.spikes.empty());
}

TEST_CASE("iaf_psc_delta spikes where the closed form crosses threshold", "[neurons][iaf_psc_delta]") {
    // I = 500 pA: V_inf = -70 + 20 = -50 mV > V_th. From E_L the closed form crosses V_th = -55 mV
    // at t* = -tau ln(1 - (V_th - E_L)/(R I)) = -10 ln(0.25) = 13.8629 ms, so the first spike is at
    // step ceil(t*/h) = 139. After reset to V_reset = E_L and t_ref = 2 ms (20 clamped steps) the
    // trajectory restarts: spikes at 139 + k (139 + 20) = every 159 steps.
    auto p = default_parameters("iaf_psc_delta");
    auto g = make_iaf_psc_delta({7}, 4, h, p);
    g->state(0)[0] = p["E_L"];
    Driver d{*g, 500.0};
    for (int k = 0; k < 1000; ++k) d.step();
    const double t_star = -10.0 * std::log(1.0 - 15.0 / 20.0);
    const step_t first = step_t(std::ceil(t_star / h));
    REQUIRE(first == 139);
    REQUIRE(d.spikes.size() == 6);  // steps 139 + k 159 <= 1000: k = 0..5
    for (std::size_t k = 0; k < d.spikes.size(); ++k) {
        REQUIRE(d.spikes[k].gid == 7);
        REQUIRE(d.spikes[k].step == first + step_t(k) * (first + 20));
    }
}

TEST_CASE("iaf_psc_delta: a single input spike is a jump that decays with tau_m; refractory input is lost",
          "[neurons][iaf_psc_delta]") {
    auto p = default_parameters("iaf_psc_delta");
    auto g = make_iaf_psc_delta({0}, 4, h, p);
    g->state(0)[0] = p["E_L"];
    Driver d{*g, 0.0};
    d.step();                                          // step 1
    g->input(0).row_of_step(2)[0] += 1.5;              // arrives at step 2
    for (int k = 2; k <= 500; ++k) {
        d.step();
        // PSP: V(t) - E_L = J exp(-(t - t_arrival)/tau_m) from the arrival step on.
        const double expected = -70.0 + 1.5 * std::exp(-(k - 2) * h / 10.0);
        REQUIRE(rel_err(g->state(0)[0], expected) < 1e-12);
    }
    // Input during the refractory period is discarded (NEST's default).
    auto q = default_parameters("iaf_psc_delta", {{"V_th", -69.0}});
    auto g2 = make_iaf_psc_delta({0}, 4, h, q);
    g2->state(0)[0] = q["E_L"];
    Driver d2{*g2, 0.0};
    g2->input(0).row_of_step(1)[0] += 2.0;  // spike at step 1
    d2.step();
    REQUIRE(d2.spikes.size() == 1);
    g2->input(0).row_of_step(5)[0] += 0.5;   // inside the 20 refractory steps: lost
    for (int k = 2; k <= 21; ++k) {
        d2.step();
        REQUIRE(g2->state(0)[0] == q["V_reset"]);
    }
    g2->input(0).row_of_step(22)[0] += 0.5;  // after it: acts
    d2.step();
    REQUIRE(g2->state(0)[0] == Approx(-69.5).epsilon(1e-12));
}

TEST_CASE("iaf_psc_exp under DC input follows the closed form and spikes at the crossing", "[neurons][iaf_psc_exp]") {
    auto p = default_parameters("iaf_psc_exp");
    {
        auto g = make_iaf_psc_exp({0}, 4, h, p);
        g->state(0)[0] = p["E_L"];
        Driver d{*g, 300.0};
        for (int k = 1; k <= 2000; ++k) {
            d.step();
            const double expected = -70.0 + 0.04 * 300.0 * (1.0 - std::exp(-k * h / 10.0));
            REQUIRE(rel_err(g->state(0)[0], expected) < 1e-12);
        }
    }
    auto g = make_iaf_psc_exp({3}, 4, h, p);
    g->state(0)[0] = p["E_L"];
    Driver d{*g, 500.0};
    for (int k = 0; k < 400; ++k) d.step();
    // Same crossing as iaf_psc_delta: t* = 13.8629 ms -> step 139, then every 159 steps.
    REQUIRE(d.spikes.size() == 2);  // 139, 298 (the next, 457, is beyond 400)
    REQUIRE(d.spikes[0].step == 139);
    REQUIRE(d.spikes[1].step == 298);
}

TEST_CASE("iaf_psc_exp: the PSP of a single input spike equals the closed form", "[neurons][iaf_psc_exp]") {
    // Tolerance 1e-12 relative to V, as for the DC tests (V is stored absolutely, so its
    // rounding error is relative to |V| ~ 70 mV, not to the PSP).
    // V(t) - E_L = J/C_m * tau_s tau_m / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)), t from the
    // end of the arrival step; for tau_s = tau_m the limit J/C_m t exp(-t/tau_m).
    for (double tau_s : {2.0, 0.5, 10.0}) {
        auto p = default_parameters("iaf_psc_exp", {{"tau_syn_ex", tau_s}, {"tau_syn_in", tau_s}});
        for (double J : {100.0, -80.0}) {
            auto g = make_iaf_psc_exp({0}, 4, h, p);
            g->state(0)[0] = p["E_L"];
            Driver d{*g, 0.0};
            const int receptor = J >= 0 ? 0 : 1;
            g->input(receptor).row_of_step(1)[0] += J;
            d.step();
            for (int k = 1; k <= 1000; ++k) {
                d.step();
                const double t = k * h, tm = 10.0, C = 250.0;
                const double expected =
                    tau_s == tm ? J / C * t * std::exp(-t / tm)
                                : J / C * tau_s * tm / (tm - tau_s) * (std::exp(-t / tm) - std::exp(-t / tau_s));
                REQUIRE(rel_err(g->state(0)[0], -70.0 + expected) < 1e-12);
            }
        }
    }
}
