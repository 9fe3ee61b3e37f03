// SONATA networks in: a simulation config (with its circuit config, in one file or two) ->
// NetworkSpec. What is read and how SONATA's templates, units, weights and delays map onto
// apical is docs/sonata.md, section 3. The code is in io/sonata/.
#pragma once

#include <string>
#include <vector>

#include "engine/network_spec.hpp"

namespace apical {

// Whether `path` is to be read as a SONATA config rather than a YAML description (its name
// ends in .json).
bool is_sonata_config(const std::string& path);

// Reads the SONATA simulation config at `path` (or a combined config, or BMTK's config.json
// naming the two) and everything it refers to: nodes, edges (their number and ranges only:
// each rank reads the edges of its own targets when the network is built, through the
// projections' EdgeSource), type CSVs, parameter JSONs, node sets, spike inputs, output and
// reports. `overrides` are "simulation.<key>=value" texts, checked as in a description
// (-o, --threads, --seed, --t-stop and --set simulation.* of the command line).
// Throws UserError naming the file and the dataset, row or key of any bad input.
NetworkSpec load_sonata(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace apical
