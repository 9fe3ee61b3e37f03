// Spike trains for the STDP tests: Bernoulli trains on the step grid (fixed seed) and a walk
// over the steps where a presynaptic spike or a postsynaptic arrival happens, in time order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/random.hpp"
#include "core/time.hpp"

namespace apical::test {

// Steps in [0, n_steps) where a train spiking with probability `p` per step spikes; stream
// `id` of the test purpose `index`.
inline std::vector<step_t> bernoulli_train(double p, step_t n_steps, std::uint32_t index, std::uint32_t id) {
    RandomStream rng(2026, purpose(Purpose::test, index), id);
    std::vector<step_t> spikes;
    for (step_t t = 0; t < n_steps; ++t)
        if (rng.uniform() < p) spikes.push_back(t);
    return spikes;
}

// Calls f(t, pre_spike, post_arrives) for every step of either sorted train, in time order.
template <class F>
void for_each_event_step(const std::vector<step_t>& pre, const std::vector<step_t>& arrivals, F&& f) {
    constexpr step_t never = std::numeric_limits<step_t>::max();
    std::size_t i = 0, j = 0;
    while (i < pre.size() || j < arrivals.size()) {
        const step_t t = std::min(i < pre.size() ? pre[i] : never, j < arrivals.size() ? arrivals[j] : never);
        const bool pre_spike = i < pre.size() && pre[i] == t;
        const bool post_arrives = j < arrivals.size() && arrivals[j] == t;
        f(t, pre_spike, post_arrives);
        i += pre_spike;
        j += post_arrives;
    }
}

// How many arrivals coincide with a presynaptic spike.
inline std::size_t coinciding(const std::vector<step_t>& pre, const std::vector<step_t>& arrivals) {
    std::size_t n = 0;
    for (step_t a : arrivals) n += std::binary_search(pre.begin(), pre.end(), a);
    return n;
}

}  // namespace apical::test
