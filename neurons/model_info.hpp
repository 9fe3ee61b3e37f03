// What a neuron model declares to the description layer: parameters (with units and
// defaults), state variables (initialisable and recordable by name) and receptors.
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/units.hpp"

namespace apical {

struct ParameterInfo {
    std::string name;
    Dimension dim;
    double default_value;
    double min = -std::numeric_limits<double>::infinity();  // allowed range, inclusive
    double max = std::numeric_limits<double>::infinity();
    bool strictly_positive = false;  // e.g. C_m, tau_m
    // > 0: the model counts this time in whole steps of dt (NeuronGroup::refractory_steps),
    // so the description layer refuses values beyond this many steps.
    double max_steps = 0;
};

// A time parameter that the model converts to a whole number of steps, at most `max_steps`.
inline ParameterInfo counted_in_steps(ParameterInfo p, double max_steps = max_counter_steps) {
    p.max_steps = max_steps;
    return p;
}

struct StateInfo {
    std::string name;
    Dimension dim;
    // Name of the parameter whose value is the default initial value ("" = default 0).
    std::string default_from_parameter;
};

struct ReceptorInfo {
    std::string name;       // "exc", "inh" (later "soma.exc", "dendrite.inh", ...)
    Dimension weight_dim;   // unit of a synaptic weight onto it
    bool signed_weights;    // current-based: any sign; conductance-based: weight >= 0
    int shares_buffer_of = -1;  // >= 0: adds into that receptor's input buffer (no own buffer)
};

struct ModelInfo {
    std::string name;
    bool is_spike_source = false;  // spike_source: no dynamics, emits given spike times
    // Exact event-driven: the model takes its input as events with exact times
    // (NeuronGroup::events) instead of ring-buffer rows, and its spikes carry offsets.
    bool event_driven = false;
    std::vector<ParameterInfo> parameters;
    std::vector<StateInfo> state;
    std::vector<ReceptorInfo> receptors;
    // String-valued options (e.g. reference_step_order: auryn): name -> allowed values, the
    // first being the default. A population holds its choices resolved, as the index of the
    // value per option (ModelContext::option), so models compare named constants, not text.
    std::vector<std::pair<std::string, std::vector<std::string>>> options;
    // Compartments that current stimuli can target by name; the first is the soma.
    std::vector<std::string> compartments = {"soma"};
    // Projections that name no receptor: if true, each synapse goes to receptors[0] when its
    // weight is >= 0 and to receptors[1] when negative (NEST's current-based convention);
    // if false, a receptor must be named.
    bool route_by_sign = false;
    // Whether the model takes a parameter set per neuron (ModelContext::parameter_sets), as
    // SONATA populations with several node types need.
    bool per_neuron_parameters = false;
    // Whether the model keeps a DendriticArchive of its dendritic prediction (the input of the
    // Urbanczik-Senn rule, neurons/dendritic_archive.hpp), with the dendrite parameters C_m_d,
    // g_L_d and tau_syn_ex_d and the receptor dendrite.exc.
    bool dendritic_prediction = false;
    // Cross-parameter checks, with the run's step dt_ms (for parameters that must span some
    // steps); returns "" when fine, else what was expected (for the message). The description
    // layer calls it; a model's constructor may then rely on it (and assert).
    std::function<std::string(const std::map<std::string, double>&, double dt_ms)> check;

    const ParameterInfo* find_parameter(const std::string& n) const {
        for (auto& p : parameters) if (p.name == n) return &p;
        return nullptr;
    }
    const StateInfo* find_state(const std::string& n) const {
        for (auto& s : state) if (s.name == n) return &s;
        return nullptr;
    }
    int find_compartment(const std::string& n) const {
        if (n.empty()) return 0;
        for (std::size_t i = 0; i < compartments.size(); ++i) if (compartments[i] == n) return int(i);
        return -1;
    }
    int find_receptor(const std::string& n) const {
        for (std::size_t i = 0; i < receptors.size(); ++i) if (receptors[i].name == n) return int(i);
        return -1;
    }
    int find_option(const std::string& n) const {
        for (std::size_t i = 0; i < options.size(); ++i) if (options[i].first == n) return int(i);
        return -1;
    }
    // The option indices of named choices, defaults elsewhere (for code that builds
    // populations without a description); throws std::invalid_argument for an unknown
    // option or value.
    std::vector<int> option_indices(const std::map<std::string, std::string>& chosen) const {
        std::vector<int> v(options.size(), 0);
        for (auto& [n, value] : chosen) {
            const int o = find_option(n);
            if (o < 0) throw std::invalid_argument(name + ": no option " + n);
            const auto& allowed = options[std::size_t(o)].second;
            auto it = std::find(allowed.begin(), allowed.end(), value);
            if (it == allowed.end()) throw std::invalid_argument(name + ": option " + n + " has no value " + value);
            v[std::size_t(o)] = int(it - allowed.begin());
        }
        return v;
    }
};

// The registry: every model apical knows, by name (neurons/model_registry.cpp).
const ModelInfo* find_model_info(const std::string& name);
std::vector<std::string> model_names();

}  // namespace apical
