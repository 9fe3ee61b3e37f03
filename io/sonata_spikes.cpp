// Reader of SONATA spike files in all their layouts (see sonata_spikes.hpp, docs/sonata.md 1).
#include "io/sonata_spikes.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace apical {

namespace {

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "(none)" : out;
}

// Thrown for a file that opens but does not have the expected layout.
[[noreturn]] void malformed(const std::filesystem::path& path, const std::string& what) {
    throw UserError("spike file '" + path.string() + "': " + what);
}

H5T_class_t type_class(hid_t dataset, H5T_sign_t* sign) {
    h5::Handle type(H5Dget_type(dataset));
    if (!type.valid()) h5::fail("get the type of", dataset, "");
    if (sign != nullptr) *sign = H5Tget_sign(type.get());
    return H5Tget_class(type.get());
}

// Node ids stored with any integer type, as uint64; negative ids are an error.
std::vector<std::uint64_t> read_ids(const std::filesystem::path& path, hid_t dataset) {
    H5T_sign_t sign = H5T_SGN_NONE;
    if (type_class(dataset, &sign) != H5T_INTEGER)
        malformed(path, h5::object_path(dataset, "") + " does not hold integers");
    if (sign != H5T_SGN_2) return h5::read_all<std::uint64_t>(dataset);
    const std::vector<std::int64_t> signed_ids = h5::read_all<std::int64_t>(dataset);
    if (std::any_of(signed_ids.begin(), signed_ids.end(), [](std::int64_t v) { return v < 0; }))
        malformed(path, h5::object_path(dataset, "") + " holds negative node ids");
    return {signed_ids.begin(), signed_ids.end()};
}

// Times stored as float32 or float64, as double (ms).
std::vector<double> read_times(const std::filesystem::path& path, hid_t dataset) {
    if (type_class(dataset, nullptr) != H5T_FLOAT)
        malformed(path, h5::object_path(dataset, "") + " does not hold floating-point times");
    return h5::read_all<double>(dataset);
}

// Names of the groups directly below /spikes (the populations).
std::vector<std::string> population_names(hid_t spikes) {
    std::vector<std::string> pops;
    for (const std::string& name : h5::child_names(spikes))
        if (h5::object_kind(spikes, name) == H5I_GROUP) pops.push_back(name);
    return pops;
}

// The population group to read, per the rules in the header.
h5::Handle open_population(const std::filesystem::path& path, hid_t spikes,
                           const std::string& population) {
    const std::vector<std::string> pops = population_names(spikes);
    std::string chosen = population;
    if (chosen.empty()) {
        if (pops.size() != 1)
            malformed(path, "no population named and the file holds " +
                                std::to_string(pops.size()) + " populations: " + join(pops));
        chosen = pops.front();
    } else if (std::find(pops.begin(), pops.end(), chosen) == pops.end()) {
        malformed(path, "no population '" + chosen + "' under /spikes; populations present: " +
                            join(pops));
    }
    return h5::open_group(spikes, chosen);
}

// Reads (node id, time) pairs from a group holding timestamps and node_ids (or gids).
std::vector<std::pair<std::uint64_t, double>> read_group(const std::filesystem::path& path,
                                                         hid_t group) {
    const std::string where = h5::object_path(group, "");
    if (h5::object_kind(group, "timestamps") != H5I_DATASET)
        malformed(path, "no dataset 'timestamps' in " + where);
    std::string ids_name = "node_ids";
    if (h5::object_kind(group, ids_name) != H5I_DATASET) ids_name = "gids";
    if (h5::object_kind(group, ids_name) != H5I_DATASET)
        malformed(path, "no dataset 'node_ids' (or 'gids') in " + where);

    const std::vector<std::uint64_t> ids = read_ids(path, h5::open_dataset(group, ids_name).get());
    const std::vector<double> times = read_times(path, h5::open_dataset(group, "timestamps").get());
    if (ids.size() != times.size())
        malformed(path, where + "/" + ids_name + " has " + std::to_string(ids.size()) +
                            " entries but " + where + "/timestamps has " +
                            std::to_string(times.size()));
    std::vector<std::pair<std::uint64_t, double>> spikes(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) spikes[i] = {ids[i], times[i]};
    return spikes;
}

}  // namespace

std::vector<std::pair<std::uint64_t, double>> read_sonata_spikes(
    const std::filesystem::path& path, const std::string& population) {
    if (!std::filesystem::is_regular_file(path))
        throw UserError("spike file '" + path.string() + "' does not exist or is not a file");
    try {
        h5::Handle file = h5::open_file_for_reading(path);
        if (h5::object_kind(file.get(), "spikes") != H5I_GROUP)
            malformed(path, "no group /spikes (not a SONATA spike file)");
        h5::Handle spikes = h5::open_group(file.get(), "spikes");
        // Flat layout: the datasets sit directly in /spikes and there is one population.
        if (h5::object_kind(spikes.get(), "timestamps") == H5I_DATASET)
            return read_group(path, spikes.get());
        return read_group(path, open_population(path, spikes.get(), population).get());
    } catch (const RuntimeFailure& e) {
        // An unreadable input file is something the user must fix.
        throw UserError("spike file '" + path.string() + "': " + e.what());
    }
}

}  // namespace apical
