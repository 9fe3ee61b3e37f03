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
    void edges_onto(const std::vector<std::uint32_t>& target_nodes, std::vector<ExplicitEdge>& out) const override;
    const EdgePopulation& population() const { return p_; }

private:
    void read(const std::vector<std::uint32_t>& target_nodes, std::vector<ExplicitEdge>& out) const;
    EdgePopulation p_;
};

}  // namespace apical::sonata
