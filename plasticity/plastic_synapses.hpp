// The plasticity of one synapse table (one projection onto one receptor, on one virtual
// process): the storage every rule shares and the rules' event loops (docs/architecture.md,
// "Plastic synapses").
//
// Storage (chosen by measurement, bench/plastic_storage.cpp): the table's own source-ordered
// arrays (target, float weight) plus a transposed index, the positions of each target's
// synapses in that table (Auryn's DuplexConnection): 12 bytes per synapse. A postsynaptic
// spike walks its neuron's incoming synapses through the index; each position's source is
// found by galloping along the table's offsets, as positions of one target rise with the
// source. Presynaptic traces live once per source, postsynaptic ones once per target: the
// rule's parameters are the projection's.
//
// Time: the whole delay d of the projection is dendritic (NEST's convention): the synapse sees
// a presynaptic spike at its step and a postsynaptic spike emitted at s at s + d, "synapse
// time". Every update happens eagerly, in synapse-time order: at the start of each slice the
// VP delivers the previous slice's presynaptic spikes (steps a..b) and, between them, its own
// postsynaptic spikes with synapse time up to b. Those were emitted at most at b - d <= a - 1, in
// earlier slices, so they are all known. A rule fixes the order at equal times: BDSP the
// authors' (presynaptic events first), STDP NEST's (each side reads the other's trace from
// before the step). Weights are therefore always current: recordings read them directly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/periodic_windows.hpp"
#include "core/ring_buffer.hpp"
#include "core/spike.hpp"
#include "core/time.hpp"
#include "plasticity/plasticity_spec.hpp"
#include "synapses/static_synapse_table.hpp"

namespace apical {

class PlasticSynapses {
public:
    // For table `t` (per-synapse weights, one delay) with `n_targets` local targets.
    PlasticSynapses(const PlasticitySpec& spec, const StaticSynapseTable& t, std::size_t n_targets, double dt_ms)
        : rule_(spec.rule), delay_(t.delay_constant), stdp_(spec.stdp, spec.pairing, dt_ms),
          bdsp_(spec.bdsp, dt_ms) {
        APICAL_ASSERT(t.delay.empty() && t.weight.size() == t.size());
        for (auto [start, stop] : spec.active_ms)
            active_.push_back({to_steps(start, dt_ms), stop >= 1e300 ? step_max : to_steps(stop, dt_ms)});
        if (spec.periodic.period_ms > 0.0) {
            periodic_.period = to_steps(spec.periodic.period_ms, dt_ms);
            periodic_.origin = to_steps(spec.periodic.start_ms, dt_ms);
            if (spec.periodic.stop_ms < 1e300) periodic_.end = to_steps(spec.periodic.stop_ms, dt_ms);
            for (auto [w0, w1] : spec.periodic.windows_ms)
                periodic_.windows.push_back({to_steps(w0, dt_ms), to_steps(w1, dt_ms)});
        }
        // Transposed index: walking the sources in order leaves each target's positions rising.
        first_.assign(n_targets + 1, 0);
        for (std::uint32_t i : t.target) ++first_[i + 1];
        for (std::size_t i = 0; i < n_targets; ++i) first_[i + 1] += first_[i];
        position_.resize(t.size());
        std::vector<std::uint32_t> fill(first_.begin(), first_.end() - 1);
        for (std::uint32_t k = 0; k < t.size(); ++k) position_[fill[t.target[k]]++] = k;
        // Where to start looking for a position's source: the source of every 2^shift-th
        // position, 2^shift about the synapses per source, so a lookup steps over one or two.
        const std::size_t per_source = t.n_sources ? t.size() / t.n_sources : 0;
        while ((std::size_t(2) << block_shift_) <= per_source) ++block_shift_;
        block_source_.resize((t.size() >> block_shift_) + 1);
        for (std::uint32_t src = 0; src < t.n_sources; ++src)
            for (std::uint32_t k = t.offsets[src]; k < t.offsets[src + 1]; ++k)
                if ((k & ((1u << block_shift_) - 1)) == 0) block_source_[k >> block_shift_] = src;
        pre_.assign(t.n_sources, Trace{});
        if (rule_ == PlasticityRule::stdp_pair) {
            pre_decay_ = TraceDecayCache(stdp_.pre_decay());
            post_decay_ = TraceDecayCache(stdp_.post_decay());
            post_.assign(n_targets, Trace{});
            post_before_.assign(n_targets, 0.0);
        } else {
            bdsp_targets_.assign(n_targets, bdsp_.initial_target(0));
        }
    }

