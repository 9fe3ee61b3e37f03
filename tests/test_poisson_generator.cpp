// poisson_generator: an independent Poisson train into every target. The counts received by
// each neuron over a window have mean rate * T and Fano factor 1 (Poisson), checked within 4
// standard errors; two neurons' counts are uncorrelated. Expected values: Poisson moments.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

TEST_CASE("poisson_generator counts have the Poisson mean and Fano factor", "[stimuli][poisson]") {
    // Target: iaf_psc_delta without leak in practice (tau_m = 1e12 ms: P33 = 1 - 1e-13) and an
    // unreachable threshold, weight 1 mV: V(T) - V(0) is the number of input spikes (the leak
    // changes it by < 1e-13 * 1e4 steps * count, far below 0.5).
    const std::uint64_t n = 2000;
    for (double rate : {50.0, 800.0, 30000.0}) {  // lambda per step 0.005, 0.08, 3 (inversion path)
        NetworkSpec spec;
        spec.populations = {population("P", "iaf_psc_delta", n,
                                       {{"tau_m", 1e12}, {"V_th", 1e12}, {"E_L", 0.0}, {"V_reset", 0.0}})};
        StimulusSpec s;
        s.kind = StimulusSpec::Kind::poisson_generator;
        s.targets = {"P"};
        s.rate_hz = rate;
        s.weight = 1.0;
        s.delay_ms = 0.1;
        s.start_ms = 0.0;
        s.stop_ms = 500.0;  // emission steps 1..5000
        spec.stimuli = {s};
        Network net(spec, 1, 0, 2);
        LocalContext ctx;
        Simulation sim(net, ctx);
        sim.run(6000);
        std::vector<double> counts;
        for (auto& vp : net.vps())
            for (double v : vp.groups[0]->state(0)) counts.push_back(std::round(v));
        REQUIRE(counts.size() == n);
        double sum = 0, sum2 = 0;
        for (double c : counts) {
            sum += c;
            sum2 += c * c;
        }
        const double mu = rate * 0.5;  // rate * T, T = 0.5 s
        const double mean = sum / double(n), var = (sum2 - double(n) * mean * mean) / double(n - 1);
        INFO("rate " << rate << " Hz: mean " << mean << ", variance " << var);
        REQUIRE(std::abs(mean - mu) < 4 * std::sqrt(mu / double(n)));
        // SE of the sample variance of Poisson counts: sqrt((mu4 - sigma^4)/n) with
        // mu4 = mu + 3 mu^2, sigma^4 = mu^2 -> sqrt((mu + 2 mu^2)/n); Fano = var/mu.
        REQUIRE(std::abs(var - mu) < 4 * std::sqrt((mu + 2 * mu * mu) / double(n)));
    }
}

TEST_CASE("poisson_generator: trains are independent across neurons and honour start, stop and delay",
          "[stimuli][poisson]") {
    NetworkSpec spec;
    spec.populations = {population("P", "iaf_psc_delta", 2,
                                   {{"tau_m", 1e12}, {"V_th", 1e12}, {"E_L", 0.0}, {"V_reset", 0.0}})};
    StimulusSpec s;
    s.kind = StimulusSpec::Kind::poisson_generator;
    s.targets = {"P"};
    s.rate_hz = 1e5;  // lambda 10 per step: the PTRS path
    s.weight = 1.0;
    s.delay_ms = 2.0;   // 20 steps
    s.start_ms = 10.0;  // emission steps 101..200, arrivals 121..220
    s.stop_ms = 20.0;
    spec.stimuli = {s};
    Network net(spec, 1, 0, 1);
    LocalContext ctx;
    Simulation sim(net, ctx);
    auto& v = net.vps()[0].groups[0]->state(0);
    sim.run(120);
    REQUIRE(v[0] == 0.0);
    REQUIRE(v[1] == 0.0);
    sim.run(121);
    REQUIRE(v[0] > 0.0);
    sim.run(220);
    const double a = v[0], b = v[1];
    sim.run(400);
    REQUIRE(v[0] == Approx(a).epsilon(1e-9));  // nothing after the window (only the 1e-13 leak)
    // 100 steps x lambda 10: mean 1000, SD 31.6 each; the two neurons differ (independent).
    REQUIRE(std::abs(a - 1000.0) < 4 * std::sqrt(1000.0));
    REQUIRE(a != b);
}
