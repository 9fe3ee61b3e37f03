// A SONATA network under mpiexec: 2 ranks (each reading only the edges of its own targets,
// io/sonata/edges.hpp) give the same spikes as one process, and the files of both (the serial
// and the parallel HDF5 writers) read back with h5py in the strict SONATA layout
// (tests/scripts/sonata_strict_layout.py). Holds the CTest lock mpiexec (tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "spike_file.hpp"

using namespace apical::test;
namespace fs = std::filesystem;


TEST_CASE("300_pointneurons: 2 ranks give the spikes of 1 rank", "[sonata][mpi]") {
    const std::string config = std::string(APICAL_SONATA_REFERENCE_DIR) + "/300_pointneurons/config.json";
    const fs::path one = scratch("sonata_mpi_1"), two = scratch("sonata_mpi_2");
    auto r1 = run_apical("run " + config + " -o " + one.string() + " --t-stop 300");
    INFO(r1.err);
    REQUIRE(r1.exit_code == 0);
    auto r2 = run_command(mpiexec + " -n 2 " + APICAL_EXE + " run " + config + " -o " + two.string() +
                          " --t-stop 300 2>&1 >/dev/null");
    INFO(r2.err);
    REQUIRE(r2.exit_code == 0);
    const SpikeFile a = read_spike_file(one / "spikes.h5"), b = read_spike_file(two / "spikes.h5");
    REQUIRE(a.populations.at("internal").timestamps.size() > 500);
    CHECK(a.populations.at("internal").timestamps == b.populations.at("internal").timestamps);
    CHECK(a.populations.at("internal").node_ids == b.populations.at("internal").node_ids);

    // The strict layout, read by h5py: counts as the C API reads them (spikes of `internal`,
    // sorted by time as the config asks) and the report's 5 cells over 300 ms at 0.01 ms
    // (frames of [0, 300.01) at 0.01 ms: 30,001, as mapping/time states).
    const std::string spikes_line =
        "spikes internal " + std::to_string(a.populations.at("internal").timestamps.size()) + " by_time";
    for (const fs::path& dir : {one, two}) {
        auto r = run_command("/usr/bin/python3 " APICAL_SOURCE_DIR "/tests/scripts/sonata_strict_layout.py " +
                             (dir / "spikes.h5").string() + " " + (dir / "membrane_potential.h5").string());
        INFO(dir << ": " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find(spikes_line) != std::string::npos);
        CHECK(r.err.find("report internal 30001 5") != std::string::npos);
    }
}

TEST_CASE("300_intfire: 2 ranks (and 2 x 2 threads) give the exact spikes of 1 rank", "[sonata][mpi][intfire1]") {
    // Exact event-driven IntFire1 cells: spikes with offsets travel through the exchange; the
    // order of equal-time events is the same for every decomposition (core/event_queue.hpp), so
    // the files are identical. 4 322 spikes: the reference's count (tests/data/sonata/300_intfire).
    const std::string config = std::string(APICAL_SONATA_REFERENCE_DIR) + "/300_intfire/config.json";
    const fs::path one = scratch("sonata_intfire_mpi_1"), two = scratch("sonata_intfire_mpi_2"),
                   four = scratch("sonata_intfire_mpi_4");
    auto r1 = run_apical("run " + config + " -o " + one.string());
    INFO(r1.err);
    REQUIRE(r1.exit_code == 0);
    for (auto& [dir, threads] : {std::pair{two, 1}, std::pair{four, 2}}) {
        auto r = run_command(mpiexec + " -n 2 " + APICAL_EXE + " run " + config + " -o " + dir.string() +
                             " --threads " + std::to_string(threads) + " 2>&1 >/dev/null");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    const SpikeFile a = read_spike_file(one / "spikes.h5");
    REQUIRE(a.populations.at("v1").timestamps.size() == 4322);
    for (const fs::path& dir : {two, four}) {
        const SpikeFile b = read_spike_file(dir / "spikes.h5");
        CHECK(a.populations.at("v1").timestamps == b.populations.at("v1").timestamps);
        CHECK(a.populations.at("v1").node_ids == b.populations.at("v1").node_ids);
    }
}
