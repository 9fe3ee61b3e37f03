// The kernel classifies every spike (event, burst, other) with the trace rule of docs/models.md
// 3.2 (tau 16 ms, threshold e^-1, trace read before the spike is added). Expected classes
// computed by hand for a spike_source train, per neuron, for any thread count:
//   10 ms event; 15 ms burst (trace e^-5/16 = 0.73); 40 ms event (e^-25/16 + e^-30/16 = 0.363
//   < e^-1 = 0.368); 100 ms event; 105 ms burst; 110 ms other (e^-5/16 + e^-10/16 = 1.27).
#include <catch2/catch.hpp>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

TEST_CASE("every spike is classified as event, burst or other by the trace rule", "[kernel][bursts]") {
    for (int threads : {1, 2}) {
        NetworkSpec spec;
        spec.simulation.threads = threads;
        auto src = population("S", "spike_source", 2);
        src.spike_times_ms = {{10, 15, 40, 100, 105, 110}, {12, 200}};
        spec.populations = {src};
        spec.spike_recordings = {"S"};  // classes are computed for populations whose classes are used
        Network net(spec, 1, 0, threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        MemorySpikeRecorder rec;
        sim.add_recorder(&rec);
        sim.run(3000);
        REQUIRE(rec.spikes.size() == 8);
        REQUIRE(rec.classes.size() == 8);
        std::vector<std::uint8_t> node0, node1;
        for (std::size_t k = 0; k < rec.spikes.size(); ++k)
            (rec.spikes[k].gid == 0 ? node0 : node1).push_back(rec.classes[k]);
        using C = SpikeClass;
        REQUIRE(node0 == std::vector<std::uint8_t>{C::event, C::burst, C::event, C::event, C::burst, C::other});
        REQUIRE(node1 == std::vector<std::uint8_t>{C::event, C::event});
    }
}

TEST_CASE("simulation.spike_classification selects the rule and threshold", "[kernel][bursts]") {
    // Node 0 fires at 0/5/22 ms: under the trace rule (tau 16 ms) the trace at 22 ms is
    // e^(-22/16) + e^(-17/16) = 0.60 >= e^-1, so 22 ms continues the burst (docs/models.md 3.2);
    // under the ISI rule (17 ms > 16 ms) it is a new event. With an ISI threshold of 4 ms,
    // 5 ms is an event too.
    auto classes = [](const std::string& rule, double threshold_ms) {
        NetworkSpec spec;
        auto src = population("S", "spike_source", 1);
        src.spike_times_ms = {{10, 15, 32}};
        spec.populations = {src};
        spec.spike_recordings = {"S"};
        spec.simulation.spike_classification.rule = rule == "isi" ? ClassificationRule::isi : ClassificationRule::trace;
        spec.simulation.spike_classification.threshold_ms = threshold_ms;
        Network net(spec, 1, 0, 1);
        LocalContext ctx;
        Simulation sim(net, ctx);
        MemorySpikeRecorder rec;
        sim.add_recorder(&rec);
        sim.run(1000);
        return rec.classes;
    };
    using C = SpikeClass;
    CHECK(classes("trace", 16.0) == std::vector<std::uint8_t>{C::event, C::burst, C::other});
    CHECK(classes("isi", 16.0) == std::vector<std::uint8_t>{C::event, C::burst, C::event});
    CHECK(classes("isi", 4.0) == std::vector<std::uint8_t>{C::event, C::event, C::event});
}

TEST_CASE("only populations whose classes are used are classified, with the same classes", "[kernel][bursts]") {
    // Populations A (2 neurons) and B (3): the trains of A are those of the first test case.
    // Classes depend only on a neuron's own earlier spikes, so A's classes must not change
    // with what else is classified; B, used by nothing, gets no classifier state.
    auto run = [](const std::vector<std::string>& recorded, std::vector<std::string> rates) {
        NetworkSpec spec;
        auto a = population("A", "spike_source", 2);
        a.spike_times_ms = {{10, 15, 40, 100, 105, 110}, {12, 200}};
        auto b = population("B", "spike_source", 3);
        b.spike_times_ms = {{11, 13}, {}, {14, 16, 18}};
        spec.populations = {a, b};
        spec.spike_recordings = recorded;
        for (auto& pop : rates) {
            PopulationRateSpec r;
            r.name = pop + "_rates";
            r.population = pop;
            spec.population_rates.push_back(r);
        }
        Network net(spec, 1, 0, 1);
        LocalContext ctx;
        Simulation sim(net, ctx);
        MemorySpikeRecorder rec;
        sim.add_recorder(&rec);
        sim.run(3000);
        return std::pair{sim.classified_neurons(), rec};
    };
    using C = SpikeClass;
    const auto [n_all, all] = run({"A", "B"}, {});
    const auto [n_a, only_a] = run({"A"}, {});
    const auto [n_b, b_by_rates] = run({}, {"B"});
    const auto [n_none, none] = run({}, {});
    CHECK(n_all == 5);
    CHECK(n_a == 2);
    CHECK(n_b == 3);
    CHECK(n_none == 0);
    REQUIRE(all.spikes.size() == 13);
    REQUIRE(only_a.classes.size() == 13);
    for (std::size_t k = 0; k < all.spikes.size(); ++k) {
        const bool in_a = all.spikes[k].gid < 2;
        INFO("spike " << k << " of gid " << all.spikes[k].gid);
        CHECK(only_a.classes[k] == (in_a ? all.classes[k] : C::unclassified));
        CHECK(b_by_rates.classes[k] == (in_a ? C::unclassified : all.classes[k]));
        CHECK(none.classes[k] == C::unclassified);
    }
    // B's node 2 at 14, 16, 18 ms: event, burst, other (trace e^-2/16 = 0.88, then 1.67).
    std::vector<std::uint8_t> b2;
    for (std::size_t k = 0; k < all.spikes.size(); ++k)
        if (all.spikes[k].gid == 4) b2.push_back(all.classes[k]);
    CHECK(b2 == std::vector<std::uint8_t>{C::event, C::burst, C::other});
}
