// A scaled-down Brunel network: models/brunel.yaml at one tenth of the size, with J scaled
// up to keep the regime, as description overrides (--set) for the run library and the CLI.
#pragma once

#include <string>
#include <vector>

#include "scratch.hpp"

namespace apical::test {

inline const std::string brunel_model = std::string(APICAL_SOURCE_DIR) + "/models/brunel.yaml";

inline const std::vector<std::string> small_brunel = {
    "populations.E.size=1000", "populations.I.size=250",
    "projections.EE.connectivity.indegree=100", "projections.EI.connectivity.indegree=100",
    "projections.IE.connectivity.indegree=25", "projections.II.connectivity.indegree=25",
    "projections.EE.weight=1 mV", "projections.EI.weight=1 mV",
    "projections.IE.weight=-5 mV", "projections.II.weight=-5 mV",
    "stimuli[0].rate=2 kHz", "stimuli[0].weight=1 mV"};

// Overrides as arguments of `apical run`: " --set 'key=value'" each.
inline std::string set_arguments(const std::vector<std::string>& overrides) {
    std::string args;
    for (auto& o : overrides) args += " --set '" + o + "'";
    return args;
}

// The model and the overrides as arguments of `apical run`.
inline std::string small_brunel_arguments() { return brunel_model + set_arguments(small_brunel); }

}  // namespace apical::test
