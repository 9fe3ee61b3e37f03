// Reading SONATA spike files (inputs for spike sources, reference outputs for validation).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace apical {

// The spikes of one population as (node_id, time_ms) pairs, in file order. Accepts every
// layout of docs/sonata.md 1.2:
//   /spikes/<pop>/{timestamps, node_ids | gids}   per-population (current) layout;
//   /spikes/{timestamps, node_ids | gids}         flat layout: `population` is ignored.
// In the per-population layout an empty `population` selects the only population there
// is. Ids may be stored with any integer type (negative ids are rejected), times as
// float32 or float64; a `sorting` attribute is not needed and not checked. Files still
// marked as open by a SWMR writer (running or killed) are opened as a SWMR reader.
// Throws UserError for a missing or unreadable file, a missing population (the message
// lists the populations present) or a malformed layout.
std::vector<std::pair<std::uint64_t, double>> read_sonata_spikes(
    const std::filesystem::path& path, const std::string& population);

}  // namespace apical
