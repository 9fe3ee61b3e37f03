// The run library under mpiexec with several ranks, in-process: Simulation, OutputFiles and
// run with an MpiContext write the same spike, report and population rate datasets as one
// process with a LocalContext (rank 0 runs that afterwards); collective_phase stops every
// rank when one fails, with the message on that rank only; with short-term plastic projections
// (docs/models.md 4.4: per-source state copied on every VP) and with the periodic step_current and
// teaching_current (docs/models.md 9.4, 9.7) the spikes are still those of one process; with the
// Urbanczik-Senn rule (docs/models.md 15) the spikes and final weights are those of one process.
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <stdexcept>

#include "core/error.hpp"
#include "engine/collective_phase.hpp"
#include "engine/mpi_context.hpp"
#include "io/hdf5.hpp"
#include "../run_in_process.hpp"
#include "../small_brunel.hpp"
#include "../spike_file.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

// Every value of a dataset of any shape, as float64.
std::vector<double> read_values(const fs::path& file, const std::string& dataset) {
    h5::Handle f = h5::open_file_for_reading(file);
    h5::Handle d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT));
    REQUIRE(d.valid());
    h5::Handle space(H5Dget_space(d.get()));
    std::vector<double> values(std::size_t(H5Sget_simple_extent_npoints(space.get())));
    if (!values.empty()) H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    return values;
}

// The small Brunel network with state and rate recordings of E, into `output`; `more`
// overrides after those.
NetworkSpec recorded_brunel(const fs::path& output, const std::vector<std::string>& more = {}) {
    auto overrides = small_brunel;
    for (const char* o : {"simulation.t_stop=100 ms",
                          "recordings.state=[{name: v, population: E, variables: [V_m], nodes: [0, 1, 2, 3, 4, 5, 6], "
                          "interval: 0.5 ms}]",
                          "recordings.population_rates=[{name: e_rates, population: E, bin: 10 ms}]"})
        overrides.push_back(o);
    overrides.push_back("simulation.output=" + output.string());
    overrides.insert(overrides.end(), more.begin(), more.end());
    return load(brunel_model, overrides);
}

// Simulates `spec` on the ranks of `ctx` and writes its output, as `apical run` does.
RunMetadata run_on_ranks(const NetworkSpec& spec, MpiContext& ctx) {
    const Checkpoint before_build = Checkpoint::now();
    Simulation sim(spec, ctx);
    RunMetadata meta = start_metadata(sim, ctx, before_build);
    OutputFiles files(sim, ctx, meta);
    run(sim, ctx, meta);
    files.finish(meta);
    CHECK(meta.completed);
    return meta;
}

// The spec of `spec_in(output, threads)` on the ranks of `ctx` with 1 and 2 threads against
// one process with 1 thread (rank 0 runs it); rank 0 then calls compare(ranks_dir, one_dir).
// The folder is `name`_<ranks> in the scratch root.
template <class SpecIn, class Compare>
void against_one_process(MpiContext& ctx, const std::string& name, SpecIn spec_in, Compare compare) {
    REQUIRE(ctx.size() >= 2);  // run under mpiexec -n 2 or more
    const fs::path dir = test::scratch_root() / (name + "_" + std::to_string(ctx.size()));
    if (ctx.rank() == 0) scratch(dir.filename().string());
    ctx.any(false);  // the folder exists before any rank writes
    for (int threads : {1, 2}) {
        INFO(ctx.size() << " ranks x " << threads << " threads");
        const fs::path ranks_dir = dir / ("ranks_" + std::to_string(threads));
        run_on_ranks(spec_in(ranks_dir, threads), ctx);
        if (ctx.rank() != 0) continue;
        if (threads == 1) run_spec(spec_in(dir / "one", 1));
        compare(ranks_dir, dir / "one");
    }
}

// The same spikes, V_m report and E's rates as one process.
template <class SpecIn>
void same_files_as_one_process(MpiContext& ctx, const std::string& name, SpecIn spec_in) {
    against_one_process(ctx, name, spec_in, [](const fs::path& ranks_dir, const fs::path& one) {
        const SpikeFile ranks = read_spike_file(ranks_dir / "spikes.h5");
        REQUIRE(ranks.populations.at("E").timestamps.size() > 100);
        CHECK(same_spikes(ranks, read_spike_file(one / "spikes.h5")));
        CHECK(read_values(ranks_dir / "v_V_m.h5", "/report/E/data") == read_values(one / "v_V_m.h5", "/report/E/data"));
        for (const char* d : {"time", "event_count", "burst_count"}) {
            const std::string path = std::string("/population_rates/E/") + d;
            CHECK(read_values(ranks_dir / "e_rates.h5", path) == read_values(one / "e_rates.h5", path));
        }
    });
}

}  // namespace