    PlasticityRule rule() const { return rule_; }
    // Whether the rule needs the classes of pre- and postsynaptic spikes.
    bool uses_classes() const { return rule_ == PlasticityRule::bdsp; }

    // An own postsynaptic spike of local target `target`, emitted at `step`; in step order.
    void add_post(step_t step, std::uint32_t target, std::uint8_t spike_class) {
        posts_.push_back({step + delay_, target, spike_class});
    }
    // Applies the postsynaptic spikes that come before a presynaptic spike at `step`.
    void posts_before(StaticSynapseTable& t, step_t step) {
        // STDP: those at `step` too (facilitation reads the presynaptic trace before `step`);
        // BDSP: presynaptic events first.
        const step_t last = rule_ == PlasticityRule::stdp_pair ? step : step - 1;
        posts_through(t, last);
    }
    // Applies every postsynaptic spike with synapse time <= `step`.
    void posts_through(StaticSynapseTable& t, step_t step) {
        while (head_ < posts_.size() && posts_[head_].at <= step) post(t, posts_[head_++]);
        if (head_ > 1024 && head_ * 2 > posts_.size()) {  // drop the applied ones now and then
            posts_.erase(posts_.begin(), posts_.begin() + std::ptrdiff_t(head_));
            head_ = 0;
        }
    }
    // A presynaptic spike of source `node` at `step` with class `spike_class`: the rule's
    // updates and, if `transmitted`, each weight times `efficacy` into ring-buffer row step + d.
    void pre(StaticSynapseTable& t, RingBuffer& buf, step_t step, std::uint32_t node, std::uint8_t spike_class,
             bool transmitted, double efficacy) {
        const std::uint32_t begin = t.offsets[node], end = t.offsets[node + 1];
        float* w = t.weight.data();
        const std::uint32_t* target = t.target.data();
        double* row = buf.row_of_step(step + delay_);
        const bool learn = active(step);
        if (rule_ == PlasticityRule::stdp_pair) {
            // NEST: depress with the target's trace before `step`, then transmit the new weight.
            for (std::uint32_t k = begin; k < end; ++k) {
                const std::uint32_t i = target[k];
                if (learn) {
                    const Trace& kp = post_[i];
                    const double k_minus = kp.last == step ? post_before_[i] : kp.at(step, post_decay_);
                    w[k] = float(stdp_.on_pre(double(w[k]), k_minus));
                }
                if (transmitted) row[i] += double(w[k]) * efficacy;
            }
            pre_[node].spike(step, pre_decay_, stdp_.pre_update());
            return;
        }
        // BDSP: every spike may be transmitted; only events learn: transmit, then eta G_i.
        const bool event = spike_class == SpikeClass::event;
        for (std::uint32_t k = begin; k < end; ++k) {
            const std::uint32_t i = target[k];
            if (transmitted) row[i] += double(w[k]) * efficacy;
            if (learn && event) {
                const double g = bdsp_.pre_increment(bdsp_targets_[i], step);
                if (g != 0.0) w[k] = float(bdsp_.clip(double(w[k]) + g));
            }
        }
        if (event) pre_[node].spike(step, bdsp_.pre_decay(), TraceUpdate::all_to_all);
    }

