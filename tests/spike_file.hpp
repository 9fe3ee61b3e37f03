// Reading an apical spike file back in tests.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/hdf5.hpp"

namespace apical::test {

struct PopulationSpikes {
    std::vector<double> timestamps;
    std::vector<std::uint64_t> node_ids;
    std::vector<std::uint8_t> spike_class;
};

struct SpikeFile {
    std::map<std::string, PopulationSpikes> populations;
    double simulated_ms = 0;
    std::uint8_t completed = 0;
};

inline double read_double_attribute(hid_t obj, const char* name) {
    double x = 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &x);
    H5Aclose(a);
    return x;
}

inline SpikeFile read_spike_file(const std::filesystem::path& path) {
    SpikeFile f;
    h5::Handle file = h5::open_file_for_reading(path);
    h5::Handle spikes = h5::open_group(file.get(), "spikes");
    for (auto& name : h5::child_names(spikes.get())) {
        h5::Handle g = h5::open_group(spikes.get(), name);
        h5::Handle t = h5::open_dataset(g.get(), "timestamps");
        h5::Handle n = h5::open_dataset(g.get(), "node_ids");
        h5::Handle c = h5::open_dataset(g.get(), "spike_class");
        f.populations[name] = {h5::read_all<double>(t.get()), h5::read_all<std::uint64_t>(n.get()),
                               h5::read_all<std::uint8_t>(c.get())};
    }
    h5::Handle meta = h5::open_group(file.get(), "apical");
    f.simulated_ms = read_double_attribute(meta.get(), "simulated_ms");
    hid_t a = H5Aopen(meta.get(), "completed", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_UINT8, &f.completed);
    H5Aclose(a);
    return f;
}

// The same spikes, classes and populations (metadata aside).
inline bool same_spikes(const SpikeFile& a, const SpikeFile& b) {
    if (a.populations.size() != b.populations.size()) return false;
    for (auto& [name, p] : a.populations) {
        auto it = b.populations.find(name);
        if (it == b.populations.end()) return false;
        if (p.timestamps != it->second.timestamps || p.node_ids != it->second.node_ids ||
            p.spike_class != it->second.spike_class)
            return false;
    }
    return true;
}

}  // namespace apical::test
