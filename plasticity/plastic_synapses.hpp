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
// rule's parameters are the projection's. Only STDP's nn_pre_centered pairing keeps a trace per
// synapse (a postsynaptic spike clears it for that target's synapses alone).
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
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/periodic_windows.hpp"
#include "core/ring_buffer.hpp"
#include "core/spike.hpp"
#include "core/time.hpp"
#include "neurons/dendritic_archive.hpp"
#include "plasticity/plasticity_spec.hpp"
#include "synapses/static_synapse_table.hpp"

namespace apical {

class PlasticSynapses {
public:
    // For table `t` (per-synapse weights, one delay) with `n_targets` local targets.
    PlasticSynapses(const PlasticitySpec& spec, const StaticSynapseTable& t, std::size_t n_targets, double dt_ms)
        : rule_(spec.rule), delay_(t.delay_constant), stdp_(spec.stdp, spec.pairing, dt_ms),
          triplet_(spec.triplet, dt_ms), bdsp_(spec.bdsp, dt_ms), urbanczik_(spec.urbanczik, dt_ms) {
        APICAL_ASSERT(t.delay.empty() && t.weight.size() == t.size());
        for (auto [start, stop] : spec.active_ms)
            active_.push_back({to_steps(start, dt_ms), stop >= 1e300 ? step_max : to_steps(stop, dt_ms)});
        for (auto [at, factor] : spec.rate_factors) rate_factors_.push_back({to_steps(at, dt_ms), factor});
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
            if (stdp_.pairing() == StdpPairing::nn_pre_centered) synapse_trace_.assign(t.size(), 0.0);
        } else if (rule_ == PlasticityRule::stdp_triplet) {
            pre_decay_ = TraceDecayCache(triplet_.r1_decay());
            pre2_decay_ = TraceDecayCache(triplet_.r2_decay());
            post_decay_ = TraceDecayCache(triplet_.o1_decay());
            post2_decay_ = TraceDecayCache(triplet_.o2_decay());
            pre2_.assign(t.n_sources, Trace{});
            post_.assign(n_targets, Trace{});
            post2_.assign(n_targets, Trace{});
            post_before_.assign(n_targets, 0.0);
        } else if (rule_ == PlasticityRule::urbanczik_senn) {
            // No schedules: the weight is a function of the whole integral (NEST's form).
            APICAL_ASSERT(active_.empty() && rate_factors_.empty() && periodic_.empty());
            pre_decay_ = urbanczik_.a_L_decay();
            pre2_decay_ = urbanczik_.a_s_decay();
            pre2_.assign(t.n_sources, Trace{});
            urbanczik_synapses_.resize(t.size());
            for (std::size_t k = 0; k < t.size(); ++k) urbanczik_synapses_[k].w_init = t.weight[k];
        } else {
            bdsp_targets_.assign(n_targets, bdsp_.initial_target(0));
        }
    }

    PlasticityRule rule() const { return rule_; }
    // Whether the rule needs the classes of pre- and postsynaptic spikes.
    bool uses_classes() const { return rule_ == PlasticityRule::bdsp; }

    // Whether the rule reads its targets' DendriticArchive (Urbanczik-Senn) instead of spikes.
    bool reads_archive() const { return rule_ == PlasticityRule::urbanczik_senn; }
    // The archive of the target group (reads_archive()), set once the groups exist.
    void set_archive(const DendriticArchive* archive) { archive_ = archive; }
    // Lowers, for every local target, the first archived step a synapse may still read: the
    // step after its source's last spike minus the delay, and for a source's next spike (its
    // first, or after none so far) no earlier than the step after the next one minus the delay.
    void report_needs(const StaticSynapseTable& t, DendriticArchive& archive) const {
        const step_t next = archive.end() - delay_ + 1;  // spikes to come are at end() or later
        for (std::uint32_t i = 0; i + 1 < first_.size(); ++i)
            if (first_[i + 1] > first_[i]) archive.need(i, next);
        for (std::uint32_t s = 0; s < t.n_sources; ++s) {
            if (pre_[s].value == 0.0) continue;
            const step_t from = pre_[s].last - delay_ + 1;
            for (std::uint32_t k = t.offsets[s]; k < t.offsets[s + 1]; ++k) archive.need(t.target[k], from);
        }
    }

