// Results do not depend on the decomposition: the same scaled-down Brunel network and the COBA
// benchmark under mpiexec with (ranks, threads) in (1,1), (1,2), (2,1), (2,2), (3,1), (4,1)
// (oversubscribed on this 2-core machine) give bitwise identical spike files. A bad
// description under 3 ranks gives exit code 2, one message, and no hang.
#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "spike_file.hpp"

using namespace apical::test;

namespace {

// Open MPI refuses to start as root unless both variables are set.
const std::string mpiexec =
    "timeout 300 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec --quiet --oversubscribe --bind-to none";

const std::string small_brunel = std::string(APICAL_SOURCE_DIR) + "/models/brunel.yaml"
    " --set populations.E.size=1000 --set populations.I.size=250"
    " --set projections.EE.connectivity.indegree=100 --set projections.EI.connectivity.indegree=100"
    " --set projections.IE.connectivity.indegree=25 --set projections.II.connectivity.indegree=25"
    " --set 'projections.EE.weight=1 mV' --set 'projections.EI.weight=1 mV'"
    " --set 'projections.IE.weight=-5 mV' --set 'projections.II.weight=-5 mV'"
    " --set 'stimuli[0].rate=2 kHz' --set 'stimuli[0].weight=1 mV'";

CommandResult run_mpi(int ranks, const std::string& args) {
    const std::string cmd = mpiexec + " -n " + std::to_string(ranks) + " " + APICAL_EXE + " " + args + " 2>&1 >/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

void check_decompositions(const std::string& name, const std::string& model) {
    const std::pair<int, int> layouts[] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 1}, {4, 1}};
    SpikeFile reference;
    for (auto [ranks, threads] : layouts) {
        auto dir = scratch("mpi_" + name + "_" + std::to_string(ranks) + "x" + std::to_string(threads));
        auto r = run_mpi(ranks, "run " + model + " -o " + dir.string() + " --t-stop 200 --threads " +
                                    std::to_string(threads));
        INFO(ranks << " ranks x " << threads << " threads: " << r.err);
        REQUIRE(r.exit_code == 0);
        auto f = read_spike_file(dir / "spikes.h5");
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

}  // namespace

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
