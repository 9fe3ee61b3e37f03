// Determinism (docs/architecture.md, "Determinism"): a scaled-down Brunel network gives bitwise identical
// spikes with 1, 2 and 3 threads and twice with one seed; another seed gives another result.
#include <catch2/catch.hpp>

#include <cstring>

#include "brunel_spec.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"

using namespace apical;

namespace {

std::vector<Spike> run(const NetworkSpec& spec) {
    Network net(spec, 1, 0, spec.simulation.threads);
    LocalContext ctx;
    Simulation sim(net, ctx);
    MemorySpikeRecorder rec;
    sim.add_recorder(&rec);
    sim.run(to_steps(spec.simulation.t_stop_ms, spec.simulation.dt_ms));
    return rec.spikes;
}

bool bitwise_equal(const std::vector<Spike>& a, const std::vector<Spike>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Spike)) == 0;
}

}  // namespace

TEST_CASE("scaled-down Brunel: identical spikes for any thread count and seed repetition", "[determinism]") {
    const auto reference = run(test::brunel_spec(0.1, 300.0, 1));
    REQUIRE(reference.size() > 1000);  // the network is active: ~1250 neurons at tens of Hz
    for (int threads : {2, 3}) {
        INFO("threads " << threads);
        REQUIRE(bitwise_equal(run(test::brunel_spec(0.1, 300.0, threads)), reference));
    }
    REQUIRE(bitwise_equal(run(test::brunel_spec(0.1, 300.0, 1)), reference));
    const auto other = run(test::brunel_spec(0.1, 300.0, 1, 999));
    REQUIRE_FALSE(bitwise_equal(other, reference));
}
