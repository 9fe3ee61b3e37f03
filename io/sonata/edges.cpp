// Reading the edges of some targets from a SONATA edge population (edges.hpp): through the
// target_to_source index when there is one (either spelling, node_id_to_ranges or
// node_id_to_range), else by scanning target_node_id in blocks; then only the rows found are
// read, as hyperslab selections, of every dataset needed.
#include "io/sonata/edges.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace apical::sonata {

namespace {

constexpr std::uint64_t scan_block = 1u << 20;  // rows per read when there is no index

// HDF5 (serial, not built thread-safe) must not be entered by two threads at once: one lock
// for every edge population, since VPs build different projections at the same time.
std::mutex hdf5_mutex;

// Position of `row` among `sorted` (it is there).
std::size_t position(const std::vector<std::uint64_t>& sorted, std::uint64_t row) {
    return std::size_t(std::lower_bound(sorted.begin(), sorted.end(), row) - sorted.begin());
}

}  // namespace

void SonataEdges::edges_onto(const std::vector<std::uint32_t>& target_nodes, std::vector<ExplicitEdge>& out) const {
    const std::lock_guard<std::mutex> lock(hdf5_mutex);
    try {
        read(target_nodes, out);
    } catch (const RuntimeFailure& e) {  // an unreadable input file is the user's to fix
        throw UserError(printable_line(p_.file.string() + ": edge population " + p_.name + ": " + e.what()));
    }
}