TEST_CASE("the run library under MPI writes the datasets of one process", "[mpi][run]") {
    MpiContext ctx;
    REQUIRE(ctx.size() >= 2);  // run under mpiexec -n 2 or more
    const fs::path dir = test::scratch_root() / ("mpi_run_" + std::to_string(ctx.size()));
    if (ctx.rank() == 0) scratch(dir.filename().string());
    ctx.any(false);  // the folder exists before any rank writes
    const NetworkSpec spec = recorded_brunel(dir / "ranks");
    const RunMetadata meta = run_on_ranks(spec, ctx);
    CHECK(meta.ranks == ctx.size());
    if (ctx.rank() != 0) return;
    run_spec(recorded_brunel(dir / "one"));
    const SpikeFile ranks = read_spike_file(dir / "ranks" / "spikes.h5");
    REQUIRE(ranks.populations.at("E").timestamps.size() > 100);
    CHECK(same_spikes(ranks, read_spike_file(dir / "one" / "spikes.h5")));
    CHECK(read_values(dir / "ranks" / "v_V_m.h5", "/report/E/data") ==
          read_values(dir / "one" / "v_V_m.h5", "/report/E/data"));
    for (const char* d : {"time", "event_count", "burst_count"}) {
        const std::string path = std::string("/population_rates/E/") + d;
        CHECK(read_values(dir / "ranks" / "e_rates.h5", path) == read_values(dir / "one" / "e_rates.h5", path));
    }
}

TEST_CASE("short-term plasticity and event/burst transmission under MPI: the files of one process",
          "[mpi][run][stp][transmit]") {
    MpiContext ctx;
    // EE depressing and IE three-state; directed exchange sends each spike only where it has
    // targets, so every rank's copy of a source's state sees exactly the spikes it needs.
    // EI transmits only events and IE only bursts (docs/models.md 4.6); I is not recorded,
    // so I's classes are computed from the routed spikes on each rank, E's from the recorded
    // ones. II draws U per synapse (state per synapse). With the state and rate recordings of
    // recorded_brunel, on this many ranks with 1 and 2 threads against one process, 1 thread.
    const auto spec_in = [](const fs::path& output, int threads) {
        std::vector<std::string> stp = {
            "simulation.t_stop=150 ms", "simulation.spike_exchange=directed",
            "projections.EE.synapse={model: tsodyks_markram, preset: depressing}",
            "projections.IE.synapse={model: tsodyks_3state, U: 0.5, tau_F: 20 ms, tau_D: 100 ms}",
            "projections.II.synapse={model: tsodyks_markram, U: {distribution: uniform, low: 0.2, high: 0.8}, "
            "tau_F: 50 ms, tau_D: 100 ms}",
            "projections.EI.transmit=events", "projections.IE.transmit=bursts", "recordings.spikes=[E]"};
        stp.push_back("simulation.threads=" + std::to_string(threads));
        return recorded_brunel(output, stp);
    };
    same_files_as_one_process(ctx, "mpi_stp", spec_in);
}

TEST_CASE("collective_phase under MPI: a failure on one rank stops all, one message", "[mpi][errors]") {
    MpiContext ctx;
    const PhaseResult ok = collective_phase(ctx, [] {});
    CHECK_FALSE(ok);
    const PhaseResult user = collective_phase(ctx, [&] {
        if (ctx.rank() == 1) throw UserError("bad on rank 1");
    });
    CHECK(user.exit_code == 2);
    CHECK(user.message == (ctx.rank() == 1 ? "bad on rank 1" : ""));
    // Every rank fails at runtime: exit code 1, rank 0 reports.
    const PhaseResult runtime = collective_phase(ctx, [] { throw std::runtime_error("disk full"); });
    CHECK(runtime.exit_code == 1);
    CHECK(runtime.message == (ctx.rank() == 0 ? "apical: error: disk full" : ""));
}

