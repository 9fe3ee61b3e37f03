// How neurons are distributed over virtual processes (VPs = ranks x threads).
//
// Rule: the neuron with global id gid belongs to VP gid % n_vp (round robin over all
// populations, as NEST does). Every population is thereby split evenly over all VPs, so
// populations of different models and sizes mixed in one network balance by construction;
// VP v lives on rank v / threads_per_rank, thread v % threads_per_rank.
// gids are dense: population p holds [first_gid, first_gid + size).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/spike.hpp"

namespace apical {

struct PopulationLayout {
    std::string name;
    gid_t first_gid = 0;
    std::uint32_t size = 0;
};

class Decomposition {
public:
    Decomposition(std::vector<PopulationLayout> populations, int ranks, int threads_per_rank)
        : populations_(std::move(populations)), ranks_(ranks), threads_(threads_per_rank) {}

    int n_vp() const { return ranks_ * threads_; }
    int ranks() const { return ranks_; }
    int threads_per_rank() const { return threads_; }
    const std::vector<PopulationLayout>& populations() const { return populations_; }

    int vp_of(gid_t gid) const { return int(gid % gid_t(n_vp())); }

    // Node index (within the population) of the first local node of population p on VP v.
    std::uint32_t first_local_node(int p, int vp) const {
        const auto& pop = populations_[p];
        const std::uint32_t V = std::uint32_t(n_vp());
        return std::uint32_t((std::uint64_t(vp) + V - pop.first_gid % V) % V);
    }
    // Number of neurons of population p owned by VP v.
    std::uint32_t local_count(int p, int vp) const {
        const std::uint32_t n0 = first_local_node(p, vp);
        const std::uint32_t size = populations_[p].size;
        return n0 < size ? (size - n0 + std::uint32_t(n_vp()) - 1) / std::uint32_t(n_vp()) : 0;
    }
    // Local index of population-node `node` on its own VP.
    std::uint32_t local_index(std::uint32_t node) const { return node / std::uint32_t(n_vp()); }
    // Population-node of local index i on VP v.
    std::uint32_t node_of_local(int p, int vp, std::uint32_t i) const {
        return first_local_node(p, vp) + i * std::uint32_t(n_vp());
    }
    // Population index of a gid (populations are few: a linear scan from the back is fine
    // off the hot path; the deliver phase uses a precomputed table instead).
    int population_of(gid_t gid) const {
        for (int p = int(populations_.size()) - 1; p >= 0; --p)
            if (gid >= populations_[p].first_gid) return p;
        return -1;
    }

private:
    std::vector<PopulationLayout> populations_;
    int ranks_;
    int threads_;
};

}  // namespace apical
