// Pair-based STDP with the weight dependence of Gütig R, Aharonov R, Rotter S, Sompolinsky H
// (2003) Learning input correlations through nonlinear temporally asymmetric Hebbian plasticity.
// J Neurosci 23:3697-3714, as NEST's stdp_synapse (models/stdp_synapse.h) implements it, and the
// nearest-neighbour pairings of NEST's stdp_nn_symm_synapse, stdp_nn_pre_centered_synapse and
// stdp_nn_restr_synapse (models/stdp_nn_*_synapse.h; the schemes of Morrison A, Diesmann M,
// Gerstner W (2008) Biol Cybern 98:459-478, Fig. 7A-C). docs/models.md 12.2.
//
// With w~ = w / Wmax, a postsynaptic spike facilitates with the presynaptic trace K+ and a
// presynaptic spike depresses with the postsynaptic trace K-:
//   facilitation  w~ += lambda (1 - w~)^mu_plus K+,          w = min(w~, 1) Wmax
//   depression    w~ -= alpha lambda w~^mu_minus K-,         w = max(w~, 0) Wmax
//
// Timing (NEST): the whole delay d is dendritic. The synapse sees a presynaptic spike at its
// send time t_pre and a postsynaptic spike emitted at t_post at t_post + d ("synapse time").
// NEST evaluates lazily at presynaptic spikes: at t_pre it first facilitates once for every
// postsynaptic spike with t_last_pre < t_post + d <= t_pre, in time order, with K+ just before
// t_post + d; then it depresses with K- read strictly before t_pre - d (a postsynaptic spike
// with t_post + d = t_pre does not depress this presynaptic spike). So pairs of spikes that
// coincide in synapse time are never paired with each other; each is paired with the earlier
// spikes of the other side. This file gives the same arithmetic eagerly, in time order of
// synapse time: at a step where both arrive, first facilitation, then depression, each reading
// the other side's trace before any spike of this step is added; then the traces are updated.
// The weight after the last presynaptic spike equals NEST's; NEST adds the facilitation of later
// postsynaptic spikes only at the next presynaptic spike, where this form already holds it.
//
// Pairings, with the traces they read (K+: presynaptic, tau_plus; K-: postsynaptic, tau_minus):
//   all_to_all       stdp_synapse: K+ and K- all-to-all (every pair of spikes counts).
//   nn_symmetric     stdp_nn_symm_synapse: K+ and K- nearest; every postsynaptic spike pairs with
//                    the latest earlier presynaptic one, every presynaptic spike with the latest
//                    earlier postsynaptic one.
//   nn_pre_centered  stdp_nn_pre_centered_synapse: K+ all-to-all but cleared by a postsynaptic
//                    spike (a postsynaptic spike pairs with every presynaptic spike since the
//                    previous postsynaptic one), K- nearest.
//   nn_restricted    stdp_nn_restr_synapse: K+ and K- nearest, and a spike pairs only with a
//                    spike of the other side that has not been paired in the same direction:
//                    facilitation only if a presynaptic spike came since the last postsynaptic
//                    one, depression only if a postsynaptic spike came since the last
//                    presynaptic one. As in NEST's code, a postsynaptic spike arriving at t_pre
//                    counts for the second condition (NEST's window (t_last_pre, t_pre]) although
//                    its own trace is not read: the depression then uses the postsynaptic spike
//                    before it, even if that one is older than the previous presynaptic spike.
//
// NEST starts a synapse's time of last presynaptic spike at 0, so its nn_symm and nn_restr
// synapses pair postsynaptic spikes before the first presynaptic spike with a virtual
// presynaptic spike at t = 0. Here a trace starts at 0 (no spike); a presynaptic trace started
// as Trace{1.0, 0} (and pre_unpaired = true) reproduces NEST's start.
#pragma once

#include <cmath>

#include "core/time.hpp"
#include "plasticity/traces.hpp"

