// Output files do not depend on the decomposition: `apical run` under mpiexec with (ranks,
// threads) in (1,1), (1,2), (2,1), (2,2), (3,1), (4,1) writes spike files and state reports
// whose datasets (everything outside /apical) are bitwise identical: same datasets, same
// types and shapes, same bytes. One rank uses the serial SWMR writer, more ranks the
// parallel MPI-IO writer, so this also checks the two writers against each other; /apical
// records which one wrote the file, and the ranks and threads.
// Models: a scaled-down Brunel network with two state recordings (a node range with a step,
// and a random sample of nodes, so ranks own irregular sets of columns) and the COBA
// benchmark recording V_m of all 3200 E neurons every 0.2 ms for 100 ms (500 frames: the
// report buffer of 265 frames fills and is written between flushes, not only at flushes).
// The parallel report writer redistributes each buffer over the ranks before writing it
// (report_writer.hpp); a third case, under 1 and 3 ranks, writes a random sample of nodes
// in several full buffers and a partial last one.
// This test launches mpiexec itself; it is not run under mpiexec.
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/cli_runner.hpp"
#include "io/hdf5.hpp"
#include "io/report_writer.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

CommandResult run_mpi(int ranks, const std::string& args) {
    return run_command(mpiexec + " -n " + std::to_string(ranks) + " " + APICAL_EXE + " " + args + " 2>&1 >/dev/null");
}

// One dataset as stored: its type, shape and raw bytes in the file's own type.
struct RawDataset {
    std::string type;  // H5LTdtype_to_text-like: class, size, order, sign
    std::vector<hsize_t> shape;
    std::vector<unsigned char> bytes;
    bool operator==(const RawDataset&) const = default;
};

std::string describe_type(hid_t t) {
    std::ostringstream s;
    s << "class " << H5Tget_class(t) << " size " << H5Tget_size(t) << " order " << H5Tget_order(t);
    if (H5Tget_class(t) == H5T_INTEGER) s << " sign " << H5Tget_sign(t);
    return s.str();
}

herr_t collect(hid_t loc, const char* name, const H5O_info_t* info, void* out) {
    if (info->type != H5O_TYPE_DATASET || std::string(name).rfind("apical", 0) == 0) return 0;
    h5::Handle d(H5Dopen2(loc, name, H5P_DEFAULT));
    h5::Handle type(H5Dget_type(d.get()));
    RawDataset r;
    r.type = describe_type(type.get());
    r.shape = h5::shape(d.get());
    hsize_t n = 1;
    for (hsize_t k : r.shape) n *= k;
    r.bytes.resize(n * H5Tget_size(type.get()));
    if (n > 0 && H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, r.bytes.data()) < 0) return -1;
    (*static_cast<std::map<std::string, RawDataset>*>(out))[name] = std::move(r);
    return 0;
}

// Every dataset of a file outside /apical, by path.
std::map<std::string, RawDataset> datasets_of(const fs::path& path) {
    std::map<std::string, RawDataset> out;
    h5::Handle f = h5::open_file_for_reading(path);
    REQUIRE(H5Ovisit(f.get(), H5_INDEX_NAME, H5_ITER_INC, collect, &out) >= 0);
    return out;
}

struct RunInfo {
    int ranks = 0, threads = 0, completed = 0;
    std::string writer;
};

RunInfo run_info(const fs::path& spikes) {
    h5::Handle f = h5::open_file_for_reading(spikes);
    h5::Handle g = h5::open_group(f.get(), "apical");
    RunInfo r;
    auto read_int = [&](const char* name) {
        int x = -1;
        h5::Handle a(H5Aopen(g.get(), name, H5P_DEFAULT));
        H5Aread(a.get(), H5T_NATIVE_INT, &x);
        return x;
    };
    r.ranks = read_int("ranks");
    r.threads = read_int("threads");
    r.completed = read_int("completed");
    h5::Handle a(H5Aopen(g.get(), "writer", H5P_DEFAULT));
    h5::Handle t(H5Aget_type(a.get()));
    char* s = nullptr;
    if (a.valid() && H5Aread(a.get(), t.get(), &s) >= 0 && s) {
        r.writer = s;
        H5free_memory(s);
    }
    return r;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

using Files = std::map<std::string, std::map<std::string, RawDataset>>;  // file -> datasets

const std::vector<std::pair<int, int>> six_layouts = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 1}, {4, 1}};

