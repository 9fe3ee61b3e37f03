// What /apical records about a run (RunMetadata, io/spike_writer.hpp), measured here so that
// any program running the library writes the same metadata as `apical run`:
//
//   const Checkpoint before_load = Checkpoint::now();  // build time and memory count from here
//   NetworkSpec spec = load(path);
//   Simulation sim(spec, ctx);
//   RunMetadata meta = start_metadata(sim, ctx, before_load);  // what the files start with
//   OutputFiles files(sim, ctx, meta);
//   run(sim, ctx, meta);                                       // completes meta
//   files.finish(meta);
//
// Figures that differ between ranks are the largest over ranks (time, memory, traffic), or
// the sum (synapses), so every rank holds the same metadata.
#pragma once

#include <chrono>
#include <cstdint>

#include "engine/distributed_context.hpp"
#include "engine/simulation.hpp"
#include "io/spike_writer.hpp"

namespace apical {

// Wall clock and resident memory of this process at one moment.
struct Checkpoint {
    std::chrono::steady_clock::time_point time;
    std::uint64_t rss_bytes = 0;  // resident now, not the peak
    static Checkpoint now();
    double seconds_since() const;
};

// The largest resident memory of this process so far.
std::uint64_t peak_rss_bytes();

// Collective. The metadata of a built simulation: version, seed, dt, t_stop, ranks x
// threads, the decomposition rule, sizes, build time and construction memory since
// `before_build` (taken before load(), so reading the description counts), the resolved
// description and the spike classification rule.
RunMetadata start_metadata(const Simulation& sim, DistributedContext& ctx, const Checkpoint& before_build);

// Collective. Runs `sim` to the description's t_stop, or until stop_request is set, and
// completes `meta`: how far the run got, whether it completed, simulate time, peak memory,
// phase timers and spike exchange traffic. Returns the last computed step.
step_t run(Simulation& sim, DistributedContext& ctx, RunMetadata& meta);

}  // namespace apical
