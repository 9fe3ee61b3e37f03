// Ring buffers and delays: an input with delay d acts exactly d steps after the spike, for
// every d from the minimum to the maximum delay, with constant and with per-synapse delays,
// and for slices of several steps. Expected values: the definition of a delay (docs/architecture.md, "Time"; docs/models.md 0.2).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;


TEST_CASE("an input with constant delay d acts exactly d steps later, for every d", "[kernel][delays]") {
    const int min_d = 3, max_d = 40;  // steps of 0.1 ms
    for (int threads : {1, 2}) {
        NetworkSpec spec;
        spec.simulation.threads = threads;
        auto src = population("src", "spike_source", 1);
        src.spike_times_ms = {{1.0}};  // step 10
        spec.populations.push_back(src);
        for (int d = min_d; d <= max_d; ++d) {
            const std::string target = std::string("t").append(std::to_string(d));
            spec.populations.push_back(population(target, "iaf_psc_delta", 1));
            spec.projections.push_back(projection("src", target, ConnectionRule::all_to_all, 1.0, d * 0.1));
        }
        Network net(spec, 1, 0, threads);
        REQUIRE(net.min_delay() == min_d);
        REQUIRE(net.max_delay() == max_d);
        // With 2 threads, each single-neuron population lives on VP gid % 2: collect from both.
        std::vector<step_t> seen(spec.populations.size(), -1);
        LocalContext ctx;
        Simulation sim(net, ctx);
        for (step_t s = 1; s <= 10 + max_d + 5; ++s) {
            sim.run(s);
            for (auto& vp : net.vps())
                for (std::size_t p = 1; p < vp.n_groups(); ++p)
                    if (vp.group(p).size() && seen[p] < 0 && vp.group(p).state(0)[0] != -70.0) seen[p] = s;
        }
        for (int d = min_d; d <= max_d; ++d) {
            INFO("delay " << d << " steps, threads " << threads);
            REQUIRE(seen[std::size_t(d - min_d + 1)] == 10 + d);
        }
    }
}

TEST_CASE("per-synapse delays act exactly at spike step + delay, with slices of min_delay steps", "[kernel][delays]") {
    NetworkSpec spec;
    auto src = population("src", "spike_source", 1);
    src.spike_times_ms = {{2.3}};  // step 23
    spec.populations.push_back(src);
    spec.populations.push_back(population("tgt", "iaf_psc_delta", 200));
    auto proj = projection("src", "tgt", ConnectionRule::all_to_all, 1.0, 0.0);
    proj.delay.kind = Distribution::Kind::uniform;
    proj.delay.low = 0.5;   // 5 steps
    proj.delay.high = 6.0;  // up to 60 steps
    spec.projections.push_back(proj);
    Network net(spec, 1, 0, 1);
    REQUIRE(net.min_delay() >= 5);
    REQUIRE(net.max_delay() <= 60);
    const auto& table = net.vps()[0].tables().at(0);
    REQUIRE(table.delay.size() == 200);
    LocalContext ctx;
    Simulation sim(net, ctx);
    std::vector<step_t> seen(200, -1);
    auto& g = net.vps()[0].group(1);
    for (step_t s = 1; s <= 100; ++s) {
        sim.run(s);
        for (std::size_t i = 0; i < 200; ++i)
            if (seen[i] < 0 && g.state(0)[i] != -70.0) seen[i] = s;
    }
    // Also run the same network in whole slices: the arrival steps must be the same.
    Network net2(spec, 1, 0, 1);
    Simulation sim2(net2, ctx);
    sim2.run(100);
    for (std::size_t k = 0; k < table.size(); ++k) {
        const std::uint32_t i = table.target[k];
        INFO("synapse " << k << " delay " << table.delay[k]);
        REQUIRE(seen[i] == 23 + table.delay[k]);
        // PSP decays with tau_m = 10 ms from the arrival: V(100) = E_L + exp(-(100 - arrival) h / tau)
        REQUIRE(net2.vps()[0].group(1).state(0)[i] ==
                Approx(-70.0 + std::exp(-(100 - seen[i]) * 0.1 / 10.0)).epsilon(1e-12));
    }
}
