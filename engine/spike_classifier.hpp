// Online event/burst classification of spike trains (docs/models.md 3.1-3.2; docs/architecture.md, "Spike classes and population rates").
//
// Every spike of a neuron gets one of three classes:
//   event  - the first spike of a burst, or an isolated spike;
//   burst  - the second spike of a burst, the one that makes it a burst (once per burst);
//   other  - the third and later spikes of a burst.
// Event train E(t) = events, burst train B(t) = burst-class spikes, burst probability
// P = B/E (Payeur et al. 2021, Nat Neurosci 24:1010; docs/models.md 3.1).
//
// Two rules decide whether a spike continues the current burst; the rest is common (a spike
// that does not continue one is an event and clears the neuron's in-burst flag; the first
// continuing spike is the burst spike and sets the flag; later continuing spikes are other):
//
// * Rule::trace (default; the authors' online detector, docs/models.md 3.2). A trace x of the
//   neuron's own spikes, time constant tau = threshold_ms, +1 per spike, exact exponential
//   decay. The trace is read BEFORE the current spike is added (Auryn updates traces after
//   its monitors and connections have run), and the spike continues a burst iff
//   x >= e^-1. With one previous spike at lag D, x = exp(-D/tau): "continues iff
//   D <= tau", the ISI rule; with several recent spikes the trace sums them, so a spike more
//   than tau after the last one can still continue a burst (spikes at 0, 5, 22 ms: x = 0.60),
//   and a regular train with period < tau (1 + ln(1 + e^-1)) ~ 21.0 ms for tau = 16 ms is one
//   endless burst. (Auryn's monitor tests "x < e^-1 -> event", so x == e^-1 continues, as here.)
// * Rule::isi (docs/models.md 3.1, the authors' offline analysis): the spike continues a burst iff
//   its interval to the previous spike is <= threshold_ms (burst_isi, default 16 ms).
//
// Time is in integer steps of dt. Evaluation is lazy: the state of a neuron is (step of its
// last spike, trace just after that spike, in-burst flag), touched only when the neuron
// spikes; there is no per-step work. The window W = threshold_ms / dt in steps is snapped to
// the nearest integer when it is within 1e-9 of one (16 ms / 0.1 ms = 160 steps exactly).
// The trace test x_last * exp(-D/W) >= e^-1 is evaluated in the equivalent form
// D/W <= 1 + ln(x_last): when no earlier spike is left in the trace (x_last == 1 exactly,
// i.e. the one before was > ~37 tau ago) it is exactly the ISI test D <= W, with no rounding
// at the boundary D == W.
//
// Not modelled here: Auryn's presynaptic-side classifiers (inside TransmitBurstConnection,
// TransmitEventConnection, EBCPConnection) increment their trace with the axonally delayed
// spike (0.8 ms) but classify the undelayed one, an effective window of ~16.8 ms (docs/models.md
// 3.2, 9). With one previous spike that is this classifier with threshold tau + delay.
//
// Concurrency: one classifier per block of neurons (e.g. a NeuronGroup of one virtual
// process); classify() touches only the given neuron's state. No allocation after
// construction. A neuron's spikes must be classified in non-decreasing step order.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/spike.hpp"

namespace apical {

class SpikeClassifier {
public:
    enum class Rule : std::uint8_t { trace, isi };
    static constexpr double default_threshold_ms = 16.0;  // tau of the trace / burst_isi

    // threshold_ms: trace time constant (Rule::trace) or maximal intra-burst interval
    // (Rule::isi); dt_ms: the step; n_neurons: neurons 0 .. n_neurons-1 of the block.
    // The description layer has checked threshold and dt (positive, finite, threshold / dt
    // representable in steps).
    SpikeClassifier(Rule rule, double threshold_ms, double dt_ms, std::size_t n_neurons)
        : rule_(rule), last_(n_neurons, never), in_burst_(n_neurons, 0) {
        APICAL_ASSERT(threshold_ms > 0.0 && std::isfinite(threshold_ms));
        APICAL_ASSERT(dt_ms > 0.0 && std::isfinite(dt_ms));
        window_ = threshold_ms / dt_ms;
        const double nearest = std::nearbyint(window_);
        if (std::abs(window_ - nearest) <= 1e-9 * std::max(1.0, nearest)) window_ = nearest;
        APICAL_ASSERT(window_ < 0x1p62);
        isi_steps_ = static_cast<step_t>(std::floor(window_));
        if (rule_ == Rule::trace) trace_.assign(n_neurons, 0.0);
    }

    // The class of a spike of `neuron` at `step`; updates the neuron's state.
    std::uint8_t classify(std::size_t neuron, step_t step) {
        const step_t last = last_[neuron];
        bool continues = false;
        if (last != never) {
            APICAL_ASSERT(step >= last);
            const step_t d = step - last;
            if (rule_ == Rule::isi) {
                continues = d <= isi_steps_;
            } else {
                const double lag = static_cast<double>(d) / window_;  // D / tau
                const double x = trace_[neuron];                       // trace just after `last`
                const double y = x * std::exp(-lag);
                // The rule is lag <= 1 + log(x), i.e. x e^-lag >= e^-1. The product decides
                // where it is further than 1e-9 (relative) from e^-1, far beyond the rounding
                // of either form; closer, the log form does, as it always did, so every class is
                // the same bit for bit and the log is computed for almost no spike (it was half
                // of the classifier's time, a serial part of every slice).
                constexpr double inv_e = 0.36787944117144233;  // e^-1, rounded to double
                constexpr double above_inv_e = inv_e * (1.0 + 1e-9), below_inv_e = inv_e * (1.0 - 1e-9);
                continues = y > above_inv_e ? true : y < below_inv_e ? false : lag <= 1.0 + std::log(x);
                trace_[neuron] = y;
            }
        }
        if (rule_ == Rule::trace) trace_[neuron] += 1.0;
        last_[neuron] = step;
        if (!continues) {
            in_burst_[neuron] = 0;
            return SpikeClass::event;
        }
        if (!in_burst_[neuron]) {
            in_burst_[neuron] = 1;
            return SpikeClass::burst;
        }
        return SpikeClass::other;
    }

