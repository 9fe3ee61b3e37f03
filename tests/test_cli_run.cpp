// Runs through the command line: spike files are bitwise identical for 1 and 2 threads and
// for a repeated seed; another seed differs; SIGINT / SIGTERM stop the run at the next slice
// with the file flushed and closed and exit code 130 / 143.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_runner.hpp"
#include "spike_file.hpp"

using namespace apical::test;
namespace fs = std::filesystem;

namespace {

// A scaled-down Brunel network (models/brunel.yaml at one tenth of the size, with J scaled up
// to keep the regime).
const std::string small_brunel = std::string(APICAL_SOURCE_DIR) + "/models/brunel.yaml"
    " --set populations.E.size=1000 --set populations.I.size=250"
    " --set projections.EE.connectivity.indegree=100 --set projections.EI.connectivity.indegree=100"
    " --set projections.IE.connectivity.indegree=25 --set projections.II.connectivity.indegree=25"
    " --set 'projections.EE.weight=1 mV' --set 'projections.EI.weight=1 mV'"
    " --set 'projections.IE.weight=-5 mV' --set 'projections.II.weight=-5 mV'"
    " --set 'stimuli[0].rate=2 kHz' --set 'stimuli[0].weight=1 mV'";

SpikeFile run_small(const std::string& name, const std::string& extra) {
    auto dir = scratch("cli_run_" + name);
    auto r = run_apical("run " + small_brunel + " -o " + dir.string() + " --t-stop 300 " + extra);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return read_spike_file(dir / "spikes.h5");
}

bool same(const SpikeFile& a, const SpikeFile& b) {
    if (a.populations.size() != b.populations.size()) return false;
    for (auto& [name, p] : a.populations) {
        auto it = b.populations.find(name);
        if (it == b.populations.end()) return false;
        if (p.timestamps != it->second.timestamps || p.node_ids != it->second.node_ids ||
            p.spike_class != it->second.spike_class)
            return false;
    }
    return true;
}

}  // namespace

TEST_CASE("spike files are bitwise identical for 1 and 2 threads and a repeated seed", "[cli][determinism]") {
    auto one = run_small("t1", "--threads 1");
    REQUIRE(one.populations.at("E").timestamps.size() > 1000);
    REQUIRE(one.completed == 1);
    REQUIRE(one.simulated_ms == 300.0);
    REQUIRE(same(run_small("t2", "--threads 2"), one));
    REQUIRE(same(run_small("t1_again", "--threads 1"), one));
    REQUIRE_FALSE(same(run_small("seed", "--threads 1 --seed 7"), one));
    // Sorted by time (SONATA sorting = by_time) and, within one step, by node id.
    auto& e = one.populations.at("E");
    // The spike classes are aligned with the spikes and all classified.
    REQUIRE(e.spike_class.size() == e.timestamps.size());
    for (auto c : e.spike_class) REQUIRE(c <= 2);
    for (std::size_t i = 1; i < e.timestamps.size(); ++i)
        REQUIRE((e.timestamps[i - 1] < e.timestamps[i] ||
                 (e.timestamps[i - 1] == e.timestamps[i] && e.node_ids[i - 1] < e.node_ids[i])));
}

TEST_CASE("SIGINT and SIGTERM stop the run at the next slice with the output flushed and closed", "[cli][signals]") {
    for (int sig : {SIGINT, SIGTERM}) {
        auto dir = scratch("cli_signal_" + std::to_string(sig));
        const std::string cmd = std::string(APICAL_EXE) + " run " + small_brunel + " -o " + dir.string() +
                                " --t-stop 1000000 2>" + (dir / "stderr.txt").string();
        const pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        // Wait until the run has started writing (the file exists), then a little longer.
        for (int i = 0; i < 300 && !fs::exists(dir / "spikes.h5"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        kill(pid, sig);
        int status = 0;
        waitpid(pid, &status, 0);
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 128 + sig);
        auto f = read_spike_file(dir / "spikes.h5");  // opens normally: the file was closed
        REQUIRE(f.completed == 0);
        REQUIRE(f.simulated_ms > 0.0);
        REQUIRE(f.simulated_ms < 1000000.0);
        // Every spike up to the stop is in the file.
        REQUIRE(f.populations.at("E").timestamps.back() <= f.simulated_ms);
    }
}