// Runs `model` under the layouts (ranks, threads), the first (1, 1), and compares every
// output file with the (1, 1) run's; returns the (1, 1) run's datasets.
Files check_decompositions(const std::string& name, const fs::path& model, const std::string& extra,
                           const std::vector<std::pair<int, int>>& layouts = six_layouts) {
    REQUIRE(layouts.front() == std::pair<int, int>(1, 1));
    Files reference;
    for (auto [ranks, threads] : layouts) {
        const std::string layout = std::to_string(ranks) + "x" + std::to_string(threads);
        auto dir = scratch("parallel_output_" + name + "_" + layout);
        auto r = run_mpi(ranks, "run " + model.string() + " -o " + (dir / "out").string() + " --threads " +
                                    std::to_string(threads) + " " + extra);
        INFO(name << ", " << ranks << " ranks x " << threads << " threads: " << r.err);
        REQUIRE(r.exit_code == 0);
        const RunInfo info = run_info(dir / "out" / "spikes.h5");
        CHECK(info.ranks == ranks);
        CHECK(info.threads == threads);
        CHECK(info.completed == 1);
        CHECK(info.writer.find(ranks == 1 ? "serial HDF5 (SWMR)" : "parallel HDF5 over MPI-IO") == 0);
        Files files;
        for (auto& e : fs::directory_iterator(dir / "out")) files[e.path().filename()] = datasets_of(e.path());
        if (ranks == 1 && threads == 1) {
            reference = files;
            REQUIRE(files.size() >= 2);  // spikes and at least one report
            continue;
        }
        REQUIRE(files.size() == reference.size());
        for (auto& [file, datasets] : reference) {
            INFO(file);
            REQUIRE(files.count(file) == 1);
            const auto& mine = files.at(file);
            REQUIRE(mine.size() == datasets.size());
            for (auto& [path, d] : datasets) {
                INFO(path);
                REQUIRE(mine.count(path) == 1);
                CHECK(mine.at(path).type == d.type);
                CHECK(mine.at(path).shape == d.shape);
                CHECK(mine.at(path).bytes == d.bytes);
            }
        }
    }
    // The reference holds something worth comparing.
    const auto& spikes = reference.at("spikes.h5");
    REQUIRE(spikes.at("spikes/E/timestamps").shape.at(0) > 1000);
    return reference;
}

// `text` with the first `from` replaced by `to` (which must be there).
std::string replaced_once(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// A scaled-down Brunel network (1000 E, 250 I) with the given `simulation` mapping and
// `recordings` block.
std::string brunel_yaml(const std::string& simulation, const std::string& recordings) {
    return "simulation: " + simulation + "\n" + R"(
populations:
  E: {model: iaf_psc_delta, size: 1000, initial: {V_m: 0 mV},
      parameters: &neuron {C_m: 1 pF, tau_m: 20 ms, t_ref: 2 ms, E_L: 0 mV, V_reset: 0 mV, V_th: 20 mV}}
  I: {model: iaf_psc_delta, size: 250, parameters: *neuron, initial: {V_m: 0 mV}}
projections:
  - {name: EE, source: E, target: E, connectivity: {rule: fixed_indegree, indegree: 100}, weight: 1 mV, delay: 1.5 ms}
  - {name: EI, source: E, target: I, connectivity: {rule: fixed_indegree, indegree: 100}, weight: 1 mV, delay: 1.5 ms}
  - {name: IE, source: I, target: E, connectivity: {rule: fixed_indegree, indegree: 25}, weight: -5 mV, delay: 1.5 ms}
  - {name: II, source: I, target: I, connectivity: {rule: fixed_indegree, indegree: 25}, weight: -5 mV, delay: 1.5 ms}
stimuli:
  - {name: external, model: poisson_generator, targets: [E, I], rate: 2 kHz, weight: 1 mV, delay: 1.5 ms}
recordings:)" + recordings;
}

}  // namespace

