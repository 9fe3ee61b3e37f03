// models/xor.yaml (docs/models.md 14): the XOR task of Payeur et al. (2021), Fig. 4, on
// shortened schedules. Both tests shrink the network to 100 cells per population with
// connection probability 1, at a fifth of the work. That keeps every cell's in-degree (100 per
// projection, the authors' p = 0.05 x 2000 / N rule) but not the network's state: every hidden
// cell then sees the same input cells through both its excitatory and its inhibitory
// projection, their fluctuations partly cancel, and the hidden cells fire at about 1 Hz where
// the full network's fire at 3-5 Hz (docs/models.md 14.4). The tests check the schedule and
// that learning starts, not what the full network learns.
//
// The running event rate Ebar and the cost are computed here from the recorded output spikes,
// independently of scripts/plot and of the teaching_current's own trace (docs/models.md 14.3):
// mean Ebar(t) = (1/(N tau)) sum over output events t_e <= t of exp(-(t - t_e)/tau), tau 2 s,
// at the end of each example's prediction phase t = 38 s + 8 s k + 7.2 s.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/hdf5.hpp"
#include "run_in_process.hpp"
#include "spike_file.hpp"

using namespace apical;
using namespace apical::test;

namespace {

const std::vector<std::string> plastic = {"in1_hid1", "in2_hid1", "in1_hid2", "in2_hid2", "hid1_out", "hid2_out"};
const std::vector<std::string> all_projections = {
    "in1_hid1",     "in2_hid1",     "in1_hid2",     "in2_hid2",        "hid1_out",        "hid2_out",
    "in1_hid1_inh", "in2_hid1_inh", "in1_hid2_inh", "in2_hid2_inh",    "hid1_out_inh",    "hid2_out_inh",
    "out_hid1_fb_exc", "out_hid1_fb_inh", "out_hid2_fb_exc", "out_hid2_fb_inh"};

// 100 cells per population, p = 1; `examples` training examples, then the test pass.
std::vector<std::string> shortened(int examples) {
    std::vector<std::string> o;
    for (const char* p : {"input1", "input2", "hidden1", "hidden2", "output"})
        o.push_back(std::string("populations.") + p + ".size=100");
    for (auto& p : all_projections) o.push_back("projections." + p + ".connectivity.p=1");
    const std::string stop = std::to_string(38 + 8 * examples) + " s";
    for (auto& p : plastic) o.push_back("projections." + p + ".plasticity.active.stop=" + stop);
    o.push_back("stimuli.teaching.stop=" + stop);
    o.push_back("simulation.t_stop=" + std::to_string(38 + 8 * examples + 32) + " s");
    o.push_back("simulation.threads=1");
    return o;
}

// Mean Ebar (Hz) of the output population at each time of `at_ms` (ascending).
std::vector<double> mean_ebar(const PopulationSpikes& s, double n, const std::vector<double>& at_ms) {
    std::vector<double> events;
    for (std::size_t k = 0; k < s.timestamps.size(); ++k)
        if (s.spike_class[k] == 0) events.push_back(s.timestamps[k]);
    std::sort(events.begin(), events.end());
    const double tau = 2000.0;
    std::vector<double> out;
    for (double t : at_ms) {
        double sum = 0;
        for (double e : events)
            if (e <= t + 1e-6) sum += std::exp(-(t - e) / tau);
        out.push_back(sum / n / (tau * 1e-3));
    }
    return out;
}

double cross_entropy(double ebar, int target) {
    const double e = std::clamp((ebar - 2.0) / 8.0, 0.01, 0.99);
    return target ? -std::log(e) : -std::log(1.0 - e);
}

std::vector<double> mean_weights(const std::filesystem::path& dir, const std::string& projection) {
    h5::Handle f = h5::open_file_for_reading(dir / (projection + "_weights.h5"));
    h5::Handle g = h5::open_group(f.get(), "weights/" + projection);
    return h5::read_all<double>(h5::open_dataset(g.get(), "mean").get());
}

}  // namespace

