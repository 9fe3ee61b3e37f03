// What a network will take in memory, from its resolved description alone, before anything
// large is allocated; what the process may take; and the check between them that refuses a
// network which cannot fit (docs/architecture.md, "Memory estimate").
#pragma once

#include <cstdint>
#include <string>

#include "engine/distributed_context.hpp"
#include "engine/network_spec.hpp"

namespace apical {

// Bytes of one rank's share of the network (neurons round robin over ranks x threads, as
// engine/decomposition.hpp; synapses on the rank of their target).
struct MemoryEstimate {
    // What the built network holds (the figures Network::synapse_bytes and neuron_bytes measure):
    std::uint64_t synapse_bytes = 0;  // tables (targets, offsets, weights, delays) and short-term state
    std::uint64_t neuron_bytes = 0;   // gids, state variables and ring buffers
    // Besides: stimulus state and scratch, state-recording frames.
    std::uint64_t other_bytes = 0;
    // The temporary arrays of the synapse build (engine/network.cpp), at the largest projection;
    // they coexist with the tables built before.
    std::uint64_t build_bytes = 0;
    double synapses = 0;          // expected synapses on this rank
    std::uint64_t neurons = 0;    // neurons on this rank
    int min_delay = 1, max_delay = 1;  // steps, as the ring buffers will be sized (likely range)

    std::uint64_t network_bytes() const { return synapse_bytes + neuron_bytes + other_bytes; }
    // The most memory the network takes at any moment: while the synapses are built, or once
    // neurons and ring buffers exist besides them.
    std::uint64_t peak_bytes() const { return network_bytes() > synapse_bytes + build_bytes ? network_bytes() : synapse_bytes + build_bytes; }
};

// The estimate for rank `rank` of `ranks` with the spec's threads. Arithmetic over
// populations and projections only: quick for any size.
MemoryEstimate estimate_memory(const NetworkSpec& spec, int ranks, int rank);

// The memory this process may take: the smallest of the cgroup limit (v2 memory.max of the
// process's cgroup and its ancestors, v1 memory.limit_in_bytes), MemAvailable of
// /proc/meminfo (both shared by the `ranks_on_node` ranks of this node) and the address-space
// limit (ulimit -v, per process). bytes == 0 when none could be read.
struct MemoryLimit {
    std::uint64_t bytes = 0;
    std::string source;  // "MemAvailable", "cgroup memory.max", ... for messages
};
MemoryLimit available_memory(int ranks_on_node);

// The same, read from the given files (tests): `proc_cgroup` as /proc/self/cgroup,
// `cgroup_root` as /sys/fs/cgroup, `meminfo` as /proc/meminfo; `address_space` the
// RLIMIT_AS value (0: none).
MemoryLimit available_memory(int ranks_on_node, const std::string& proc_cgroup, const std::string& cgroup_root,
                             const std::string& meminfo, std::uint64_t address_space);

// "37.2 GiB", "512.0 MiB": bytes for messages.
std::string memory_text(double bytes);

// Collective: every rank compares its estimate with its available memory; if the network does
// not fit on some rank, every rank throws (a UserError with the sentence on the ranks that do
// not fit, PeerFailure on the others), before anything large is allocated. Skipped with
// spec.simulation.force_memory.
void check_memory(const NetworkSpec& spec, DistributedContext& context);

}  // namespace apical
