// --set overrides (io/description.hpp documents the path forms): each replaces or adds
// one node of the description tree before validation; the new node has no position, so
// errors in it name "--set".
#pragma once

#include <string>

#include "io/description/tree.hpp"

namespace apical::description {

// Applies "key.path=value" to `root`. Throws DescriptionError (file "--set") for a malformed
// override or a path that does not lead anywhere.
void apply_override(const Messages& m, Tree& root, const std::string& text);

}  // namespace apical::description
