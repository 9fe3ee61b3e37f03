// State recording in the kernel: the recorded V_m of iaf_psc_exp under DC input equals the
// closed form V(t) = E_L + R I (1 - exp(-t/tau_m)) at every sample (R = tau_m/C_m = 0.04 GOhm,
// NEST defaults), for samples at, between and across slice boundaries; the frames are the
// same, bitwise, for 1, 2 and 3 threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

namespace {

struct Frames final : StateRecorder {
    std::map<std::pair<int, int>, std::vector<double>> data;
    std::map<std::pair<int, int>, std::size_t> n_frames;
    void append(int rec, int var, std::span<const double> f, std::size_t n) override {
        auto& d = data[{rec, var}];
        d.insert(d.end(), f.begin(), f.end());
        n_frames[{rec, var}] += n;
    }
};

NetworkSpec dc_network(int threads) {
    NetworkSpec spec;
    spec.simulation.threads = threads;
    spec.populations = {population("P", "iaf_psc_exp", 10)};
    // A projection fixes the slice length at 7 steps, so samples fall inside and across slices.
    spec.populations.push_back(population("Q", "iaf_psc_exp", 2));
    spec.projections = {projection("Q", "Q", ConnectionRule::one_to_one, 0.0, 0.7)};
    StimulusSpec dc;
    dc.kind = StimulusSpec::Kind::dc_current;
    dc.targets = {"P"};
    dc.amplitude_pA = 300.0;
    spec.stimuli = {dc};
    StateRecordingSpec r;
    r.name = "v";
    r.population.assign(1, 'P');  // not = "P": GCC 12 warns -Wrestrict falsely on that assignment here
    r.variables = {0, 1};  // V_m, I_syn_ex
    r.nodes = {1, 4, 5, 9};
    r.interval_ms = 0.3;
    r.start_ms = 0.0;
    r.stop_ms = 50.0;
    spec.state_recordings = {r};
    return spec;
}

Frames run(int threads) {
    auto spec = dc_network(threads);
    Network net(spec, 1, 0, threads);
    REQUIRE(net.min_delay() == 7);
    LocalContext ctx;
    Simulation sim(net, ctx);
    Frames frames;
    sim.add_state_recorder(&frames);
    sim.run(600);
    return frames;
}

}  // namespace

TEST_CASE("recorded V_m of iaf_psc_exp under DC input equals the closed form at every sample", "[recording]") {
    auto f = run(1);
    // Samples at steps 0, 3, ..., 498 (t < 50 ms): 167 frames of 4 nodes.
    REQUIRE(f.n_frames.at({0, 0}) == 167);
    const auto& v = f.data.at({0, 0});
    REQUIRE(v.size() == 167 * 4);
    for (std::size_t k = 0; k < 167; ++k) {
        const double t = double(k) * 0.3;
        const double expected = -70.0 + 0.04 * 300.0 * (1.0 - std::exp(-t / 10.0));
        for (std::size_t c = 0; c < 4; ++c) REQUIRE(std::abs(v[k * 4 + c] - expected) <= 1e-12 * 70.0);
    }
    for (double x : f.data.at({0, 1})) REQUIRE(x == 0.0);  // no synaptic input to P
}

TEST_CASE("state recordings are bitwise identical for 1, 2 and 3 threads", "[recording][determinism]") {
    auto one = run(1);
    for (int threads : {2, 3}) {
        auto many = run(threads);
        REQUIRE(many.data == one.data);
    }
}
