// Results do not depend on the decomposition: the same scaled-down Brunel network and the COBA
// benchmark under mpiexec with (ranks, threads) in (1,1), (1,2), (2,1), (2,2), (3,1), (4,1)
// (oversubscribed on this 2-core machine) give bitwise identical spike files. The directed
// spike exchange (simulation.spike_exchange: directed) gives the same files as allgather
// under (1,1), (2,1), (2,2), (3,1): recording only E, so the spikes of I travel only by the
// directed exchange and those of E by both (recorded: allgathered too), and once recording
// both (every needed source recorded: the recorded list serves delivery). A bad description
// under 3 ranks gives exit code 2, one message, and no hang.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <cstring>

#include "cli_runner.hpp"
#include "io/hdf5.hpp"
#include "spike_file.hpp"

using namespace apical::test;

namespace {

const std::string small_brunel = std::string(APICAL_SOURCE_DIR) + "/models/brunel.yaml"
    " --set populations.E.size=1000 --set populations.I.size=250"
    " --set projections.EE.connectivity.indegree=100 --set projections.EI.connectivity.indegree=100"
    " --set projections.IE.connectivity.indegree=25 --set projections.II.connectivity.indegree=25"
    " --set 'projections.EE.weight=1 mV' --set 'projections.EI.weight=1 mV'"
    " --set 'projections.IE.weight=-5 mV' --set 'projections.II.weight=-5 mV'"
    " --set 'stimuli[0].rate=2 kHz' --set 'stimuli[0].weight=1 mV'";

CommandResult run_mpi(int ranks, const std::string& args) {
    return run_command(mpiexec + " -n " + std::to_string(ranks) + " " + APICAL_EXE + " " + args + " 2>&1 >/dev/null");
}

// The spike file of `model` run for 200 ms under (ranks, threads) with `extra` arguments.
SpikeFile run_layout(const std::string& name, const std::string& model, int ranks, int threads,
                     const std::string& extra = "") {
    auto dir = scratch("mpi_" + name + "_" + std::to_string(ranks) + "x" + std::to_string(threads));
    auto r = run_mpi(ranks, "run " + model + " -o " + dir.string() + " --t-stop 200 --threads " +
                                std::to_string(threads) + " " + extra);
    INFO(name << ": " << ranks << " ranks x " << threads << " threads: " << r.err);
    REQUIRE(r.exit_code == 0);
    return read_spike_file(dir / "spikes.h5");
}

void check_decompositions(const std::string& name, const std::string& model) {
    const std::pair<int, int> layouts[] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 1}, {4, 1}};
    SpikeFile reference;
    for (auto [ranks, threads] : layouts) {
        INFO(ranks << " ranks x " << threads << " threads");
        auto f = run_layout(name, model, ranks, threads);
        if (ranks == 1 && threads == 1) {
            reference = f;
            REQUIRE(f.populations.at("E").timestamps.size() > 500);
            continue;
        }
        for (auto& [pop, s] : reference.populations) {
            REQUIRE(f.populations.at(pop).timestamps == s.timestamps);
            REQUIRE(f.populations.at(pop).node_ids == s.node_ids);
            REQUIRE(f.populations.at(pop).spike_class == s.spike_class);
        }
    }
}

// Directed exchange against the allgather run under (1,1): recording E only, under four
// layouts, and recording E and I under (2,1).
void check_directed(const std::string& name, const std::string& model) {
    const SpikeFile reference = run_layout(name + "_allgather", model, 1, 1);
    REQUIRE(reference.populations.at("E").timestamps.size() > 500);
    REQUIRE(reference.populations.at("I").timestamps.size() > 100);
    const std::string directed = "--set simulation.spike_exchange=directed";
    auto same = [&](const SpikeFile& f, const std::string& pop) {
        INFO(pop);
        REQUIRE(f.populations.count(pop) == 1);
        CHECK(f.populations.at(pop).timestamps == reference.populations.at(pop).timestamps);
        CHECK(f.populations.at(pop).node_ids == reference.populations.at(pop).node_ids);
        CHECK(f.populations.at(pop).spike_class == reference.populations.at(pop).spike_class);
    };
    const std::pair<int, int> layouts[] = {{1, 1}, {2, 1}, {2, 2}, {3, 1}};
    for (auto [ranks, threads] : layouts) {
        INFO("directed, E recorded, " << ranks << " ranks x " << threads << " threads");
        auto f = run_layout(name + "_directed_E", model, ranks, threads, directed + " --set 'recordings.spikes=[E]'");
        REQUIRE(f.populations.size() == 1);
        same(f, "E");
    }
    INFO("directed, E and I recorded, 2 ranks x 1 thread");
    auto f = run_layout(name + "_directed_EI", model, 2, 1, directed);
    REQUIRE(f.populations.size() == 2);
    same(f, "E");
    same(f, "I");
}

}  // namespace

