// Running a description in the test's own process through the run library, the calls
// `apical run` makes (load, Simulation, start_metadata, OutputFiles, run, finish), with one
// process (LocalContext): the same files, /apical metadata included, as the command line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "engine/distributed_context.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
#include "io/output_files.hpp"
#include "io/run_metadata.hpp"
#include "scratch.hpp"

namespace apical::test {

// Runs `spec` to its t_stop into its output folder; `extra`, if given, also receives the
// spikes. Returns the metadata written into spikes.h5.
inline RunMetadata run_spec(const NetworkSpec& spec, const Checkpoint& before_build = Checkpoint::now(),
                            SpikeRecorder* extra = nullptr) {
    LocalContext ctx;
    Simulation sim(spec, ctx);
    RunMetadata meta = start_metadata(sim, ctx, before_build);
    OutputFiles files(sim, ctx, meta);
    if (extra) sim.add_recorder(extra);
    run(sim, ctx, meta);
    files.finish(meta);
    return meta;
}

// The description file `path` with `overrides` ("key.path=value", as --set), written into
// `output`.
inline RunMetadata run_file(const std::filesystem::path& path, const std::filesystem::path& output,
                            std::vector<std::string> overrides = {}) {
    const Checkpoint before_load = Checkpoint::now();
    overrides.push_back("simulation.output=" + output.string());
    return run_spec(load(path.string(), overrides), before_load);
}

// A description given as text (relative paths in it are relative to `output`).
inline RunMetadata run_text(const std::string& yaml, const std::filesystem::path& output,
                            std::vector<std::string> overrides = {}) {
    const Checkpoint before_load = Checkpoint::now();
    overrides.push_back("simulation.output=" + output.string());
    return run_spec(parse_description(yaml, (output / "model.yaml").string(), overrides), before_load);
}

}  // namespace apical::test
