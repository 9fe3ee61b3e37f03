// The weights of the plastic projections at the end of a run: <output>/weights.h5, one group
// per plastic projection, /weights/<projection>/ with
//   source_node_id, target_node_id (uint32, node ids within the source and target populations)
//   weight (float32, the stored single-precision values, in the receptor's unit)
// sorted by (source, target) and, for repeated pairs, in construction order, so the file is
// the same for every decomposition; attributes source and target (population names), rule,
// unit, time_ms (the weights' time: the last computed step), mean_start and mean_end (the mean
// weight when the files were created and at the end) and n_synapses. Written by rank 0 after
// the synapses are gathered to it; a run stopped by a signal writes it too.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/distributed_context.hpp"
#include "engine/simulation.hpp"

namespace apical {

class WeightWriter {
public:
    // Collective: the mean weight of every plastic projection now (the start), or, for a
    // resumed run, `mean_start` (per projection name, from the checkpoint). Nothing is written
    // before finish().
    WeightWriter(const Simulation& sim, DistributedContext& ctx, std::filesystem::path file,
                 const std::map<std::string, double>* mean_start = nullptr);
    // Collective: gathers and writes the file (rank 0).
    void finish(const Simulation& sim, DistributedContext& ctx);
    // Per plastic projection: the mean at the start (rank 0), for checkpoints.
    std::map<std::string, double> mean_start(const NetworkSpec& spec) const;

private:
    std::filesystem::path file_;
    std::vector<int> projections_;     // indices of the plastic projections
    std::vector<double> mean_start_;   // per plastic projection (rank 0)
};

// The weight recordings of a run (recordings.weights): per recording, the mean and summed
// weight of its projection at the samples start + k interval, each taken at the first slice
// boundary at or after it and stamped with the step up to which the weights hold every pairing
// (Simulation::delivered_through; at most one sample per slice). <output>/<name>.h5 holds
// /weights/<projection>/time (ms), mean, sum (float64) with attributes unit and n_synapses;
// with `sources`/`targets` also source_node_id, target_node_id (uint32, the recorded synapses
// sorted as in weights.h5) and weight (float32, samples x synapses). Rank 0 keeps the samples
// and writes the file at the end of the run (also of one stopped by a signal).
// Where a weight recording stands: the next sample's step (every rank) and the samples so far
// (rank 0), which its file holds at the end. A checkpoint keeps it (io/checkpoint_file.hpp).
struct WeightRecordingPosition {
    step_t next = 0;
    std::vector<double> time, mean, sum;
    std::uint64_t n_synapses = 0;
    // Per synapse: the recorded synapses, sorted by (source, target), and their weights at
    // each sample, one row per sample.
    std::vector<std::uint32_t> source, target;
    std::vector<float> weights;
};

class WeightRecordings {
public:
    // Collective; attaches a slice observer to `sim`. `sim` and `ctx` must outlive this object.
    // A resumed run goes on from `continued` (per recording name, from the checkpoint).
    WeightRecordings(Simulation& sim, DistributedContext& ctx, std::filesystem::path dir,
                     const std::map<std::string, WeightRecordingPosition>* continued = nullptr);
    // Collective: the sample due at the end, then the files.
    void finish();
    // Per recording name, for checkpoints.
    std::map<std::string, WeightRecordingPosition> positions() const;

private:
    struct Recording {
        const WeightRecordingSpec* spec;
        int projection;
        step_t stop, interval;
        WeightRecordingPosition at;
    };
    void sample();

    Simulation& sim_;
    DistributedContext& ctx_;
    std::filesystem::path dir_;
    std::vector<Recording> recordings_;
};

// Whether the spec has a plastic projection (and so a weights.h5).
bool has_plastic_projections(const NetworkSpec& spec);

}  // namespace apical
