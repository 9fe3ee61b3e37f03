// Every neuron model apical knows: its ModelInfo and its factory. Each model lives in its
// own translation unit (neurons/<name>.cpp); neurons/model_registry.cpp lists them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neurons/neuron_group.hpp"

namespace apical {

// What a model may need beyond its parameters: the run's seed and the population's index
// (to key its own random streams: RandomStream(seed, purpose(Purpose::neuron_noise,
// population), gid, ...)), and its options (ModelInfo::options) as the index of the chosen
// value per option; missing entries are the default, value 0.
struct ModelContext {
    std::uint32_t seed = 0;
    std::uint32_t population = 0;
    std::vector<int> options;
    int option(std::size_t i) const { return i < options.size() ? options[i] : 0; }
    // A population whose neurons differ in their parameters (SONATA node types): parameter set
    // k is (*parameter_sets)[k], and the neuron of node id n has set (*set_of_node)[n], where
    // n = gid - first_gid. nullptr: every neuron has the population's parameters. Only models
    // whose ModelInfo::per_neuron_parameters is true are given them.
    const std::vector<std::map<std::string, double>>* parameter_sets = nullptr;
    const std::vector<std::uint32_t>* set_of_node = nullptr;
    gid_t first_gid = 0;
};

using GroupFactory = std::unique_ptr<NeuronGroup> (*)(std::vector<gid_t> gids, int n_slots,
                                                      double dt,
                                                      const std::map<std::string, double>& params,
                                                      const ModelContext& context);

struct ModelEntry {
    const ModelInfo& (*info)();
    GroupFactory make;
};

const ModelInfo& iaf_psc_delta_info();
std::unique_ptr<NeuronGroup> make_iaf_psc_delta(std::vector<gid_t>, int, double,
                                                const std::map<std::string, double>&,
                                                const ModelContext& = {});
const ModelInfo& iaf_psc_exp_info();
std::unique_ptr<NeuronGroup> make_iaf_psc_exp(std::vector<gid_t>, int, double,
                                              const std::map<std::string, double>&,
                                                const ModelContext& = {});
const ModelInfo& iaf_cond_exp_info();
std::unique_ptr<NeuronGroup> make_iaf_cond_exp(std::vector<gid_t>, int, double,
                                               const std::map<std::string, double>&,
                                                const ModelContext& = {});
const ModelInfo& burst_poisson_info();
std::unique_ptr<NeuronGroup> make_burst_poisson(std::vector<gid_t>, int, double,
                                                const std::map<std::string, double>&,
                                                const ModelContext& = {});
const ModelInfo& aeif_cond_exp_info();
std::unique_ptr<NeuronGroup> make_aeif_cond_exp(std::vector<gid_t>, int, double,
                                                const std::map<std::string, double>&,
                                                const ModelContext& = {});
const ModelInfo& burst_pyramidal_info();
std::unique_ptr<NeuronGroup> make_burst_pyramidal(std::vector<gid_t>, int, double,
                                                  const std::map<std::string, double>&,
                                                  const ModelContext& = {});
const ModelInfo& iaf_psc_alpha_info();
std::unique_ptr<NeuronGroup> make_iaf_psc_alpha(std::vector<gid_t>, int, double,
                                                const std::map<std::string, double>&,
                                                const ModelContext& = {});
const ModelInfo& poisson_source_info();
std::unique_ptr<NeuronGroup> make_poisson_source(std::vector<gid_t>, int, double,
                                                 const std::map<std::string, double>&,
                                                 const ModelContext& = {});
const ModelInfo& pp_cond_exp_mc_urbanczik_info();
std::unique_ptr<NeuronGroup> make_pp_cond_exp_mc_urbanczik(std::vector<gid_t>, int, double,
                                                           const std::map<std::string, double>&,
                                                           const ModelContext& = {});
const ModelInfo& intfire1_info();
std::unique_ptr<NeuronGroup> make_intfire1(std::vector<gid_t>, int, double, const std::map<std::string, double>&,
                                           const ModelContext& = {});
const ModelInfo& iaf_psc_delta_ps_info();
std::unique_ptr<NeuronGroup> make_iaf_psc_delta_ps(std::vector<gid_t>, int, double,
                                                   const std::map<std::string, double>&, const ModelContext& = {});
const ModelInfo& spike_source_info();

// Registry lookup for the engine: the factory of a model (nullptr for spike_source, which
// the engine handles itself, see neurons/spike_source.hpp).
const ModelEntry* find_model(const std::string& name);

}  // namespace apical
