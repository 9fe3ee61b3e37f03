// Triplet STDP of Pfister J-P, Gerstner W (2006) Triplets of spikes in a model of spike
// timing-dependent plasticity. J Neurosci 26:9673-9682 (docs/models.md 12.3), with the
// hard bounds and the timing of NEST's stdp_triplet_synapse (models/stdp_triplet_synapse.h).
//
// Presynaptic traces r1 (tau_plus) and r2 (tau_x), postsynaptic traces o1 (tau_minus) and
// o2 (tau_y). Each trace decays exponentially and, at a spike of its side, grows by 1
// (all-to-all interaction) or is set to 1 (nearest-spike interaction: the paper's saturating
// traces). The weight changes
//   at a postsynaptic spike   w += r1 (A2_plus + A3_plus o2),    w = min(w, Wmax)
//   at a presynaptic spike    w -= o1 (A2_minus + A3_minus r2),  w = max(w, 0)
// where o2 and r2 are read just before the spike's own increment (the paper's t - epsilon).
//
// Timing as in stdp_pair.hpp (NEST): the delay is dendritic; in synapse time (postsynaptic spikes
// d late) a step with both spikes first facilitates, then depresses, each reading the traces as
// they were before any spike of this step; then the traces are updated. NEST's
// stdp_triplet_synapse is the all-to-all form; it has no nearest-spike form.
#pragma once

#include <cstdint>

#include "core/time.hpp"
#include "plasticity/traces.hpp"

namespace apical {

struct StdpTripletParameters {
    double tau_plus_ms = 16.8;   // r1
    double tau_x_ms = 101.0;     // r2
    double tau_minus_ms = 33.7;  // o1
    double tau_y_ms = 125.0;     // o2
    double A2_plus = 5e-10;
    double A3_plus = 6.2e-3;
    double A2_minus = 7e-3;
    double A3_minus = 2.3e-4;
    double Wmax = 100.0;  // > 0; weights stay in [0, Wmax]
    TraceUpdate interaction = TraceUpdate::all_to_all;
};

// Parameter sets of Pfister & Gerstner (2006), Table 4, as code that cites it uses them
// (docs/models.md 12.3 gives the sources; the paper itself was not available to check them):
// - visual cortex data set (Sjöström et al. 2001), all-to-all: NEST stdp_triplet_synapse's
//   defaults; nearest-spike: the pairing example of the NEST module zifeo/nest-stdpmodule
//   (examples/PfisterGerstnerPairing_node.py). Both have A3_minus > 0: the full models.
// - hippocampal data set (Wang et al. 2005), nearest-spike, minimal model (A3_minus = 0, so
//   tau_x is unused): the preset "Hippocampal culture data set - Nearest spike - Min" of
//   OliverColeman/bain (Pfister2006SynapseConfiguration.java).
inline StdpTripletParameters triplet_visual_cortex_all_to_all() { return {}; }
inline StdpTripletParameters triplet_visual_cortex_nearest() {
    return {.tau_plus_ms = 16.8, .tau_x_ms = 714.0, .tau_minus_ms = 33.7, .tau_y_ms = 40.0, .A2_plus = 8.8e-11,
            .A3_plus = 5.3e-2, .A2_minus = 6.6e-3, .A3_minus = 3.1e-3, .Wmax = 100.0,
            .interaction = TraceUpdate::nearest};
}
inline StdpTripletParameters triplet_hippocampal_nearest_minimal() {
    return {.tau_plus_ms = 16.8, .tau_x_ms = 1.0, .tau_minus_ms = 33.7, .tau_y_ms = 48.0, .A2_plus = 4.6e-3,
            .A3_plus = 9.1e-3, .A2_minus = 3e-3, .A3_minus = 0.0, .Wmax = 100.0,
            .interaction = TraceUpdate::nearest};
}

// The sets by name, for descriptions (`preset:`).
enum class StdpTripletPreset : std::uint8_t { none, visual_cortex_all_to_all, visual_cortex_nearest, hippocampal_nearest_minimal };
inline const char* stdp_triplet_preset_name(StdpTripletPreset p) {
    switch (p) {
    case StdpTripletPreset::visual_cortex_all_to_all: return "visual_cortex_all_to_all";
    case StdpTripletPreset::visual_cortex_nearest: return "visual_cortex_nearest";
    case StdpTripletPreset::hippocampal_nearest_minimal: return "hippocampal_nearest_minimal";
    case StdpTripletPreset::none: break;
    }
    return "none";
}
inline StdpTripletParameters stdp_triplet_preset(StdpTripletPreset p) {
    switch (p) {
    case StdpTripletPreset::visual_cortex_nearest: return triplet_visual_cortex_nearest();
    case StdpTripletPreset::hippocampal_nearest_minimal: return triplet_hippocampal_nearest_minimal();
    default: return triplet_visual_cortex_all_to_all();
    }
}

// The traces kept per source (r1, r2) and per target (o1, o2); r1 and r2 are the same for every
// synapse of a source, o1 and o2 for every synapse onto a target.
struct TripletPreTraces {
    Trace r1, r2;
};
struct TripletPostTraces {
    Trace o1, o2;
};

class StdpTriplet {
public:
    StdpTriplet(const StdpTripletParameters& p, double dt_ms)
        : p_(p), given_(p), r1_{dt_ms, p.tau_plus_ms}, r2_{dt_ms, p.tau_x_ms}, o1_{dt_ms, p.tau_minus_ms},
          o2_{dt_ms, p.tau_y_ms} {}

