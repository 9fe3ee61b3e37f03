// The shipped models against independent reference runs, through the command line.
// - models/brunel.yaml, 1 s: the reference runs gave NEST 3.10 E 32.1 Hz, I 31.9 Hz;
//   Brian2 2.5 standalone 31.9 / 32.0 Hz; CV of inter-spike intervals about 0.17. Our own runs
//   with seeds 1-4 gave 31.9-32.1 Hz and CV 0.17-0.18. Tolerance: 1 Hz (3 %) on each rate,
//   which covers the spread between simulators (different random streams; Brian's Poisson
//   drive has no delay) with margin, while an error in delays, refractoriness or the drive
//   moves the rate by many Hz; CV within [0.12, 0.24] (strongly oscillatory, regular firing).
// - models/coba.yaml, 1 s: Brian2 2.5 with the same convention gave E 18-20 Hz, CV ~1.7 (issue);
//   our seeds 1-4 gave E 17.9-20.1 Hz, CV 1.50-1.57. Tolerance: E and I within 19 +- 3 Hz
//   (seed-to-seed spread of a self-sustained network over 1 s is ~1 Hz), CV above 1.2
//   (irregular asynchronous firing; a regular regime would give CV << 1).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "cli_runner.hpp"
#include "spike_file.hpp"

using namespace apical::test;

namespace {

double mean_cv(const PopulationSpikes& p) {
    std::map<std::uint64_t, std::vector<double>> trains;
    for (std::size_t i = 0; i < p.node_ids.size(); ++i) trains[p.node_ids[i]].push_back(p.timestamps[i]);
    double sum = 0;
    int n = 0;
    for (auto& [id, t] : trains) {
        if (t.size() < 3) continue;
        double m = 0, m2 = 0;
        for (std::size_t k = 1; k < t.size(); ++k) m += t[k] - t[k - 1];
        m /= double(t.size() - 1);
        for (std::size_t k = 1; k < t.size(); ++k) m2 += (t[k] - t[k - 1] - m) * (t[k] - t[k - 1] - m);
        sum += std::sqrt(m2 / double(t.size() - 1)) / m;
        ++n;
    }
    return n ? sum / n : 0.0;
}

SpikeFile run_model(const std::string& model) {
    auto dir = scratch("model_" + model);
    auto r = run_apical("run " + std::string(APICAL_SOURCE_DIR) + "/models/" + model + ".yaml -o " + dir.string() +
                        " --t-stop 1000");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return read_spike_file(dir / "spikes.h5");
}

}  // namespace

TEST_CASE("models/brunel.yaml: rates and regularity as NEST and Brian2", "[models][brunel]") {
    auto f = run_model("brunel");
    const double rate_e = double(f.populations.at("E").timestamps.size()) / 10000.0;
    const double rate_i = double(f.populations.at("I").timestamps.size()) / 2500.0;
    const double cv = mean_cv(f.populations.at("E"));
    WARN("brunel: E " << rate_e << " Hz, I " << rate_i << " Hz, CV " << cv);
    REQUIRE(std::abs(rate_e - 32.0) < 1.0);
    REQUIRE(std::abs(rate_i - 32.0) < 1.0);
    REQUIRE((cv > 0.12 && cv < 0.24));
}

TEST_CASE("models/coba.yaml: self-sustained irregular activity at about 19 Hz", "[models][coba]") {
    auto f = run_model("coba");
    const double rate_e = double(f.populations.at("E").timestamps.size()) / 3200.0;
    const double rate_i = double(f.populations.at("I").timestamps.size()) / 800.0;
    const double cv = mean_cv(f.populations.at("E"));
    WARN("coba: E " << rate_e << " Hz, I " << rate_i << " Hz, CV " << cv);
    REQUIRE(std::abs(rate_e - 19.0) < 3.0);
    REQUIRE(std::abs(rate_i - 19.0) < 3.0);
    REQUIRE(cv > 1.2);
}
