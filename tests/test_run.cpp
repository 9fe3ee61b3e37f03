// The run library in-process (load, Simulation, OutputFiles, run; tests/run_in_process.hpp):
// spike files bitwise identical for 1 and 2 threads and a repeated seed, another seed
// differs; in-memory recorders beside the files; the metadata of /apical; a stop request;
// an unusable output folder; the ranks' agreement on a failed phase, on one process.
#include <catch2/catch.hpp>

#include <signal.h>

#include <stdexcept>

#include "core/error.hpp"
#include "engine/collective_phase.hpp"
#include "run_in_process.hpp"
#include "small_brunel.hpp"
#include "spike_file.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> small_brunel_with(std::vector<std::string> more) {
    auto overrides = small_brunel;
    overrides.insert(overrides.end(), more.begin(), more.end());
    return overrides;
}

SpikeFile run_small(const std::string& name, std::vector<std::string> more) {
    auto dir = scratch("run_" + name);
    more.push_back("simulation.t_stop=300 ms");
    run_file(brunel_model, dir, small_brunel_with(more));
    return read_spike_file(dir / "spikes.h5");
}

}  // namespace

TEST_CASE("spike files are bitwise identical for 1 and 2 threads and a repeated seed", "[run][determinism]") {
    auto one = run_small("t1", {"simulation.threads=1"});
    REQUIRE(one.populations.at("E").timestamps.size() > 1000);
    REQUIRE(one.completed == 1);
    REQUIRE(one.simulated_ms == 300.0);
    REQUIRE(same_spikes(run_small("t2", {"simulation.threads=2"}), one));
    REQUIRE(same_spikes(run_small("t1_again", {"simulation.threads=1"}), one));
    REQUIRE_FALSE(same_spikes(run_small("seed", {"simulation.threads=1", "simulation.seed=7"}), one));
    // Sorted by time (SONATA sorting = by_time) and, within one step, by node id.
    auto& e = one.populations.at("E");
    // The spike classes are aligned with the spikes and all classified.
    REQUIRE(e.spike_class.size() == e.timestamps.size());
    for (auto c : e.spike_class) REQUIRE(c <= 2);
    for (std::size_t i = 1; i < e.timestamps.size(); ++i)
        REQUIRE((e.timestamps[i - 1] < e.timestamps[i] ||
                 (e.timestamps[i - 1] == e.timestamps[i] && e.node_ids[i - 1] < e.node_ids[i])));
}

TEST_CASE("the run library: an in-memory recorder beside the files, and the metadata", "[run]") {
    const auto dir = scratch("run_memory_and_metadata");
    const Checkpoint before_load = Checkpoint::now();
    const NetworkSpec spec =
        load(brunel_model, small_brunel_with({"simulation.t_stop=100 ms", "simulation.output=" + dir.string()}));
    MemorySpikeRecorder memory;
    const RunMetadata meta = run_spec(spec, before_load, &memory);
    const SpikeFile file = read_spike_file(dir / "spikes.h5");
    // Both record every spike (models/brunel.yaml records E and I).
    std::size_t in_e = 0;
    for (const Spike& s : memory.spikes) in_e += s.gid < 1000;
    CHECK(in_e == file.populations.at("E").timestamps.size());
    CHECK(memory.spikes.size() - in_e == file.populations.at("I").timestamps.size());
    CHECK(memory.classes.size() == memory.spikes.size());
    CHECK(meta.completed);
    CHECK(meta.simulated_ms == 100.0);
    CHECK(meta.n_neurons == 1250);
    CHECK(meta.n_synapses == 1250u * 125u);
    CHECK(meta.ranks == 1);
    CHECK(meta.exchanges == 67);  // slices of min_delay = 1.5 ms
    CHECK(meta.build_s > 0.0);
    CHECK(meta.simulate_s > 0.0);
    CHECK(meta.peak_rss_bytes >= meta.baseline_rss_bytes);
    CHECK(meta.resolved_description == spec.resolved_yaml);
    CHECK(file.completed == 1);
    CHECK(file.simulated_ms == 100.0);
}

TEST_CASE("the run library: a stop request ends the run early with the files closed", "[run][signals]") {
    const auto dir = scratch("run_stop_request");
    stop_request.store(SIGTERM);
    RunMetadata meta;
    try {
        meta = run_file(brunel_model, dir, small_brunel_with({"simulation.t_stop=1000 ms"}));
    } catch (...) {
        stop_request.store(0);
        throw;
    }
    stop_request.store(0);
    CHECK_FALSE(meta.completed);
    CHECK(meta.simulated_ms < 1000.0);
    const SpikeFile file = read_spike_file(dir / "spikes.h5");
    CHECK(file.completed == 0);
    CHECK(file.simulated_ms == meta.simulated_ms);
}

TEST_CASE("OutputFiles: an unusable output folder is an error at simulation.output", "[run][errors]") {
    const auto dir = scratch("run_bad_output");
    write_file(dir / "a_file", "x");
    NetworkSpec spec = load(brunel_model, small_brunel_with({"simulation.t_stop=10 ms"}));
    spec.simulation.output_dir = (dir / "a_file" / "out").string();
    LocalContext ctx;
    Simulation sim(spec, ctx);
    try {
        OutputFiles files(sim, ctx, start_metadata(sim, ctx, Checkpoint::now()));
        FAIL("no error");
    } catch (const DescriptionError& e) {
        CHECK(e.key_path() == "simulation.output");
        CHECK(std::string(e.what()).find("which is not a directory") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(dir / "a_file" / "out"));
}

TEST_CASE("collective_phase on one process: exit codes and the one message", "[run][errors]") {
    LocalContext ctx;
    const PhaseResult ok = collective_phase(ctx, [] {});
    CHECK_FALSE(ok);
    CHECK(ok.message.empty());
    const PhaseResult user = collective_phase(ctx, [] { throw UserError("bad description"); });
    CHECK(user.exit_code == 2);
    CHECK(user.message == "bad description");
    const PhaseResult runtime = collective_phase(ctx, [] { throw std::runtime_error("disk full"); });
    CHECK(runtime.exit_code == 1);
    CHECK(runtime.message == "apical: error: disk full");
    const PhaseResult peer = collective_phase(ctx, [] { throw PeerFailure(); });
    CHECK(peer.exit_code == 2);
    CHECK(peer.message.empty());  // the failing rank reports, not this one
}