    // The detector trace of `neuron` at `step` (>= its last spike), without a spike at `step`
    // itself: the value a spike at `step` would be classified with. 0 for Rule::isi.
    double trace(std::size_t neuron, step_t step) const {
        if (rule_ != Rule::trace || last_[neuron] == never) return 0.0;
        return trace_[neuron] * std::exp(-static_cast<double>(step - last_[neuron]) / window_);
    }
    // Whether `neuron` is inside a burst (its last spike was a burst or other spike).
    bool in_burst(std::size_t neuron) const { return in_burst_[neuron] != 0; }

    // Forget all spikes (every neuron's next spike is an event).
    void reset() {
        std::fill(last_.begin(), last_.end(), never);
        std::fill(in_burst_.begin(), in_burst_.end(), std::uint8_t(0));
        std::fill(trace_.begin(), trace_.end(), 0.0);
    }

    Rule rule() const { return rule_; }
    std::size_t size() const { return last_.size(); }
    // The per-neuron state, for checkpoints (engine/checkpoint.hpp): the step of the last
    // spike (INT64_MIN before the first), the burst flag, the trace (empty for Rule::isi).
    std::vector<step_t>& last_steps() { return last_; }
    std::vector<std::uint8_t>& in_burst_flags() { return in_burst_; }
    std::vector<double>& traces() { return trace_; }
    double window_steps() const { return window_; }  // threshold_ms / dt_ms (snapped)
    std::size_t bytes() const {
        return last_.size() * sizeof(step_t) + in_burst_.size() + trace_.size() * sizeof(double);
    }

    static const char* rule_name(Rule r) { return r == Rule::trace ? "trace" : "isi"; }

private:
    static constexpr step_t never = std::numeric_limits<step_t>::min();

    Rule rule_;
    double window_ = 0.0;     // threshold in steps (may be fractional)
    step_t isi_steps_ = 0;    // floor(window_): longest interval that continues a burst (isi rule)
    std::vector<step_t> last_;           // step of the last spike, `never` before the first
    std::vector<std::uint8_t> in_burst_; // 1 after a burst spike until the next event
    std::vector<double> trace_;          // trace just after the last spike (trace rule only)
};

// Classifies the spikes of those populations whose classes something uses (spike recordings
// write them, population rate monitors count them); the others cost nothing: no state, no
// work, class SpikeClass::unclassified. Populations are gid ranges [first_gid, first_gid +
// size) in ascending order (engine/decomposition.hpp), so a spike's population is found by
// a search over the few range starts, and its state lives at a dense offset.
class PopulationSpikeClassifier {
public:
    struct Range {
        gid_t first_gid;
        gid_t size;
        bool classified;
    };
    PopulationSpikeClassifier(SpikeClassifier::Rule rule, double threshold_ms, double dt_ms,
                              const std::vector<Range>& populations)
        : classifier_(rule, threshold_ms, dt_ms, classified_neurons(populations)) {
        std::size_t offset = 0;
        all_ = true;
        for (const Range& r : populations) {
            first_gid_.push_back(r.first_gid);
            offset_.push_back(r.classified ? std::int64_t(offset) : -1);
            if (r.classified) offset += r.size;
            all_ = all_ && r.classified;
        }
    }

    // classes[k] = the class of spikes[k]; spikes in canonical (step, gid) order.
    void classify(const std::vector<Spike>& spikes, std::vector<std::uint8_t>& classes) {
        classes.resize(spikes.size());
        if (classifier_.size() == 0) {
            std::fill(classes.begin(), classes.end(), SpikeClass::unclassified);
            return;
        }
        if (all_) {  // gids are dense from 0, so a gid is its own classifier index
            for (std::size_t k = 0; k < spikes.size(); ++k) classes[k] = classifier_.classify(spikes[k].gid, spikes[k].step);
            return;
        }
        for (std::size_t k = 0; k < spikes.size(); ++k) {
            const gid_t gid = spikes[k].gid;
            const std::size_t p =
                std::size_t(std::upper_bound(first_gid_.begin(), first_gid_.end(), gid) - first_gid_.begin()) - 1;
            const std::int64_t base = offset_[p];
            classes[k] = base < 0 ? SpikeClass::unclassified
                                  : classifier_.classify(std::size_t(base) + (gid - first_gid_[p]), spikes[k].step);
        }
    }
    std::size_t classified_neurons() const { return classifier_.size(); }
    SpikeClassifier& classifier() { return classifier_; }  // neurons of classified populations, in gid order
    std::size_t bytes() const { return classifier_.bytes(); }

private:
    static std::size_t classified_neurons(const std::vector<Range>& populations) {
        std::size_t n = 0;
        for (const Range& r : populations) n += r.classified ? r.size : 0;
        return n;
    }
    SpikeClassifier classifier_;
    std::vector<gid_t> first_gid_;
    std::vector<std::int64_t> offset_;  // per population: first classifier index, -1 if unclassified
    bool all_ = true;                   // every population classified
};

}  // namespace apical