TEST_CASE("scaled-down Brunel, directed exchange: spike files bitwise identical to allgather",
          "[mpi][determinism][directed]") {
    check_directed("brunel", small_brunel);
}

TEST_CASE("COBA, directed exchange: spike files bitwise identical to allgather", "[mpi][determinism][directed]") {
    check_directed("coba", std::string(APICAL_SOURCE_DIR) + "/models/coba.yaml");
}

TEST_CASE("scaled-down Brunel: bitwise identical spikes for six rank x thread layouts", "[mpi][determinism]") {
    check_decompositions("brunel", small_brunel);
}

TEST_CASE("COBA: bitwise identical spikes for six rank x thread layouts", "[mpi][determinism]") {
    check_decompositions("coba", std::string(APICAL_SOURCE_DIR) + "/models/coba.yaml");
}

TEST_CASE("a bad description under 3 ranks: exit code 2, one message, no hang", "[mpi][errors]") {
    auto dir = scratch("mpi_bad");
    auto file = write_file(dir / "bad.yaml", "populations:\n  E: {model: iaf_psc_delta, size: -3}\n");
    auto r = run_mpi(3, "run " + file.string() + " -o " + (dir / "out").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 2);
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    REQUIRE(r.err.find("bad.yaml:2:") != std::string::npos);
    REQUIRE_FALSE(std::filesystem::exists(dir / "out"));
}

TEST_CASE("a runtime failure on one rank ends the whole job with its message and exit code 1", "[mpi][errors]") {
    // Neuron 0 (aeif_cond_exp, -1e6 pA) lives on rank 0 only (gid % ranks); within a
    // millisecond its V_m passes -1000 mV, where aeif_cond_exp stops as NEST's does
    // (NumericalInstability). The other ranks are inside the slice loop's collectives: the
    // failing rank must end the job (MPI_Abort) rather than leave them waiting. The run
    // would otherwise take ~10 s; the test's timeout (300 s) catches a hang.
    auto dir = scratch("mpi_runtime_failure");
    auto file = write_file(dir / "unstable.yaml", R"(simulation: {t_stop: 10000 ms}
populations:
  A: {model: aeif_cond_exp, size: 1}
  B: {model: iaf_psc_delta, size: 3000}
projections:
  - {source: B, target: B, connectivity: {rule: fixed_indegree, indegree: 10}, weight: 0.1 mV, delay: 1 ms}
stimuli:
  - {name: sink, model: dc_current, target: A, amplitude: -1000000 pA}
  - {name: drive, model: poisson_generator, target: B, rate: 20 kHz, weight: 0.1 mV, delay: 1 ms}
)");
    auto r = run_mpi(3, "run " + file.string() + " -o " + (dir / "out").string());
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("apical: error on rank 0: aeif_cond_exp: numerical instability in neuron 0") != std::string::npos);
}

namespace {

// The pids of the processes whose parent is `parent` and whose command is `name`.
std::vector<pid_t> children_named(pid_t parent, const std::string& name) {
    std::vector<pid_t> found;
    for (auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string d = e.path().filename().string();
        if (d.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path() / "stat");
        std::string pid, comm, state;
        long ppid = 0;
        if (!(stat >> pid >> comm >> state >> ppid)) continue;
        if (ppid == parent && comm == "(" + name + ")") found.push_back(pid_t(std::stol(pid)));
    }
    return found;
}

}  // namespace

