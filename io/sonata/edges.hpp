// One SONATA edge population as the EdgeSource of an explicit_edges projection: each call
// reads only the edges onto the asked targets (docs/sonata.md 3.4).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "io/sonata/files.hpp"
#include "synapses/connection_rules.hpp"

namespace apical::sonata {

struct EdgePopulation {
    fs::path file;
    std::string name;              // the edge population (group /edges/<name>)
    std::string source, target;    // node populations
    std::uint32_t n_sources = 0, n_targets = 0;
    std::uint64_t n_edges = 0;
    std::shared_ptr<const TypeTable> types;
    // Per edge type, from the CSV: syn_weight and delay (absent: nullopt).
    std::map<std::int64_t, std::optional<double>> type_weight, type_delay;
    double default_delay_ms = 1.0;  // NEST's static_synapse default, for edges without a delay
    // BMTK's rule onto NEURON's artificial cells: weight = syn_weight x sign x nsyns, with sign
    // from the edge type's synapse parameters (absent: 1) and nsyns per edge or per type
    // (absent: 1). Otherwise NEST's: weight = syn_weight.
    bool bmtk_weights = false;
    std::map<std::int64_t, double> type_sign;
    std::map<std::int64_t, std::optional<double>> type_nsyns;
    double dt_ms = 0.1;             // delays must fit in 65535 steps of it
};

class SonataEdges final : public EdgeSource {
public:
    explicit SonataEdges(EdgePopulation population) : p_(std::move(population)) {}
    void edges_onto(const std::vector<std::uint32_t>& target_nodes, EdgeSink& sink) const override;
    const EdgePopulation& population() const { return p_; }

private:
    // The rows [begin, end) of one target, `local` its position among the asked targets.
    struct Piece {
        std::uint32_t local;
        std::uint64_t begin, end;
    };
    static constexpr std::uint64_t block_edges = 1u << 20;  // edges read per block
    // Reads the columns of a run of pieces and appends their edges; its buffers are reused.
    struct BlockReader {
        BlockReader(const SonataEdges& e, hid_t pop, const std::string& where, const std::vector<std::uint32_t>& targets)
            : e_(e), pop_(pop), where_(where), targets_(targets) {}
        const SonataEdges& e_;
        hid_t pop_;
        const std::string& where_;
        const std::vector<std::uint32_t>& targets_;
        struct GroupValues {
            std::vector<std::uint64_t> indices;  // of the block's edges; sorted and unique unless ascending
            std::vector<double> weight, delay, nsyns;  // at those indices (empty: not in this group;
                                                       // nsyns read only for BMTK's weight rule)
            bool ascending = false;
        };
        Ranges merged_;  // the block's rows, sorted and disjoint
        std::vector<std::uint64_t> starts_;
        std::vector<std::int64_t> source_, type_, group_, group_index_;
        std::vector<std::size_t> slot_, seen_;
        std::vector<std::uint32_t> group_at_;                          // per edge: its entry of groups_
        std::vector<std::pair<std::int64_t, GroupValues>> groups_;    // (group id, values)
        std::vector<ExplicitEdge> edges_;  // the block's edges, handed to the sink
        void read(const Piece* first, const Piece* last, EdgeSink& sink);
    };
    void read(const std::vector<std::uint32_t>& target_nodes, EdgeSink& sink) const;
    EdgePopulation p_;
};

}  // namespace apical::sonata