TEST_CASE("scaled-down Brunel with state recordings: identical output datasets for six layouts",
          "[mpi][output]") {
    auto dir = scratch("parallel_output_models");
    const std::string yaml = brunel_yaml(
        "{dt: 0.1 ms, t_stop: 100 ms, seed: 12345, threads: 1, output: out, flush_interval: 10 ms}", R"(
  spikes: [E, I]
  state:
    - {name: vE, population: E, variables: [V_m], nodes: {range: [3, 400, 3]}, interval: 0.5 ms}
    - {name: vI, population: I, variables: [V_m], nodes: {sample: 37, seed: 3}, interval: 1 ms, start: 10 ms, stop: 95 ms}
)");
    check_decompositions("brunel", write_file(dir / "brunel_state.yaml", yaml), "");
}

// Plastic weights (docs/architecture.md, "Plastic synapses"): weights.h5 and the spikes are the
// same for every layout, with both exchanges (directed: the BDSP source E is recorded while I's
// spikes are routed, so E's classes come from the delivered list).
TEST_CASE("plastic projections: identical spikes and final weights for five layouts, both exchanges",
          "[mpi][output][plasticity]") {
    auto dir = scratch("parallel_output_plastic");
    std::string yaml = brunel_yaml(
        "{dt: 0.1 ms, t_stop: 300 ms, seed: 12345, threads: 1, output: out, flush_interval: 100 ms}", R"(
  spikes: [E, I]
)");
    yaml = replaced_once(yaml, "weight: 1 mV, delay: 1.5 ms}",
                         "weight: 1 mV, delay: 1.5 ms, plasticity: {rule: stdp_pair, lambda: 0.05, alpha: 1.1, "
                         "Wmax: 2 mV}}");
    yaml = replaced_once(yaml, "weight: 1 mV, delay: 1.5 ms}",
                         "weight: 1 mV, delay: 1.5 ms, plasticity: {rule: bdsp, eta: 0.05 mV, w_max: 2 mV, tau_avg: "
                         "200 ms, initial_event_rate: 5 Hz, active: [[50 ms, inf]]}}");
    const std::vector<std::pair<int, int>> five = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 1}};
    const Files allgather = check_decompositions("plastic", write_file(dir / "plastic.yaml", yaml), "", five);
    const auto& w = allgather.at("weights.h5");
    REQUIRE(w.at("weights/EE/weight").shape.at(0) == 100000);
    REQUIRE(w.at("weights/EI/weight").shape.at(0) == 25000);
    std::string directed = replaced_once(yaml, "flush_interval: 100 ms", "flush_interval: 100 ms, spike_exchange: directed");
    directed = replaced_once(directed, "spikes: [E, I]", "spikes: [E]");
    check_decompositions("plastic_directed", write_file(dir / "plastic_directed.yaml", directed), "", five);
}

// The triplet rule in both interactions, the two pairings with state per synapse or derived
// from the last spikes (nn_pre_centered, nn_restricted), and learning-rate schedules: spikes
// and final weights the same for every layout.
TEST_CASE("triplet, nearest-neighbour pairings and rate schedules: identical spikes and weights for five layouts",
          "[mpi][output][plasticity]") {
    auto dir = scratch("parallel_output_plastic_more");
    const std::string base = brunel_yaml(
        "{dt: 0.1 ms, t_stop: 300 ms, seed: 12345, threads: 1, output: out, flush_interval: 100 ms}", R"(
  spikes: [E, I]
)");
    const std::string triplet = "A2_plus: 0.0025 mV, A3_plus: 0.001 mV, A2_minus: 0.003 mV, A3_minus: 0.001 mV, Wmax: 2 mV";
    const std::string schedule = ", rate_factors: [[100 ms, 0.5], [200 ms, 2]]";
    const std::vector<std::pair<int, int>> five = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 1}};
    const std::vector<std::pair<std::string, std::string>> variants = {
        {"{rule: stdp_triplet, interaction: all_to_all, " + triplet + schedule + "}",
         "{rule: stdp_pair, pairing: nn_pre_centered, lambda: 0.05, Wmax: 2 mV}"},
        {"{rule: stdp_pair, pairing: nn_restricted, lambda: 0.05, Wmax: 2 mV" + schedule + "}",
         "{rule: stdp_triplet, interaction: nearest, " + triplet + "}"},
    };
    for (std::size_t v = 0; v < variants.size(); ++v) {
        std::string yaml = replaced_once(base, "weight: 1 mV, delay: 1.5 ms}",
                                         "weight: 1 mV, delay: 1.5 ms, plasticity: " + variants[v].first + "}");
        yaml = replaced_once(yaml, "weight: 1 mV, delay: 1.5 ms}",
                             "weight: 1 mV, delay: 1.5 ms, plasticity: " + variants[v].second + "}");
        const std::string name = "plastic_more_" + std::to_string(v);
        const Files files = check_decompositions(name, write_file(dir / (name + ".yaml"), yaml), "", five);
        // Both rules did move weights (1 mV at the start): not a comparison of frozen tables.
        for (const char* projection : {"weights/EE/weight", "weights/EI/weight"}) {
            const RawDataset& w = files.at("weights.h5").at(projection);
            REQUIRE(w.bytes.size() == w.shape.at(0) * sizeof(float));
            std::size_t moved = 0;
            for (std::size_t k = 0; k < w.shape[0]; ++k) {
                float x;
                std::memcpy(&x, w.bytes.data() + k * sizeof(float), sizeof(float));
                moved += x != 1.0f;
            }
            INFO(projection);
            CHECK(moved > w.shape[0] / 10);
        }
    }
}

