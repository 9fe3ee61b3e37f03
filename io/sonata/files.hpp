// The files a SONATA network is made of, below the loader (io/sonata/load.cpp): JSON configs
// with their manifests, the space-separated type CSVs, and HDF5 datasets of any integer or
// float width read whole or by row ranges. Errors are UserErrors naming the file and the
// key, row or dataset.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace apical::sonata {

namespace fs = std::filesystem;

// ---- JSON configs ------------------------------------------------------------------------
// JSON is read with yaml-cpp (JSON is YAML 1.2's flow style), so no parser is added.

struct JsonFile {
    fs::path path;  // as given, for messages
    fs::path dir;   // the folder holding it: relative paths are relative to it
    YAML::Node root;
    std::map<std::string, std::string> manifest;  // expanded values, keys without '$'
};

// Reads a JSON file (a UserError names the file and the line of a syntax error); `what` says
// what the file is ("simulation config").
YAML::Node read_json(const fs::path& path, const std::string& what);
// Reads a config and expands its manifest: "$NAME" and "${NAME}" in the manifest's values,
// with ${configdir} predefined as the config's folder.
JsonFile read_config(const fs::path& path, const std::string& what);
// A string value of the config with its manifest variables expanded.
std::string expand(const JsonFile& f, const std::string& text, const std::string& key);
// A path value: expanded, and relative to the config's folder unless absolute.
fs::path config_path(const JsonFile& f, const YAML::Node& value, const std::string& key);
// The scalar at `key` as text / number, with messages naming the file and key.
std::string text_of(const JsonFile& f, const YAML::Node& value, const std::string& key);
double number_of(const fs::path& file, const YAML::Node& value, const std::string& key);

// ---- type CSVs ---------------------------------------------------------------------------

// A node- or edge-types file: columns separated by spaces, a header row, fields quoted with
// "..." when they hold spaces; NULL, None and NONE are absent values.
struct TypeTable {
    fs::path path;
    std::vector<std::string> columns;
    std::map<std::int64_t, std::vector<std::optional<std::string>>> rows;  // by the id column

    int column(const std::string& name) const;  // -1 if absent
    // The value of `column` for type `id` (nullopt when absent, NULL, or no such column).
    std::optional<std::string> value(std::int64_t id, const std::string& column) const;
};

// Reads a types file whose id column is `id_column` (node_type_id or edge_type_id).
TypeTable read_type_table(const fs::path& path, const std::string& id_column);

// ---- HDF5 --------------------------------------------------------------------------------

// Half-open row ranges [first, second), sorted and not overlapping.
using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// Sorted rows -> the fewest ranges covering exactly them.
Ranges ranges_of(const std::vector<std::uint64_t>& sorted_rows);

// Reads the rows in `ranges` of a 1-D dataset (any integer or float type, converted by HDF5),
// concatenated in range order, in one read.
std::vector<double> read_rows_double(hid_t dataset, const Ranges& ranges);
std::vector<std::int64_t> read_rows_int(hid_t dataset, const Ranges& ranges);
// The same into `out` (resized), so that a caller reading block after block reuses its memory.
void read_rows_into(hid_t dataset, const Ranges& ranges, std::vector<double>& out);
void read_rows_into(hid_t dataset, const Ranges& ranges, std::vector<std::int64_t>& out);
// The whole 1-D dataset (integers; a float dataset is refused).
std::vector<std::int64_t> read_int_dataset(const fs::path& file, hid_t loc, const std::string& name);
// Whether the dataset holds integers.
bool holds_integers(hid_t dataset);
// The rows in `ranges` of a 2-D dataset [*, 2] of integers (an edge index), two values per
// row, concatenated in range order; with no ranges given, the whole dataset.
std::vector<std::uint64_t> read_pairs(const fs::path& file, hid_t dataset, const Ranges* ranges);

// A UserError "<file>: <object>: <what>".
[[noreturn]] void bad(const fs::path& file, const std::string& object, const std::string& what);

}  // namespace apical::sonata