TEST_CASE("SIGTERM to one of 2 ranks stops both at the next slice with the output flushed and closed",
          "[mpi][signals]") {
    auto dir = scratch("mpi_signal");
    const std::string cmd = "exec " + mpiexec + " -n 2 " + std::string(APICAL_EXE) + " run " +
                            small_brunel + " -o " + dir.string() + " --t-stop 1000000 2>" + (dir / "stderr.txt").string();
    const pid_t sh = fork();
    if (sh == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    // sh execs timeout, which starts mpiexec (through env), which starts the two ranks.
    std::vector<pid_t> ranks;
    for (int i = 0; i < 500 && ranks.size() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ranks.clear();
        for (pid_t launcher : children_named(sh, "mpiexec")) ranks = children_named(launcher, "apical");
    }
    REQUIRE(ranks.size() == 2);
    for (int i = 0; i < 500 && !std::filesystem::exists(dir / "spikes.h5"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    kill(ranks.back(), SIGTERM);  // one rank only
    int status = 0;
    waitpid(sh, &status, 0);
    std::ifstream err_file(dir / "stderr.txt");
    const std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
    INFO(err);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(err.find("apical: stopped by SIGTERM") != std::string::npos);
    auto f = read_spike_file(dir / "spikes.h5");  // opens normally: the file was closed
    CHECK(f.completed == 0);
    CHECK(f.simulated_ms > 0.0);
    CHECK(f.simulated_ms < 1000000.0);
    CHECK(f.populations.at("E").timestamps.back() <= f.simulated_ms);
}

TEST_CASE("population rate files are identical for every layout and both exchanges", "[mpi][determinism][rates]") {
    // A scaled-down Brunel network with a population rate monitor on I (not spike-recorded,
    // so under the directed exchange its spikes reach the monitor only through the
    // monitored-population allgather). Rates come from the classes of the global spike list.
    auto dir = scratch("mpi_rates");
    const std::string model = small_brunel + " --set 'recordings.spikes=[E]'";
    struct Rates {
        std::vector<double> time, event_rate, burst_probability;
        std::vector<std::uint64_t> events, bursts;
    };
    auto read = [](const std::filesystem::path& path) {
        apical::h5::Handle f = apical::h5::open_file_for_reading(path);
        apical::h5::Handle g = apical::h5::open_group(f.get(), "population_rates/I");
        auto d = [&](const char* n) { return apical::h5::open_dataset(g.get(), n); };
        Rates r;
        r.time = apical::h5::read_all<double>(d("time").get());
        r.event_rate = apical::h5::read_all<double>(d("event_rate").get());
        r.burst_probability = apical::h5::read_all<double>(d("burst_probability").get());
        r.events = apical::h5::read_all<std::uint64_t>(d("event_count").get());
        r.bursts = apical::h5::read_all<std::uint64_t>(d("burst_count").get());
        return r;
    };
    // The rate monitor is not in models/brunel.yaml: --set adds it as a YAML flow sequence.
    const std::string add = " --set 'recordings.population_rates=[{name: rates_I, population: I, bin: 5 ms}]'";
    const std::pair<int, int> layouts[] = {{1, 1}, {2, 1}, {3, 1}, {2, 2}};
    Rates reference;
    for (const std::string mode : {"allgather", "directed"})
        for (auto [ranks, threads] : layouts) {
            INFO(mode << ", " << ranks << " ranks x " << threads << " threads");
            auto out = dir / (mode + std::to_string(ranks) + "x" + std::to_string(threads));
            auto r = run_mpi(ranks, "run " + model + add + " --set simulation.spike_exchange=" + mode + " -o " +
                                        out.string() + " --t-stop 200 --threads " + std::to_string(threads));
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
            const Rates x = read(out / "rates_I.h5");
            if (reference.time.empty()) {
                reference = x;
                REQUIRE(x.time.size() == 40);
                std::uint64_t total = 0;
                for (auto e : x.events) total += e;
                REQUIRE(total > 100);
                continue;
            }
            CHECK(x.time == reference.time);
            CHECK(x.events == reference.events);
            CHECK(x.bursts == reference.bursts);
            CHECK(std::memcmp(x.event_rate.data(), reference.event_rate.data(), x.event_rate.size() * 8) == 0);
            CHECK(std::memcmp(x.burst_probability.data(), reference.burst_probability.data(),
                              x.burst_probability.size() * 8) == 0);
        }
}
