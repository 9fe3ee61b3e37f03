// Building NetworkSpecs in code for tests, without the YAML layer: every parameter starts at
// the model's declared default, as the description layer would fill it in.
#pragma once

#include <map>
#include <string>

#include "engine/network_spec.hpp"
#include "neurons/model_info.hpp"
#include "neurons/models.hpp"

namespace apical::test {

inline std::map<std::string, double> default_parameters(const std::string& model,
                                                        const std::map<std::string, double>& set = {}) {
    std::map<std::string, double> p;
    for (auto& info : find_model_info(model)->parameters) p[info.name] = info.default_value;
    for (auto& [k, v] : set) p.at(k) = v;
    return p;
}

inline PopulationSpec population(const std::string& name, const std::string& model, std::uint64_t size,
                                 const std::map<std::string, double>& set = {}) {
    PopulationSpec p;
    p.name = name;
    p.model = model;
    p.entry = find_model(model);
    p.info = &p.entry->info();
    p.size = size;
    p.parameters = default_parameters(model, set);
    return p;
}

inline Distribution constant(double v) {
    Distribution d;
    d.value = v;
    return d;
}

inline ProjectionSpec projection(const std::string& source, const std::string& target, ConnectionRule rule,
                                 double weight, double delay_ms) {
    ProjectionSpec p;
    p.name = source + "->" + target;
    p.source = source;
    p.target = target;
    p.rule = rule;
    p.weight = constant(weight);
    p.delay = constant(delay_ms);
    return p;
}

}  // namespace apical::test
