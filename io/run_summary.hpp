// What `apical info OUTDIR` shows: a summary of an output directory written by `apical run`
// (or the run library), read from OUTDIR/spikes.h5 alone. Per recorded population: neurons,
// spikes, mean rate, the CV of inter-spike intervals, and event rate, burst rate and burst
// probability from the spike classes beside the spikes (docs/models.md 3); and the run's
// metadata from /apical (io/spike_writer.hpp).
//
// Which time the rates are over:
//   completed run                   /apical simulated_ms (= t_stop);
//   stopped run (signal, closed)    /apical simulated_ms, how far it got;
//   unfinished run (killed, or      the writer never wrote the final metadata (simulated_ms
//   still running)                  is still 0): /apical/flushed_ms, the time up to which
//                                   the file holds every spike; spikes after it (a buffer
//                                   written between flushes) are left out.
// Without any of these (files of older versions killed mid-run) rates are unknown.
//
// The population size comes from the n_neurons attribute of /spikes/<pop>, or, in files
// written before it existed, from the resolved description in /apical/description.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace apical {

struct PopulationSummary {
    std::string name;
    std::optional<std::uint64_t> n_neurons;  // unknown if neither source has it
    std::string n_neurons_from;              // "spike file" or "description" (empty if unknown)
    std::uint64_t n_spikes = 0;              // spikes up to the summary's duration
    std::optional<double> rate_hz;           // n_spikes / (n_neurons duration)
    // Coefficient of variation of the inter-spike intervals, std / mean (std with divisor
    // n, over a neuron's n intervals), averaged over the neurons with at least 3 spikes.
    std::optional<double> cv_isi;
    std::uint64_t cv_isi_neurons = 0;  // neurons in that mean
    // From spike_class, where present and every counted spike is classified (0 event,
    // 1 burst, 2 other): events and bursts per neuron and second, bursts / events.
    bool classified = false;
    std::uint64_t events = 0, bursts = 0;
    std::optional<double> event_rate_hz, burst_rate_hz, burst_probability;
};

// One plastic projection of the run's weights.h5 (io/weight_writer.hpp).
struct PlasticSummary {
    std::string name, rule, unit;
    std::uint64_t n_synapses = 0;
    double mean_start = 0, mean_end = 0, time_ms = 0;
};

enum class RunStatus { completed, stopped, unfinished, unknown };

struct RunSummary {
    std::filesystem::path spike_file;
    // The file was still marked as open by a SWMR writer (a run going on, or killed) and was
    // read as a SWMR reader.
    bool open_for_writing = false;
    bool has_metadata = false;  // /apical exists
    RunStatus status = RunStatus::unknown;
    // /apical attributes (their start values in an unfinished run's file)
    std::string version;
    std::uint64_t seed = 0;
    double dt_ms = 0, t_stop_ms = 0, simulated_ms = 0;
    std::optional<double> flushed_ms;  // /apical/flushed_ms, absent in older files
    int ranks = 0, threads = 0;
    std::uint64_t n_neurons = 0, n_synapses = 0;
    double build_s = 0;
    // Written only when a run ends (not in an unfinished run's file).
    std::optional<double> simulate_s;
    std::optional<std::uint64_t> peak_rss_bytes;
    std::optional<double> duration_ms;  // what the rates are over (top of this file)
    std::vector<PopulationSummary> populations;  // in name order
    std::vector<PlasticSummary> plastic;         // from weights.h5 beside the spike file, in name order
};

// Reads `path`: an output directory (its spikes.h5) or a spike file. Throws UserError with
// one line for a missing directory or file, a file that is not HDF5 or has no /spikes.
RunSummary summarize_run(const std::filesystem::path& path);

// The summary as an aligned text table with the run's metadata above it.
std::string summary_table(const RunSummary& s);
// The same as one JSON object (unknown values are null; see docs for the keys).
std::string summary_json(const RunSummary& s);

// x with `digits` digits after the point: fixed(2.5, 2) == "2.50".
std::string fixed(double x, int digits);
// 1536 -> "1.5 KiB"
std::string human_bytes(double bytes);

}  // namespace apical