    // An own postsynaptic spike of local target `target`, emitted at `step`; in step order.
    void add_post(step_t step, std::uint32_t target, std::uint8_t spike_class) {
        if (reads_archive()) return;  // the archive holds the spikes
        posts_.push_back({step + delay_, target, spike_class});
    }
    // Applies the postsynaptic spikes that come before a presynaptic spike at `step`.
    void posts_before(StaticSynapseTable& t, step_t step) {
        // STDP: those at `step` too (facilitation reads the presynaptic trace before `step`);
        // BDSP: presynaptic events first.
        const step_t last = rule_ == PlasticityRule::bdsp ? step - 1 : step;
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
    // updates and, if `transmitted`, each weight times its efficacy into ring-buffer row
    // step + d: `efficacy`, or with short-term parameters per synapse `efficacies[k - begin]` for
    // the source's synapse k.
    void pre(StaticSynapseTable& t, RingBuffer& buf, step_t step, std::uint32_t node, std::uint8_t spike_class,
             bool transmitted, double efficacy, const double* efficacies = nullptr) {
        follow_schedule(step);
        const Pre p{t.offsets[node], t.offsets[node + 1], node, step, active(step), transmitted, efficacy,
                    efficacies, buf.row_of_step(step + delay_)};
        switch (rule_) {
        case PlasticityRule::stdp_pair:
            with_pairing([&](auto pairing) { stdp_pre<decltype(pairing)::value>(t, p); });
            break;
        case PlasticityRule::stdp_triplet: triplet_pre(t, p); break;
        case PlasticityRule::urbanczik_senn: urbanczik_pre(t, p); break;
        default: bdsp_pre(t, p, spike_class == SpikeClass::event);
        }
    }

    // Bytes besides the table's (which holds target and weight).
    std::size_t bytes() const {
        return (first_.size() + position_.size() + block_source_.size()) * sizeof(std::uint32_t) +
               (pre_.size() + pre2_.size() + post_.size() + post2_.size()) * sizeof(Trace) +
               (post_before_.size() + synapse_trace_.size()) * sizeof(double) +
               bdsp_targets_.size() * sizeof(BdspTarget) + posts_.capacity() * sizeof(PostSpike) +
               urbanczik_synapses_.size() * sizeof(UrbanczikSennSynapse) +
               (kernel_psp_.capacity() + kernel_low_.capacity()) * sizeof(double) +
               pre_decay_.bytes() + post_decay_.bytes() + pre2_decay_.bytes() + post2_decay_.bytes();
    }
    // The postsynaptic state per local target, for tests and recordings.
    const std::vector<BdspTarget>& bdsp_targets() const { return bdsp_targets_; }
    const Bdsp& bdsp() const { return bdsp_; }
    // The Urbanczik-Senn state per synapse (positions of the table), for tests.
    const std::vector<UrbanczikSennSynapse>& urbanczik_synapses() const { return urbanczik_synapses_; }

    // Checkpoints (engine/checkpoint.cpp): the mutable state by what it belongs to, in a
    // rule-independent form. The counts follow from the rule alone, so every rank knows them.
    // The learning-rate schedule needs nothing: updates come in synapse-time order, so the
    // first one after a restore walks it to the same factor. Nor does post_before_: only a
    // presynaptic spike at its target's last postsynaptic synapse time reads it, and a
    // checkpoint comes after every such time it has applied.
    struct StateLayout {
        std::size_t source_traces;   // per source node: pre_, pre2_
        std::size_t target_traces;   // per target: post_, post2_ or BDSP's events, bursts, spikes
        std::size_t synapse_values;  // per synapse besides the weight
    };
    static StateLayout state_layout(const PlasticitySpec& spec) {
        switch (spec.rule) {
        case PlasticityRule::stdp_pair: return {1, 1, spec.pairing == StdpPairing::nn_pre_centered ? 1u : 0u};
        case PlasticityRule::stdp_triplet: return {2, 2, 0};
        case PlasticityRule::urbanczik_senn: return {2, 0, 3};
        default: return {1, 3, 0};
        }
    }
    Trace& source_trace(std::uint32_t s, std::size_t j) { return j == 0 ? pre_[s] : pre2_[s]; }
    Trace& target_trace(std::uint32_t i, std::size_t j) {
        if (rule_ == PlasticityRule::bdsp) {
            BdspTarget& b = bdsp_targets_[i];
            return j == 0 ? b.events : j == 1 ? b.bursts : b.spikes;
        }
        return j == 0 ? post_[i] : post2_[i];
    }
    // The synapse_values of position k: the nn_pre_centered trace, or Urbanczik-Senn's I, J and
    // initial weight.
    void get_synapse(std::uint32_t k, double* out) const {
        if (!synapse_trace_.empty()) out[0] = synapse_trace_[k];
        if (!urbanczik_synapses_.empty()) {
            const UrbanczikSennSynapse& u = urbanczik_synapses_[k];
            out[0] = u.I, out[1] = u.J, out[2] = double(u.w_init);
        }
    }
    void set_synapse(std::uint32_t k, const double* in) {
        if (!synapse_trace_.empty()) synapse_trace_[k] = in[0];
        if (!urbanczik_synapses_.empty()) urbanczik_synapses_[k] = {in[0], in[1], float(in[2])};
    }
    // The postsynaptic spikes still waiting for their synapse time: f(at, target, class) in
    // queue order; push_post appends one (a restored queue, in synapse-time order).
    template <class F>
    void each_pending_post(F&& f) const {
        for (std::size_t k = head_; k < posts_.size(); ++k) f(posts_[k].at, posts_[k].target, posts_[k].spike_class);
    }
    void push_post(step_t at, std::uint32_t target, std::uint8_t spike_class) {
        posts_.push_back({at, target, spike_class});
    }

private:
    struct PostSpike {
        step_t at;  // synapse time: emission step + delay
        std::uint32_t target;
        std::uint8_t spike_class;
    };
    static constexpr step_t step_max = std::numeric_limits<step_t>::max();

    // Sets the rule's learning rate for step t: updates come in synapse-time order, so the
    // schedule is walked forward once.
    void follow_schedule(step_t t) {
        if (next_factor_ == rate_factors_.size() || t < rate_factors_[next_factor_].first) return;
        while (next_factor_ < rate_factors_.size() && rate_factors_[next_factor_].first <= t) ++next_factor_;
        const double f = rate_factors_[next_factor_ - 1].second;
        stdp_.set_rate_factor(f);
        triplet_.set_rate_factor(f);
        bdsp_.set_rate_factor(f);
    }

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
            // The weights of one target and their sources' traces are scattered: fetch ahead
            // (the trace of the block's source, the source itself or one or two before it).
            if (e + 8 < end) {
                const std::uint32_t ahead = position_[e + 8];
                __builtin_prefetch(t.weight.data() + ahead, 1);
                __builtin_prefetch(pre_.data() + block_source_[ahead >> block_shift_] + 1);
            }
            // Its source: from the source of its block, usually one step on or none. Two steps
            // without a branch (a data-dependent branch here mispredicted often), then the rare
            // rest (sources without synapses share an offset).
            std::uint32_t s = block_source_[k >> block_shift_];
            s += std::uint32_t(offsets[s + 1] <= k);
            s += std::uint32_t(offsets[s + 1] <= k);
            while (offsets[s + 1] <= k) ++s;
            f(k, s);
        }
    }

    // Calls f(std::integral_constant<StdpPairing, P>) for the projection's pairing P, so that
    // each pairing's loops are compiled on their own.
    template <class F>
    void with_pairing(F&& f) const {
        using P = StdpPairing;
        switch (stdp_.pairing()) {
        case P::all_to_all: f(std::integral_constant<P, P::all_to_all>{}); break;
        case P::nn_symmetric: f(std::integral_constant<P, P::nn_symmetric>{}); break;
        case P::nn_pre_centered: f(std::integral_constant<P, P::nn_pre_centered>{}); break;
        case P::nn_restricted: f(std::integral_constant<P, P::nn_restricted>{}); break;
        }
    }

    // A presynaptic spike: its synapses' positions [begin, end) and what to do with them.
    struct Pre {
        std::uint32_t begin, end, node;
        step_t step;
        bool learn, transmitted;
        double efficacy;
        const double* efficacies;  // per synapse from `begin`, or null: `efficacy` for all
        double* row;               // ring-buffer row of step + d
        double efficacy_of(std::uint32_t k) const { return efficacies ? efficacies[k - begin] : efficacy; }
    };

    // STDP (NEST's order): depress with the target's trace before `step`, then transmit the new
    // weight. nn_restricted pairs only with a postsynaptic spike since the source's previous
    // spike (one that came at that spike's own step came before it); nn_pre_centered keeps a
    // presynaptic trace per synapse, stored as of the source's last spike (0 once cleared).
    template <StdpPairing P>
    void stdp_pre(StaticSynapseTable& t, const Pre& p) {
        float* w = t.weight.data();
        const std::uint32_t* target = t.target.data();
        const step_t previous = pre_[p.node].last;
        for (std::uint32_t k = p.begin; k < p.end; ++k) {
            const std::uint32_t i = target[k];
            if (p.learn) {
                const Trace& kp = post_[i];
                double k_minus = kp.last == p.step ? post_before_[i] : kp.at(p.step, post_decay_);
                if (P == StdpPairing::nn_restricted && !(kp.last > previous)) k_minus = 0.0;
                w[k] = float(stdp_.on_pre(double(w[k]), k_minus));
            }
            if constexpr (P == StdpPairing::nn_pre_centered) {
                double& v = synapse_trace_[k];
                v = (v == 0.0 ? 0.0 : v * pre_decay_(p.step - previous)) + 1.0;
            }
            if (p.transmitted) p.row[i] += double(w[k]) * p.efficacy_of(k);
        }
        pre_[p.node].spike(p.step, pre_decay_, stdp_.pre_update());
    }

    // Triplet STDP (stdp_triplet.hpp): depress with o1 before `step` and the source's r2 before
    // its own spike.
    void triplet_pre(StaticSynapseTable& t, const Pre& p) {
        float* w = t.weight.data();
        const std::uint32_t* target = t.target.data();
        const double r2 = pre2_[p.node].at(p.step, pre2_decay_);
        for (std::uint32_t k = p.begin; k < p.end; ++k) {
            const std::uint32_t i = target[k];
            if (p.learn) {
                const Trace& o1 = post_[i];
                const double o1_value = o1.last == p.step ? post_before_[i] : o1.at(p.step, post_decay_);
                w[k] = float(triplet_.on_pre(double(w[k]), o1_value, r2));
            }
            if (p.transmitted) p.row[i] += double(w[k]) * p.efficacy_of(k);
        }
        const TraceUpdate update = triplet_.parameters().interaction;
        pre_[p.node].spike(p.step, pre_decay_, update);
        pre2_[p.node].spike(p.step, pre2_decay_, update);
    }

    // BDSP: every spike may be transmitted; only events learn: transmit, then eta G_i.
    void bdsp_pre(StaticSynapseTable& t, const Pre& p, bool event) {
        float* w = t.weight.data();
        const std::uint32_t* target = t.target.data();
        for (std::uint32_t k = p.begin; k < p.end; ++k) {
            const std::uint32_t i = target[k];
            if (p.transmitted) p.row[i] += double(w[k]) * p.efficacy_of(k);
            if (p.learn && event) {
                const double g = bdsp_.pre_increment(bdsp_targets_[i], p.step);
                if (g != 0.0) w[k] = float(bdsp_.clip(double(w[k]) + g));
            }
        }
        if (event) pre_[p.node].spike(p.step, bdsp_.pre_decay(), TraceUpdate::all_to_all);
    }

    // Urbanczik-Senn (NEST's send): integrate each target's archive over the interval since the
    // source's last spike with the source's kernels, set the weight, transmit it, then the
    // source's traces take the spike.
    void urbanczik_pre(StaticSynapseTable& t, const Pre& p) {
        float* w = t.weight.data();
        const std::uint32_t* target = t.target.data();
        const Trace &a_L = pre_[p.node], &a_s = pre2_[p.node];
        const bool spiked = a_L.value != 0.0;  // a trace is >= 1 just after a spike
        const step_t n = p.step - a_L.last;
        const step_t first = a_L.last - delay_ + 1;  // archived step of synapse time last + 1
        if (spiked) urbanczik_.kernels(n, a_L.value, a_s.value, kernel_psp_, kernel_low_);
        for (std::uint32_t k = p.begin; k < p.end; ++k) {
            const std::uint32_t i = target[k];
            UrbanczikSennSynapse& s = urbanczik_synapses_[k];
            if (spiked) {
                // Steps before the archive's first were never archived (NEST has no entries there).
                const step_t from = std::max(first, archive_->first());
                APICAL_ASSERT(p.step - delay_ < archive_->end() && archive_->begin(i) <= from);
                urbanczik_.integrate(s, n, kernel_psp_.data(), kernel_low_.data(), archive_->from(i, from),
                                     std::max<step_t>(0, p.step - delay_ + 1 - from));
            }
            w[k] = float(urbanczik_.weight(s));
            if (p.transmitted) p.row[i] += double(w[k]) * p.efficacy_of(k);
        }
        pre_[p.node].spike(p.step, pre_decay_, TraceUpdate::all_to_all);
        pre2_[p.node].spike(p.step, pre2_decay_, TraceUpdate::all_to_all);
    }

    void post(StaticSynapseTable& t, const PostSpike& p) {
        follow_schedule(p.at);
        switch (rule_) {
        case PlasticityRule::stdp_pair:
            with_pairing([&](auto pairing) { stdp_post<decltype(pairing)::value>(t, p); });
            break;
        case PlasticityRule::stdp_triplet: triplet_post(t, p); break;
        default: bdsp_post(t, p);
        }
    }

    // STDP: facilitate with each source's trace at the arrival. nn_restricted pairs only with a
    // source that spiked since the target's previous spike (at its step or later); nn_pre_centered
    // reads and clears the synapse's own trace, with or without learning.
    template <StdpPairing P>
    void stdp_post(StaticSynapseTable& t, const PostSpike& p) {
        float* w = t.weight.data();
        const bool learn = active(p.at);
        Trace& kp = post_[p.target];
        if (learn || P == StdpPairing::nn_pre_centered)
            for_each_incoming(t, p.target, [&](std::uint32_t k, std::uint32_t s) {
                const Trace& src = pre_[s];
                double k_plus;
                if constexpr (P == StdpPairing::nn_pre_centered) {
                    double& v = synapse_trace_[k];
                    k_plus = v == 0.0 ? 0.0 : v * pre_decay_(p.at - src.last);
                    v = 0.0;
                } else if constexpr (P == StdpPairing::nn_restricted) {
                    const bool unpaired = src.value != 0.0 && (kp.value == 0.0 || src.last >= kp.last);
                    k_plus = unpaired ? src.at(p.at, pre_decay_) : 0.0;
                } else {
                    k_plus = src.at(p.at, pre_decay_);
                }
                if (learn) w[k] = float(stdp_.on_post(double(w[k]), k_plus));
            });
        post_before_[p.target] = kp.at(p.at, post_decay_);
        kp.spike(p.at, post_decay_, stdp_.post_update());
    }

    // Triplet STDP: facilitate with each source's r1 and the target's o2 before its own spike.
    void triplet_post(StaticSynapseTable& t, const PostSpike& p) {
        float* w = t.weight.data();
        Trace& o1 = post_[p.target];
        Trace& o2 = post2_[p.target];
        if (active(p.at)) {
            const double o2_value = o2.at(p.at, post2_decay_);
            for_each_incoming(t, p.target, [&](std::uint32_t k, std::uint32_t s) {
                w[k] = float(triplet_.on_post(double(w[k]), pre_[s].at(p.at, pre_decay_), o2_value));
            });
        }
        const TraceUpdate update = triplet_.parameters().interaction;
        post_before_[p.target] = o1.at(p.at, post_decay_);
        o1.spike(p.at, post_decay_, update);
        o2.spike(p.at, post2_decay_, update);
    }

    void bdsp_post(StaticSynapseTable& t, const PostSpike& p) {
        float* w = t.weight.data();
        const double factor = bdsp_.post(bdsp_targets_[p.target], p.at, p.spike_class);
        if (!active(p.at) || factor == 0.0) return;
        for_each_incoming(t, p.target, [&](std::uint32_t k, std::uint32_t s) {
            const double e = pre_[s].at(p.at, bdsp_.pre_decay());
            if (e != 0.0) w[k] = float(bdsp_.clip(double(w[k]) + factor * e));
        });
    }

    PlasticityRule rule_;
    step_t delay_;
    std::vector<std::pair<step_t, step_t>> active_;
    std::vector<std::pair<step_t, double>> rate_factors_;  // (from step, factor)
    std::size_t next_factor_ = 0;                         // the first not yet applied
    PeriodicWindows periodic_;  // if not empty, instead of active_
    std::vector<std::uint32_t> first_, position_;  // transposed index: per target, positions
    std::vector<std::uint32_t> block_source_;      // source of position b << block_shift_
    int block_shift_ = 0;
    std::vector<Trace> pre_;   // per source: K+ (STDP), r1 (triplet), event trace (BDSP)
    std::vector<Trace> pre2_;  // per source: r2 (triplet), a_s (Urbanczik-Senn; pre_ is a_L)
    // Per target: K- (STDP) or o1 (triplet), its value just before the target's last spike (read
    // by a presynaptic spike at that same step), and o2 (triplet).
    StdpPair stdp_;
    StdpTriplet triplet_;
    TraceDecayCache pre_decay_, post_decay_, pre2_decay_, post2_decay_;
    std::vector<Trace> post_, post2_;
    std::vector<double> post_before_;
    std::vector<double> synapse_trace_;  // per synapse: K+ of nn_pre_centered
    Bdsp bdsp_;
    std::vector<BdspTarget> bdsp_targets_;
    UrbanczikSenn urbanczik_;
    std::vector<UrbanczikSennSynapse> urbanczik_synapses_;  // per synapse position
    const DendriticArchive* archive_ = nullptr;            // of the target group
    std::vector<double> kernel_psp_, kernel_low_;           // one interval's kernels, reused
    std::vector<PostSpike> posts_;  // queued, synapse-time order; [head_, end) pending
    std::size_t head_ = 0;
};

}  // namespace apical