// The schedule: weights stay at their initial value through the burn-in, the first test pass and
// the prediction phase of the first training example (nothing may learn before 45.2 s), and
// change in its teaching window (45.2-46 s); the output's Ebar at the end of that prediction phase
// matches what scripts/plot and the cost use. About 25 s on one thread.
TEST_CASE("models/xor.yaml: plasticity only in the teaching windows", "[models][plasticity][no_sanitize]") {
    const auto dir = scratch("xor_schedule");
    std::vector<std::string> o = shortened(1);
    o.push_back("simulation.t_stop=48 s");
    REQUIRE(run_file(std::string(APICAL_SOURCE_DIR) + "/models/xor.yaml", dir, o).completed);
    for (auto& p : plastic) {
        INFO(p);
        const std::vector<double> w = mean_weights(dir, p);  // at 0, 8, ..., 40 s (interval 8 s)
        REQUIRE(w.size() == 6);
        for (double x : w) CHECK(x == w[0]);
    }
    // The final weights (weights.h5, at 48 s) moved for the projections onto the output, which
    // the teaching current drives hardest (the input -> hidden ones may move little).
    const SpikeFile spikes = read_spike_file(dir / "spikes.h5");
    const auto& out = spikes.populations.at("output");
    const double ebar = mean_ebar(out, 100, {45200.0})[0];
    INFO("output Ebar at the end of the first prediction phase: " << ebar << " Hz");
    CHECK(ebar > 0.5);  // the output is active (its event rate is several Hz, docs/models.md 14.4)
    h5::Handle f = h5::open_file_for_reading(dir / "weights.h5");
    for (const char* p : {"hid1_out", "hid2_out"}) {
        h5::Handle g = h5::open_group(f.get(), std::string("weights/") + p);
        const auto w = h5::read_all<float>(h5::open_dataset(g.get(), "weight").get());
        double sum = 0;
        for (float x : w) sum += double(x);
        INFO(p);
        CHECK(std::abs(sum / double(w.size()) - 0.234) > 1e-6);
    }
}

// The shortened learning run: 100 training examples (25 epochs) between the two test passes,
// 870 s simulated (about 85 s of CPU; 5-7.5 min of wall time on the shared 2-core machine). The
// authors train for 500 epochs; 25 are enough to see learning start but not to solve XOR (the run
// gave, seed 1: epoch costs 10.71, 4.67, 4.21, ... 3.64, 4.07, mean 3.62 over epochs 16-25;
// output Ebar before training 0.99, 1.07, 1.09, 0.99 Hz and after 2.30, 5.34, 2.99, 5.22 Hz for
// (0,0), (1,0), (0,1), (1,1); docs/models.md 14.4). What is checked, with the margins:
// - the cost falls: the mean epoch cost of the last ten epochs is below half the first epoch's
//   (measured 0.34 of it). Before training every output rate is near 1 Hz, so each target-1
//   example costs -ln 0.01 = 4.6; a cost that stays high means the teaching signal does not
//   reach the weights;
// - the target-1 examples' mean Ebar rises by more than 1.5 Hz between the test passes
//   (measured 3.1 Hz), and (1,0) ends more than 1.5 Hz above (0,0) (measured 3.0 Hz): the output
//   separates the first pair of classes. The 6 Hz read-out of the full run is not reached in 25
//   epochs and is not asserted.
TEST_CASE("models/xor.yaml, shortened to 25 epochs: the cost falls and the classes begin to separate",
          "[.][long][models][plasticity]") {
    const auto dir = scratch("xor_learning");
    const int examples = 100;
    REQUIRE(run_file(std::string(APICAL_SOURCE_DIR) + "/models/xor.yaml", dir, shortened(examples)).completed);
    const SpikeFile spikes = read_spike_file(dir / "spikes.h5");
    const auto& out = spikes.populations.at("output");
    const std::vector<int> pattern = {0, 1, 1, 0};
    std::vector<double> at;
    for (int k = -4; k < examples + 4; ++k) at.push_back(38000.0 + 8000.0 * k + 7200.0);
    const std::vector<double> ebar = mean_ebar(out, 100, at);
    const auto e = [&](int k) { return ebar[std::size_t(k + 4)]; };
    std::vector<double> epoch_cost(examples / 4, 0.0);
    for (int k = 0; k < examples; ++k) epoch_cost[std::size_t(k / 4)] += cross_entropy(e(k), pattern[std::size_t(k % 4)]);
    double last = 0;
    for (int ep = 15; ep < 25; ++ep) last += epoch_cost[std::size_t(ep)] / 10.0;
    INFO("epoch costs: first " << epoch_cost[0] << ", mean of the last ten " << last);
    INFO("Ebar before: " << e(-4) << ", " << e(-3) << ", " << e(-2) << ", " << e(-1) << " Hz; after: " << e(examples)
                         << ", " << e(examples + 1) << ", " << e(examples + 2) << ", " << e(examples + 3) << " Hz");
    CHECK(last < 0.5 * epoch_cost[0]);
    const double ones_before = 0.5 * (e(-3) + e(-2)), ones_after = 0.5 * (e(examples + 1) + e(examples + 2));
    CHECK(ones_after - ones_before > 1.5);
    CHECK(e(examples + 1) - e(examples) > 1.5);
}
