// Binned event rate, burst rate and burst probability of one population (docs/models.md 3.3, the
// authors' BurstRateMonitor): a SpikeRecorder that counts the event-class and burst-class
// spikes (engine/spike_classifier.hpp) of the gids [first_gid, first_gid + N) in bins, and
// hands every finished bin to a PopulationRateSink. The kernel knows nothing of files: the
// HDF5 sink is io/population_rate_writer.hpp.
//
// Bins, in integer steps of dt. Bin k covers the steps [start + k bin, start + (k+1) bin),
// cut at stop: the last bin before stop is narrower when (stop - start) is not a multiple of
// bin. A spike at step s is counted iff start <= s < stop, in the bin that holds s. Its time
// is s dt, the time spike files store; bin edges lie on the step grid, so binning by step and
// binning the written times by [start + k bin, start + (k+1) bin) in ms agree. A spike off the
// grid (exact event-driven models) counts at its grid step (core/spike.hpp), the step s whose
// interval ((s-1) dt, s dt] holds its time, as a grid model's crossing in that interval would.
//
// Rates: width = steps of the bin x dt (s), N = population size,
//   event_rate = events / (width N)       (Hz; events: isolated spikes and first spikes of bursts)
//   burst_rate = bursts / (width N)       (Hz; bursts: the second spike of each burst)
//   burst_probability = bursts / events   (NaN when events == 0)
// A bin's burst probability can exceed 1 and can be defined by bursts whose event fell into
// the previous bin; ratios over longer windows are sum(bursts) / sum(events).
//
// When bins are handed on:
// - a bin is complete once every one of its steps has been computed. A spike after it shows
//   that (append), and so does the clock: if a clock is set (the last computed step, e.g.
//   Simulation::current_step), flush() first hands on every bin the clock has passed, so a
//   silent population's bins still reach the sink at every flush;
// - finish(last_step) hands on the complete bins and then the bin holding last_step, cut
//   after it (a partial bin: steps < bin), if the run ended inside a bin. Bins after the end
//   of the run are never handed on.
// Every bin carries its true width (steps), so a partial or stop-cut bin is recognisable
// (partial() == true) and its rates are right.
//
// Time 0: the run computes steps 1, 2, ...; step 0 is the initial state and never holds a
// spike (a spike at step s is a crossing in ((s-1) dt, s dt]). A bin starting at step 0 is
// nevertheless counted as bin steps wide, so its rates are low by a factor (bin - 1) / bin
// in expectation (0.4 % for 25 ms bins at dt = 0.1 ms). Likewise the spikes of the last
// computed step, t_stop / dt, fall outside a recording that stops at t_stop.
//
// Cost: per spike of the slice, one range check and one increment; no allocation after
// construction. One thread (the write phase of the slice loop).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>

#include "core/error.hpp"
#include "engine/recorder.hpp"
#include "core/spike.hpp"
#include "engine/spike_classifier.hpp"

namespace apical {

// One bin of a population rate recording.
struct PopulationRateBin {
    step_t first_step = 0;     // the bin covers steps [first_step, first_step + steps)
    step_t steps = 0;          // its true width in steps
    step_t bin_steps = 0;      // the nominal width; steps < bin_steps: cut by stop or by the end
    std::uint64_t events = 0;  // event-class spikes
    std::uint64_t bursts = 0;  // burst-class spikes
    double time_ms = 0;        // first_step * dt: the bin's start
    double width_ms = 0;       // steps * dt
    double event_rate_hz = 0;  // events / (width N)
    double burst_rate_hz = 0;  // bursts / (width N)
    double burst_probability = 0;  // bursts / events; NaN when events == 0

    bool partial() const { return steps < bin_steps; }
};

// Where finished bins go (the HDF5 writer, a vector in tests).
class PopulationRateSink {
public:
    virtual ~PopulationRateSink() = default;
    // Bins come in time order, each exactly once, without gaps.
    virtual void append(const PopulationRateBin& bin) = 0;
    // Make every bin appended so far durable.
    virtual void flush() {}
};

class PopulationRateMonitor final : public SpikeRecorder {
public:
    // Bin, start and stop of a recording in steps.
    struct Grid {
        step_t bin = 1;
        step_t start = 0;
        step_t stop = std::numeric_limits<step_t>::max() / 4;
    };

    // The grid of a recording given in ms: bin and start are whole numbers of steps (within
    // 1e-9 relative), bin >= 1 step, start >= 0, stop after start, as the description layer
    // checks (asserted here); stop is rounded up to the grid (spikes at s dt < stop count).
    static Grid grid(double bin_ms, double start_ms, double stop_ms, double dt_ms) {
        APICAL_ASSERT(dt_ms > 0 && std::isfinite(dt_ms));
        auto whole = [&](double ms) {
            const double x = ms / dt_ms, r = std::nearbyint(x);
            APICAL_ASSERT(std::isfinite(x) && std::abs(x - r) <= 1e-9 * std::max(1.0, std::abs(r)) && r >= 0 &&
                          r <= 0x1p60);
            return static_cast<step_t>(r);
        };
        Grid g;
        g.bin = whole(bin_ms);
        APICAL_ASSERT(g.bin >= 1);
        g.start = whole(start_ms);
        const double x = stop_ms / dt_ms;
        APICAL_ASSERT(!std::isnan(x));
        if (x < 0x1p60) {
            const double c = std::ceil(x - 1e-9 * std::max(1.0, std::abs(x)));
            g.stop = static_cast<step_t>(c);
        }
        APICAL_ASSERT(g.stop > g.start);
        return g;
    }

