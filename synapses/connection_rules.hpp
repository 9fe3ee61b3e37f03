// Connection rules (NEST's names and semantics): for one target neuron, the source nodes of
// its incoming synapses in one projection, in construction order.
//
// Connectivity is generated per target neuron from the target's own random stream
// (seed, connectivity purpose of the projection, target gid), by the VP that owns the target,
// so every decomposition builds the same network and no VP builds another's synapses.
// Two rules are defined by the sources' side and need a pre-pass, done identically on every
// VP: fixed_total_number (per-target counts: sequential binomial splitting of N over the
// targets, one stream) and fixed_outdegree (each source draws its K targets from its own
// stream; a VP keeps those it owns, which costs every VP a pass over all sources, as in NEST).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/spike.hpp"

namespace apical {

enum class ConnectionRule {
    all_to_all, one_to_one, pairwise_bernoulli, fixed_indegree, fixed_outdegree,
    fixed_total_number,
    // Edges listed one by one (a SONATA edge population), each with its own weight and delay,
    // read through an EdgeSource; not a rule of YAML descriptions.
    explicit_edges
};

// One listed edge: source and target node ids within their populations, the weight in the
// target receptor's unit and the delay in ms.
struct ExplicitEdge {
    std::uint32_t source = 0, target = 0;
    double weight = 0.0, delay_ms = 0.0;
};

// Where the edges of an explicit_edges projection come from. The network builder asks, for
// each VP, for the edges onto that VP's own targets only, so a rank never holds (or reads)
// the edges of another rank's neurons. Implementations must allow concurrent calls (one per
// VP thread) and throw UserError for bad input.
// Edges reach their consumer in blocks (a source of 10^8 edges need not hold them all twice).
class EdgeSink {
public:
    virtual ~EdgeSink() = default;
    // How many edges will follow (once, before the first block), so that storage is reserved once.
    virtual void expect(std::uint64_t n_edges) = 0;
    // The next `n` edges.
    virtual void take(const ExplicitEdge* edges, std::size_t n) = 0;
};

class EdgeSource {
public:
    virtual ~EdgeSource() = default;
    // Hands `sink` the edges whose target is one of `target_nodes` (ascending node ids of the
    // target population), ordered by target node, then by their order in the source.
    virtual void edges_onto(const std::vector<std::uint32_t>& target_nodes, EdgeSink& sink) const = 0;
    // The same edges in one array (tests, small sources).
    std::vector<ExplicitEdge> all_edges_onto(const std::vector<std::uint32_t>& target_nodes) const {
        struct Collect final : EdgeSink {
            std::vector<ExplicitEdge> out;
            void expect(std::uint64_t n) override { out.reserve(out.size() + n); }
            void take(const ExplicitEdge* e, std::size_t n) override { out.insert(out.end(), e, e + n); }
        } collect;
        edges_onto(target_nodes, collect);
        return std::move(collect.out);
    }
};

// Which sources connect to which targets. The description layer has checked that the rule
// is possible for the populations' sizes (e.g. an in-degree without multapses at most the
// number of sources); the generator asserts it.
struct Connectivity {
    ConnectionRule rule = ConnectionRule::all_to_all;
    double p = 0.0;             // pairwise_bernoulli
    std::uint64_t degree = 0;   // fixed_indegree / fixed_outdegree: K; fixed_total_number: N
    bool allow_autapses = true;
    bool allow_multapses = true;
    // explicit_edges: the edges (degree holds their total number, for estimates).
    std::shared_ptr<const EdgeSource> edges;
};

// The expected number of synapses of a projection onto `n_local_targets` of its
// `n_targets` target neurons, from `n_sources` sources (a binomial count for
// pairwise_bernoulli and the spread of fixed_outdegree and fixed_total_number; exact for the
// others). The network builder reserves its arrays by it, and the memory estimate counts with it.
inline double expected_connections(const Connectivity& c, double n_local_targets, double n_sources,
                                   double n_targets) {
    switch (c.rule) {
    case ConnectionRule::all_to_all: return n_local_targets * n_sources;
    case ConnectionRule::one_to_one: return n_local_targets;
    case ConnectionRule::pairwise_bernoulli: return n_local_targets * n_sources * c.p;
    case ConnectionRule::fixed_indegree: return n_local_targets * double(c.degree);
    case ConnectionRule::fixed_outdegree:
        return n_local_targets * double(c.degree) * n_sources / std::max(1.0, n_targets);
    case ConnectionRule::fixed_total_number:
    case ConnectionRule::explicit_edges: return n_local_targets * double(c.degree) / std::max(1.0, n_targets);
    }
    return 0.0;
}

class ConnectionGenerator {
public:
    // target_nodes: the target population's nodes owned by this VP, ascending.
    ConnectionGenerator(const Connectivity& spec, int projection_index, std::uint32_t seed,
                        std::uint32_t n_sources, gid_t source_first_gid, std::uint32_t n_targets,
                        gid_t target_first_gid, const std::vector<std::uint32_t>& target_nodes);

    // Appends the source nodes of target `local` (index into target_nodes) to `sources`.
    void sources(std::size_t local, std::vector<std::uint32_t>& sources);

private:
    Connectivity spec_;
    std::uint32_t seed_, purpose_;
    std::uint32_t n_sources_;
    gid_t target_first_;
    bool same_population_;
    const std::vector<std::uint32_t>& target_nodes_;
    std::vector<std::uint8_t> taken_;             // scratch marks for rules without multapses
    std::vector<std::uint64_t> total_counts_;     // fixed_total_number: count per local target
    std::vector<std::uint32_t> out_offsets_, out_sources_;  // fixed_outdegree: CSR by local target
};

}  // namespace apical