TEST_CASE("COBA with a state recording of all E neurons: identical output datasets for six layouts",
          "[mpi][output]") {
    auto dir = scratch("parallel_output_coba_model");
    std::string yaml = read_text(fs::path(APICAL_SOURCE_DIR) / "models" / "coba.yaml");
    yaml = yaml.substr(0, yaml.find("\nrecordings:")) + R"(
recordings:
  spikes: [E, I]
  state:
    - {name: cE, population: E, variables: [V_m], nodes: all, interval: 0.2 ms}
)";
    check_decompositions("coba", write_file(dir / "coba_state.yaml", yaml),
                         "--t-stop 100 --set 'simulation.flush_interval=50 ms'");
}

TEST_CASE("a random sample of nodes written in several full buffers and a partial last one: 3 ranks as 1",
          "[mpi][output]") {
    // 700 of 1000 nodes every 0.1 ms for 350 ms (3500 frames), flushed only at the end: the
    // report buffer (1400 frames) is written twice when full and once, partly filled, at the
    // end; each write redistributes ranks' irregular column sets into contiguous blocks.
    auto dir = scratch("parallel_output_buffers");
    const std::size_t frames = 3500, nodes = 700;
    {
        ReportWriter probe(dir / "probe.h5", "E", std::vector<std::uint64_t>(nodes, 0), "V_m", "mV", 0, 350, 0.1);
        INFO("buffer of " << probe.buffer_frames() << " frames");
        REQUIRE(frames > 2 * probe.buffer_frames());
        REQUIRE(frames % probe.buffer_frames() != 0);
    }
    const std::string yaml = brunel_yaml(
        "{dt: 0.1 ms, t_stop: 350 ms, seed: 777, threads: 1, output: out, flush_interval: 1000 ms}", R"(
  spikes: [E]
  state:
    - {name: vS, population: E, variables: [V_m], nodes: {sample: 700, seed: 11}, interval: 0.1 ms}
)");
    const Files reference =
        check_decompositions("buffers", write_file(dir / "buffers.yaml", yaml), "", {{1, 1}, {3, 1}});
    const RawDataset& data = reference.at("vS_V_m.h5").at("report/E/data");
    CHECK(data.shape == std::vector<hsize_t>{frames, nodes});
    // Not a range: the sampled node ids have irregular gaps.
    const RawDataset& ids = reference.at("vS_V_m.h5").at("report/E/mapping/node_ids");
    std::vector<std::uint64_t> id(ids.bytes.size() / 8);
    std::memcpy(id.data(), ids.bytes.data(), ids.bytes.size());
    std::set<std::uint64_t> gaps;
    for (std::size_t k = 1; k < id.size(); ++k) gaps.insert(id[k] - id[k - 1]);
    CHECK(gaps.size() > 2);
}
