// The sections of a description, one file each: reading a section's part of the tree into
// Reader::spec, and writing it back into the resolved description. Sections are read in
// this order (later ones refer to earlier ones: populations by name, dt of simulation).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "io/description/fields.hpp"

namespace apical::description {

void read_simulation(Reader& in, const Tree* t);
void write_simulation(YAML::Emitter& out, const Reader& in);

void read_populations(Reader& in, const Tree& root);
void write_populations(YAML::Emitter& out, const Reader& in);

void read_projections(Reader& in, const Tree* t);
void write_projections(YAML::Emitter& out, const Reader& in);

void read_stimuli(Reader& in, const Tree* t);
void write_stimuli(YAML::Emitter& out, const Reader& in);

void read_recordings(Reader& in, const Tree* t);
void write_recordings(YAML::Emitter& out, const Reader& in);

// Helpers shared by sections.

// The name of a list entry: given under "name" or `fallback`; not one of `taken`
// (the names of `list_path`[0..]), else "expected a <noun> name not used before
// (<list_path>[k] is "x"<hint>)".
std::string entry_name(Reader& in, const Tree& item, const std::string& path, const std::string& fallback,
                       const std::string& noun, const std::vector<std::string>& taken,
                       const std::string& list_path, const std::string& hint = "");
// The receptor index a projection or poisson_generator uses on population `target`: the
// named one, or -1 (by sign) if the model routes by sign; else the key is required.
int read_receptor(const Reader& in, const Tree& item, const std::string& path, const PopulationSpec& target);
// The population named `name` (the description checked that it exists).
const PopulationSpec& population_named(const Reader& in, const std::string& name);
// `[[w0, w1], ...]` at `path`: windows of offsets inside one period of `period_ms`,
// 0 <= w0 < w1 <= period, ascending and disjoint, each bound on the step grid.
std::vector<std::pair<double, double>> read_windows_in_period(const Reader& in, const Tree& t,
                                                               const std::string& path, double period_ms);
// One window [w0, w1] at `wpath` inside a period, with earliest_ms <= w0 < w1 <= period_ms.
std::pair<double, double> read_window_in_period(const Reader& in, const Tree& w, const std::string& wpath,
                                                double period_ms, double earliest_ms);
// A list of [start, stop] windows (ms), a stop of no_stop as inf.
void write_windows(YAML::Emitter& out, const std::vector<std::pair<double, double>>& windows);
// A list under a key of the open mapping, written [] when empty.
void begin_list(YAML::Emitter& out, const char* key, bool empty);
// A list of entries at `path` (absent or null: none; else `what` is expected), each read by
// read_one(item, item's key path, index).
void read_list(Reader& in, const Tree* t, const std::string& path, const std::string& what,
               const std::function<void(const Tree&, const std::string&, std::size_t)>& read_one);
// The entries of `list` under `key`, each a mapping written by its table (table_of(entry)).
template <class R, class TableOf>
void write_list(YAML::Emitter& out, const Reader& in, const char* key, const std::vector<R>& list,
                TableOf table_of) {
    begin_list(out, key, list.empty());
    for (auto& r : list) {
        out << YAML::BeginMap;
        write_fields(out, in, table_of(r), r);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
}

}  // namespace apical::description
