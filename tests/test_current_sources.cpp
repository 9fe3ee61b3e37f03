// dc_current and step_current through the network: the membrane potential of iaf_psc_delta
// follows the closed form of a piecewise-constant current, V(t) = V_inf + (V(t0) - V_inf)
// exp(-(t - t0)/tau_m) on each piece, with V_inf = E_L + R I, R = tau_m / C_m = 0.04 GOhm.
// Window convention (engine/stimuli.hpp): a current on [start, stop) acts on the steps whose
// interval begins in [start, stop).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

TEST_CASE("dc_current and step_current act in their windows as the closed form says", "[stimuli][currents]") {
    NetworkSpec spec;
    spec.populations = {population("P", "iaf_psc_delta", 3, {{"V_th", 1e9}})};
    StimulusSpec dc;
    dc.kind = StimulusSpec::Kind::dc_current;
    dc.targets = {"P"};
    dc.amplitude_pA = 100.0;
    dc.start_ms = 5.0;
    dc.stop_ms = 30.0;
    StimulusSpec steps;
    steps.kind = StimulusSpec::Kind::step_current;
    steps.targets = {"P"};
    steps.times_ms = {10.0, 20.0};
    steps.amplitudes_pA = {50.0, -25.0};
    spec.stimuli = {dc, steps};
    for (int threads : {1, 2}) {
        spec.simulation.threads = threads;
        Network net(spec, 1, 0, threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        double v = -70.0;  // the closed form, piece by piece
        for (step_t s = 1; s <= 400; ++s) {
            const double t_begin = double(s - 1) * 0.1;
            double I = 0;
            if (t_begin >= 5.0 - 1e-9 && t_begin < 30.0 - 1e-9) I += 100.0;
            if (t_begin >= 20.0 - 1e-9) I += -25.0;
            else if (t_begin >= 10.0 - 1e-9) I += 50.0;
            const double v_inf = -70.0 + 0.04 * I;
            v = v_inf + (v - v_inf) * std::exp(-0.1 / 10.0);
            sim.run(s);
            for (auto& vp : net.vps())
                for (double x : vp.group(0).state(0)) REQUIRE(std::abs(x - v) <= 1e-12 * std::abs(v));
        }
    }
}