    // Monitors gids [first_gid, first_gid + size) (size >= 1) on `grid`; the sink must
    // outlive the monitor.
    PopulationRateMonitor(gid_t first_gid, std::uint64_t size, double dt_ms, Grid grid,
                          PopulationRateSink& sink)
        : first_gid_(first_gid), size_(size), dt_ms_(dt_ms), grid_(grid), sink_(sink),
          bin_start_(grid.start) {
        APICAL_ASSERT(size > 0 && dt_ms > 0 && grid.bin >= 1 && grid.start >= 0 && grid.stop > grid.start);
    }

    // The last computed step, asked by flush() (e.g. [&sim] { return sim.current_step(); }).
    void set_clock(std::function<step_t()> clock) { clock_ = std::move(clock); }

    void append(std::span<const Spike> spikes, std::span<const std::uint8_t> classes) override {
        APICAL_ASSERT(classes.size() == spikes.size());
        for (std::size_t k = 0; k < spikes.size(); ++k) {
            const Spike& s = spikes[k];
            if (s.gid < first_gid_ || std::uint64_t(s.gid - first_gid_) >= size_) continue;
            const step_t step = grid_step(s);
            if (step < grid_.start || finished_) continue;
            APICAL_ASSERT(step >= bin_start_);  // slices come in time order
            if (step >= bin_end()) {
                advance_to(step - 1);  // every bin before s is complete
                if (step >= grid_.stop) continue;
            }
            // The population must be one the Simulation classifies (recorded or monitored in
            // the spec), or every spike would count as neither event nor burst.
            APICAL_ASSERT(classes[k] != SpikeClass::unclassified);
            if (classes[k] == SpikeClass::event) ++events_;
            else if (classes[k] == SpikeClass::burst) ++bursts_;
        }
    }

    // Hands on the bins the clock has passed (if a clock is set), then flushes the sink.
    void flush() override {
        if (clock_ && !finished_) advance_to(clock_());
        sink_.flush();
    }

    // Every step up to last_step has been computed: hands on every bin that lies wholly at
    // or before it.
    void advance_to(step_t last_step) {
        while (!finished_ && bin_start_ < grid_.stop && bin_end() - 1 <= last_step) emit(bin_end() - bin_start_);
    }

    // The run ended at last_step: hands on the complete bins, then the bin holding last_step
    // cut after it, and flushes the sink. Later calls, appends and flushes hand on nothing.
    void finish(step_t last_step) {
        if (finished_) return;
        advance_to(last_step);
        if (bin_start_ < grid_.stop && bin_start_ <= last_step) emit(last_step + 1 - bin_start_);
        finished_ = true;
        sink_.flush();
    }

    const Grid& grid_steps() const { return grid_; }
    gid_t first_gid() const { return first_gid_; }
    std::uint64_t size() const { return size_; }
    bool finished() const { return finished_; }
    // Start of the bin being counted (the next to be handed on).
    step_t open_bin_start() const { return bin_start_; }
    // The bin being counted and its counts so far (checkpoints, io/checkpoint_file.hpp).
    struct OpenBin {
        step_t start = 0;
        std::uint64_t events = 0, bursts = 0;
    };
    OpenBin open_bin() const { return {bin_start_, events_, bursts_}; }
    void restore(const OpenBin& b) {
        bin_start_ = b.start;
        events_ = b.events;
        bursts_ = b.bursts;
    }

    // The rates of a bin from its counts (also for sums of bins: width in steps).
    static PopulationRateBin make_bin(step_t first_step, step_t steps, step_t bin_steps, std::uint64_t events,
                                      std::uint64_t bursts, double dt_ms, std::uint64_t n) {
        PopulationRateBin b;
        b.first_step = first_step;
        b.steps = steps;
        b.bin_steps = bin_steps;
        b.events = events;
        b.bursts = bursts;
        b.time_ms = static_cast<double>(first_step) * dt_ms;
        b.width_ms = static_cast<double>(steps) * dt_ms;
        const double neuron_seconds = b.width_ms * 1e-3 * static_cast<double>(n);
        b.event_rate_hz = static_cast<double>(events) / neuron_seconds;
        b.burst_rate_hz = static_cast<double>(bursts) / neuron_seconds;
        b.burst_probability = events == 0 ? std::numeric_limits<double>::quiet_NaN()
                                          : static_cast<double>(bursts) / static_cast<double>(events);
        return b;
    }

private:
    step_t bin_end() const { return std::min(bin_start_ + grid_.bin, grid_.stop); }

    void emit(step_t steps) {
        sink_.append(make_bin(bin_start_, steps, grid_.bin, events_, bursts_, dt_ms_, size_));
        bin_start_ += steps;
        events_ = bursts_ = 0;
    }

    gid_t first_gid_;
    std::uint64_t size_;
    double dt_ms_;
    Grid grid_;
    PopulationRateSink& sink_;
    std::function<step_t()> clock_;
    step_t bin_start_;                 // first step of the bin being counted
    std::uint64_t events_ = 0, bursts_ = 0;
    bool finished_ = false;
};

}  // namespace apical
