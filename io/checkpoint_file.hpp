// The checkpoint file (docs/architecture.md, "Checkpoints"): one HDF5 file per checkpoint,
// written by rank 0 from the arrays engine/checkpoint.hpp gathers, read by every rank.
//
//   /                      attributes: format (uint32, checkpoint_format), apical_version,
//                          description_hash (FNV-1a 64 of the resolved description, hex),
//                          step (int64), t_ms, dt_ms, ranks, threads (the layout that wrote it),
//                          output_dir (the run's output directory), complete (uint8 1,
//                          written last)
//   /description           the resolved description (YAML) the network is built from
//   /state/<name>          the arrays of engine/checkpoint.hpp, 1-D, with a `columns`
//                          attribute; chunked with a Fletcher-32 checksum, so a corrupt
//                          value is refused when read
//   /output/spikes/<pop>   uint64 attribute `count`: the spikes of <pop> in spikes.h5 at `step`
//   /output/reports/<file> uint64 attribute `frames`: the rows of data in <file> at `step`
//   /output/rates/<name>   attributes bins (uint64: in <name>.h5 at `step`), and the bin being
//                          counted: open_start (int64, its first step), open_events, open_bursts
//   /output/weights/<projection>  float64 attribute mean_start: weights.h5's mean at the start
//   /output/weight_recordings/<name>  the samples so far (written into <name>.h5 at the end):
//                          time, mean, sum (float64), source, target (uint32), weight (float32,
//                          samples x synapses, flat); attributes next (int64, the next sample's
//                          step) and n_synapses (uint64)
//
// Writing goes to NAME.tmp, renamed to NAME once complete, so a write killed half-way never
// leaves a file that looks complete. Reading checks, in order: the file opens as HDF5 (else
// "is corrupt or truncated"), the completion marker, the format, the apical version, the
// description's hash; each failure is a UserError saying which.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/time.hpp"
#include "engine/checkpoint.hpp"
#include "io/hdf5.hpp"
#include "io/output_files.hpp"

namespace apical {

constexpr std::uint32_t checkpoint_format = 2;  // 2: plastic state, weight outputs

// What a checkpoint says besides its arrays.
struct CheckpointInfo {
    std::uint32_t format = checkpoint_format;
    std::string apical_version;
    std::string description;       // resolved YAML
    std::string description_hash;  // of `description`
    step_t step = 0;
    double dt_ms = 0, t_ms = 0;
    int ranks = 1, threads = 1;
    std::string output_dir;
    std::map<std::string, std::uint64_t> spike_counts;  // per recorded population
    std::map<std::string, RatePosition> rates;          // per population_rates entry
    std::map<std::string, std::uint64_t> report_frames; // per report file
    std::map<std::string, double> weights_mean_start;   // per plastic projection
    std::map<std::string, WeightRecordingPosition> weight_recordings;  // per weight recording
};

// FNV-1a 64 of the text, as 16 hex digits.
std::string description_hash(const std::string& text);

// Rank 0: receives the arrays (save_state) into NAME.tmp; commit() writes the rest and
// renames it to NAME. Destroyed without commit(), it removes NAME.tmp.
class CheckpointFileWriter final : public StateSink {
public:
    explicit CheckpointFileWriter(const std::filesystem::path& path);
    ~CheckpointFileWriter() override;
    void reals(const std::string& name, std::span<const double> values, std::size_t columns) override;
    void integers(const std::string& name, std::span<const std::int64_t> values, std::size_t columns) override;
    void commit(const CheckpointInfo& info);
    std::uint64_t bytes() const { return bytes_; }  // the file's size after commit()

private:
    void write(const std::string& name, hid_t type, const void* data, std::size_t n, std::size_t columns);
    std::filesystem::path path_, tmp_;
    h5::Handle file_;
    std::uint64_t bytes_ = 0;
    bool committed_ = false;
};

// Every rank: opens and checks a checkpoint (UserError saying which check failed).
class CheckpointFileReader final : public StateSource {
public:
    explicit CheckpointFileReader(const std::filesystem::path& path);
    const CheckpointInfo& info() const { return info_; }
    std::vector<double> reals(const std::string& name, std::size_t expected) override;
    std::vector<std::int64_t> integers(const std::string& name, std::size_t expected) override;
    std::size_t rows(const std::string& name) override;

private:
    template <class T>
    std::vector<T> read(const std::string& name, std::size_t expected);
    [[noreturn]] void corrupt(const std::string& detail) const;
    std::filesystem::path path_;
    h5::Handle file_;
    CheckpointInfo info_;
};

// The file of the checkpoint at `step`: <dir>/checkpoint_<time>ms.h5.
std::filesystem::path checkpoint_path(const std::filesystem::path& dir, step_t step, double dt_ms);

struct CheckpointWritten {
    std::filesystem::path path;
    double seconds = 0;       // the slowest rank
    std::uint64_t bytes = 0;  // the file's size
};

// Collective. Writes the checkpoint of `sim` at its current step into `path` (rank 0 writes),
// with the output positions of `files`.
CheckpointWritten write_checkpoint(Simulation& sim, DistributedContext& ctx, const OutputFiles& files,
                                   const std::filesystem::path& path);

// What `apical resume` builds the network from: the checkpoint's description with
// `overrides` (--threads, --t-stop, -o; without -o the original output directory).
NetworkSpec resume_spec(const CheckpointFileReader& reader, const std::filesystem::path& path,
                        std::vector<std::string> overrides, bool new_output);

// The files a resumed run continues: the original output up to the checkpoint.
OutputContinuation continuation_of(const CheckpointInfo& info);

}  // namespace apical
