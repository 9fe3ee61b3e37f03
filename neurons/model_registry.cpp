// The list of neuron models. Adding a model: write neurons/<name>.cpp with its ModelInfo and
// factory, declare both in neurons/models.hpp, and add one line here.
#include "neurons/models.hpp"

namespace apical {

namespace {
const ModelEntry registry[] = {
    {&iaf_psc_delta_info, &make_iaf_psc_delta},
    {&iaf_psc_exp_info, &make_iaf_psc_exp},
    {&iaf_psc_alpha_info, &make_iaf_psc_alpha},
    {&iaf_cond_exp_info, &make_iaf_cond_exp},
    {&burst_poisson_info, &make_burst_poisson},
    {&aeif_cond_exp_info, &make_aeif_cond_exp},
    {&burst_pyramidal_info, &make_burst_pyramidal},
    {&pp_cond_exp_mc_urbanczik_info, &make_pp_cond_exp_mc_urbanczik},
    {&poisson_source_info, &make_poisson_source},
    {&intfire1_info, &make_intfire1},
    {&iaf_psc_delta_ps_info, &make_iaf_psc_delta_ps},
    {&spike_source_info, nullptr},
};
}  // namespace

const ModelEntry* find_model(const std::string& name) {
    for (auto& e : registry)
        if (e.info().name == name) return &e;
    return nullptr;
}

const ModelInfo* find_model_info(const std::string& name) {
    const ModelEntry* e = find_model(name);
    return e ? &e->info() : nullptr;
}

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for (auto& e : registry) names.push_back(e.info().name);
    return names;
}

}  // namespace apical