void SonataEdges::read(const std::vector<std::uint32_t>& targets, std::vector<ExplicitEdge>& out) const {
    if (targets.empty() || p_.n_edges == 0) return;
    const fs::path& file = p_.file;
    h5::Handle f = h5::open_file_for_reading(file);
    h5::Handle pop = h5::open_group(f.get(), "edges/" + p_.name);
    const std::string where = "/edges/" + p_.name;
    // (local target index, edge row), in target order, then row order.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> found;

    std::string n2r;
    bool indexed = h5::object_kind(pop.get(), "indices") == H5I_GROUP &&
                   h5::object_kind(pop.get(), "indices/target_to_source") == H5I_GROUP;
    if (indexed) {
        h5::Handle index = h5::open_group(pop.get(), "indices/target_to_source");
        n2r = h5::object_kind(index.get(), "node_id_to_ranges") == H5I_DATASET ? "node_id_to_ranges"
              : h5::object_kind(index.get(), "node_id_to_range") == H5I_DATASET ? "node_id_to_range"
                                                                                  : "";
        if (n2r.empty() || h5::object_kind(index.get(), "range_to_edge_id") != H5I_DATASET)
            bad(file, where + "/indices/target_to_source",
                "expected datasets node_id_to_ranges (or node_id_to_range) and range_to_edge_id");
        const std::vector<std::uint64_t> node_ranges =
            read_pairs(file, h5::open_dataset(index.get(), n2r).get(), nullptr);
        const std::uint64_t rows = node_ranges.size() / 2;
        for (std::uint64_t n = p_.n_targets; n < rows; ++n)
            if (node_ranges[2 * n] < node_ranges[2 * n + 1])
                bad(file, where + "/indices/target_to_source/" + n2r + " row " + std::to_string(n),
                    "edges onto node id " + std::to_string(n) + ", outside population '" + p_.target + "' of " +
                        std::to_string(p_.n_targets) + " nodes");
        std::vector<std::uint64_t> range_rows;
        for (std::uint32_t t : targets)
            if (t < rows)
                for (std::uint64_t k = node_ranges[2 * t]; k < node_ranges[2 * t + 1]; ++k) range_rows.push_back(k);
        std::sort(range_rows.begin(), range_rows.end());
        range_rows.erase(std::unique(range_rows.begin(), range_rows.end()), range_rows.end());
        const Ranges want = ranges_of(range_rows);
        const std::vector<std::uint64_t> edge_ranges =
            read_pairs(file, h5::open_dataset(index.get(), "range_to_edge_id").get(), &want);
        for (std::uint32_t local = 0; local < targets.size(); ++local) {
            const std::uint32_t t = targets[local];
            if (t >= rows) continue;
            const std::size_t first = found.size();
            for (std::uint64_t k = node_ranges[2 * t]; k < node_ranges[2 * t + 1]; ++k) {
                const std::size_t at = position(range_rows, k);
                const std::uint64_t a = edge_ranges[2 * at], b = edge_ranges[2 * at + 1];
                if (b > p_.n_edges)
                    bad(file, where + "/indices/target_to_source/range_to_edge_id row " + std::to_string(k),
                        "edge rows up to " + std::to_string(b) + ", beyond the " + std::to_string(p_.n_edges) +
                            " edges");
                for (std::uint64_t r = a; r < b; ++r) found.push_back({local, r});
            }
            std::sort(found.begin() + long(first), found.end());
        }
    } else {
        // No index: read target_node_id in blocks and keep the rows of our targets.
        h5::Handle tds = h5::open_dataset(pop.get(), "target_node_id");
        std::vector<std::int64_t> local_of(p_.n_targets, -1);
        for (std::uint32_t i = 0; i < targets.size(); ++i) local_of[targets[i]] = i;
        for (std::uint64_t a = 0; a < p_.n_edges; a += scan_block) {
            const std::uint64_t b = std::min(p_.n_edges, a + scan_block);
            const std::vector<std::int64_t> t = read_rows_int(tds.get(), Ranges{{a, b}});
            for (std::uint64_t r = a; r < b; ++r) {
                const std::int64_t node = t[r - a];
                if (node < 0 || std::uint64_t(node) >= p_.n_targets)
                    bad(file, where + "/target_node_id row " + std::to_string(r),
                        "node id " + std::to_string(node) + " outside population '" + p_.target + "' of " +
                            std::to_string(p_.n_targets) + " nodes");
                if (local_of[std::size_t(node)] >= 0) found.push_back({std::uint32_t(local_of[std::size_t(node)]), r});
            }
        }
        std::sort(found.begin(), found.end());
    }
    if (found.empty()) return;

    // The rows, sorted, and their ranges: every dataset is read at these rows only.
    std::vector<std::uint64_t> rows(found.size());
    for (std::size_t k = 0; k < found.size(); ++k) rows[k] = found[k].second;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const Ranges at_rows = ranges_of(rows);
    const auto column = [&](const std::string& name, bool required) -> std::vector<std::int64_t> {
        if (h5::object_kind(pop.get(), name) != H5I_DATASET) {
            if (required) bad(file, where + "/" + name, "no such dataset");
            return {};
        }
        h5::Handle d = h5::open_dataset(pop.get(), name);
        if (!holds_integers(d.get())) bad(file, where + "/" + name, "expected integers");
        if (h5::extent_1d(d.get()) != p_.n_edges)
            bad(file, where + "/" + name,
                std::to_string(h5::extent_1d(d.get())) + " rows, but source_node_id has " + std::to_string(p_.n_edges));
        return read_rows_int(d.get(), at_rows);
    };
    const std::vector<std::int64_t> source = column("source_node_id", true);
    const std::vector<std::int64_t> target = column("target_node_id", true);
    const std::vector<std::int64_t> type = column("edge_type_id", true);
    const std::vector<std::int64_t> group = column("edge_group_id", false);
    const std::vector<std::int64_t> group_index = column("edge_group_index", false);

    // Per-edge attributes of the groups: syn_weight and delay where a group has them.
    struct GroupValues {
        std::vector<std::uint64_t> indices;  // sorted, unique
        std::vector<double> weight, delay, nsyns;  // at those indices (empty: not in this group)
    };
    std::map<std::int64_t, GroupValues> groups;
    const auto group_of = [&](std::size_t k) { return group.empty() ? std::int64_t(0) : group[k]; };
    const auto index_of = [&](std::size_t k) { return group_index.empty() ? std::int64_t(rows[k]) : group_index[k]; };
    for (std::size_t k = 0; k < rows.size(); ++k) {
        if (index_of(k) < 0)
            bad(file, where + "/edge_group_index row " + std::to_string(rows[k]), "a negative index");
        groups[group_of(k)].indices.push_back(std::uint64_t(index_of(k)));
    }
    for (auto& [g, v] : groups) {
        std::sort(v.indices.begin(), v.indices.end());
        v.indices.erase(std::unique(v.indices.begin(), v.indices.end()), v.indices.end());
        const std::string name = std::to_string(g);
        if (h5::object_kind(pop.get(), name) != H5I_GROUP) {
            // A group without datasets may be left out; its edges take the CSV's values.
            continue;
        }
        h5::Handle gh = h5::open_group(pop.get(), name);
        const Ranges at = ranges_of(v.indices);
        for (auto [attr, values] : {std::pair{"syn_weight", &v.weight}, std::pair{"delay", &v.delay}, std::pair{"nsyns", &v.nsyns}}) {
            if (h5::object_kind(gh.get(), attr) != H5I_DATASET) continue;
            h5::Handle d = h5::open_dataset(gh.get(), attr);
            if (v.indices.back() >= h5::extent_1d(d.get()))
                bad(file, where + "/" + name + "/" + attr,
                    "row " + std::to_string(v.indices.back()) + " asked for by edge_group_index, beyond its " +
                        std::to_string(h5::extent_1d(d.get())) + " rows");
            *values = read_rows_double(d.get(), at);
        }
    }

    const double max_delay_ms = 65535 * p_.dt_ms;
    for (auto& [local, r] : found) {
        const std::size_t k = position(rows, r);
        const std::string row = " row " + std::to_string(r);
        if (source[k] < 0 || std::uint64_t(source[k]) >= p_.n_sources)
            bad(file, where + "/source_node_id" + row,
                "node id " + std::to_string(source[k]) + " outside population '" + p_.source + "' of " +
                    std::to_string(p_.n_sources) + " nodes");
        if (target[k] != std::int64_t(targets[local]))
            bad(file, where + "/target_node_id" + row,
                "node id " + std::to_string(target[k]) + ", but the index lists the edge under node " +
                    std::to_string(targets[local]) + (target[k] < 0 || std::uint64_t(target[k]) >= p_.n_targets
                                                          ? " (and it is outside population '" + p_.target + "' of " +
                                                                std::to_string(p_.n_targets) + " nodes)"
                                                          : ""));
        if (!p_.types->rows.count(type[k]))
            bad(file, where + "/edge_type_id" + row,
                "edge type " + std::to_string(type[k]) + " is not in " + p_.types->path.string());
        const GroupValues& gv = groups.at(group_of(k));
        const std::size_t gi = position(gv.indices, std::uint64_t(index_of(k)));
        std::optional<double> w = gv.weight.empty() ? p_.type_weight.at(type[k]) : std::optional<double>(gv.weight[gi]);
        std::optional<double> d = gv.delay.empty() ? p_.type_delay.at(type[k]) : std::optional<double>(gv.delay[gi]);
        if (!w)
            bad(file, where + row,
                "no syn_weight (neither in group " + std::to_string(group_of(k)) + " nor for edge type " +
                    std::to_string(type[k]) + " in " + p_.types->path.string() + ")");
        if (!std::isfinite(*w)) bad(file, where + "/" + std::to_string(group_of(k)) + "/syn_weight" + row, "not a finite weight");
        const double delay = d ? *d : p_.default_delay_ms;
        if (!(delay >= 0 && delay <= max_delay_ms))
            bad(file, where + row,
                "a delay of " + std::to_string(delay) + " ms; expected 0 to " + std::to_string(max_delay_ms) +
                    " ms (65535 steps)");
        double weight = *w;
        if (p_.bmtk_weights) {
            const std::optional<double> n = gv.nsyns.empty() ? p_.type_nsyns.at(type[k]) : std::optional<double>(gv.nsyns[gi]);
            if (n && !(*n >= 0 && std::isfinite(*n)))
                bad(file, where + "/" + std::to_string(group_of(k)) + "/nsyns" + row,
                    "expected a number of synapses (>= 0), found " + std::to_string(*n));
            weight *= p_.type_sign.at(type[k]) * n.value_or(1.0);
        }
        out.push_back({std::uint32_t(source[k]), targets[local], weight, delay});
    }
}

}  // namespace apical::sonata