    const StdpTripletParameters& parameters() const { return p_; }
    // Scales the four amplitudes to `factor` times the given ones (a schedule's learning rate);
    // a factor of 1 restores them exactly.
    void set_rate_factor(double factor) {
        p_.A2_plus = given_.A2_plus * factor;
        p_.A3_plus = given_.A3_plus * factor;
        p_.A2_minus = given_.A2_minus * factor;
        p_.A3_minus = given_.A3_minus * factor;
    }
    const TraceDecay& r1_decay() const { return r1_; }
    const TraceDecay& r2_decay() const { return r2_; }
    const TraceDecay& o1_decay() const { return o1_; }
    const TraceDecay& o2_decay() const { return o2_; }

    // The eager updates, with the traces at the spike's time before its own increment.
    double on_pre(double w, double o1, double r2) const {
        if (o1 == 0.0) return w;
        const double x = w - o1 * (p_.A2_minus + p_.A3_minus * r2);
        return x > 0.0 ? x : 0.0;
    }
    double on_post(double w, double r1, double o2) const {
        if (r1 == 0.0) return w;
        const double x = w + r1 * (p_.A2_plus + p_.A3_plus * o2);
        return x < p_.Wmax ? x : p_.Wmax;
    }

    // The trace updates of a spike, after the weight updates of its step.
    void pre_spike(TripletPreTraces& r, step_t t) const {
        r.r1.spike(t, r1_, p_.interaction);
        r.r2.spike(t, r2_, p_.interaction);
    }
    void post_spike(TripletPostTraces& o, step_t t) const {
        o.o1.spike(t, o1_, p_.interaction);
        o.o2.spike(t, o2_, p_.interaction);
    }

    // Everything that happens to one synapse of weight `w` at step `t` of synapse time, in NEST's
    // order (`post_arrives`: the target spiked at t - d; `o` its traces in synapse time). Returns
    // the new weight. With many synapses per source or target, the caller updates each
    // source's and target's traces once per step instead, after all their synapses' weights.
    double step(double w, TripletPreTraces& r, TripletPostTraces& o, step_t t, bool pre, bool post_arrives) const {
        if (post_arrives) w = on_post(w, r.r1.at(t, r1_), o.o2.at(t, o2_));
        if (pre) w = on_pre(w, o.o1.at(t, o1_), r.r2.at(t, r2_));
        if (post_arrives) post_spike(o, t);
        if (pre) pre_spike(r, t);
        return w;
    }

private:
    StdpTripletParameters p_, given_;
    TraceDecay r1_, r2_, o1_, o2_;
};

}  // namespace apical
