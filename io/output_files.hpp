// The files of a run: <output>/spikes.h5 (io/spike_writer.hpp), one SONATA report per state
// recording and variable (io/report_writer.hpp), one population rate file per
// population_rates entry (io/population_rate_writer.hpp) and, with plastic projections, the
// final weights (io/weight_writer.hpp), for the recordings of the
// simulation's description. With one rank, rank 0 writes them with serial HDF5 in SWMR
// mode; with more, all ranks write the spike and report files together with parallel HDF5
// over MPI-IO (each a contiguous share of the spikes and of the sampled columns), and rank
// 0 writes the rate files (it sees every spike after the exchange).
#pragma once

#include <filesystem>
#include <memory>

#include "engine/distributed_context.hpp"
#include "engine/network_spec.hpp"
#include "engine/simulation.hpp"
#include "io/spike_writer.hpp"

namespace apical {

// The output directory must be creatable and writable: throws DescriptionError (at
// simulation.output) otherwise. OutputFiles checks it too; `apical run` checks it right
// after loading, before the network is built.
void check_output_dir(const NetworkSpec& spec);

class OutputFiles {
public:
    // Collective. Creates the output directory and the files, with `at_start` in the spike
    // file's /apical (RunMetadata: start_metadata, io/run_metadata.hpp), and attaches them to
    // `sim` (spike recorder, state recorder, population rate monitors). If that fails on any
    // rank it throws on every rank: its own error where it failed, PeerFailure elsewhere.
    // `sim` and `ctx` must outlive this object.
    OutputFiles(Simulation& sim, DistributedContext& ctx, const RunMetadata& at_start);
    ~OutputFiles();
    OutputFiles(const OutputFiles&) = delete;
    OutputFiles& operator=(const OutputFiles&) = delete;

    // Collective. Writes what is buffered and the last population rate bins up to the
    // simulation's current step, writes `final_meta` into /apical and closes every file
    // (a run stopped early keeps everything up to there). Idempotent. Without it the
    // destructor closes the files with the start metadata (completed = 0).
    void finish(const RunMetadata& final_meta);

    // <output>/spikes.h5
    std::filesystem::path spike_file() const;

private:
    struct Files;
    std::unique_ptr<Files> files_;
};

}  // namespace apical
