// Runs through the command line: `apical run` writes the spike file the run library writes
// in-process (tests/run_in_process.hpp), `apical check` prints the built network, and
// SIGINT / SIGTERM stop the run at the next slice with the file flushed and closed and exit
// code 130 / 143.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_runner.hpp"
#include "run_in_process.hpp"
#include "small_brunel.hpp"
#include "spike_file.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

TEST_CASE("apical run writes the spike file of the run library", "[cli]") {
    const auto dir = scratch("cli_run_same_as_library");
    auto r = run_apical("run " + small_brunel_arguments() + " -o " + (dir / "cli").string() + " --t-stop 300");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.err.rfind("apical: simulated 300 ms in ", 0) == 0);
    auto overrides = small_brunel;
    overrides.push_back("simulation.t_stop=300 ms");
    const RunMetadata meta = run_file(brunel_model, dir / "library", overrides);
    const SpikeFile cli = read_spike_file(dir / "cli" / "spikes.h5");
    const SpikeFile library = read_spike_file(dir / "library" / "spikes.h5");
    REQUIRE(cli.populations.at("E").timestamps.size() > 1000);
    CHECK(same_spikes(cli, library));
    CHECK(cli.completed == 1);
    CHECK(library.completed == 1);
    CHECK(cli.simulated_ms == library.simulated_ms);
    CHECK(meta.simulated_ms == 300.0);
}

TEST_CASE("apical check prints the resolved network, --version the version, --help the options", "[cli]") {
    auto r = run_apical_capturing("check " + small_brunel_arguments(), 1);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.rfind("description: " + brunel_model + "\n", 0) == 0);
    for (const char* line : {"simulation: dt 0.1 ms, t_stop 1000 ms, seed 12345, threads 1\n",
                             "populations:\n  E: 1000 x iaf_psc_delta\n  I: 250 x iaf_psc_delta\n",
                             "projections:\n  EE: E -> E, 100000 synapses\n  EI: E -> I, 25000 synapses\n"
                             "  IE: I -> E, 25000 synapses\n  II: I -> I, 6250 synapses\n",
                             "stimuli: 1\nneurons: 1250, synapses: 156250\n",
                             "delays: min 1.5 ms, max 1.5 ms (15 and 15 steps)\n", "\nmemory: synapses "}) {
        INFO(line);
        CHECK(r.err.find(line) != std::string::npos);
    }
    auto version = run_apical_capturing("--version", 1);
    CHECK(version.exit_code == 0);
    CHECK(version.err == std::string("apical ") + APICAL_VERSION + "\n");
    auto help = run_apical_capturing("run --help", 1);
    CHECK(help.exit_code == 0);
    CHECK(help.err.find("--t-stop") != std::string::npos);
}

TEST_CASE("SIGINT and SIGTERM stop the run at the next slice with the output flushed and closed", "[cli][signals]") {
    for (int sig : {SIGINT, SIGTERM}) {
        auto dir = scratch("cli_signal_" + std::to_string(sig));
        const std::string cmd = std::string(APICAL_EXE) + " run " + small_brunel_arguments() + " -o " +
                                dir.string() + " --t-stop 1000000 2>" + (dir / "stderr.txt").string();
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
