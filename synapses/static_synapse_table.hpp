// Static synapses of one projection onto one receptor, held by one virtual process:
// compressed sparse rows by presynaptic source, so delivery walks one contiguous range per spike.
//
//   offsets[s] .. offsets[s+1]   synapses of source node s (node index in the source population)
//   target[k]                    local index of the target in the VP's NeuronGroup (uint32)
//   weight[k]                    float, only when weights differ between synapses
//   delay[k]                     steps (uint16), only when delays differ between synapses
//   delay_fraction[k]            the part of the delay beyond delay[k] (whole steps), in
//                                [0, 1) steps: only onto exact event-driven targets, and only
//                                when some delay is not a whole number of steps
// A projection with one weight and one delay thus costs 4 bytes per synapse (plus the
// offsets, 4 bytes per source and VP); heterogeneous weights add 4 and delays 2 bytes.
// Per-synapse weights are stored in single precision (7 significant digits); constant
// weights keep double precision. Within one source, synapses are ordered by target and, for
// one target, in construction order: the canonical summation order (docs/architecture.md, "Determinism").
#pragma once

#include <cstdint>
#include <vector>

#include "core/spike.hpp"

namespace apical {

// Which presynaptic spikes a projection transmits (docs/models.md 4.6): all of them, only
// events (first spikes of bursts and isolated spikes) or only burst spikes (the second spike
// of each burst), by the classes the kernel's classifier gives the source's spikes.
enum class Transmit : std::uint8_t { all, events, bursts };

inline const char* transmit_name(Transmit t) {
    switch (t) {
    case Transmit::all: return "all";
    case Transmit::events: return "events";
    case Transmit::bursts: return "bursts";
    }
    return "";
}

// Whether a spike of class `spike_class` passes a projection that transmits `t`.
inline bool transmits(Transmit t, std::uint8_t spike_class) {
    return t == Transmit::all || spike_class == (t == Transmit::events ? SpikeClass::event : SpikeClass::burst);
}

struct StaticSynapseTable {
    int projection = 0;     // index in NetworkSpec::projections
    int receptor = 0;       // receptor index of the target model
    int target_group = 0;   // index of the target NeuronGroup in the VP's group list
    gid_t source_first_gid = 0;
    std::uint32_t n_sources = 0;

    std::vector<std::uint32_t> offsets;  // n_sources + 1
    std::vector<std::uint32_t> target;
    std::vector<float> weight;           // empty: every synapse has weight_constant
    std::vector<std::uint16_t> delay;    // empty: every synapse has delay_constant
    double weight_constant = 0.0;
    int delay_constant = 1;              // steps
    int min_delay = 1, max_delay = 1;    // steps, over this table
    // Short-term plasticity: index of the projection's per-source state on the VP
    // (VirtualProcess::add_short_term, synapses/tsodyks_markram.hpp), whose efficacy scales
    // every weight; -1 = static. The state is per source, so no bytes per synapse. With
    // short_term_per_synapse, the index of this table's own per-synapse state instead
    // (VirtualProcess::add_short_term_synapses), for parameters drawn per synapse.
    int short_term = -1;
    bool short_term_per_synapse = false;
    // The spikes the projection transmits; the others skip the table (and its short-term
    // state) entirely.
    Transmit transmit = Transmit::all;
    // Plasticity: index of the table's plastic state on the VP (VirtualProcess::add_plastic,
    // plasticity/plastic_synapses.hpp), which changes `weight` (then always per synapse);
    // -1 = fixed weights.
    int plastic = -1;
    // The target model is exact event-driven (ModelInfo::event_driven): deliver pushes events
    // with exact arrival times into the target group's event queue instead of ring-buffer rows.
    bool event_target = false;
    std::vector<float> delay_fraction;   // empty: every delay is whole steps

    std::size_t size() const { return target.size(); }
    std::size_t bytes() const {
        return offsets.size() * sizeof(std::uint32_t) + target.size() * sizeof(std::uint32_t) +
               weight.size() * sizeof(float) + delay.size() * sizeof(std::uint16_t) +
               delay_fraction.size() * sizeof(float);
    }
};

}  // namespace apical