// The memory check under MPI (engine/memory_estimate.hpp): the ranks of this one machine share
// its memory, and a network too large for it is refused on every rank, before it is built,
// with the sentence on the lowest rank, through the same phase agreement as any user error.
TEST_CASE("the memory check under MPI: ranks share the node, a network too large stops all", "[mpi][memory]") {
    MpiContext ctx;
    CHECK(ctx.ranks_on_node() == ctx.size());
    NetworkSpec spec = parse_description("populations:\n  E: {model: iaf_psc_delta, size: 3000000000}\n", "big.yaml");
    const PhaseResult r = collective_phase(ctx, [&] { Simulation sim(spec, ctx); });
    CHECK(r.exit_code == 2);
    if (ctx.rank() == 0) {
        CHECK(r.message.starts_with("big.yaml: the network needs about "));
        CHECK(r.message.find(" shared by " + std::to_string(ctx.size()) + " ranks on this node") != std::string::npos);
    } else {
        CHECK(r.message.empty());
    }
}

TEST_CASE("periodic stimuli and the teaching_current under MPI: the spikes of one process",
          "[mpi][run][stimuli]") {
    MpiContext ctx;
    // E gets a periodic step current and a teaching current from its own event rates (tau 20 ms,
    // windows [30 ms, 50 ms) of every 50 ms, targets 1, 0, 0). Slices are 15 steps (the 1.5 ms
    // delay) and periods 500 steps, so windows start both on and inside slices (docs/models.md 9.7).
    const auto spec_in = [](const fs::path& output, int threads) {
        return recorded_brunel(
            output, {"simulation.t_stop=200 ms", "simulation.threads=" + std::to_string(threads), "recordings.spikes=[E]",
                     "stimuli=[{name: external, model: poisson_generator, targets: [E, I], rate: 2 kHz, weight: 1 mV, "
                     "delay: 1.5 ms}, {name: steps, model: step_current, target: E, period: 20 ms, times: [0 ms, 10 ms], "
                     "amplitudes: [30 pA, -30 pA]}, {name: teach, model: teaching_current, target: E, amplitude: 200 pA, "
                     "period: 50 ms, window: [30 ms, 50 ms], pattern: [1, 0, 0], tau_avg: 20 ms, e_min: 2 Hz, "
                     "e_max: 40 Hz, tolerance: 2 Hz}]"});
    };
    same_files_as_one_process(ctx, "mpi_teaching", spec_in);
}

TEST_CASE("urbanczik_senn under MPI: the spikes and final weights of one process", "[mpi][run][urbanczik_senn]") {
    MpiContext ctx;
    // 40 Poisson sources onto the dendrites of 10 pp_cond_exp_mc_urbanczik neurons with somatic
    // drive (as tests/test_urbanczik_senn.cpp), 600 ms, delay 1.2 ms.
    const auto spec_in = [](const fs::path& output, int threads) {
        const std::string text =
            "simulation: {dt: 0.1 ms, t_stop: 600 ms, seed: 9, threads: " + std::to_string(threads) +
            ", output: " + output.string() +
            "}\n"
            "populations:\n"
            "  src: {model: poisson_source, size: 40, parameters: {rate: 15 Hz}}\n"
            "  tgt: {model: pp_cond_exp_mc_urbanczik, size: 10}\n"
            "projections:\n"
            "  - {name: plastic, source: src, target: tgt, receptor: dendrite.exc,\n"
            "     connectivity: {rule: pairwise_bernoulli, p: 0.5},\n"
            "     weight: {distribution: uniform, low: 50 pA, high: 250 pA}, delay: 1.2 ms,\n"
            "     plasticity: {rule: urbanczik_senn, eta: 0.2, tau_Delta: 30 ms, Wmin: 0 pA, Wmax: 400 pA}}\n"
            "stimuli:\n"
            "  - {name: drive, model: poisson_generator, targets: [tgt], receptor: soma.exc, rate: 3 kHz, "
            "weight: 2 nS, delay: 0.1 ms}\n"
            "recordings:\n  spikes: [src, tgt]\n";
        return parse_description(text, (output.parent_path() / "urbanczik.yaml").string(), {});
    };
    against_one_process(ctx, "mpi_urbanczik", spec_in, [](const fs::path& ranks_dir, const fs::path& one) {
        const SpikeFile ranks = read_spike_file(ranks_dir / "spikes.h5");
        REQUIRE(ranks.populations.at("tgt").timestamps.size() > 20);
        CHECK(same_spikes(ranks, read_spike_file(one / "spikes.h5")));
        const auto weights = read_values(ranks_dir / "weights.h5", "/weights/plastic/weight");
        REQUIRE(weights.size() > 100);
        CHECK(weights == read_values(one / "weights.h5", "/weights/plastic/weight"));
    });
}
