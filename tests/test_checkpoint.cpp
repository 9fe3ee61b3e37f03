// Checkpoints on one process (engine/checkpoint.hpp, io/checkpoint_file.hpp): a run that
// writes checkpoints keeps the spike file of a run that does not; a resume from a checkpoint,
// on another thread count, into a new directory or into the original files, ends with a spike
// file identical (scripts/same_output: everything outside /apical, byte for byte) to the
// uninterrupted run's.
#include <catch2/catch.hpp>

#include "checkpoint_runs.hpp"
#include "run_in_process.hpp"
#include "small_brunel.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

NetworkSpec small_brunel_spec(const fs::path& output, double t_stop_ms, int threads = 1) {
    auto overrides = small_brunel;
    overrides.push_back("simulation.t_stop=" + std::to_string(t_stop_ms) + " ms");
    overrides.push_back("simulation.threads=" + std::to_string(threads));
    overrides.push_back("simulation.output=" + output.string());
    return load(brunel_model, overrides);
}

}  // namespace

TEST_CASE("scaled-down Brunel: resumed from checkpoints, the spike file of the uninterrupted run",
          "[checkpoint][run]") {
    const fs::path dir = scratch("checkpoint_brunel");
    LocalContext ctx;
    run_spec(small_brunel_spec(dir / "reference", 300));
    const auto checkpoints = run_with_checkpoints(small_brunel_spec(dir / "checkpointed", 300), ctx, {60, 151, 240});
    REQUIRE(checkpoints.size() == 3);
    // Writing checkpoints changes nothing in the run.
    CHECK(output_differences(dir / "reference" / "spikes.h5", dir / "checkpointed" / "spikes.h5").empty());
    for (std::size_t k = 0; k < checkpoints.size(); ++k)
        for (int threads : {1, 2}) {
            INFO("checkpoint " << checkpoints[k] << ", " << threads << " threads");
            const fs::path out = dir / ("resumed_" + std::to_string(k) + "_" + std::to_string(threads));
            resume_checkpoint(checkpoints[k], ctx, threads, out);
            CHECK(output_differences(dir / "reference" / "spikes.h5", out / "spikes.h5").empty());
        }
    // Without -o: the original files, rewritten from the checkpoint on (the later part the first
    // run wrote is replaced).
    resume_checkpoint(checkpoints[1], ctx, 2);
    CHECK(output_differences(dir / "reference" / "spikes.h5", dir / "checkpointed" / "spikes.h5").empty());
    CHECK_FALSE(fs::exists(dir / "checkpointed" / "spikes.h5.before-resume"));
}

TEST_CASE("a checkpoint written on 2 threads resumes on 1", "[checkpoint][run]") {
    const fs::path dir = scratch("checkpoint_threads");
    LocalContext ctx;
    run_spec(small_brunel_spec(dir / "reference", 200));
    const auto checkpoints = run_with_checkpoints(small_brunel_spec(dir / "two", 200, 2), ctx, {100});
    REQUIRE(checkpoints.size() == 1);
    resume_checkpoint(checkpoints[0], ctx, 1, dir / "one");
    CHECK(output_differences(dir / "reference" / "spikes.h5", dir / "one" / "spikes.h5").empty());
}
