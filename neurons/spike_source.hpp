// spike_source: neurons without dynamics that emit given spike times (NEST's
// spike_generator / SONATA virtual nodes). On the grid (exact = false, descriptions): a spike
// at t ms is emitted at step round(t / dt). Exact (SONATA inputs): a spike keeps its time as
// (step, offset) (core/time.hpp exact_time), is emitted in the update of its grid step (the
// end of the step that contains it) and reaches grid-based targets from there, exact
// event-driven ones at its time. Times whose (grid) step is 0 or earlier are dropped.
#pragma once

#include <memory>
#include <vector>

#include "neurons/neuron_group.hpp"

namespace apical {

// times_ms[i]: spike times of local neuron i (any order).
std::unique_ptr<NeuronGroup> make_spike_source(std::vector<gid_t> gids, int n_slots, double dt,
                                               const std::vector<std::vector<double>>& times_ms, bool exact = false);

}  // namespace apical
