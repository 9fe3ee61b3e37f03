// Network description files (YAML) -> NetworkSpec. The format is documented for users in
// docs/description.md. Everything is checked here, before anything runs or is written:
// every error is an apical::DescriptionError "file:line:column: key.path: expected ...,
// found ..." at the offending node (1-based positions), listing the valid names where a
// name was wrong. Errors in values given with --set name the file "--set" and no position.
#pragma once

#include <string>
#include <vector>

#include "engine/network_spec.hpp"

namespace apical {

// Reads and validates the description at `path`. `overrides` are "key.path=value" texts
// (from --set) applied to the YAML tree before validation; a path addresses mapping keys
// with dots and list entries by index ("projections[0].weight") or, for projections and
// stimuli, by name ("projections.EE.weight"); the value is YAML ("200 ms", "[E, I]",
// "{rule: all_to_all}"). Relative spike_file paths are relative to the folder of `path`.
// Throws DescriptionError; a missing or unreadable file is line 0 of `path`.
NetworkSpec load(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text; `file_name` is used in messages and to resolve relative paths.
NetworkSpec parse_description(const std::string& yaml_text, const std::string& file_name,
                              const std::vector<std::string>& overrides = {});

// Checks settings read from elsewhere (a SONATA config) exactly as the simulation section of
// a description, after applying "simulation.<key>=value" overrides to them; any other key is
// a DescriptionError naming "--set". `source` names where the settings came from.
SimulationSpec override_simulation(const SimulationSpec& s, const std::vector<std::string>& overrides,
                                   const std::string& source);

}  // namespace apical
