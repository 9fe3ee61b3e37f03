// A network built from its description for the virtual processes of this rank: the neuron
// groups, incoming synapses and stimuli that each VP owns (docs/architecture.md, "Decomposition").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/decomposition.hpp"
#include "engine/distributed_context.hpp"
#include "engine/network_spec.hpp"
#include "engine/virtual_process.hpp"

namespace apical {

// Where the spikes of this rank's neurons must go in the directed exchange
// (simulation.spike_exchange: directed): for every source neuron the rank owns, the ranks
// holding at least one of its targets (this rank included if it does), ascending. CSR over
// the rank's source slots: the neuron gid owned by this rank has slot
// (gid / n_vp) * threads + (gid % n_vp) % threads, dense up to at most `threads` unused
// slots at the end. Memory: 4 bytes per slot + 4 per (source, needing rank).
struct SpikeRoutes {
    int threads = 1, n_vp = 1;
    std::vector<std::uint32_t> offsets;  // slots + 1
    std::vector<std::uint32_t> ranks;    // destination ranks
    std::uint32_t slot(gid_t gid) const {
        return (gid / gid_t(n_vp)) * gid_t(threads) + (gid % gid_t(n_vp)) % gid_t(threads);
    }
    std::span<const std::uint32_t> of(gid_t gid) const {
        const std::uint32_t s = slot(gid);
        return {ranks.data() + offsets[s], ranks.data() + offsets[s + 1]};
    }
};

// The gid layout of the spec's populations over ranks x threads VPs (the spec is checked).
Decomposition make_decomposition(const NetworkSpec& spec, int ranks, int threads);
// The slice length of a network without synapses: 1 ms worth of steps, at most as long as
// the longest delay a synapse may have (a tiny dt would otherwise ask for ring buffers of
// billions of rows).
int slice_steps_without_synapses(double dt);

class Network {
public:
    // Builds the VPs of `rank` (threads in parallel) from a spec the description layer has
    // checked (asserted here). The one user error it can still raise is a DescriptionError
    // for a drawn delay beyond the 16-bit per-synapse delay (65,535 steps), which depends on
    // the drawn values.
    // `context` (optional) agrees on the delays across ranks.
    Network(const NetworkSpec& spec, int ranks, int rank, int threads, DistributedContext* context = nullptr);

    const NetworkSpec& spec() const { return spec_; }
    const Decomposition& decomposition() const { return decomposition_; }
    std::vector<VirtualProcess>& vps() { return vps_; }
    const std::vector<VirtualProcess>& vps() const { return vps_; }
    double dt() const { return spec_.simulation.dt_ms; }
    int min_delay() const { return min_delay_; }   // steps
    int max_delay() const { return max_delay_; }   // steps
    std::uint64_t n_neurons() const { return n_neurons_; }
    std::uint64_t n_synapses() const { return n_synapses_; }  // on this rank
    std::uint64_t synapse_bytes() const { return synapse_bytes_; }
    std::uint64_t neuron_bytes() const;
    std::vector<std::uint64_t> synapses_per_projection() const;  // on this rank
    // Listed edges (explicit_edges) read on this rank and the time spent reading them into
    // the build arrays (the reader and the routing to receptors), summed over the rank's VPs
    // (their reads are serialised: HDF5 is entered by one thread at a time).
    struct EdgeReading {
        std::uint64_t edges = 0;
        double seconds = 0.0;
    };
    EdgeReading edge_reading() const {
        EdgeReading r;
        for (auto& v : edge_reading_) r.edges += v.edges, r.seconds += v.seconds;
        return r;
    }
    // Whether every source neuron with a synapse onto this rank's neurons belongs to a
    // population p with populations[p] != 0.
    bool sources_within(const std::vector<std::uint8_t>& populations) const;
    // The routes of the directed exchange. Collective: every rank calls it once, with its own
    // context (one rank: every source with a target here routes to rank 0). Each rank sends
    // every owner a bitmap of the owner's sources it needs (one bit per slot: n_neurons / 8
    // bytes sent and received per rank in all) and turns the bitmaps it receives into routes.
    SpikeRoutes spike_routes(DistributedContext& context) const;
    // The current weights of the plastic projection `projection` on this rank's VPs, as
    // (source node, target node, weight) in population node ids, in no particular order.
    struct SynapseWeight {
        std::uint32_t source, target;
        float weight;
    };
    void plastic_weights(int projection, std::vector<SynapseWeight>& out) const;

private:
    void build_synapses(VirtualProcess& vp);
    void build_groups(VirtualProcess& vp);
    void build_stimuli(VirtualProcess& vp);
    void add_noise(VirtualProcess& vp, const StimulusSpec& st, std::size_t si, int p, int compartment);
    void add_teaching(VirtualProcess& vp, const StimulusSpec& st, std::size_t si, int p, int compartment);

    const NetworkSpec& spec_;
    Decomposition decomposition_;
    std::vector<VirtualProcess> vps_;
    int min_delay_ = 1, max_delay_ = 1;
    std::uint64_t n_neurons_ = 0, n_synapses_ = 0, synapse_bytes_ = 0;
    std::vector<EdgeReading> edge_reading_;  // per thread of this rank
};

}  // namespace apical
