// Checkpoints across decompositions, in-process under mpiexec (2 or 3 ranks, tests/CMakeLists.txt):
// checkpoints written by one process (1 and 2 threads) resume on every rank (1 and 2
// threads), and checkpoints written on every rank (1 and 2 threads) resume on one process (1
// and 2 threads; the one-process runs are shared out over the ranks); each time every output
// file (spikes, reports, population rates)
// is identical (scripts/same_output) to the uninterrupted run of one process. With 2 ranks that
// covers (1,1) and (1,2) against (2,1) and (2,2) both ways; with 3 ranks, against (3,1) (1 thread
// there only: the 3-rank run is the suite's longest, and 2 threads per rank add nothing that
// the 2-rank run does not test). Networks: scaled-down Brunel (with a report
// and a rate file), COBA and dendritic_transfer (its report and rate file), Brunel with
// short-term plasticity, and plastic networks (STDP with short-term plasticity drawn per
// synapse, BDSP, Urbanczik-Senn, a small XOR with teaching_current and the directed exchange),
// whose weight files (weights.h5, the weight recordings) are compared too.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "engine/mpi_context.hpp"
#include "../checkpoint_runs.hpp"
#include "../run_in_process.hpp"
#include "../small_brunel.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

using SpecIn = std::function<NetworkSpec(const fs::path& output, int threads)>;

void across_layouts(MpiContext& ctx, const std::string& name, const SpecIn& spec_in, std::vector<double> at_ms) {
    REQUIRE(ctx.size() >= 2);
    const int R = ctx.size();
    const fs::path dir = scratch_root() / ("mpi_checkpoint_" + name + "_" + std::to_string(R));
    const bool root = ctx.rank() == 0;
    const std::vector<int> threads_on_ranks = R >= 3 ? std::vector<int>{1} : std::vector<int>{1, 2};
    LocalContext one;
    // The runs of one process are shared out over the ranks (job j on rank j mod R), each in its
    // own LocalContext; the others would only wait.
    const auto mine = [&](std::size_t job) { return job % std::size_t(R) == std::size_t(ctx.rank()); };
    if (root) scratch(dir.filename().string());
    ctx.any(false);
    if (mine(0)) run_spec(spec_in(dir / "reference", 1));
    for (int t : {1, 2})
        if (mine(std::size_t(t))) run_with_checkpoints(spec_in(dir / ("one_" + std::to_string(t)), t), one, at_ms);
    ctx.any(false);  // every one-process run's files exist before the others read them
    const fs::path reference = dir / "reference";  // every output file (checkpoints/ is not compared)
    // One process's checkpoints on every rank (the paths are the same on every rank).
    for (int written : {1, 2})
        for (std::size_t k = 0; k < at_ms.size(); ++k)
            for (int threads : threads_on_ranks) {
                const fs::path out = dir / ("on_ranks_" + std::to_string(written) + "_" + std::to_string(k) + "_" +
                                            std::to_string(threads));
                // Checkpoint k written on `written` threads: rank 0 knows its path, every rank finds
                // it in the folder, in time order.
                std::vector<std::pair<double, fs::path>> found;
                for (auto& e : fs::directory_iterator(dir / ("one_" + std::to_string(written)) / "checkpoints"))
                    found.push_back({CheckpointFileReader(e.path()).info().t_ms, e.path()});
                std::sort(found.begin(), found.end());
                REQUIRE(found.size() == at_ms.size());
                INFO("written by 1 x " << written << ", checkpoint " << found[k].second << ", resumed on " << R << " x "
                                       << threads);
                resume_checkpoint(found[k].second, ctx, threads, out);
                if (root) CHECK(output_differences(reference, out).empty());
            }
    // Every rank's checkpoints on one process.
    for (int written : threads_on_ranks) {
        const auto paths = run_with_checkpoints(spec_in(dir / ("ranks_" + std::to_string(written)), written), ctx, at_ms);
        REQUIRE(paths.size() == at_ms.size());
        if (root) CHECK(output_differences(reference, dir / ("ranks_" + std::to_string(written))).empty());
        std::size_t job = 0;
        for (std::size_t k = 0; k < paths.size(); ++k)
            for (int threads : {1, 2}) {
                if (!mine(job++)) continue;
                INFO("written by " << R << " x " << written << ", checkpoint " << paths[k] << ", resumed on 1 x "
                                   << threads);
                const fs::path out = dir / ("on_one_" + std::to_string(written) + "_" + std::to_string(k) + "_" +
                                            std::to_string(threads));
                resume_checkpoint(paths[k], one, threads, out);
                CHECK(output_differences(reference, out).empty());
            }
        ctx.any(false);
    }
}

