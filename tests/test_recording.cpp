// State recordings end to end: a description with `recordings.state`, run in-process through
// the run library into files, read back from the SONATA report files.
// - iaf_psc_exp (NEST defaults: E_L -70 mV, tau_m 10 ms, C_m 250 pF, so R = 0.04 GOhm) under a
//   300 pA DC current, far below threshold (V_inf = -58 mV < V_th = -55 mV): the recorded V_m
//   equals the closed form V(t) = E_L + R I (1 - exp(-t/tau_m)) at every sample. The report
//   stores float32, so the tolerance is the float rounding of |V| <= 70 mV: 70 x 2^-24 =
//   4.2e-6 mV, plus the 1e-12 agreement the engine-level test shows (tests/test_state_sampling).
// - the report files of 1 and 2 threads are identical, value for value.
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "io/hdf5.hpp"
#include "run_in_process.hpp"

using namespace apical;
using namespace apical::test;

namespace {

const char* description = R"(simulation: {dt: 0.1 ms, t_stop: 60 ms, seed: 3}
populations:
  P: {model: iaf_psc_exp, size: 10}
stimuli:
  - {name: dc, model: dc_current, target: P, amplitude: 300 pA}
recordings:
  spikes: [P]
  state:
    - {name: v, population: P, variables: [V_m, I_syn_ex], nodes: [1, 4, 5, 9], interval: 0.3 ms, stop: 50 ms}
    - {name: all, population: P, variables: [V_m], nodes: all, interval: 1 ms, start: 10 ms}
)";

struct Report {
    std::vector<float> data;
    std::vector<hsize_t> shape;
    std::vector<std::uint64_t> node_ids;
    std::vector<double> time;  // start, stop, step
};

Report read_report(const std::filesystem::path& path, const std::string& population) {
    Report r;
    h5::Handle f = h5::open_file_for_reading(path);
    h5::Handle g = h5::open_group(f.get(), "report/" + population);
    h5::Handle d = h5::open_dataset(g.get(), "data");
    r.shape = h5::shape(d.get());
    r.data.resize(r.shape.at(0) * r.shape.at(1));
    H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, r.data.data());
    h5::Handle n = h5::open_dataset(g.get(), "mapping/node_ids");
    r.node_ids = h5::read_all<std::uint64_t>(n.get());
    h5::Handle t = h5::open_dataset(g.get(), "mapping/time");
    r.time = h5::read_all<double>(t.get());
    return r;
}

// `tag` keeps test cases that CTest runs side by side in separate directories.
std::filesystem::path run_recording(int threads, const std::string& tag) {
    auto dir = scratch("recording_" + tag + "_" + std::to_string(threads));
    run_text(description, dir, {"simulation.threads=" + std::to_string(threads)});
    return dir;
}

}  // namespace

TEST_CASE("recordings.state: V_m of iaf_psc_exp under DC equals the closed form", "[recording]") {
    const auto out = run_recording(1, "closed_form");
    const Report v = read_report(out / "v_V_m.h5", "P");
    // Samples at 0, 0.3, ..., 49.8 ms (t < 50 ms): 167 frames of 4 nodes.
    REQUIRE(v.shape == std::vector<hsize_t>{167, 4});
    REQUIRE(v.node_ids == std::vector<std::uint64_t>{1, 4, 5, 9});
    REQUIRE(v.time.size() == 3);
    CHECK(v.time[0] == Approx(0.0).margin(1e-12));
    // SONATA: frames at start + k step while < stop (libsonata's reading), so stop is the
    // recording's stop, 50 ms, and 49.8 ms is the last frame.
    CHECK(v.time[1] == Approx(50.0).margin(1e-9));
    CHECK(v.time[2] == Approx(0.3).margin(1e-12));
    double worst = 0;
    for (std::size_t k = 0; k < 167; ++k) {
        const double t = double(k) * 0.3;
        const double expected = -70.0 + 0.04 * 300.0 * (1.0 - std::exp(-t / 10.0));
        for (std::size_t c = 0; c < 4; ++c) worst = std::max(worst, std::abs(double(v.data[k * 4 + c]) - expected));
    }
    INFO("max |V - closed form| = " << worst << " mV");
    CHECK(worst <= 4.3e-6);
    const Report i = read_report(out / "v_I_syn_ex.h5", "P");
    for (float x : i.data) CHECK(x == 0.0f);  // no synaptic input
    // nodes: all, from 10 ms every 1 ms up to t_stop (60 ms, exclusive): 50 frames of 10 nodes.
    const Report all = read_report(out / "all_V_m.h5", "P");
    REQUIRE(all.shape == std::vector<hsize_t>{50, 10});
    CHECK(all.node_ids.size() == 10);
    const double expected_10 = -70.0 + 0.04 * 300.0 * (1.0 - std::exp(-1.0));
    CHECK(double(all.data[0]) == Approx(expected_10).margin(4.3e-6));
}

TEST_CASE("recordings.state: 1 and 2 threads give identical reports", "[recording][determinism]") {
    const auto one = run_recording(1, "threads"), two = run_recording(2, "threads");
    for (const char* file : {"v_V_m.h5", "v_I_syn_ex.h5", "all_V_m.h5"}) {
        INFO(file);
        const Report a = read_report(one / file, "P"), b = read_report(two / file, "P");
        REQUIRE(a.shape == b.shape);
        CHECK(a.node_ids == b.node_ids);
        CHECK(a.time == b.time);
        CHECK(std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0);
    }
}
