// Reading the edges of some targets from a SONATA edge population (edges.hpp): through the
// target_to_source index when there is one (either spelling, node_id_to_ranges or
// node_id_to_range), else by scanning target_node_id in blocks; then only the rows found are
// read, of every dataset needed, in blocks of about a million edges whose buffers are reused
// (files.cpp reads a block's row ranges as contiguous spans).
#include "io/sonata/edges.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace apical::sonata {

namespace {

constexpr std::uint64_t scan_block = 1u << 20;  // rows per read when there is no index
constexpr std::size_t take_batch = 1u << 14;     // edges handed to the sink at once (384 KiB)

// HDF5 (serial, not built thread-safe) must not be entered by two threads at once: one lock
// for every edge population, since VPs build different projections at the same time.
std::mutex hdf5_mutex;

// The union of `ranges` (in any order, perhaps overlapping) as sorted, disjoint ranges.
Ranges sorted_union(Ranges ranges) {
    std::sort(ranges.begin(), ranges.end());
    Ranges out;
    for (auto r : ranges)
        if (!out.empty() && out.back().second >= r.first)
            out.back().second = std::max(out.back().second, r.second);
        else
            out.push_back(r);
    return out;
}

// The index of the range of `ranges` (sorted, not overlapping) that holds `row` (one does).
std::size_t range_containing(const Ranges& ranges, std::uint64_t row) {
    const auto after = std::upper_bound(ranges.begin(), ranges.end(), row,
                                        [](std::uint64_t v, const std::pair<std::uint64_t, std::uint64_t>& r) { return v < r.first; });
    return std::size_t(after - ranges.begin()) - 1;
}

}  // namespace

void SonataEdges::edges_onto(const std::vector<std::uint32_t>& target_nodes, EdgeSink& sink) const {
    const std::lock_guard<std::mutex> lock(hdf5_mutex);
    try {
        read(target_nodes, sink);
    } catch (const RuntimeFailure& e) {  // an unreadable input file is the user's to fix
        throw UserError(printable_line(p_.file.string() + ": edge population " + p_.name + ": " + e.what()));
    }
}