SpecIn model(const std::string& file, std::vector<std::string> overrides) {
    return [file, overrides](const fs::path& output, int threads) {
        auto o = overrides;
        o.push_back("simulation.threads=" + std::to_string(threads));
        o.push_back("simulation.output=" + output.string());
        return load(std::string(APICAL_SOURCE_DIR) + "/models/" + file, o);
    };
}

SpecIn text(const std::string& yaml, const std::string& name) {
    return [yaml, name](const fs::path& output, int threads) {
        return parse_description(yaml, name + ".yaml",
                                 {"simulation.threads=" + std::to_string(threads), "simulation.output=" + output.string()});
    };
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

TEST_CASE("scaled-down Brunel: checkpoints resume across rank x thread layouts", "[mpi][checkpoint]") {
    MpiContext ctx;
    across_layouts(ctx, "brunel",
                   model("brunel.yaml",
                         with(small_brunel, {"simulation.t_stop=200 ms",
                                             "recordings.population_rates=[{name: e_rates, population: E, bin: 10 ms}]",
                                             "recordings.state=[{name: v, population: E, variables: [V_m], "
                                             "nodes: [0, 1, 2, 3, 4, 5, 6], interval: 0.5 ms}]"})),
                   {50, 120});
}

TEST_CASE("scaled-down Brunel with short-term plasticity: checkpoints resume across layouts",
          "[mpi][checkpoint][stp]") {
    MpiContext ctx;
    across_layouts(ctx, "stp",
                   model("brunel.yaml",
                         with(small_brunel,
                              {"simulation.t_stop=200 ms", "projections.EE.synapse={model: tsodyks_markram, preset: depressing}",
                               "projections.IE.synapse={model: tsodyks_3state, U: 0.5, tau_F: 10 ms, tau_D: 800 ms}",
                               "projections.EI.synapse={model: tsodyks_markram, U: {distribution: uniform, low: 0.1, "
                               "high: 0.5}, tau_F: 100 ms, tau_D: 50 ms}"})),
                   {90});
}

TEST_CASE("scaled-down COBA: checkpoints resume across layouts", "[mpi][checkpoint]") {
    MpiContext ctx;
    across_layouts(ctx, "coba",
                   model("coba.yaml", {"simulation.t_stop=150 ms", "populations.E.size=800", "populations.I.size=200",
                                       "projections.EE.connectivity.p=0.08", "projections.EI.connectivity.p=0.08",
                                       "projections.IE.connectivity.p=0.08", "projections.II.connectivity.p=0.08"}),
                   {70});
}

TEST_CASE("scaled-down dendritic_transfer: checkpoints resume across layouts", "[mpi][checkpoint]") {
    MpiContext ctx;
    across_layouts(ctx, "dendritic_transfer",
                   model("dendritic_transfer.yaml",
                         {"simulation.t_stop=1200 ms", "populations.pyramidal.size=300", "populations.background_exc.size=2500",
                          "populations.background_inh.size=2500", "projections.soma_exc.connectivity.p=0.04",
                          "projections.soma_inh.connectivity.p=0.04", "projections.dendrite_exc.connectivity.p=0.04",
                          "projections.dendrite_inh.connectivity.p=0.04"}),
                   {600, 1001});
}

TEST_CASE("plastic networks: checkpoints resume across layouts with the weights of the uninterrupted run",
          "[mpi][checkpoint][plasticity]") {
    MpiContext ctx;
    across_layouts(ctx, "stdp",
                   text(plastic_network("{rule: stdp_pair, pairing: nn_pre_centered, lambda: 0.05, Wmax: 300 pA}",
                                        "{model: tsodyks_markram, U: {distribution: uniform, low: 0.1, high: 0.5}, "
                                        "tau_F: 100 ms, tau_D: 50 ms}"),
                        "stdp"),
                   {130});
    across_layouts(ctx, "triplet",
                   text(plastic_network("{rule: stdp_triplet, A2_plus: 1 pA, A3_plus: 0.5 pA, A2_minus: 1 pA, "
                                        "A3_minus: 0.1 pA, Wmax: 300 pA}"),
                        "triplet"),
                   {170});
    across_layouts(ctx, "bdsp",
                   text(plastic_network("{rule: bdsp, eta: 2 pA, w_max: 300 pA, tau_avg: 500 ms, "
                                        "active: {period: 100 ms, windows: [[20 ms, 70 ms]], start: 30 ms}}"),
                        "bdsp"),
                   {151});
    across_layouts(ctx, "urbanczik", text(urbanczik_network(), "urbanczik"), {160});
}

TEST_CASE("a scaled-down models/xor.yaml (teaching_current, directed exchange): checkpoints resume across layouts",
          "[mpi][checkpoint][plasticity][xor]") {
    MpiContext ctx;
    across_layouts(ctx, "xor", model("xor.yaml", small_xor(1.2)), {930});
}
