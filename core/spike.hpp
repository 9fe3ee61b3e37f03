// The spike record that travels through the kernel and the exchange.
#pragma once

#include <cstdint>
#include <tuple>

#include "core/time.hpp"

namespace apical {

using gid_t = std::uint32_t;  // global neuron id, dense over all populations

// A spike at time (step + offset) * dt. Grid-based models emit offset = 0; exact
// event-driven models and spike sources with off-grid times put the position inside the step
// in offset, in [0, 1) (docs/architecture.md, "Time").
struct Spike {
    step_t step;
    gid_t gid;
    float offset;
};
static_assert(sizeof(Spike) == 16, "Spike is exchanged as raw bytes; keep it compact");

// The step at whose end a spike is stamped on the grid: its own step when on the grid, else
// the next one (NEST's convention for precise spikes). The update of that step produces it, and
// grid-based targets receive it a delay after it.
inline step_t grid_step(step_t step, float offset) { return step + (offset > 0.0f ? 1 : 0); }

// Canonical order everywhere (spike lists, exchange, delivery): by grid step, then gid, then
// exact time. For grid spikes that is (step, gid); a slice's list is thus in grid-step order,
// which is what per-step consumers (rate monitors, plasticity, short-term state) need.
inline bool operator<(const Spike& a, const Spike& b) {
    const step_t ga = grid_step(a.step, a.offset), gb = grid_step(b.step, b.offset);
    return std::tie(ga, a.gid, a.step, a.offset) < std::tie(gb, b.gid, b.step, b.offset);
}
inline bool operator==(const Spike& a, const Spike& b) {
    return a.step == b.step && a.gid == b.gid && a.offset == b.offset;
}
inline step_t grid_step(const Spike& s) { return grid_step(s.step, s.offset); }

// Spike classes (engine/spike_classifier.hpp says how spikes get them) as uint8 values, for
// compact tags beside spikes: SpikeClass::event, ...
struct SpikeClass {
    enum : std::uint8_t { event = 0, burst = 1, other = 2 };
    // A spike of a population whose classes nothing uses (PopulationSpikeClassifier); it
    // never reaches a file or a monitor.
    static constexpr std::uint8_t unclassified = 255;
};

inline const char* spike_class_name(std::uint8_t c) {
    switch (c) {
    case SpikeClass::event: return "event";
    case SpikeClass::burst: return "burst";
    case SpikeClass::other: return "other";
    }
    return "?";
}

}  // namespace apical
