// spike_source: neurons without dynamics that emit given spike times (NEST's
// spike_generator / SONATA virtual nodes). Times are put on the grid: a spike at t ms is
// emitted at step round(t / dt); times at or before 0 cannot be emitted and are dropped.
#pragma once

#include <memory>
#include <vector>

#include "neurons/neuron_group.hpp"

namespace apical {

// times_ms[i]: spike times of local neuron i (any order).
std::unique_ptr<NeuronGroup> make_spike_source(std::vector<gid_t> gids, int n_slots, double dt,
                                               const std::vector<std::vector<double>>& times_ms);

}  // namespace apical
