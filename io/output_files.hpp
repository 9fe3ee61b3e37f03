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
#include <map>
#include <memory>

#include "engine/distributed_context.hpp"
#include "engine/population_rate_monitor.hpp"
#include "engine/network_spec.hpp"
#include "engine/simulation.hpp"
#include "io/spike_writer.hpp"
#include "io/weight_writer.hpp"

namespace apical {

// The output directory must be creatable and writable: throws DescriptionError (at
// simulation.output) otherwise. OutputFiles checks it too; `apical run` checks it right
// after loading, before the network is built.
void check_output_dir(const NetworkSpec& spec);

// What a resumed run's files start with (`apical resume`, io/checkpoint_file.hpp): the
// original run's output in `from_dir`, up to the checkpoint. `from_dir` may be the new
// output directory itself (resume without -o): its files are then rewritten in place.
// Where a population rate file stood at a checkpoint: bins written, and the bin being counted.
struct RatePosition {
    std::uint64_t bins = 0;
    PopulationRateMonitor::OpenBin open;
};

struct OutputContinuation {
    std::filesystem::path from_dir;
    std::map<std::string, std::uint64_t> spike_counts;  // per recorded population
    std::map<std::string, RatePosition> rates;          // per population_rates entry
    std::map<std::string, std::uint64_t> report_frames; // per report file
    std::map<std::string, double> weights_mean_start;   // per plastic projection (weights.h5)
    std::map<std::string, WeightRecordingPosition> weight_recordings;  // per weight recording
};

class OutputFiles {
public:
    // Collective. Creates the output directory and the files, with `at_start` in the spike
    // file's /apical (RunMetadata: start_metadata, io/run_metadata.hpp), and attaches them to
    // `sim` (spike recorder, state recorder, population rate monitors). If that fails on any
    // rank it throws on every rank: its own error where it failed, PeerFailure elsewhere.
    // `sim` and `ctx` must outlive this object.
    // With `continuation`, each file starts with the original run's content up to the
    // checkpoint, the rate monitors go on with their open bins and the weight recordings with
    // their samples; weights.h5 keeps the original start's mean weights.
    OutputFiles(Simulation& sim, DistributedContext& ctx, const RunMetadata& at_start,
                const OutputContinuation* continuation = nullptr);
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
    // The spikes per recorded population appended so far (a checkpoint's output positions);
    // on rank 0, or on every rank with more than one.
    std::map<std::string, std::uint64_t> spike_counts() const;
    // Per report file: frames appended so far (the same on every rank that writes reports).
    std::map<std::string, std::uint64_t> report_frames() const;
    // Per population_rates entry: bins written and the open bin (on rank 0, after a flush).
    std::map<std::string, RatePosition> rate_positions() const;
    // Per plastic projection: the mean weight at the run's start (rank 0).
    std::map<std::string, double> weights_mean_start() const;
    // Per weight recording: its samples so far (rank 0) and the next sample's step.
    std::map<std::string, WeightRecordingPosition> weight_recording_positions() const;

private:
    struct Files;
    std::unique_ptr<Files> files_;
};

}  // namespace apical
