// Burst-dependent synaptic plasticity (BDSP) of Payeur A, Guerguiev J, Zenke F, Richards BA,
// Naud R (2021) Burst-dependent synaptic plasticity can coordinate learning in hierarchical
// circuits. Nat Neurosci 24:1010-1019, in the exact event-driven form of the authors' code
// (AdaptiveEBCPConnection of github.com/apayeur/spikingburstprop, an Auryn DuplexConnection).
// docs/models.md 13.
//
//   dw_ij/dt = eta [B_i(t) - Pbar_i(t) E_i(t)] Etilde_j(t)   (+ homeostatic terms)
//
// E_i, B_i: the postsynaptic event and burst trains (spike classes, docs/models.md 3);
// Etilde_j: the presynaptic event trace (+1 per presynaptic event, time constant tau_pre);
// Pbar_i = Bbar_i / Ebar_i, the ratio of two moving averages of E_i and B_i (tau_avg, in Hz).
// In the authors' order, within one step:
//   1. a presynaptic event transmits w, then w += eta G_i (clipped), then Etilde_j += 1;
//   2. a postsynaptic event: P = Bbar/Ebar before this event, valence v = -P if P < 1 else -1
//      (also 0/0 at start-up), w += eta (v + H_i) Etilde_j for every incoming synapse
//      (clipped after each), then Ebar's trace += 1; a burst (the burst-defining second spike):
//      Bbar's trace += 1, then w += eta (1 + H_i) Etilde_j; later spikes of a burst: nothing;
//   3. the traces decay (here: in closed form when next read, exact).
// Homeostasis (active only outside [e_min, e_max]):
//   H_i = -(Ebar_i - e_max) / Ebar_i if Ebar_i > e_max, else 0   (multiplies both updates);
//   G_i = e_min - r_i if r_i < e_min, else 0                      (at each presynaptic event).
// r_i is, in the code the published figures ran (the default, `spike_rate`), the postsynaptic
// rate of all spikes from a 30 s moving average started at 0.1 Hz; the paper's text (and dead code
// beside it) uses Ebar_i (`event_rate`).
// Weights are clipped to [w_min, w_max] after every single update.
#pragma once

#include <cstdint>
#include <limits>

#include "core/spike.hpp"
#include "core/time.hpp"
#include "plasticity/traces.hpp"

namespace apical {

// Which rate G_i compares with e_min.
enum class BdspHomeostasisRate : std::uint8_t { spike_rate, event_rate };

inline const char* bdsp_homeostasis_rate_name(BdspHomeostasisRate r) {
    return r == BdspHomeostasisRate::spike_rate ? "spike_rate" : "event_rate";
}

// Defaults: the authors' spiking-population values (Fig. 2e-g), homeostasis bounds as their
// class defaults. Weights and eta are in the projection's weight unit.
struct BdspParameters {
    double eta = 3.5e-3;
    double tau_pre_ms = 100.0;    // presynaptic event trace
    double tau_avg_ms = 5000.0;   // Ebar, Bbar
    double w_min = 0.0, w_max = 1.0;
    double e_min_hz = 2.0;        // G_i acts below (0: never)
    double e_max_hz = 12.0;       // H_i acts above (infinity: never)
    BdspHomeostasisRate homeostasis_rate = BdspHomeostasisRate::spike_rate;
    double tau_rate_ms = 30000.0; // the spike-rate average of `spike_rate`
    double initial_rate_hz = 0.1; // its value at the start
    double initial_event_rate_hz = 0.0;  // Ebar at the start
    double initial_burst_rate_hz = 0.0;  // Bbar at the start
};

// What BDSP keeps per postsynaptic neuron (for one projection): unnormalised traces; a rate
// is value / tau (in s).
struct BdspTarget {
    Trace events, bursts;  // tau_avg
    Trace spikes;          // tau_rate, every spike
};

class Bdsp {
public:
    Bdsp(const BdspParameters& p, double dt_ms)
        : p_(p), pre_({dt_ms, p.tau_pre_ms}), avg_({dt_ms, p.tau_avg_ms}), rate_({dt_ms, p.tau_rate_ms}),
          per_avg_(1000.0 / p.tau_avg_ms), per_rate_(1000.0 / p.tau_rate_ms), eta_(p.eta) {}

    const BdspParameters& parameters() const { return p_; }
    // Scales eta to `factor` times the given one (a schedule's learning rate); a factor of 1
    // restores it exactly. The rate averages do not depend on eta.
    void set_rate_factor(double factor) { p_.eta = eta_ * factor; }
    const TraceDecayCache& pre_decay() const { return pre_; }

    // A target's traces at step `t0` from the initial rates.
    BdspTarget initial_target(step_t t0) const {
        BdspTarget s;
        s.events = {p_.initial_event_rate_hz / per_avg_, t0};
        s.bursts = {p_.initial_burst_rate_hz / per_avg_, t0};
        s.spikes = {p_.initial_rate_hz / per_rate_, t0};
        return s;
    }
    double event_rate(const BdspTarget& s, step_t t) const { return s.events.at(t, avg_) * per_avg_; }
    double burst_rate(const BdspTarget& s, step_t t) const { return s.bursts.at(t, avg_) * per_avg_; }

    // A postsynaptic spike of class `spike_class` at `t`: updates the target's traces in the
    // authors' order and returns the factor every incoming synapse's presynaptic event trace is
    // multiplied with (eta (v + H) for an event, eta (1 + H) for a burst, 0 otherwise).
    double post(BdspTarget& s, step_t t, std::uint8_t spike_class) const {
        double factor = 0.0;
        if (spike_class == SpikeClass::event) {
            const double e = event_rate(s, t);
            const double p = burst_rate(s, t) / e;  // 0/0 = NaN and x/0 = inf give v = -1
            const double v = p < 1.0 ? -p : -1.0;
            factor = p_.eta * (v + depression(e));
            s.events.spike(t, avg_, TraceUpdate::all_to_all);
        } else if (spike_class == SpikeClass::burst) {
            s.bursts.spike(t, avg_, TraceUpdate::all_to_all);
            factor = p_.eta * (1.0 + depression(event_rate(s, t)));
        }
        s.spikes.spike(t, rate_, TraceUpdate::all_to_all);
        return factor;
    }
    // The homeostatic increment eta G_i of a presynaptic event at `t`.
    double pre_increment(const BdspTarget& s, step_t t) const {
        const double r = p_.homeostasis_rate == BdspHomeostasisRate::spike_rate ? s.spikes.at(t, rate_) * per_rate_
                                                                                 : event_rate(s, t);
        return r < p_.e_min_hz ? p_.eta * (p_.e_min_hz - r) : 0.0;
    }
    double clip(double w) const { return w < p_.w_min ? p_.w_min : (w > p_.w_max ? p_.w_max : w); }

private:
    // H_i for the event rate e (Hz).
    double depression(double e) const { return e > p_.e_max_hz ? -(e - p_.e_max_hz) / e : 0.0; }

    BdspParameters p_;
    TraceDecayCache pre_, avg_, rate_;
    double per_avg_, per_rate_;  // 1 / tau in 1/s
    double eta_;                 // as given
};

}  // namespace apical
