#include "io/initial_weights.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace apical {

InitialWeights read_initial_weights(const std::filesystem::path& file, const std::string& projection,
                                    std::uint64_t n_sources, std::uint64_t n_targets, const std::string& unit) {
    const auto bad = [&](const std::string& what) -> UserError {
        return UserError("weight file '" + file.string() + "': " + what);
    };
    const h5::Handle f = h5::open_file_for_reading(file);
    const std::string group_path = "weights/" + projection;
    if (h5::object_kind(f.get(), "weights") != H5I_GROUP ||
        h5::object_kind(h5::open_group(f.get(), "weights").get(), projection) != H5I_GROUP)
        throw bad("no group /" + group_path + " (a weights.h5 has one group per plastic projection)");
    const h5::Handle g = h5::open_group(f.get(), group_path);
    for (const char* name : {"source_node_id", "target_node_id", "weight"})
        if (h5::object_kind(g.get(), name) != H5I_DATASET) throw bad("no dataset /" + group_path + "/" + name);
    const auto source = h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "source_node_id").get());
    const auto target = h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "target_node_id").get());
    const auto weight = h5::read_all<float>(h5::open_dataset(g.get(), "weight").get());
    if (target.size() != source.size() || weight.size() != source.size())
        throw bad("/" + group_path + ": source_node_id, target_node_id and weight have different lengths (" +
                  std::to_string(source.size()) + ", " + std::to_string(target.size()) + ", " +
                  std::to_string(weight.size()) + ")");
    if (h5::attribute_exists(g.get(), "unit")) {
        const std::string file_unit = h5::read_string_attribute(g.get(), "unit");
        if (file_unit != unit)
            throw bad("/" + group_path + ": weights in " + file_unit + ", the projection's are in " + unit);
    }
    InitialWeights w;
    w.file = file.string();
    w.projection = projection;
    w.first.assign(n_targets + 1, 0);
    for (std::size_t k = 0; k < source.size(); ++k) {
        if (source[k] >= n_sources || target[k] >= n_targets)
            throw bad("/" + group_path + ": synapse " + std::to_string(k) + " connects node " +
                      std::to_string(source[k]) + " to node " + std::to_string(target[k]) +
                      ", outside the populations (" + std::to_string(n_sources) + " and " +
                      std::to_string(n_targets) + " nodes)");
        ++w.first[target[k] + 1];
    }
    for (std::uint64_t t = 0; t < n_targets; ++t) w.first[t + 1] += w.first[t];
    // By target, keeping the file's order (source, then construction order) within each.
    std::vector<std::uint64_t> fill(w.first.begin(), w.first.end() - 1);
    w.source.resize(source.size());
    w.weight.resize(source.size());
    for (std::size_t k = 0; k < source.size(); ++k) {
        const std::uint64_t at = fill[target[k]]++;
        w.source[at] = source[k];
        w.weight[at] = weight[k];
    }
    for (std::uint64_t t = 0; t < n_targets; ++t)
        if (!std::is_sorted(w.source.begin() + std::ptrdiff_t(w.first[t]), w.source.begin() + std::ptrdiff_t(w.first[t + 1])))
            throw bad("/" + group_path + ": synapses not sorted by source node (as apical writes them)");
    return w;
}

}  // namespace apical
