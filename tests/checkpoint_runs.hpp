// Checkpoints through the run library, as `apical run --checkpoint-every` and `apical resume`
// make them (cli/main.cpp): a run that writes checkpoints at given steps, a resume from one,
// and the comparison of two output files by scripts/same_output (every dataset and
// attribute outside /apical, byte for byte). Any DistributedContext: one process or MPI.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "command_runner.hpp"
#include "engine/checkpoint.hpp"
#include "engine/distributed_context.hpp"
#include "engine/simulation.hpp"
#include "io/checkpoint_file.hpp"
#include "io/output_files.hpp"
#include "io/run_metadata.hpp"

namespace apical::test {

// Runs `spec` to its t_stop, writing a checkpoint at the first slice boundary at or after each
// of `at_ms`; returns their paths (<output>/checkpoints/...).
inline std::vector<std::filesystem::path> run_with_checkpoints(const NetworkSpec& spec, DistributedContext& ctx,
                                                               std::vector<double> at_ms) {
    Simulation sim(spec, ctx);
    RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
    OutputFiles files(sim, ctx, meta);
    std::vector<std::filesystem::path> written;
    std::size_t next = 0;
    sim.add_slice_observer([&](step_t now) {
        if (next < at_ms.size() && double(now) * spec.simulation.dt_ms >= at_ms[next]) {
            const auto path = checkpoint_path(spec.simulation.output_dir, now, spec.simulation.dt_ms);
            write_checkpoint(sim, ctx, files, path);
            written.push_back(path);
            ++next;
        }
    });
    run(sim, ctx, meta);
    files.finish(meta);
    return written;
}

// Resumes `checkpoint` with `threads` threads into `output` (empty: the original output files).
inline void resume_checkpoint(const std::filesystem::path& checkpoint, DistributedContext& ctx, int threads,
                              const std::filesystem::path& output = {}) {
    CheckpointFileReader reader(checkpoint);
    std::vector<std::string> overrides = {"simulation.threads=" + std::to_string(threads)};
    if (!output.empty()) overrides.push_back("simulation.output=" + output.string());
    const NetworkSpec spec = resume_spec(reader, checkpoint, overrides, !output.empty());
    Simulation sim(spec, ctx);
    restore_state(sim, reader.info().step, reader);
    RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
    const OutputContinuation continuation = continuation_of(reader.info());
    OutputFiles files(sim, ctx, meta, &continuation);
    run(sim, ctx, meta);
    files.finish(meta);
}

// scripts/same_output on two files: "" when equal, else its list of differences.
inline std::string output_differences(const std::filesystem::path& a, const std::filesystem::path& b) {
    const CommandResult r = run_command("/usr/bin/python3 " + std::string(APICAL_SOURCE_DIR) + "/scripts/same_output '" +
                                        a.string() + "' '" + b.string() + "' 2>&1");
    return r.exit_code == 0 ? std::string() : r.err.empty() ? std::string("same_output failed") : r.err;
}

}  // namespace apical::test
