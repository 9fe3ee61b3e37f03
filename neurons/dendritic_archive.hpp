// The per-step record of a neuron that predicts its own somatic spiking from its dendrite
// (pp_cond_exp_mc_urbanczik), read by the Urbanczik-Senn rule (plasticity/urbanczik_senn.hpp;
// docs/models.md 15) at presynaptic spikes: for every step s,
//   dPI(s) = (n_spikes(s) - phi(V*_w(s)) h) h(V*_w(s)),
// the quantity NEST's UrbanczikArchivingNode stores per step.
//
// Storage (docs/architecture.md, "Plastic synapses"): one contiguous array per neuron, so a
// synapse reads the steps between two presynaptic spikes as one run of memory. Archiving costs
// one double per neuron and step and nothing per synapse; the synapses read lazily. The array
// keeps the steps from the oldest one an incoming synapse may still read (its source's last
// spike minus the delay, as NEST's access counters do, or for spikes still to come the next
// step minus the delay): the owner of the plastic tables
// (engine/virtual_process.cpp) asks them for that step now and then (start_trim, need, trim).
// An archive is empty and costs nothing until enabled (a plastic projection reads it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

namespace apical {

class DendriticArchive {
public:
    void enable(std::size_t n_neurons) {
        values_.assign(n_neurons, {});
        begin_.assign(n_neurons, 0);
        needed_.assign(n_neurons, step_max);
        enabled_ = true;
    }
    bool enabled() const { return enabled_; }

    // Appends steps first .. first + n_steps - 1 from `rows`, laid out [step][neuron] with
    // `stride` values per row; steps come in order without gaps.
    void append(step_t first, int n_steps, const double* rows, std::size_t stride) {
        if (!started_) {
            started_ = true;
            first_ = first;
            end_ = first;
            last_trim_ = first;
            std::fill(begin_.begin(), begin_.end(), first);
        }
        APICAL_ASSERT(first == end_);
        for (std::size_t i = 0; i < values_.size(); ++i)
            for (int k = 0; k < n_steps; ++k) values_[i].push_back(rows[std::size_t(k) * stride + i]);
        end_ = first + n_steps;
    }

    // Steps [begin(i), end()) of neuron i are held; value(i, s) for s in that range.
    step_t begin(std::uint32_t i) const { return begin_[i]; }
    step_t end() const { return end_; }
    // The first step ever appended (steps before it were never archived).
    step_t first() const { return first_; }
    // The values of steps from .. end() - 1 of neuron i, contiguous.
    const double* from(std::uint32_t i, step_t step) const {
        APICAL_ASSERT(step >= begin_[i] && step <= end_);
        return values_[i].data() + (step - begin_[i]);
    }

    // Trimming: start_trim(), then need(i, s) for every step s a reader may still read (the
    // oldest per reader is enough), then trim() drops the older steps.
    bool trim_due() const { return enabled_ && end_ - last_trim_ >= trim_interval; }
    void start_trim() { std::fill(needed_.begin(), needed_.end(), step_max); }
    void need(std::uint32_t i, step_t step) { needed_[i] = std::min(needed_[i], step); }
    void trim() {
        last_trim_ = end_;
        for (std::size_t i = 0; i < values_.size(); ++i) {
            const step_t keep_from = std::min(needed_[i], end_);
            if (keep_from <= begin_[i]) continue;
            const std::size_t drop = std::size_t(keep_from - begin_[i]);
            // Move the kept part only when at least half goes: amortised O(1) per value.
            if (2 * drop < values_[i].size()) continue;
            values_[i].erase(values_[i].begin(), values_[i].begin() + std::ptrdiff_t(drop));
            begin_[i] = keep_from;
        }
    }
    std::size_t bytes() const {
        std::size_t b = (begin_.size() + needed_.size()) * sizeof(step_t);
        for (auto& v : values_) b += v.capacity() * sizeof(double);
        return b;
    }
    // Steps held by neuron i (for tests of the bound).
    std::size_t held(std::uint32_t i) const { return values_[i].size(); }

    // Checkpoints (engine/checkpoint.cpp): the clock (whether anything was appended, first(),
    // end(), the end at the last trim), then each neuron's steps [begin, end()) (none: begin
    // = end()). Trimming only frees memory, so the clock alone decides nothing a reader sees.
    bool started() const { return started_; }
    step_t last_trim() const { return last_trim_; }
    void restore_clock(bool started, step_t first, step_t end, step_t last_trim) {
        started_ = started, first_ = first, end_ = end, last_trim_ = last_trim;
        std::fill(begin_.begin(), begin_.end(), end);
        for (auto& v : values_) v.clear();
    }
    void restore_neuron(std::uint32_t i, step_t begin, const std::vector<double>& values) {
        APICAL_ASSERT(begin + step_t(values.size()) == end_);
        begin_[i] = begin;
        values_[i] = values;
    }

    static constexpr step_t trim_interval = 1024;  // steps between trims

private:
    static constexpr step_t step_max = std::numeric_limits<step_t>::max();
    bool enabled_ = false;
    std::vector<std::vector<double>> values_;  // per neuron, steps begin_[i] .. end_ - 1
    std::vector<step_t> begin_, needed_;
    bool started_ = false;
    step_t first_ = 0, end_ = 0;  // first step appended, next step to append
    step_t last_trim_ = 0;
};

}  // namespace apical
