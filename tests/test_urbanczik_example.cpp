// models/urbanczik_senn.yaml, NEST's urbanczik_synapse_example (Urbanczik and Senn 2014,
// Fig. 1B) in full (20.8 s of one neuron, under a second): the dendritic prediction V_w_star
// learns to follow the matching potential U_M = (g_ex E_ex + g_in E_in) / (g_ex + g_in) that
// the teacher's somatic conductances impose (E_ex 0 mV, E_in -75 mV).
// Expected: before learning, the prediction knows nothing of the teacher (its dendritic input,
// a frozen Poisson pattern, is unrelated to the 10 Hz sine), so within the first 200 ms pattern
// presentation with the teacher (0.4-0.6 s) V_w_star and U_M are weakly correlated and far apart;
// after learning (the last ten presentations with the teacher, 18.4-20.4 s) the prediction follows
// U_M, as the paper's Fig. 1B shows. Measured with seeds 1 to 4: correlation -0.48 to 0.40
// before and 0.92 to 0.97 after; RMS difference 8.3 to 10.8 mV before, 3.6 to 4.9 mV after (the
// prediction keeps a smaller swing than U_M: -68..-53 mV against -72..-48 mV). The bounds leave
// margin for other seeds: correlation below 0.6 before and above 0.85 after, and the RMS
// difference after at most 0.65 of the one before. A rule that does not learn, or learns the
// wrong sign, keeps the correlation low or makes it negative.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "io/hdf5.hpp"
#include "run_in_process.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// The one neuron's samples of a state report (float32, every step).
std::vector<double> samples(const std::filesystem::path& file) {
    h5::Handle f = h5::open_file_for_reading(file);
    h5::Handle d = h5::open_dataset(f.get(), "report/neuron/data");
    const auto dims = h5::shape(d.get());
    REQUIRE(dims.size() == 2);
    REQUIRE(dims[1] == 1);
    std::vector<float> v(dims[0]);
    REQUIRE(H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
    return {v.begin(), v.end()};
}

struct Agreement {
    double correlation, rms;
};

Agreement agreement(const std::vector<double>& a, const std::vector<double>& b, std::size_t from, std::size_t to) {
    const double n = double(to - from);
    double ma = 0, mb = 0;
    for (std::size_t k = from; k < to; ++k) ma += a[k], mb += b[k];
    ma /= n, mb /= n;
    double sab = 0, saa = 0, sbb = 0, sd = 0;
    for (std::size_t k = from; k < to; ++k) {
        sab += (a[k] - ma) * (b[k] - mb), saa += (a[k] - ma) * (a[k] - ma), sbb += (b[k] - mb) * (b[k] - mb);
        sd += (a[k] - b[k]) * (a[k] - b[k]);
    }
    return {sab / std::sqrt(saa * sbb), std::sqrt(sd / n)};
}

}  // namespace

TEST_CASE("models/urbanczik_senn.yaml: the dendritic prediction learns the teacher's matching potential",
          "[models][plasticity][urbanczik]") {
    for (const char* seed : {"1", "4"}) {
        INFO("seed " << seed);
        const auto dir = scratch(std::string("urbanczik_example_") + seed);
        REQUIRE(run_file(std::string(APICAL_SOURCE_DIR) + "/models/urbanczik_senn.yaml", dir,
                         {std::string("simulation.seed=") + seed})
                    .completed);
        const auto vw = samples(dir / "neuron_state_V_w_star.h5");
        const auto ge = samples(dir / "neuron_state_g_ex_s.h5");
        const auto gi = samples(dir / "neuron_state_g_in_s.h5");
        REQUIRE(vw.size() == 208000);  // 20.8 s at 0.1 ms, the sample at t = 0 first
        std::vector<double> um(vw.size());
        for (std::size_t k = 0; k < um.size(); ++k) um[k] = ge[k] + gi[k] > 0 ? -75.0 * gi[k] / (ge[k] + gi[k]) : 0.0;
        const std::size_t per = 2000;  // one presentation, 200 ms
        const Agreement before = agreement(vw, um, 2 * per + 10, 3 * per);  // 0.401-0.6 s (teacher from 0.4 s)
        const Agreement after = agreement(vw, um, 92 * per, 102 * per);    // 18.4-20.4 s
        INFO("before: correlation " << before.correlation << ", RMS " << before.rms << " mV; after: correlation "
                                    << after.correlation << ", RMS " << after.rms << " mV");
        CHECK(before.correlation < 0.6);
        CHECK(after.correlation > 0.85);
        CHECK(after.rms < 0.65 * before.rms);
    }
}
