// A later run's initial weights from an earlier run's weights.h5 (io/weight_writer.hpp writes
// it; a projection's `initial_weights` key reads it, docs/description.md "Plasticity").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/network_spec.hpp"

namespace apical {

// The weights of projection `projection` in a weights.h5 as WeightWriter writes it, grouped by
// target node for a later run's initial weights (InitialWeights; `n_targets` nodes in the target
// population). Throws UserError naming the file and the object: not an HDF5 file, no such
// group or dataset, datasets of unequal lengths, node ids outside the populations, a unit other
// than `unit`.
InitialWeights read_initial_weights(const std::filesystem::path& file, const std::string& projection,
                                    std::uint64_t n_sources, std::uint64_t n_targets, const std::string& unit);

}  // namespace apical
