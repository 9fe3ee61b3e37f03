// scripts/plot on the output of every model shipped in models/ (found at run time, so a new
// model is covered): a short run (200 ms, large models shrunk with --set), then the script
// must exit 0 and write one PNG per HDF5 file of the output directory: raster.png for
// spikes.h5, rates_<name>.png for a population rate file, trace_<name>.png for a report.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

#include "cli_runner.hpp"
#include "io/hdf5.hpp"
#include "small_brunel.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

// --set arguments that keep a model's run short; models not listed run at their own size.
const std::map<std::string, std::string> shrink = {
    {"brunel", set_arguments(small_brunel)},
    // 500 cells, 2,500 + 2,500 sources at p = 0.04: the same ~100 inputs per compartment.
    {"dendritic_transfer",
     " --set populations.pyramidal.size=500 --set populations.background_exc.size=2500"
     " --set populations.background_inh.size=2500 --set 'projections[0].connectivity.p=0.04'"
     " --set 'projections[1].connectivity.p=0.04' --set 'projections[2].connectivity.p=0.04'"
     " --set 'projections[3].connectivity.p=0.04'"},
};

// The exit code of a shell command; its output goes to `log`.
int shell(const std::string& command, const fs::path& log) {
    const int status = std::system((command + " > '" + log.string() + "' 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The PNG scripts/plot writes for an HDF5 file of an output directory, by its top group.
std::string expected_png(const fs::path& h5) {
    h5::Handle f = h5::open_file_for_reading(h5);
    const std::string stem = h5.stem().string();
    if (h5::link_exists(f.get(), "spikes")) return "raster.png";
    if (h5::link_exists(f.get(), "population_rates")) return "rates_" + stem + ".png";
    if (h5::link_exists(f.get(), "report")) return "trace_" + stem + ".png";
    if (h5::link_exists(f.get(), "weights"))  // final weights, or a weight recording
        return stem == "weights" ? "weights.png" : "weights_" + stem + ".png";
    return "";
}

bool is_png(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    return in && std::string(magic, 8) == "\x89PNG\r\n\x1a\n" && fs::file_size(p) > 1000;
}

}  // namespace

TEST_CASE("scripts/plot draws the output of every shipped model", "[plot][scripts][no_sanitize]") {
    const auto root = scratch("plot_models");
    int models = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(APICAL_SOURCE_DIR) / "models")) {
        if (entry.path().extension() != ".yaml") continue;
        ++models;
        const std::string name = entry.path().stem().string();
        const fs::path out = root / name;
        const fs::path pngs = root / (name + "_png");  // --out: a directory of its own
        INFO("model " << name);
        const auto it = shrink.find(name);
        const CommandResult run = run_apical("run " + entry.path().string() + " -o " + out.string() +
                                             " --t-stop 200" + (it == shrink.end() ? "" : it->second));
        INFO(run.err);
        REQUIRE(run.exit_code == 0);
        const fs::path log = root / (name + "_plot.log");
        const int code = shell("/usr/bin/python3 " + std::string(APICAL_SOURCE_DIR) + "/scripts/plot " + out.string() +
                                   " --out " + pngs.string(),
                               log);
        INFO(read_text(log));
        REQUIRE(code == 0);
        int h5_files = 0;
        for (const auto& file : fs::directory_iterator(out)) {
            if (file.path().extension() != ".h5") continue;
            ++h5_files;
            const std::string png = expected_png(file.path());
            INFO(file.path().filename().string() << " -> " << png);
            REQUIRE_FALSE(png.empty());
            CHECK(is_png(pngs / png));
        }
        CHECK(h5_files >= 1);
        int png_files = 0;
        for (const auto& file : fs::directory_iterator(pngs)) png_files += file.path().extension() == ".png";
        CHECK(png_files == h5_files);  // one figure per file, nothing else
    }
    CHECK(models >= 3);  // brunel, coba, dendritic_transfer
}

TEST_CASE("scripts/plot draws the final weights of a plastic run", "[plot][scripts][plasticity]") {
    const auto root = scratch("plot_weights");
    const CommandResult run =
        run_apical("run " + std::string(APICAL_SOURCE_DIR) + "/models/coba.yaml -o " + (root / "out").string() +
                   " --t-stop 200 --set 'projections.EE.plasticity={rule: stdp_pair, lambda: 0.05, Wmax: 12 nS}'");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const int code =
        shell("/usr/bin/python3 " + std::string(APICAL_SOURCE_DIR) + "/scripts/plot " + (root / "out").string(),
              root / "log");
    INFO(read_text(root / "log"));
    REQUIRE(code == 0);
    CHECK(expected_png(root / "out" / "weights.h5") == "weights.png");
    CHECK(is_png(root / "out" / "weights.png"));
}

TEST_CASE("scripts/plot: a directory with nothing to plot is exit code 1 with one line", "[plot][scripts]") {
    const auto dir = scratch("plot_nothing");
    const int code = shell("/usr/bin/python3 " + std::string(APICAL_SOURCE_DIR) + "/scripts/plot " + dir.string(),
                           dir / "log");
    CHECK(code == 1);
    const std::string log = read_text(dir / "log");
    CHECK(std::count(log.begin(), log.end(), '\n') == 1);
    CHECK(log.find("nothing to plot") != std::string::npos);
}