    // Bytes besides the table's (which holds target and weight).
    std::size_t bytes() const {
        return (first_.size() + position_.size() + block_source_.size()) * sizeof(std::uint32_t) +
               pre_.size() * sizeof(Trace) +
               post_.size() * sizeof(Trace) + post_before_.size() * sizeof(double) +
               bdsp_targets_.size() * sizeof(BdspTarget) + posts_.capacity() * sizeof(PostSpike) +
               pre_decay_.bytes() + post_decay_.bytes();
    }
    // The postsynaptic state per local target, for tests and recordings.
    const std::vector<BdspTarget>& bdsp_targets() const { return bdsp_targets_; }
    const Bdsp& bdsp() const { return bdsp_; }

private:
    struct PostSpike {
        step_t at;  // synapse time: emission step + delay
        std::uint32_t target;
        std::uint8_t spike_class;
    };
    static constexpr step_t step_max = std::numeric_limits<step_t>::max();

    bool active(step_t t) const {
        if (!periodic_.empty()) return periodic_.contains(t);
        if (active_.empty()) return true;
        for (auto [start, stop] : active_)
            if (t >= start && t < stop) return true;
        return false;
    }

    // Calls f(k, source) for every synapse position k of local target i.
    template <class F>
    void for_each_incoming(const StaticSynapseTable& t, std::uint32_t i, F&& f) const {
        const std::uint32_t* offsets = t.offsets.data();
        const std::uint32_t begin = first_[i], end = first_[i + 1];
        for (std::uint32_t e = begin; e < end; ++e) {
            const std::uint32_t k = position_[e];
            // The weights of one target are scattered over the table: fetch ahead.
            if (e + 8 < end) __builtin_prefetch(t.weight.data() + position_[e + 8], 1);
            std::uint32_t s = block_source_[k >> block_shift_];
            while (offsets[s + 1] <= k) ++s;  // sources without synapses share an offset
            f(k, s);
        }
    }

    void post(StaticSynapseTable& t, const PostSpike& p) {
        float* w = t.weight.data();
        const bool learn = active(p.at);
        if (rule_ == PlasticityRule::stdp_pair) {
            if (learn)
                for_each_incoming(t, p.target, [&](std::uint32_t k, std::uint32_t s) {
                    w[k] = float(stdp_.on_post(double(w[k]), pre_[s].at(p.at, pre_decay_)));
                });
            Trace& kp = post_[p.target];
            post_before_[p.target] = kp.at(p.at, post_decay_);
            kp.spike(p.at, post_decay_, stdp_.post_update());
            return;
        }
        const double factor = bdsp_.post(bdsp_targets_[p.target], p.at, p.spike_class);
        if (!learn || factor == 0.0) return;
        for_each_incoming(t, p.target, [&](std::uint32_t k, std::uint32_t s) {
            const double e = pre_[s].at(p.at, bdsp_.pre_decay());
            if (e != 0.0) w[k] = float(bdsp_.clip(double(w[k]) + factor * e));
        });
    }

    PlasticityRule rule_;
    step_t delay_;
    std::vector<std::pair<step_t, step_t>> active_;
    PeriodicWindows periodic_;  // if not empty, instead of active_
    std::vector<std::uint32_t> first_, position_;  // transposed index: per target, positions
    std::vector<std::uint32_t> block_source_;      // source of position b << block_shift_
    int block_shift_ = 0;
    std::vector<Trace> pre_;                       // per source: K+ (STDP), event trace (BDSP)
    // STDP: K- per target, and its value just before the target's last spike (read by a
    // presynaptic spike at that same step).
    StdpPair stdp_;
    TraceDecayCache pre_decay_, post_decay_;
    std::vector<Trace> post_;
    std::vector<double> post_before_;
    Bdsp bdsp_;
    std::vector<BdspTarget> bdsp_targets_;
    std::vector<PostSpike> posts_;  // queued, synapse-time order; [head_, end) pending
    std::size_t head_ = 0;
};

}  // namespace apical
