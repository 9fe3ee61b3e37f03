// The spike record that travels through the kernel and the exchange.
#pragma once

#include <cstdint>
#include <tuple>

#include "core/time.hpp"

namespace apical {

using gid_t = std::uint32_t;  // global neuron id, dense over all populations

// A spike at time (step + offset) * dt. Grid-based models emit offset = 0; exact
// event-driven models (later) put the position inside the step in offset, in [0, 1).
// Canonical order everywhere: by step, then gid (offset only breaks ties for one gid).
struct Spike {
    step_t step;
    gid_t gid;
    float offset;
};
static_assert(sizeof(Spike) == 16, "Spike is exchanged as raw bytes; keep it compact");

inline bool operator<(const Spike& a, const Spike& b) {
    return std::tie(a.step, a.gid, a.offset) < std::tie(b.step, b.gid, b.offset);
}
inline bool operator==(const Spike& a, const Spike& b) {
    return a.step == b.step && a.gid == b.gid && a.offset == b.offset;
}

}  // namespace apical
