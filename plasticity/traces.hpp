// Spike traces of the STDP rules (docs/models.md 12.1), after Morrison A, Diesmann M, Gerstner W
// (2008) Phenomenological models of synaptic plasticity based on spike timing. Biol Cybern
// 98:459-478: a trace x decays as dx/dt = -x / tau between spikes and, at a spike,
// either grows by 1 (all-to-all interaction: every earlier spike still counts) or is set to 1
// (nearest-spike interaction: only the latest spike counts).
//
// The trace is kept as its value and the step of its last update. The decay since then,
// exp(-(steps * dt) / tau), is computed only when the trace is read or updated, so a trace costs
// nothing between spikes and its value does not depend on how often it was read. Time is the
// kernel's: integer steps of dt (core/time.hpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "core/time.hpp"

namespace apical {

// What a spike does to a trace.
enum class TraceUpdate {
    all_to_all,  // x += 1
    nearest,     // x = 1
};

// The decay of a trace over a number of steps: exp(-(steps * dt) / tau), exact for any interval.
struct TraceDecay {
    double dt_ms = 0.1;
    double tau_ms = 20.0;
    double operator()(step_t steps) const { return std::exp(-(double(steps) * dt_ms) / tau_ms); }
};

// The same decay for intervals below 32768 steps (3.3 s at dt = 0.1 ms) from two small
// tables: exp(-k dt / tau) = high[k >> 7] * low[k & 127], each factor computed by TraceDecay.
// A projection reads traces of thousands of sources at every spike, so an exponential per read
// would dominate; one table of every interval (64 KiB for 8192 steps) missed the L1 cache at
// nearly every read of a postsynaptic spike's walk (perf: the largest single cost of STDP on
// COBA), the two tables hold 3 KiB. The product is within 2 ulp of exp's value and the same
// on every decomposition (exact for k < 128 and for multiples of 128, where one factor is 1).
// Longer intervals are computed with TraceDecay.
class TraceDecayCache {
public:
    static constexpr int low_bits = 7;
    static constexpr step_t n = 32768;
    static constexpr std::size_t table_bytes = (std::size_t(1) << low_bits) * sizeof(double) +
                                               std::size_t(n >> low_bits) * sizeof(double);
    TraceDecayCache() = default;
    explicit TraceDecayCache(const TraceDecay& decay)
        : decay_(decay), low_(std::size_t(1) << low_bits), high_(std::size_t(n >> low_bits)) {
        for (step_t k = 0; k < step_t(low_.size()); ++k) low_[std::size_t(k)] = decay(k);
        for (step_t j = 0; j < step_t(high_.size()); ++j) high_[std::size_t(j)] = decay(j << low_bits);
    }
    double operator()(step_t steps) const {
        if (steps >= n) return decay_(steps);
        return high_[std::size_t(steps >> low_bits)] * low_[std::size_t(steps & ((step_t(1) << low_bits) - 1))];
    }
    const TraceDecay& decay() const { return decay_; }
    std::size_t bytes() const { return (low_.size() + high_.size()) * sizeof(double); }

private:
    TraceDecay decay_;
    std::vector<double> low_, high_;
};

// One lazily decayed trace. Reads and updates must come in time order (`now` never before the
// last update). A read at the step of an update returns the value after it. `Decay` is
// TraceDecay or TraceDecayCache.
struct Trace {
    double value = 0.0;  // at step `last`
    step_t last = 0;

    template <class Decay>
    double at(step_t now, const Decay& decay) const {
        return value == 0.0 ? 0.0 : value * decay(now - last);
    }
    template <class Decay>
    void spike(step_t now, const Decay& decay, TraceUpdate update) {
        value = update == TraceUpdate::nearest ? 1.0 : at(now, decay) + 1.0;
        last = now;
    }
    // Forget every earlier spike (stdp_nn_pre_centered: a postsynaptic spike clears the
    // presynaptic trace).
    void clear(step_t now) {
        value = 0.0;
        last = now;
    }
};

}  // namespace apical
