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

// The same decay with the factors of intervals up to 8191 steps (819 ms at dt = 0.1 ms) kept in
// a table (computed by TraceDecay, so bitwise the same values): a projection reads traces of
// thousands of sources at every spike, and an exponential per read would dominate (with 2048
// steps, the exponentials of longer intervals still took 9 % of a COBA run with STDP).
class TraceDecayCache {
public:
    static constexpr step_t n = 8192;
    TraceDecayCache() = default;
    explicit TraceDecayCache(const TraceDecay& decay) : decay_(decay), table_(std::size_t(n)) {
        for (step_t k = 0; k < n; ++k) table_[std::size_t(k)] = decay(k);
    }
    double operator()(step_t steps) const { return steps < n ? table_[std::size_t(steps)] : decay_(steps); }
    const TraceDecay& decay() const { return decay_; }
    std::size_t bytes() const { return table_.size() * sizeof(double); }

private:
    TraceDecay decay_;
    std::vector<double> table_;
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
