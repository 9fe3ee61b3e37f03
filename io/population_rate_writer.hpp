// Population rate files: the bins of a PopulationRateMonitor (engine/population_rate_monitor.hpp;
// event rate, burst rate and burst probability of one population, docs/models.md 3.3) streamed
// into <output>/<name>.h5, one file per population_rates entry of the description.
//
// io/output_files.cpp creates them for a run, on the rank that writes (rank 0):
//
//   // with the other writers, after everything was validated (throws UserError for a bad path):
//   std::unique_ptr<PopulationRateRecorders> rates =
//       make_population_rate_recorders(spec, decomposition, spec.simulation.output_dir);
//   // once the Simulation exists: the monitors receive its spikes, its step is their clock
//   for (std::size_t i = 0; i < rates->size(); ++i) sim.add_recorder(&rates->monitor(i));
//   rates->set_clock([&sim] { return sim.current_step(); });
//   // after sim.run(), whether it completed or was stopped:
//   rates->finish();
//
// make_population_rate_recorders returns nullptr when the description has no population
// rate recordings. finish() writes the last bin (partial if the run ended inside it) and
// closes the files; without it the destructor flushes and closes them, leaving out the
// partial bin.
//
// File layout (all datasets float64 or uint64, 1-D, one element per bin, chunked and
// unlimited):
//
//   /population_rates/<pop>                    attributes: n_neurons (uint64, N of the rates),
//                                              bin_ms, start_ms, stop_ms, dt_ms (float64),
//                                              classification_rule ("trace" or "isi"),
//                                              classification_threshold_ms (float64),
//                                              classification (string: the rule in words),
//                                              definition (string: the formulas below)
//   /population_rates/<pop>/time               bin starts (ms)
//   /population_rates/<pop>/bin_width          true widths (ms): bin_ms, less for the bin cut
//                                              by stop or by the end of the run
//   /population_rates/<pop>/event_rate         event_count / (bin_width N) (Hz)
//   /population_rates/<pop>/burst_rate         burst_count / (bin_width N) (Hz)
//   /population_rates/<pop>/burst_probability  burst_count / event_count (1; NaN if no events)
//   /population_rates/<pop>/event_count        event-class spikes of the bin (uint64)
//   /population_rates/<pop>/burst_count        burst-class spikes of the bin (uint64)
//
// Every dataset has a `units` attribute ("ms", "Hz" or "1"). Like the spike and report files
// the file is in SWMR write mode while the run goes on (readers need H5F_ACC_SWMR_READ; h5py:
// File(path, "r", swmr=True)): every object and attribute is created first, bins are
// buffered and appended at each flush() (the monitors' flush, at least every flush_interval)
// and when a buffer holds chunk_elements bins; a killed run leaves a file readable by SWMR
// readers up to the last flush, all datasets of the same length. After finish() it is an
// ordinary HDF5 file in the 1.10 format.
//
// Single process, one thread (Debian's HDF5 is not thread-safe).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/decomposition.hpp"
#include "engine/network_spec.hpp"
#include "engine/population_rate_monitor.hpp"
#include "io/hdf5.hpp"

namespace apical {

// What the file says about the spike classification (engine/spike_classifier.hpp).
struct ClassificationInfo {
    ClassificationRule rule = ClassificationRule::trace;
    double threshold_ms = 16.0;
    std::string description() const;  // the rule in words, with its docs/models.md section
};

class PopulationRateWriter final : public PopulationRateSink {
public:
    // Bins per HDF5 chunk (32 KiB of float64) and the most bins buffered before a write.
    static constexpr std::size_t chunk_elements = 4096;

    // Creates (truncates) `path` with the layout above, then switches it to SWMR write mode.
    // Throws UserError if the file cannot be created (bad output path), the population name
    // cannot be an HDF5 group name or n_neurons is 0; RuntimeFailure if HDF5 fails later.
    PopulationRateWriter(const std::filesystem::path& path, const std::string& population,
                         std::uint64_t n_neurons, double dt_ms, double bin_ms, double start_ms,
                         double stop_ms, const ClassificationInfo& classification);
    // If finish() was not called: flushes and closes. Never throws.
    ~PopulationRateWriter() override;
    PopulationRateWriter(const PopulationRateWriter&) = delete;
    PopulationRateWriter& operator=(const PopulationRateWriter&) = delete;

    // Buffers the bin; writes the buffers when they hold chunk_elements bins.
    void append(const PopulationRateBin& bin) override;
    // Writes the buffered bins and flushes the file.
    void flush() override;
    // flush(), then closes the file. Idempotent.
    void finish();

    // A resumed run (io/checkpoint_file.hpp): appends the first `bins` bins of the rate file
    // `from` (the original run's), before any other bin.
    void copy_prefix(const std::filesystem::path& from, std::size_t bins);

    std::size_t bins_written() const { return in_file_ + time_.size(); }  // in the file or buffered
    std::size_t buffered() const { return time_.size(); }

private:
    void create_layout(const std::string& population, std::uint64_t n_neurons, double dt_ms, double bin_ms,
                       double start_ms, double stop_ms, const ClassificationInfo& classification);
    void write_buffers();
    void close_all();

    std::filesystem::path path_;
    h5::Handle file_;
    // Datasets, in the order of `names` in the .cpp: time, bin_width, event_rate, burst_rate,
    // burst_probability (float64), event_count, burst_count (uint64).
    h5::Handle datasets_[7];
    std::vector<double> time_, width_, event_rate_, burst_rate_, probability_;
    std::vector<std::uint64_t> events_, bursts_;
    std::size_t in_file_ = 0;
    bool finished_ = false;
};

// One monitor and its file per population_rates entry of a description (io/output_files.hpp).
class PopulationRateRecorders {
public:
    // Creates <output_dir>/<name>.h5 for every entry of spec.population_rates (populations
    // looked up by name in `populations`; stop clipped to t_stop). Throws UserError for an
    // unknown population, a bin or start off the step grid, or an unusable output path.
    PopulationRateRecorders(const NetworkSpec& spec, const Decomposition& populations,
                            const std::filesystem::path& output_dir);
    // Sets every monitor's clock: the last computed step of the run the monitors are
    // registered with (Simulation::current_step), so that every flush of the slice loop
    // writes the bins the run has passed. The clock must stay valid until finish().
    void set_clock(std::function<step_t()> clock);
    // Hands on the last bins up to `last_step` (the last computed step; the clock's if
    // omitted), then flushes and closes every file. Idempotent.
    void finish();
    void finish(step_t last_step);

    std::size_t size() const { return monitors_.size(); }
    PopulationRateMonitor& monitor(std::size_t i) { return *monitors_[i]; }
    PopulationRateWriter& writer(std::size_t i) { return *writers_[i]; }

private:
    std::vector<std::unique_ptr<PopulationRateWriter>> writers_;
    std::vector<std::unique_ptr<PopulationRateMonitor>> monitors_;  // after writers_: destroyed first
    std::function<step_t()> clock_;
    bool finished_ = false;
};

// nullptr if spec.population_rates is empty, else the recorders (see the top of this file).
std::unique_ptr<PopulationRateRecorders> make_population_rate_recorders(const NetworkSpec& spec,
                                                                        const Decomposition& populations,
                                                                        const std::filesystem::path& output_dir);

}  // namespace apical