namespace apical {

enum class StdpPairing { all_to_all, nn_symmetric, nn_pre_centered, nn_restricted };

// NEST's names and defaults (stdp_synapse; tau_minus belongs to the postsynaptic neuron in NEST).
struct StdpPairParameters {
    double tau_plus_ms = 20.0;
    double tau_minus_ms = 20.0;
    double lambda = 0.01;
    double alpha = 1.0;
    double mu_plus = 1.0;   // 0: additive, 1: multiplicative (Gütig et al. 2003)
    double mu_minus = 1.0;
    double Wmax = 100.0;    // > 0; weights stay in [0, Wmax]
};

// x^mu, with the common exponents 0 and 1 without std::pow (which returns exactly 1 and x for
// them, so the result is the same bit for bit; pow costs as much as the rest of an update).
inline double stdp_power(double x, double mu) {
    if (mu == 1.0) return x;
    if (mu == 0.0) return 1.0;
    return std::pow(x, mu);
}

// The update of a postsynaptic spike reading K+ = k_plus. A zero trace (nothing to pair with)
// leaves the weight untouched, bit for bit (NEST's stdp_synapse still computes (w / Wmax) Wmax
// there, which can differ from w in the last bit).
inline double stdp_facilitate(const StdpPairParameters& p, double w, double k_plus) {
    if (k_plus == 0.0) return w;
    const double x = w / p.Wmax + p.lambda * stdp_power(1.0 - w / p.Wmax, p.mu_plus) * k_plus;
    return x < 1.0 ? x * p.Wmax : p.Wmax;
}

// The update of a presynaptic spike reading K- = k_minus.
inline double stdp_depress(const StdpPairParameters& p, double w, double k_minus) {
    if (k_minus == 0.0) return w;
    const double x = w / p.Wmax - p.alpha * p.lambda * stdp_power(w / p.Wmax, p.mu_minus) * k_minus;
    return x > 0.0 ? x * p.Wmax : 0.0;
}

// What one synapse keeps besides the postsynaptic trace, which belongs to the target neuron.
// The presynaptic trace is the same for every synapse of a source except with nn_pre_centered
// (cleared by each target's spikes); the flags are used by nn_restricted only.
struct StdpPairSynapse {
    double w = 0.0;
    Trace pre;                   // K+
    bool pre_unpaired = false;   // a presynaptic spike since the last postsynaptic one
    bool post_unpaired = false;  // a postsynaptic spike since the last presynaptic one
};

class StdpPair {
public:
    StdpPair(const StdpPairParameters& p, StdpPairing pairing, double dt_ms)
        : p_(p), pairing_(pairing), pre_decay_{dt_ms, p.tau_plus_ms}, post_decay_{dt_ms, p.tau_minus_ms},
          lambda_(p.lambda) {}

    const StdpPairParameters& parameters() const { return p_; }
    StdpPairing pairing() const { return pairing_; }
    // Scales the learning rate lambda to `factor` times the given one (a schedule's value);
    // a factor of 1 restores it exactly.
    void set_rate_factor(double factor) { p_.lambda = lambda_ * factor; }
    const TraceDecay& pre_decay() const { return pre_decay_; }
    const TraceDecay& post_decay() const { return post_decay_; }
    TraceUpdate pre_update() const {
        return pairing_ == StdpPairing::all_to_all || pairing_ == StdpPairing::nn_pre_centered
                   ? TraceUpdate::all_to_all
                   : TraceUpdate::nearest;
    }
    TraceUpdate post_update() const {
        return pairing_ == StdpPairing::all_to_all ? TraceUpdate::all_to_all : TraceUpdate::nearest;
    }

    // The eager updates: a presynaptic spike depresses with the postsynaptic trace at its time,
    // a postsynaptic spike (at synapse time) facilitates with the presynaptic trace at its time.
    double on_pre(double w, double post_trace) const { return stdp_depress(p_, w, post_trace); }
    double on_post(double w, double pre_trace) const { return stdp_facilitate(p_, w, pre_trace); }

    // Everything that happens to synapse `s` at step `t` of synapse time, in NEST's order:
    // `pre_spike`: the source spiked at t; `post_arrives`: the target spiked at t - d;
    // `post_trace`: the target's trace K- at t before a spike arriving at t is added. The caller
    // adds that spike to the target's trace afterwards (once per target, not per synapse:
    // target_trace.spike(t, post_decay(), post_update())).
    void step(StdpPairSynapse& s, step_t t, bool pre_spike, bool post_arrives, double post_trace) const {
        const bool restricted = pairing_ == StdpPairing::nn_restricted;
        if (post_arrives) {
            const double k = restricted && !s.pre_unpaired ? 0.0 : s.pre.at(t, pre_decay_);
            s.w = on_post(s.w, k);
            if (restricted) s.post_unpaired = true;  // NEST's window (t_last_pre, t_pre] holds it
        }
        if (pre_spike) s.w = on_pre(s.w, restricted && !s.post_unpaired ? 0.0 : post_trace);
        if (post_arrives) {
            if (pairing_ == StdpPairing::nn_pre_centered) s.pre.clear(t);
            s.pre_unpaired = false;
        }
        if (pre_spike) {
            s.pre.spike(t, pre_decay_, pre_update());
            s.pre_unpaired = true;
            s.post_unpaired = false;
        }
    }

private:
    StdpPairParameters p_;
    StdpPairing pairing_;
    TraceDecay pre_decay_, post_decay_;
    double lambda_;  // as given
};

}  // namespace apical