void SonataEdges::read(const std::vector<std::uint32_t>& targets, EdgeSink& sink) const {
    if (targets.empty() || p_.n_edges == 0) return;
    const fs::path& file = p_.file;
    h5::Handle f = h5::open_file_for_reading(file);
    h5::Handle pop = h5::open_group(f.get(), "edges/" + p_.name);
    const std::string where = "/edges/" + p_.name;
    // The rows of each target, in target order, then row order: [begin, end) of edge rows.
    std::vector<Piece> pieces;

    bool indexed = h5::object_kind(pop.get(), "indices") == H5I_GROUP &&
                   h5::object_kind(pop.get(), "indices/target_to_source") == H5I_GROUP;
    if (indexed) {
        h5::Handle index = h5::open_group(pop.get(), "indices/target_to_source");
        const std::string n2r = h5::object_kind(index.get(), "node_id_to_ranges") == H5I_DATASET ? "node_id_to_ranges"
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
        // The index rows of our targets (ascending: targets are), read in one selection.
        Ranges want;
        for (std::uint32_t t : targets)
            if (t < rows && node_ranges[2 * t] < node_ranges[2 * t + 1])
                want.push_back({node_ranges[2 * t], node_ranges[2 * t + 1]});
        const Ranges merged = sorted_union(std::move(want));
        const std::vector<std::uint64_t> edge_ranges =
            read_pairs(file, h5::open_dataset(index.get(), "range_to_edge_id").get(), &merged);
        std::vector<std::uint64_t> first_of(merged.size());  // position of each merged range's first row
        for (std::size_t m = 1; m < merged.size(); ++m)
            first_of[m] = first_of[m - 1] + (merged[m - 1].second - merged[m - 1].first);
        for (std::uint32_t local = 0; local < targets.size(); ++local) {
            const std::uint32_t t = targets[local];
            if (t >= rows) continue;
            const std::size_t first = pieces.size();
            for (std::uint64_t k = node_ranges[2 * t]; k < node_ranges[2 * t + 1]; ++k) {
                const std::size_t m = range_containing(merged, k);
                const std::size_t at = first_of[m] + (k - merged[m].first);
                const std::uint64_t a = edge_ranges[2 * at], b = edge_ranges[2 * at + 1];
                if (b > p_.n_edges)
                    bad(file, where + "/indices/target_to_source/range_to_edge_id row " + std::to_string(k),
                        "edge rows up to " + std::to_string(b) + ", beyond the " + std::to_string(p_.n_edges) +
                            " edges");
                if (a < b) pieces.push_back({local, a, b});
            }
            std::sort(pieces.begin() + long(first), pieces.end(),
                      [](const Piece& x, const Piece& y) { return x.begin < y.begin; });
        }
    } else {
        // No index: read target_node_id in blocks and keep the rows of our targets.
        h5::Handle tds = h5::open_dataset(pop.get(), "target_node_id");
        std::vector<std::int64_t> local_of(p_.n_targets, -1);
        for (std::uint32_t i = 0; i < targets.size(); ++i) local_of[targets[i]] = i;
        std::vector<std::pair<std::uint32_t, std::uint64_t>> found;  // (local target, row)
        std::vector<std::int64_t> t;
        for (std::uint64_t a = 0; a < p_.n_edges; a += scan_block) {
            const std::uint64_t b = std::min(p_.n_edges, a + scan_block);
            read_rows_into(tds.get(), Ranges{{a, b}}, t);
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
        for (auto [local, r] : found)
            if (!pieces.empty() && pieces.back().local == local && pieces.back().end == r)
                ++pieces.back().end;
            else
                pieces.push_back({local, r, r + 1});
    }
    if (pieces.empty()) return;
    std::uint64_t total = 0;
    for (const Piece& pc : pieces) total += pc.end - pc.begin;
    sink.expect(total);

    // In blocks of about block_edges edges, so that the memory taken beside what the sink keeps stays small
    // whatever the edge count, and the buffers are reused from block to block.
    BlockReader reader(*this, pop.get(), where, targets);
    std::size_t p0 = 0;
    while (p0 < pieces.size()) {
        std::size_t p1 = p0;
        std::uint64_t n = 0;
        while (p1 < pieces.size() && (n == 0 || n + (pieces[p1].end - pieces[p1].begin) <= block_edges))
            n += pieces[p1].end - pieces[p1].begin, ++p1;
        reader.read(pieces.data() + p0, pieces.data() + p1, sink);
        p0 = p1;
    }
}

// The columns of the edges of a run of pieces: every dataset is read at their rows only.
void SonataEdges::BlockReader::read(const Piece* first, const Piece* last, EdgeSink& sink) {
    const fs::path& file = e_.p_.file;
    const EdgePopulation& p = e_.p_;
    // The block's rows as sorted, merged ranges, and where each piece starts among them.
    Ranges rows;
    for (const Piece* pc = first; pc != last; ++pc) rows.push_back({pc->begin, pc->end});
    merged_ = sorted_union(std::move(rows));
    starts_.assign(merged_.size(), 0);
    for (std::size_t m = 1; m < merged_.size(); ++m)
        starts_[m] = starts_[m - 1] + (merged_[m - 1].second - merged_[m - 1].first);
    const auto position = [&](std::uint64_t row) {
        const std::size_t m = range_containing(merged_, row);
        return starts_[m] + (row - merged_[m].first);
    };
    const std::uint64_t n_rows = starts_.back() + (merged_.back().second - merged_.back().first);

    // `v` null: the dataset is checked, not read.
    const auto column = [&](const std::string& name, bool required, std::vector<std::int64_t>* v) {
        // Not cleared first: resizing from the last block's size zero-fills only the difference.
        if (h5::object_kind(pop_, name) != H5I_DATASET) {
            if (required) bad(file, where_ + "/" + name, "no such dataset");
            if (v) v->clear();
            return;
        }
        h5::Handle d = h5::open_dataset(pop_, name);
        if (!holds_integers(d.get())) bad(file, where_ + "/" + name, "expected integers");
        if (h5::extent_1d(d.get()) != p.n_edges)
            bad(file, where_ + "/" + name,
                std::to_string(h5::extent_1d(d.get())) + " rows, but source_node_id has " + std::to_string(p.n_edges));
        if (v) read_rows_into(d.get(), merged_, *v);
    };
    column("source_node_id", true, &source_);
    // The rows were chosen by their targets (the index's, or target_node_id's in the scan), so
    // the column is not read again: each piece's rows are its target's.
    column("target_node_id", true, nullptr);
    column("edge_type_id", true, &type_);
    column("edge_group_id", false, &group_);
    column("edge_group_index", false, &group_index_);
    const auto row_of = [&](std::size_t k) {  // the edge row at position k among the block's rows
        const auto m = std::size_t(std::upper_bound(starts_.begin(), starts_.end(), k) - starts_.begin() - 1);
        return merged_[m].first + (k - starts_[m]);
    };
    const auto group_of = [&](std::size_t k) { return group_.empty() ? std::int64_t(0) : group_[k]; };
    const auto index_of = [&](std::size_t k) {
        return group_index_.empty() ? std::int64_t(row_of(k)) : group_index_[k];
    };

    // Per-edge attributes of the groups: syn_weight and delay where a group has them, read at
    // the group indices of the block's edges. `slot_` holds each edge's position among its
    // group's sorted indices.
    for (auto& [g, v] : groups_) v.indices.clear();
    group_at_.resize(n_rows);
    {
        std::size_t at = 0;  // groups are few and mostly one: search from the last one found
        for (std::size_t k = 0; k < n_rows; ++k) {
            const std::int64_t g = group_of(k), gi = index_of(k);
            if (gi < 0) bad(file, where_ + "/edge_group_index row " + std::to_string(row_of(k)), "a negative index");
            if (at >= groups_.size() || groups_[at].first != g) {
                at = 0;
                while (at < groups_.size() && groups_[at].first != g) ++at;
                if (at == groups_.size()) groups_.emplace_back(g, GroupValues{});
            }
            group_at_[k] = std::uint32_t(at);
            groups_[at].second.indices.push_back(std::uint64_t(gi));
        }
    }
    for (auto& [g, v] : groups_) {
        if (v.indices.empty()) continue;
        v.ascending = std::adjacent_find(v.indices.begin(), v.indices.end(), std::greater_equal<>()) == v.indices.end();
        if (!v.ascending) {
            std::sort(v.indices.begin(), v.indices.end());
            v.indices.erase(std::unique(v.indices.begin(), v.indices.end()), v.indices.end());
        }
        const std::string name = std::to_string(g);
        // A group without datasets may be left out; its edges take the CSV's values. (The
        // value arrays are cleared only then: resizing from the last block's size zero-fills
        // only the difference.)
        if (h5::object_kind(pop_, name) != H5I_GROUP) {
            v.weight.clear(), v.delay.clear(), v.nsyns.clear();
            continue;
        }
        h5::Handle gh = h5::open_group(pop_, name);
        const Ranges at = ranges_of(v.indices);
        for (auto [attr, values] : {std::pair{"syn_weight", &v.weight}, std::pair{"delay", &v.delay},
                                    std::pair{"nsyns", &v.nsyns}}) {
            if (h5::object_kind(gh.get(), attr) != H5I_DATASET || (values == &v.nsyns && !p.bmtk_weights)) {
                values->clear();
                continue;
            }
            h5::Handle d = h5::open_dataset(gh.get(), attr);
            if (v.indices.back() >= h5::extent_1d(d.get()))
                bad(file, where_ + "/" + name + "/" + attr,
                    "row " + std::to_string(v.indices.back()) + " asked for by edge_group_index, beyond its " +
                        std::to_string(h5::extent_1d(d.get())) + " rows");
            read_rows_into(d.get(), at, *values);
        }
    }
    // Each edge's position among its group's values: its ordinal when the group's indices
    // ascend (the usual layout), else found among the sorted indices.
    slot_.resize(n_rows);
    seen_.assign(groups_.size(), 0);
    for (std::size_t k = 0; k < n_rows; ++k) {
        const GroupValues& v = groups_[group_at_[k]].second;
        slot_[k] = v.ascending ? seen_[group_at_[k]]++
                               : std::size_t(std::lower_bound(v.indices.begin(), v.indices.end(),
                                                              std::uint64_t(index_of(k))) -
                                             v.indices.begin());
    }

    edges_.clear();
    const double max_delay_ms = 65535 * p.dt_ms;
    std::int64_t cached_type = std::numeric_limits<std::int64_t>::min();
    const std::optional<double>*type_w = nullptr, *type_d = nullptr;
    for (const Piece* pc = first; pc != last; ++pc) {
        const std::uint32_t local = pc->local;
        std::size_t k = position(pc->begin);
        for (std::uint64_t r = pc->begin; r < pc->end; ++r, ++k) {
            const auto row = [r] { return " row " + std::to_string(r); };
            if (source_[k] < 0 || std::uint64_t(source_[k]) >= p.n_sources)
                bad(file, where_ + "/source_node_id" + row(),
                    "node id " + std::to_string(source_[k]) + " outside population '" + p.source + "' of " +
                        std::to_string(p.n_sources) + " nodes");
            if (type_[k] != cached_type) {
                if (!p.types->rows.count(type_[k]))
                    bad(file, where_ + "/edge_type_id" + row(),
                        "edge type " + std::to_string(type_[k]) + " is not in " + p.types->path.string());
                cached_type = type_[k];
                type_w = &p.type_weight.at(cached_type);
                type_d = &p.type_delay.at(cached_type);
            }
            const GroupValues& gv = groups_[group_at_[k]].second;
            const std::size_t gi = slot_[k];
            const bool has_w = !gv.weight.empty() || type_w->has_value();
            if (!has_w)
                bad(file, where_ + row(),
                    "no syn_weight (neither in group " + std::to_string(group_of(k)) + " nor for edge type " +
                        std::to_string(type_[k]) + " in " + p.types->path.string() + ")");
            const double w = gv.weight.empty() ? **type_w : gv.weight[gi];
            if (!std::isfinite(w))
                bad(file, where_ + "/" + std::to_string(group_of(k)) + "/syn_weight" + row(), "not a finite weight");
            const double delay = !gv.delay.empty() ? gv.delay[gi] : type_d->value_or(p.default_delay_ms);
            if (!(delay >= 0 && delay <= max_delay_ms))
                bad(file, where_ + row(),
                    "a delay of " + std::to_string(delay) + " ms; expected 0 to " + std::to_string(max_delay_ms) +
                        " ms (65535 steps)");
            double weight = w;
            if (p.bmtk_weights) {  // BMTK's rule onto NEURON's artificial cells (edges.hpp)
                const std::optional<double> n =
                    gv.nsyns.empty() ? p.type_nsyns.at(type_[k]) : std::optional<double>(gv.nsyns[gi]);
                if (n && !(*n >= 0 && std::isfinite(*n)))
                    bad(file, where_ + "/" + std::to_string(group_of(k)) + "/nsyns" + row(),
                        "expected a number of synapses (>= 0), found " + std::to_string(*n));
                weight *= p.type_sign.at(type_[k]) * n.value_or(1.0);
            }
            edges_.push_back({std::uint32_t(source_[k]), targets_[local], weight, delay});
            if (edges_.size() == take_batch) {  // handed over while they are still in cache
                sink.take(edges_.data(), edges_.size());
                edges_.clear();
            }
        }
    }
    sink.take(edges_.data(), edges_.size());
}

}  // namespace apical::sonata
