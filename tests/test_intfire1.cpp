// intfire1 (neurons/intfire1.cpp), NEURON's IntFire1 event by event: exponential decay of m
// between events, a spike at the exact time of the input that takes m above 1, input discarded
// while refractory and m = 0 after it, and m as recorded. Expected values: the rules at the top
// of the model's file (NEURON's IntFire1 documentation), computed beside each check.
#include <catch2/catch.hpp>

#include <cmath>

#include "neurons/models.hpp"
#include "spec_builders.hpp"

using namespace apical;
using apical::test::default_parameters;

namespace {

void run_steps(NeuronGroup& g, step_t first, step_t last, std::vector<Spike>& spikes) {
    for (step_t s = first; s <= last; ++s) g.update(SliceInput{s, 1, nullptr}, spikes);
}

}  // namespace

TEST_CASE("intfire1: m decays between events; a spike at the exact time m exceeds 1", "[neurons][intfire1]") {
    // tau = 10 ms, dt = 0.1 ms. w = 0.5 at (5 + 0.3) dt, then w = 0.6 at (15 + 0.8) dt:
    // m = 0.5 exp(-1.05 / 10) + 0.6 = 1.0502 > 1, so the cell spikes at (15 + 0.8) dt exactly.
    const double h = 0.1;
    auto g = make_intfire1({4}, 1, h, default_parameters("intfire1"));
    g->events().push(5, 0.3f, 0, 0.5);
    std::vector<Spike> spikes;
    run_steps(*g, 1, 10, spikes);
    // Recorded m: decayed to the end of step 10.
    CHECK(std::abs(g->state(0)[0] - 0.5 * std::exp(-(10.0 - (5.0 + double(0.3f))) * h / 10.0)) < 1e-15);
    g->events().push(15, 0.8f, 0, 0.6);
    run_steps(*g, 11, 20, spikes);
    REQUIRE(spikes.size() == 1);
    CHECK(spikes[0].gid == 4);
    CHECK(spikes[0].step == 15);
    CHECK(spikes[0].offset == 0.8f);
    CHECK(g->state(0)[0] == 2.0);  // refractory (refrac 5 ms), as NEURON's M() shows it
}

TEST_CASE("intfire1: input is discarded while refractory; m restarts from 0 at refrac", "[neurons][intfire1]") {
    // refrac = 3 ms = 30 steps. Spike at (10 + 0.5) dt; an input of 0.9 at (40 + 0.4) dt is
    // lost, one of 0.7 at exactly (40 + 0.5) dt is taken from m = 0: m = 0.7 there, no spike.
    const double h = 0.1;
    auto g = make_intfire1({0}, 1, h, default_parameters("intfire1", {{"refrac", 3.0}, {"tau", 20.0}}));
    g->events().push(10, 0.5f, 0, 1.5);
    g->events().push(40, 0.4f, 0, 0.9);
    g->events().push(40, 0.5f, 0, 0.7);
    std::vector<Spike> spikes;
    run_steps(*g, 1, 41, spikes);
    REQUIRE(spikes.size() == 1);
    CHECK(spikes[0].step == 10);
    // m at the end of step 41: 0.7 exp(-(41 - 40.5) dt / tau).
    CHECK(std::abs(g->state(0)[0] - 0.7 * std::exp(-(41.0 - 40.5) * h / 20.0)) < 1e-15);
}

TEST_CASE("intfire1: negative weights take m below 0", "[neurons][intfire1]") {
    // -0.4 then +1.2 a step later: m = -0.4 exp(-dt/tau) + 1.2 = 0.804 < 1 (no spike; NEURON
    // adds w to the decayed m whatever its sign).
    const double h = 0.1;
    auto g = make_intfire1({0}, 1, h, default_parameters("intfire1"));
    g->events().push(2, 0.0f, 0, -0.4);
    g->events().push(3, 0.0f, 0, 1.2);
    std::vector<Spike> spikes;
    run_steps(*g, 1, 3, spikes);
    CHECK(spikes.empty());
    CHECK(std::abs(g->state(0)[0] - (-0.4 * std::exp(-h / 10.0) + 1.2)) < 1e-15);
}

TEST_CASE("intfire1: simultaneous inputs are one, the sum of their weights", "[neurons][intfire1]") {
    // +1.5 and -1.0 at the same time, either order: m = 0.5, no spike (the threshold is tested
    // after all simultaneous inputs, core/event_queue.hpp); +1.5 alone spikes (first test).
    const double h = 0.1;
    for (bool excitatory_first : {true, false}) {
        auto g = make_intfire1({0}, 1, h, default_parameters("intfire1"));
        g->events().push(7, 0.25f, 0, excitatory_first ? 1.5 : -1.0);
        g->events().push(7, 0.25f, 0, excitatory_first ? -1.0 : 1.5);
        std::vector<Spike> spikes;
        run_steps(*g, 1, 8, spikes);
        CHECK(spikes.empty());
        CHECK(std::abs(g->state(0)[0] - 0.5 * std::exp(-(8.0 - 7.25) * h / 10.0)) < 1e-15);
    }
}
