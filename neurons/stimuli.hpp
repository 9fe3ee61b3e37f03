// Stimuli that act inside the target's own virtual process, without gids or synapses:
// - poisson_generator: an independent Poisson train into every target neuron (NEST's
//   poisson_generator semantics). The count for neuron gid emitted in step e is drawn by
//   inversion from a 53-bit uniform: one Philox call with key (seed, poisson purpose of the
//   stimulus) and counter (gid, e / 2) gives the uniforms of steps 2j (words 0, 1) and 2j + 1
//   (words 2, 3). It therefore does not depend on the decomposition. The count times the
//   weight is added to the ring-buffer row of step e + delay, after the network spikes
//   delivered to that row. For lambda >= 10 per step a RandomStream's exact PTRS sampler is
//   used instead (one stream per neuron and step).
// - dc_current, step_current: a current (pA) common to all target neurons, summed per step.
// Activity window: a stimulus on [start, stop) acts in the steps s whose interval
// ((s-1) dt, s dt] starts in [start, stop), i.e. round(start/dt) < s <= round(stop/dt).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/spike.hpp"

namespace apical {

struct PoissonInput {
    int group = 0;        // target NeuronGroup index in the VP
    int receptor = 0;
    double weight = 0.0;
    double lambda = 0.0;  // mean count per step: rate * dt
    int delay = 1;        // steps
    step_t first_emission = 1, last_emission = 0;  // inclusive window of emission steps
    std::uint32_t purpose = 0;
    // Cumulative Poisson probabilities F(0), F(1), ... for inversion (lambda < 10), computed
    // with the same recurrence as poisson_small() so the counts are identical to it.
    std::vector<double> cdf;
    // Guide table: guide[j] = the smallest k with F(k) > j / guide_size, where the search for
    // u in [j / guide_size, (j+1) / guide_size) can start (it cannot end earlier); the
    // result is the same as a search from 0, with fewer steps.
    static constexpr int guide_size = 256;
    std::vector<std::uint32_t> guide;

    // The smallest k with u < F(k) (the count for uniform u).
    std::uint64_t count(double u) const {
        std::uint64_t k = guide[std::size_t(u * guide_size)];
        while (k < cdf.size() && u >= cdf[k]) ++k;
        return k;
    }
    void build_guide() {
        guide.resize(guide_size);
        std::uint32_t k = 0;
        for (int j = 0; j < guide_size; ++j) {
            const double lower = double(j) / guide_size;
            while (k < cdf.size() && cdf[k] <= lower) ++k;
            guide[std::size_t(j)] = k;
        }
    }
};

inline std::vector<double> poisson_cdf(double lambda) {
    std::vector<double> cdf;
    double p = std::exp(-lambda), c = p;
    cdf.push_back(c);
    for (std::uint64_t k = 1;; ++k) {
        p *= lambda / double(k);
        const double next = c + p;
        if (next == c) break;
        c = next;
        cdf.push_back(c);
    }
    return cdf;
}

struct CurrentInput {
    int group = 0;
    int compartment = 0;  // index in the target model's ModelInfo::compartments
    // Piecewise constant: amplitude[k] (pA) for interval-start indices j >= start_index[k]
    // (j = s - 1), zero before start_index[0]; active for j < stop_index.
    std::vector<step_t> start_index;
    std::vector<double> amplitude;
    step_t stop_index = 0;

    double at_step(step_t s) const {
        const step_t j = s - 1;
        if (j >= stop_index) return 0.0;
        double a = 0.0;
        for (std::size_t k = 0; k < start_index.size() && start_index[k] <= j; ++k) a = amplitude[k];
        return a;
    }
};

inline step_t to_steps(double ms, double dt) { return std::llround(ms / dt); }

}  // namespace apical
