#include "engine/checkpoint.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_map>

#include "core/error.hpp"
#include "core/random.hpp"

namespace apical {

namespace {

// Rank 0 receives every rank's bytes, concatenated in rank order (others get nothing).
std::vector<std::uint8_t> to_root(DistributedContext& ctx, std::span<const std::uint8_t> bytes) {
    std::vector<std::size_t> counts(std::size_t(ctx.size()), 0);
    counts[0] = bytes.size();
    std::vector<std::uint8_t> received;
    std::vector<std::size_t> received_counts;
    ctx.all_to_all(bytes, counts, received, received_counts);
    return received;
}

// Rows of doubles from every rank, concatenated on rank 0 in rank order (lists whose length is
// not known before: pending events, per-synapse rows).
std::vector<double> concatenated_on_root(DistributedContext& ctx, const std::vector<double>& rows) {
    const auto bytes = to_root(ctx, {reinterpret_cast<const std::uint8_t*>(rows.data()), rows.size() * sizeof(double)});
    std::vector<double> all(bytes.size() / sizeof(double));
    if (!all.empty()) std::memcpy(all.data(), bytes.data(), all.size() * sizeof(double));
    return all;
}

// One flat array of `n` 8-byte words, gathered on rank 0: `each(put)` calls put(index, word)
// for this rank's entries; words no rank puts are `fill`.
using Put = std::function<void(std::size_t, std::uint64_t)>;
std::vector<std::uint64_t> gather_words(DistributedContext& ctx, std::size_t n, std::uint64_t fill,
                                        const std::function<void(const Put&)>& each) {
    std::vector<std::uint64_t> pairs;
    each([&pairs](std::size_t at, std::uint64_t word) {
        pairs.push_back(at);
        pairs.push_back(word);
    });
    const auto received = to_root(
        ctx, {reinterpret_cast<const std::uint8_t*>(pairs.data()), pairs.size() * sizeof(std::uint64_t)});
    if (ctx.rank() != 0) return {};
    std::vector<std::uint64_t> out(n, fill);
    for (std::size_t b = 0; b + 16 <= received.size(); b += 16) {
        std::uint64_t at, word;
        std::memcpy(&at, received.data() + b, 8);
        std::memcpy(&word, received.data() + b + 8, 8);
        APICAL_ASSERT(at < n);
        out[at] = word;
    }
    return out;
}

template <class T>
std::vector<T> words_as(const std::vector<std::uint64_t>& words) {
    std::vector<T> out(words.size());
    for (std::size_t k = 0; k < words.size(); ++k) out[k] = std::bit_cast<T>(words[k]);
    return out;
}

// Saves a [n x columns] array of doubles or int64s; `each(put)` calls put(flat index, value).
template <class T>
void save_array(DistributedContext& ctx, StateSink* sink, const std::string& name, std::size_t n,
                std::size_t columns, T fill, const std::function<void(const std::function<void(std::size_t, T)>&)>& each) {
    const auto words = gather_words(ctx, n * columns, std::bit_cast<std::uint64_t>(fill), [&](const Put& put) {
        each([&put](std::size_t at, T value) { put(at, std::bit_cast<std::uint64_t>(value)); });
    });
    if (ctx.rank() != 0 || !sink) return;
    const std::vector<T> values = words_as<T>(words);
    if constexpr (std::is_same_v<T, double>)
        sink->reals(name, values, columns);
    else
        sink->integers(name, values, columns);
}

// Every local neuron of every VP: f(group, local index, population index, node index).
template <class F>
void each_neuron_group(Network& net, F&& f) {
    const auto& pops = net.decomposition().populations();
    for (VirtualProcess& vp : net.vps())
        for (std::size_t p = 0; p < vp.n_groups(); ++p) f(vp.group(p), p, pops[p]);
}

std::string population_key(const PopulationLayout& pop) { return "neurons/" + pop.name + "/"; }

// The ring buffers that hold rows (not shared with another receptor, not event-driven); from
// the model alone, so the same on every rank whatever the group's size.
std::vector<int> own_buffers(const NeuronGroup& g) {
    std::vector<int> out;
    if (g.info().event_driven) return out;
    for (int r = 0; r < int(g.info().receptors.size()); ++r)
        if (g.info().receptors[std::size_t(r)].shares_buffer_of < 0) out.push_back(r);
    return out;
}

// An own-state array's value k as a double or int64 (checkpoint_file keeps both exactly).
bool own_is_real(const OwnStateArray& a) { return a.type == OwnStateArray::Type::f64; }
double own_real(const OwnStateArray& a, std::size_t k) { return static_cast<const double*>(a.data)[k]; }
std::int64_t own_integer(const OwnStateArray& a, std::size_t k) {
    switch (a.type) {
    case OwnStateArray::Type::i64: return static_cast<const std::int64_t*>(a.data)[k];
    case OwnStateArray::Type::i32: return static_cast<const std::int32_t*>(a.data)[k];
    default: return static_cast<const std::uint8_t*>(a.data)[k];
    }
}
void set_own(const OwnStateArray& a, std::size_t k, double real, std::int64_t integer) {
    switch (a.type) {
    case OwnStateArray::Type::f64: static_cast<double*>(a.data)[k] = real; break;
    case OwnStateArray::Type::i64: static_cast<std::int64_t*>(a.data)[k] = integer; break;
    case OwnStateArray::Type::i32: static_cast<std::int32_t*>(a.data)[k] = std::int32_t(integer); break;
    case OwnStateArray::Type::u8: static_cast<std::uint8_t*>(a.data)[k] = std::uint8_t(integer); break;
    }
}

// Every synapse of projection `proj` in the tables `takes(table)` accepts: f(key, vp, table,
// source node, position). The key (receptor, source node, target node, occurrence of that pair
// in the table) identifies a synapse under any decomposition: a target's synapses of one
// projection and receptor are one table, in construction order, on the target's VP.
constexpr std::size_t synapse_key = 4;
template <class Takes, class F>
void each_keyed_synapse(Network& net, std::size_t proj, Takes&& takes, F&& f) {
    for (VirtualProcess& vp : net.vps())
        for (StaticSynapseTable& t : vp.tables()) {
            if (std::size_t(t.projection) != proj || !takes(t)) continue;
            std::unordered_map<std::uint32_t, std::uint32_t> seen;  // per source: occurrences per target
            for (std::uint32_t s = 0; s < t.n_sources; ++s) {
                seen.clear();
                for (std::uint32_t k = t.offsets[s]; k < t.offsets[s + 1]; ++k) {
                    const double key[synapse_key] = {
                        double(t.receptor), double(s),
                        double(net.decomposition().node_of_local(t.target_group, vp.id(), t.target[k])),
                        double(seen[t.target[k]]++)};
                    f(key, vp, t, s, k);
                }
            }
        }
}

// Rows of `width` doubles whose first `key` values identify them under any decomposition
// (synapses, queued spikes, archived steps): gathered on rank 0 from every rank and saved
// sorted by key. `width` is the same on every rank.
void save_sorted_rows(DistributedContext& ctx, StateSink* sink, const std::string& name, std::size_t key,
                      std::size_t width, const std::vector<double>& rows) {
    const std::vector<double> all = concatenated_on_root(ctx, rows);
    if (ctx.rank() != 0 || !sink) return;
    std::vector<std::size_t> order(all.size() / width);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::lexicographical_compare(&all[a * width], &all[a * width] + key, &all[b * width],
                                            &all[b * width] + key);
    });
    std::vector<double> sorted;
    sorted.reserve(all.size());
    for (std::size_t i : order) sorted.insert(sorted.end(), &all[i * width], &all[i * width] + width);
    sink->reals(name, sorted, width);
}

// The rows save_sorted_rows saved, found again by key.
class SortedRows {
public:
    SortedRows(StateSource& source, const std::string& name, std::size_t key, std::size_t width)
        : name_(name), key_(key), width_(width), n_(source.rows(name)), rows_(source.reals(name, n_ * width)) {}
    std::size_t size() const { return n_; }
    const double* row(std::size_t i) const { return &rows_[i * width_]; }
    // The first row whose first `n` key values are not less than k's.
    std::size_t lower_bound(const double* k, std::size_t n) const {
        std::size_t lo = 0, hi = n_;
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if (std::lexicographical_compare(row(mid), row(mid) + n, k, k + n)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
    // The values after the key of the row with key k; throws when there is none (a checkpoint
    // of another network).
    const double* at(const double* k, const std::string& what) const {
        const std::size_t i = lower_bound(k, key_);
        if (i == n_ || !std::equal(k, k + key_, row(i)))
            throw UserError("apical: the checkpoint does not fit the network: " + what + " is not in " + name_);
        return row(i) + key_;
    }

private:
    std::string name_;
    std::size_t key_, width_, n_;
    std::vector<double> rows_;
};

// Short-term plasticity of projection `proj`: state per source node, or per synapse.
bool stp_per_source(const NetworkSpec& spec, std::size_t proj) {
    const SynapseSpec& s = spec.projections[proj].synapse;
    return s.model != SynapseModel::static_synapse && !s.per_synapse();
}
bool stp_per_synapse(const NetworkSpec& spec, std::size_t proj) {
    const SynapseSpec& s = spec.projections[proj].synapse;
    return s.model != SynapseModel::static_synapse && s.per_synapse();
}
bool has_stp_per_synapse(const StaticSynapseTable& t) { return t.short_term >= 0 && t.short_term_per_synapse; }

// Spike classifiers, per neuron at a global index (n of them): each(f) calls f(classifier,
// its neuron i, index) for the neurons to save or restore; `traces`: the trace rule.
constexpr step_t never = std::numeric_limits<step_t>::min();
template <class Each>
void save_classifiers(DistributedContext& ctx, StateSink* sink, const std::string& key, std::size_t n, bool traces,
                      Each&& each) {
    save_array<std::int64_t>(ctx, sink, key + "last", n, 1, never, [&](const auto& put) {
        each([&](SpikeClassifier& c, std::size_t i, std::size_t at) { put(at, c.last_steps()[i]); });
    });
    save_array<std::int64_t>(ctx, sink, key + "in_burst", n, 1, 0, [&](const auto& put) {
        each([&](SpikeClassifier& c, std::size_t i, std::size_t at) { put(at, c.in_burst_flags()[i]); });
    });
    if (traces)
        save_array<double>(ctx, sink, key + "trace", n, 1, 0.0, [&](const auto& put) {
            each([&](SpikeClassifier& c, std::size_t i, std::size_t at) { put(at, c.traces()[i]); });
        });
}
template <class Each>
void restore_classifiers(StateSource& source, const std::string& key, std::size_t n, bool traces, Each&& each) {
    const auto last = source.integers(key + "last", n);
    const auto in_burst = source.integers(key + "in_burst", n);
    const auto trace = traces ? source.reals(key + "trace", n) : std::vector<double>{};
    each([&](SpikeClassifier& c, std::size_t i, std::size_t at) {
        c.last_steps()[i] = last[at];
        c.in_burst_flags()[i] = std::uint8_t(in_burst[at]);
        if (traces) c.traces()[i] = trace[at];
    });
}
bool trace_rule(const NetworkSpec& spec) {
    return spec.simulation.spike_classification.rule == ClassificationRule::trace;
}

// Traces (value, step of the last update) at a global index, `width` per index, as two
// arrays <key>_value and <key>_last; each(f) calls f(trace j of index at, at, j).
template <class Each>
void save_traces(DistributedContext& ctx, StateSink* sink, const std::string& key, std::size_t n, std::size_t width,
                 Each&& each) {
    if (width == 0) return;
    save_array<double>(ctx, sink, key + "_value", n, width, 0.0, [&](const auto& put) {
        each([&](const Trace& x, std::size_t at, std::size_t j) { put(at * width + j, x.value); });
    });
    save_array<std::int64_t>(ctx, sink, key + "_last", n, width, 0, [&](const auto& put) {
        each([&](const Trace& x, std::size_t at, std::size_t j) { put(at * width + j, x.last); });
    });
}
template <class Each>
void restore_traces(StateSource& source, const std::string& key, std::size_t n, std::size_t width, Each&& each) {
    if (width == 0) return;
    const auto value = source.reals(key + "_value", n * width);
    const auto last = source.integers(key + "_last", n * width);
    each([&](Trace& x, std::size_t at, std::size_t j) { x = {value[at * width + j], last[at * width + j]}; });
}

std::size_t n_sources_of(const NetworkSpec& spec, const std::vector<PopulationLayout>& pops, std::size_t proj) {
    for (const PopulationLayout& p : pops)
        if (p.name == spec.projections[proj].source) return p.size;
    return 0;
}

// The state values of projection `proj`'s short-term plasticity, per source or per synapse.
std::size_t stp_values(const NetworkSpec& spec, std::size_t proj) {
    return spec.projections[proj].synapse.model == SynapseModel::tsodyks_3state
               ? PerSourceStates<Tsodyks3State>::values
               : PerSourceStates<TsodyksMarkramState>::values;
}

std::size_t population_of(const NetworkSpec& spec, const std::string& name) {
    std::size_t p = 0;
    while (spec.populations[p].name != name) ++p;
    return p;
}

// The populations whose dendritic archive an Urbanczik-Senn projection reads.
std::vector<std::size_t> archived_populations(const NetworkSpec& spec) {
    std::vector<std::size_t> out;
    for (const ProjectionSpec& ps : spec.projections) {
        const std::size_t pt = population_of(spec, ps.target);
        if (ps.plasticity.rule == PlasticityRule::urbanczik_senn && std::find(out.begin(), out.end(), pt) == out.end())
            out.push_back(pt);
    }
    return out;
}

// The node of local neuron i of population p on `vp`.
std::size_t node_of(Network& net, int p, const VirtualProcess& vp, std::uint32_t i) {
    return net.decomposition().node_of_local(p, vp.id(), i);
}

// The local index on `vp` of node `node` of population p, or -1 when it lives elsewhere.
std::int64_t local_of(Network& net, std::size_t p, VirtualProcess& vp, std::size_t node) {
    const gid_t gid = net.decomposition().populations()[p].first_gid + gid_t(node);
    if (net.decomposition().vp_of(gid) != vp.id()) return -1;
    const auto& gids = vp.group(p).gids();
    return std::lower_bound(gids.begin(), gids.end(), gid) - gids.begin();
}

// The synapses of a plastic projection onto one receptor: one table per VP with synapses of
// them. Weights go to one receptor unless they are routed by sign (a rule whose bounds allow
// negative weights, onto a model with signed receptors): then each receptor is a part.
struct PlasticPart {
    std::size_t proj;
    const ProjectionSpec* spec;
    PlasticSynapses::StateLayout layout;
    int receptor;
    std::size_t target, n_targets;  // population, its size
    std::string key;                // plastic/<projection>/<receptor>/
    bool holds(const StaticSynapseTable& t) const {
        return std::size_t(t.projection) == proj && t.plastic >= 0 && t.receptor == receptor;
    }
};

// f(part) for every part of every plastic projection.
template <class F>
void each_plastic_part(const NetworkSpec& spec, const std::vector<PopulationLayout>& pops, F&& f) {
    for (std::size_t proj = 0; proj < spec.projections.size(); ++proj) {
        const ProjectionSpec& ps = spec.projections[proj];
        if (ps.plasticity.rule == PlasticityRule::none) continue;
        const std::size_t pt = population_of(spec, ps.target);
        const ModelInfo& info = *spec.populations[pt].info;
        std::vector<int> receptors = {std::max(ps.receptor, 0)};  // as Network builds the tables
        if (ps.receptor < 0 && info.route_by_sign) receptors.push_back(1);
        for (int r : receptors)
            f(PlasticPart{proj, &ps, PlasticSynapses::state_layout(ps.plasticity), r, pt, std::size_t(pops[pt].size),
                          "plastic/" + ps.name + "/" + info.receptors[std::size_t(r)].name + "/"});
    }
}

// f(vp, table, its plasticity) for every table of `part`.
template <class F>
void each_plastic_table(Network& net, const PlasticPart& part, F&& f) {
    for (VirtualProcess& vp : net.vps())
        for (StaticSynapseTable& t : vp.tables())
            if (part.holds(t)) f(vp, t, vp.plastic(std::size_t(t.plastic)));
}

// f(vp, table, its plasticity, local target i, its node) for every target of the tables of `part`.
template <class F>
void each_plastic_target(Network& net, const PlasticPart& part, F&& f) {
    each_plastic_table(net, part, [&](VirtualProcess& vp, StaticSynapseTable& t, PlasticSynapses& pl) {
        for (std::uint32_t i = 0; i < vp.group(part.target).size(); ++i)
            f(vp, t, pl, i, net.decomposition().node_of_local(int(part.target), vp.id(), i));
    });
}

// f(trace, source node, j) for the presynaptic traces of `part`'s tables. Saving reads them
// only from tables with synapses of the source (those saw all its spikes); restoring writes all.
template <class F>
void each_source_trace(Network& net, const PlasticPart& part, bool connected_only, F&& f) {
    each_plastic_table(net, part, [&](VirtualProcess&, StaticSynapseTable& t, PlasticSynapses& pl) {
        for (std::uint32_t s = 0; s < t.n_sources; ++s)
            if (!connected_only || t.offsets[s] != t.offsets[s + 1])
                for (std::size_t j = 0; j < part.layout.source_traces; ++j) f(pl.source_trace(s, j), s, j);
    });
}

// f(trace, target node, j) for the postsynaptic traces of `part`'s tables.
template <class F>
void each_target_trace(Network& net, const PlasticPart& part, F&& f) {
    each_plastic_target(net, part, [&](VirtualProcess&, StaticSynapseTable&, PlasticSynapses& pl, std::uint32_t i,
                                       std::size_t node) {
        for (std::size_t j = 0; j < part.layout.target_traces; ++j) f(pl.target_trace(i, j), node, j);
    });
}

// f(classifier, local target, node) for BDSP's classifiers of the targets' own spikes.
template <class F>
void each_target_classifier(Network& net, const PlasticPart& part, F&& f) {
    each_plastic_target(net, part, [&](VirtualProcess& vp, StaticSynapseTable& t, PlasticSynapses&, std::uint32_t i,
                                       std::size_t node) { f(*vp.plastic_classifier(std::size_t(t.plastic)), i, node); });
}

// Plastic projections (plasticity/plastic_synapses.hpp), per part under
// plastic/<projection>/<receptor>/:
//   synapses         float64 [n x (4 + 1 + values)]: per synapse its key, the weight, the rule's
//                    values (PlasticSynapses::get_synapse), sorted by key
//   source_{value,last}  [n_sources x traces]: per source node its traces, from any table with
//                    synapses of it (every one saw all its spikes)
//   target_{value,last}  per target node: its traces
//   posts            float64 [n x 3]: postsynaptic spikes waiting for their synapse time
//                    (synapse time, target node, class), sorted
//   classifier/      the classes of the targets' own spikes (BDSP), per target node
// and, per population an Urbanczik-Senn projection targets, archive/<pop>/clock (started,
// first, end, last trim) and archive/<pop>/values [n x 3] (node, step, value), sorted.
void save_plasticity(Simulation& sim, DistributedContext& ctx, StateSink* sink) {
    Network& net = sim.network();
    const NetworkSpec& spec = sim.spec();
    const auto& pops = net.decomposition().populations();
    each_plastic_part(spec, pops, [&](const PlasticPart& part) {
        const auto in_part = [&](const StaticSynapseTable& t) { return part.holds(t); };
        const std::size_t values = part.layout.synapse_values;
        std::vector<double> rows;
        each_keyed_synapse(net, part.proj, in_part,
                           [&](const double* k, VirtualProcess& vp, StaticSynapseTable& t, std::uint32_t, std::uint32_t i) {
                               rows.insert(rows.end(), k, k + synapse_key);
                               rows.push_back(double(t.weight[i]));
                               rows.resize(rows.size() + values);
                               vp.plastic(std::size_t(t.plastic)).get_synapse(i, rows.data() + rows.size() - values);
                           });
        save_sorted_rows(ctx, sink, part.key + "synapses", synapse_key, synapse_key + 1 + values, rows);
        const std::size_t n_sources = n_sources_of(spec, pops, part.proj);
        save_traces(ctx, sink, part.key + "source", n_sources, part.layout.source_traces,
                    [&](auto&& f) { each_source_trace(net, part, true, f); });
        save_traces(ctx, sink, part.key + "target", part.n_targets, part.layout.target_traces,
                    [&](auto&& f) { each_target_trace(net, part, f); });
        std::vector<double> posts;
        each_plastic_table(net, part, [&](VirtualProcess& vp, StaticSynapseTable&, PlasticSynapses& pl) {
            pl.each_pending_post([&](step_t at, std::uint32_t i, std::uint8_t c) {
                posts.insert(posts.end(), {double(at), double(node_of(net, int(part.target), vp, i)), double(c)});
            });
        });
        save_sorted_rows(ctx, sink, part.key + "posts", 2, 3, posts);
        if (part.spec->plasticity.rule == PlasticityRule::bdsp)
            save_classifiers(ctx, sink, part.key + "classifier/", part.n_targets, trace_rule(spec),
                             [&](auto&& f) { each_target_classifier(net, part, f); });
    });
    for (std::size_t p : archived_populations(spec)) {
        const std::string key = "archive/" + pops[p].name + "/";
        // f(vp, archive) for every archive of p that records.
        const auto each_archive = [&](auto&& f) {
            for (VirtualProcess& vp : net.vps())
                if (const DendriticArchive* a = vp.group(p).dendritic_archive(); a && a->enabled()) f(vp, *a);
        };
        save_array<std::int64_t>(ctx, sink, key + "clock", 4, 1, 0, [&](const auto& put) {
            each_archive([&](VirtualProcess&, const DendriticArchive& a) {
                put(0, a.started()), put(1, a.first()), put(2, a.end()), put(3, a.last_trim());
            });
        });
        std::vector<double> rows;
        each_archive([&](VirtualProcess& vp, const DendriticArchive& a) {
            for (std::uint32_t i = 0; i < vp.group(p).size(); ++i) {
                const double node = double(node_of(net, int(p), vp, i));
                const double* v = a.from(i, a.begin(i));
                for (step_t s = a.begin(i); s < a.end(); ++s)
                    rows.insert(rows.end(), {node, double(s), v[s - a.begin(i)]});
            }
        });
        save_sorted_rows(ctx, sink, key + "values", 2, 3, rows);
    }
}

void restore_plasticity(Simulation& sim, StateSource& source) {
    Network& net = sim.network();
    const NetworkSpec& spec = sim.spec();
    const auto& pops = net.decomposition().populations();
    each_plastic_part(spec, pops, [&](const PlasticPart& part) {
        const auto in_part = [&](const StaticSynapseTable& t) { return part.holds(t); };
        const SortedRows rows(source, part.key + "synapses", synapse_key, synapse_key + 1 + part.layout.synapse_values);
        each_keyed_synapse(net, part.proj, in_part,
                           [&](const double* k, VirtualProcess& vp, StaticSynapseTable& t, std::uint32_t, std::uint32_t i) {
                               const double* v = rows.at(k, "a synapse of '" + part.spec->name + "'");
                               t.weight[i] = float(v[0]);
                               vp.plastic(std::size_t(t.plastic)).set_synapse(i, v + 1);
                           });
        const std::size_t n_sources = n_sources_of(spec, pops, part.proj);
        restore_traces(source, part.key + "source", n_sources, part.layout.source_traces,
                       [&](auto&& f) { each_source_trace(net, part, false, f); });
        restore_traces(source, part.key + "target", part.n_targets, part.layout.target_traces,
                       [&](auto&& f) { each_target_trace(net, part, f); });
        // In synapse-time order; spikes of one synapse time touch disjoint targets' state.
        const SortedRows posts(source, part.key + "posts", 2, 3);
        each_plastic_table(net, part, [&](VirtualProcess& vp, StaticSynapseTable&, PlasticSynapses& pl) {
            for (std::size_t r = 0; r < posts.size(); ++r) {
                const double* row = posts.row(r);
                if (const std::int64_t i = local_of(net, part.target, vp, std::size_t(row[1])); i >= 0)
                    pl.push_post(step_t(row[0]), std::uint32_t(i), std::uint8_t(row[2]));
            }
        });
        if (part.spec->plasticity.rule == PlasticityRule::bdsp)
            restore_classifiers(source, part.key + "classifier/", part.n_targets, trace_rule(spec),
                                [&](auto&& f) { each_target_classifier(net, part, f); });
    });
    for (std::size_t p : archived_populations(spec)) {
        const std::string key = "archive/" + pops[p].name + "/";
        const auto clock = source.integers(key + "clock", 4);
        const SortedRows rows(source, key + "values", 2, 3);
        for (VirtualProcess& vp : net.vps()) {
            DendriticArchive* a = vp.group(p).dendritic_archive();
            if (!a || !a->enabled()) continue;
            a->restore_clock(clock[0] != 0, clock[1], clock[2], clock[3]);
            std::vector<double> values;
            for (std::uint32_t i = 0; i < vp.group(p).size(); ++i) {
                const double node = double(node_of(net, int(p), vp, i));
                std::size_t r = rows.lower_bound(&node, 1);
                if (r == rows.size() || rows.row(r)[0] != node) continue;  // nothing held
                const step_t begin = step_t(rows.row(r)[1]);
                values.clear();
                for (; r < rows.size() && rows.row(r)[0] == node; ++r) values.push_back(rows.row(r)[2]);
                if (begin + step_t(values.size()) != a->end())
                    throw UserError("apical: the checkpoint does not fit the network: the dendritic archive of '" +
                                    pops[p].name + "' has gaps");
                a->restore_neuron(i, begin, values);
            }
        }
    }
}

// teaching_current (engine/stimuli.hpp), under teaching/<stimulus>/<population>/: per node its
// event trace, the step of its last event, the current of the open window and its classifier;
// window_cycle, the window that current belongs to (the same on every VP).
template <class F>
void each_teaching(Network& net, std::size_t si, std::size_t p, F&& f) {
    for (VirtualProcess& vp : net.vps())
        for (std::size_t k = 0; k < vp.n_teaching(); ++k) {
            TeachingInput& in = vp.teaching(k);
            if (std::size_t(in.stimulus) == si && std::size_t(in.group) == p)
                for (std::uint32_t i = 0; i < in.current.size(); ++i) f(in, i, node_of(net, int(p), vp, i));
        }
}

// f(stimulus index, target population, its size, the key of its arrays) for every target of
// every teaching_current.
template <class F>
void each_teaching_target(Simulation& sim, F&& f) {
    const NetworkSpec& spec = sim.spec();
    for (std::size_t si = 0; si < spec.stimuli.size(); ++si) {
        const StimulusSpec& st = spec.stimuli[si];
        if (st.kind != StimulusSpec::Kind::teaching_current) continue;
        for (const std::string& target : st.targets) {
            const std::size_t p = population_of(spec, target);
            f(si, p, std::size_t(sim.network().decomposition().populations()[p].size),
              "teaching/" + st.name + "/" + target + "/");
        }
    }
}

void save_teaching(Simulation& sim, DistributedContext& ctx, StateSink* sink) {
    Network& net = sim.network();
    const NetworkSpec& spec = sim.spec();
    each_teaching_target(sim, [&](std::size_t si, std::size_t p, std::size_t n, const std::string& key) {
        // The per-node array `member` of the inputs, for save_array.
        const auto each = [&](auto member) {
            return [&, member](const auto& put) {
                each_teaching(net, si, p, [&](TeachingInput& in, std::uint32_t i, std::size_t node) {
                    put(node, (in.*member)[i]);
                });
            };
        };
        save_array<double>(ctx, sink, key + "trace", n, 1, 0.0, each(&TeachingInput::trace));
        save_array<std::int64_t>(ctx, sink, key + "last", n, 1, 0, each(&TeachingInput::last));
        save_array<double>(ctx, sink, key + "current", n, 1, 0.0, each(&TeachingInput::current));
        save_array<std::int64_t>(ctx, sink, key + "window_cycle", 1, 1, -1, [&](const auto& put) {
            each_teaching(net, si, p, [&](TeachingInput& in, std::uint32_t, std::size_t) { put(0, in.window_cycle); });
        });
        save_classifiers(ctx, sink, key + "classifier/", n, trace_rule(spec), [&](auto&& f) {
            each_teaching(net, si, p,
                          [&](TeachingInput& in, std::uint32_t i, std::size_t node) { f(in.classifier, i, node); });
        });
    });
}

void restore_teaching(Simulation& sim, StateSource& source) {
    Network& net = sim.network();
    const NetworkSpec& spec = sim.spec();
    each_teaching_target(sim, [&](std::size_t si, std::size_t p, std::size_t n, const std::string& key) {
        const auto trace = source.reals(key + "trace", n);
        const auto last = source.integers(key + "last", n);
        const auto current = source.reals(key + "current", n);
        const auto window_cycle = source.integers(key + "window_cycle", 1);
        each_teaching(net, si, p, [&](TeachingInput& in, std::uint32_t i, std::size_t node) {
            in.trace[i] = trace[node];
            in.last[i] = last[node];
            in.current[i] = current[node];
            in.window_cycle = window_cycle[0];
        });
        restore_classifiers(source, key + "classifier/", n, trace_rule(spec), [&](auto&& f) {
            each_teaching(net, si, p,
                          [&](TeachingInput& in, std::uint32_t i, std::size_t node) { f(in.classifier, i, node); });
        });
    });
}

}  // namespace

void save_state(Simulation& sim, DistributedContext& ctx, StateSink* sink) {
    sim.settle();
    Network& net = sim.network();
    const step_t now = sim.current_step();
    const auto& pops = net.decomposition().populations();
    const std::size_t n_pops = pops.size();
    // Neurons: state variables, own arrays, ring buffers, pending events. Every VP has a group
    // for every population (possibly empty), so the names are known on every rank from the
    // spec: the first VP's groups give the models.
    for (std::size_t p = 0; p < n_pops; ++p) {
        const PopulationLayout& pop = pops[p];
        const std::string key = population_key(pop);
        NeuronGroup& model = net.vps()[0].group(p);
        const ModelInfo& info = model.info();
        for (std::size_t v = 0; v < info.state.size(); ++v)
            save_array<double>(ctx, sink, key + "state/" + info.state[v].name, pop.size, 1, 0.0, [&](const auto& put) {
                for (VirtualProcess& vp : net.vps()) {
                    NeuronGroup& g = vp.group(p);
                    const double* x = g.state(int(v)).data();
                    for (std::size_t i = 0; i < g.size(); ++i) put(g.gids()[i] - pop.first_gid, x[i]);
                }
            });
        const std::vector<OwnStateArray> own = model.own_state();
        for (std::size_t a = 0; a < own.size(); ++a) {
            const std::size_t w = own[a].width;
            auto each = [&](auto&& value_of) {
                return [&, value_of](const auto& put) {
                    for (VirtualProcess& vp : net.vps()) {
                        NeuronGroup& g = vp.group(p);
                        const OwnStateArray arr = g.own_state()[a];
                        for (std::size_t i = 0; i < g.size(); ++i)
                            for (std::size_t k = 0; k < w; ++k)
                                put((g.gids()[i] - pop.first_gid) * w + k, value_of(arr, i * w + k));
                    }
                };
            };
            const std::string name = key + "own/" + own[a].name;
            if (own_is_real(own[a]))
                save_array<double>(ctx, sink, name, pop.size, w, 0.0, each(own_real));
            else
                save_array<std::int64_t>(ctx, sink, name, pop.size, w, 0, each(own_integer));
        }
        for (int r : own_buffers(model)) {
            const std::size_t slots = std::size_t(model.input(r).n_slots());
            save_array<double>(ctx, sink, key + "input/" + info.receptors[std::size_t(r)].name, pop.size, slots, 0.0,
                               [&](const auto& put) {
                                   for (VirtualProcess& vp : net.vps()) {
                                       NeuronGroup& g = vp.group(p);
                                       RingBuffer& buf = g.input(r);
                                       for (std::size_t k = 0; k < slots; ++k) {
                                           const double* row = buf.row_of_step(now + 1 + step_t(k));
                                           for (std::size_t i = 0; i < g.size(); ++i)
                                               put((g.gids()[i] - pop.first_gid) * slots + k, row[i]);
                                       }
                                   }
                               });
        }
        if (info.event_driven) {
            // Rows (step, offset, node, weight), concatenated over VPs and ranks.
            std::vector<double> rows;
            for (VirtualProcess& vp : net.vps()) {
                NeuronGroup& g = vp.group(p);
                for (const InputEvent& e : g.events().pending())
                    rows.insert(rows.end(), {double(e.step), double(e.offset), double(g.gids()[e.target] - pop.first_gid),
                                             e.weight});
            }
            const std::vector<double> all = concatenated_on_root(ctx, rows);
            if (ctx.rank() == 0 && sink) sink->reals(key + "events", all, 4);
        }
    }
    // noise_current: per (target population, stimulus), the current of `now`. The list comes
    // from the description (a VP without neurons of the target has no NoiseInput for it).
    for (std::size_t p = 0; p < n_pops; ++p) {
        std::vector<std::uint32_t> purposes;
        for (std::size_t si = 0; si < sim.spec().stimuli.size(); ++si) {
            const StimulusSpec& st = sim.spec().stimuli[si];
            if (st.kind == StimulusSpec::Kind::noise_current &&
                std::find(st.targets.begin(), st.targets.end(), pops[p].name) != st.targets.end())
                purposes.push_back(purpose(Purpose::noise_current, std::uint32_t(si)));
        }
        for (std::uint32_t purpose : purposes)
            save_array<double>(ctx, sink, "noise/" + pops[p].name + "/" + std::to_string(purpose), pops[p].size, 1, 0.0,
                               [&](const auto& put) {
                                   for (VirtualProcess& vp : net.vps())
                                       for (NoiseInput& in : vp.noise_inputs())
                                           if (std::size_t(in.group) == p && in.purpose == purpose)
                                               for (std::size_t i = 0; i < in.current.size(); ++i)
                                                   put(vp.group(p).gids()[i] - pops[p].first_gid, in.current[i]);
                               });
    }
    // Short-term plasticity, per (projection, source node): any VP with synapses of the source
    // holds its state (all such copies are equal).
    const NetworkSpec& spec = sim.spec();
    for (std::size_t proj = 0; proj < spec.projections.size(); ++proj) {
        if (!stp_per_source(spec, proj)) continue;
        const std::size_t n_sources = n_sources_of(spec, pops, proj);
        const std::size_t values = stp_values(spec, proj);
        // Each source's state from the tables of this projection that hold synapses of it.
        auto each_source = [&](auto&& f) {
            for (VirtualProcess& vp : net.vps())
                for (const StaticSynapseTable& t : vp.tables())
                    if (std::size_t(t.projection) == proj && t.short_term >= 0 && !t.short_term_per_synapse)
                        for (std::uint32_t node = 0; node < t.n_sources; ++node)
                            if (t.offsets[node] != t.offsets[node + 1]) f(vp.short_term()[std::size_t(t.short_term)], node);
        };
        const std::string key = "stp/" + spec.projections[proj].name + "/";
        save_array<double>(ctx, sink, key + "state", n_sources, values, 0.0, [&](const auto& put) {
            each_source([&](TsodyksMarkramSources& s, std::uint32_t node) {
                double v[8];
                step_t last;
                s.get(node, v, last);
                for (std::size_t k = 0; k < values; ++k) put(node * values + k, v[k]);
            });
        });
        save_array<std::int64_t>(ctx, sink, key + "last", n_sources, 1, no_spike_yet, [&](const auto& put) {
            each_source([&](TsodyksMarkramSources& s, std::uint32_t node) {
                double v[8];
                step_t last;
                s.get(node, v, last);
                put(node, last);
            });
        });
    }
    // Short-term plasticity drawn per synapse: every synapse's state, sorted by its key, and
    // each source's last spike.
    for (std::size_t proj = 0; proj < spec.projections.size(); ++proj) {
        if (!stp_per_synapse(spec, proj)) continue;
        const std::size_t values = stp_values(spec, proj);
        std::vector<double> rows;
        each_keyed_synapse(net, proj, has_stp_per_synapse,
                           [&](const double* key, VirtualProcess& vp, StaticSynapseTable& t, std::uint32_t, std::uint32_t k) {
                               rows.insert(rows.end(), key, key + synapse_key);
                               rows.resize(rows.size() + values);
                               vp.short_term_synapses()[std::size_t(t.short_term)].get(k, rows.data() + rows.size() - values);
                           });
        const std::string key = "stp_synapses/" + spec.projections[proj].name + "/";
        save_sorted_rows(ctx, sink, key + "state", synapse_key, synapse_key + values, rows);
        save_array<std::int64_t>(ctx, sink, key + "last", n_sources_of(spec, pops, proj), 1, no_spike_yet,
                                 [&](const auto& put) {
                                     each_keyed_synapse(net, proj, has_stp_per_synapse,
                                                        [&](const double*, VirtualProcess& vp, StaticSynapseTable& t,
                                                            std::uint32_t s, std::uint32_t) {
                                                            put(s, vp.short_term_synapses()[std::size_t(t.short_term)].last_spike(s));
                                                        });
                                 });
    }
    save_plasticity(sim, ctx, sink);
    save_teaching(sim, ctx, sink);
    // The run's classifier: the same on every rank, saved from rank 0's. The deliver
    // classifier's state of a neuron is the same on every rank that receives its spikes (all
    // of them) and untouched elsewhere: each rank gives the neurons it has seen spike.
    const bool traces = trace_rule(spec);
    SpikeClassifier& run_classifier = sim.classifier().classifier();
    save_classifiers(ctx, sink, "classifier/", run_classifier.size(), traces, [&](auto&& f) {
        if (ctx.rank() == 0)
            for (std::size_t i = 0; i < run_classifier.size(); ++i) f(run_classifier, i, i);
    });
    if (PopulationSpikeClassifier* d = sim.deliver_classifier()) {
        SpikeClassifier& c = d->classifier();
        save_classifiers(ctx, sink, "deliver_classifier/", c.size(), traces, [&](auto&& f) {
            for (std::size_t i = 0; i < c.size(); ++i)
                if (c.last_steps()[i] != never) f(c, i, i);
        });
    }
}


void restore_state(Simulation& sim, step_t step, StateSource& source) {
    Network& net = sim.network();
    const auto& pops = net.decomposition().populations();
    const std::size_t n_pops = pops.size();
    for (std::size_t p = 0; p < n_pops; ++p) {
        const PopulationLayout& pop = pops[p];
        const std::string key = population_key(pop);
        NeuronGroup& model = net.vps()[0].group(p);
        const ModelInfo& info = model.info();
        for (std::size_t v = 0; v < info.state.size(); ++v) {
            const auto values = source.reals(key + "state/" + info.state[v].name, pop.size);
            for (VirtualProcess& vp : net.vps()) {
                NeuronGroup& g = vp.group(p);
                double* x = g.state(int(v)).data();
                for (std::size_t i = 0; i < g.size(); ++i) x[i] = values[g.gids()[i] - pop.first_gid];
            }
        }
        const std::vector<OwnStateArray> own = model.own_state();
        for (std::size_t a = 0; a < own.size(); ++a) {
            const std::size_t w = own[a].width;
            const std::string name = key + "own/" + own[a].name;
            std::vector<double> reals;
            std::vector<std::int64_t> integers;
            if (own_is_real(own[a]))
                reals = source.reals(name, std::size_t(pop.size) * w);
            else
                integers = source.integers(name, std::size_t(pop.size) * w);
            for (VirtualProcess& vp : net.vps()) {
                NeuronGroup& g = vp.group(p);
                const OwnStateArray arr = g.own_state()[a];
                for (std::size_t i = 0; i < g.size(); ++i)
                    for (std::size_t k = 0; k < w; ++k) {
                        const std::size_t at = (g.gids()[i] - pop.first_gid) * w + k;
                        set_own(arr, i * w + k, reals.empty() ? 0.0 : reals[at], integers.empty() ? 0 : integers[at]);
                    }
            }
        }
        for (int r : own_buffers(model)) {
            const std::size_t slots = std::size_t(model.input(r).n_slots());
            const auto rows = source.reals(key + "input/" + info.receptors[std::size_t(r)].name, std::size_t(pop.size) * slots);
            for (VirtualProcess& vp : net.vps()) {
                NeuronGroup& g = vp.group(p);
                RingBuffer& buf = g.input(r);
                for (std::size_t k = 0; k < slots; ++k) {
                    double* row = buf.row_of_step(step + 1 + step_t(k));
                    for (std::size_t i = 0; i < g.size(); ++i) row[i] = rows[(g.gids()[i] - pop.first_gid) * slots + k];
                }
            }
        }
        if (info.event_driven) {
            const std::size_t n = source.rows(key + "events");
            const auto rows = source.reals(key + "events", n * 4);
            const std::size_t V = net.vps().size();
            for (std::size_t e = 0; e < n; ++e) {
                const double* row = rows.data() + 4 * e;
                const gid_t gid = pop.first_gid + gid_t(row[2]);
                for (std::size_t v = 0; v < V; ++v) {
                    NeuronGroup& g = net.vps()[v].group(p);
                    if (net.decomposition().vp_of(gid) != net.vps()[v].id()) continue;
                    const auto it = std::lower_bound(g.gids().begin(), g.gids().end(), gid);
                    g.events().push(step_t(row[0]), float(row[1]), std::uint32_t(it - g.gids().begin()), row[3]);
                }
            }
        }
    }
    for (std::size_t p = 0; p < n_pops; ++p)
        for (VirtualProcess& vp : net.vps())
            for (NoiseInput& in : vp.noise_inputs()) {
                if (std::size_t(in.group) != p) continue;
                const auto values = source.reals("noise/" + pops[p].name + "/" + std::to_string(in.purpose), pops[p].size);
                for (std::size_t i = 0; i < in.current.size(); ++i)
                    in.current[i] = values[vp.group(p).gids()[i] - pops[p].first_gid];
                in.next_step = step + 1;
                in.pair = -1;
            }
    for (VirtualProcess& vp : net.vps())
        for (std::size_t p = 0; p < n_pops; ++p) vp.group(p).after_restore();
    const NetworkSpec& spec = sim.spec();
    for (std::size_t proj = 0; proj < spec.projections.size(); ++proj) {
        if (!stp_per_source(spec, proj)) continue;
        const std::size_t n_sources = n_sources_of(spec, pops, proj);
        const std::size_t values = stp_values(spec, proj);
        const std::string key = "stp/" + spec.projections[proj].name + "/";
        const auto state = source.reals(key + "state", std::size_t(n_sources) * values);
        const auto last = source.integers(key + "last", n_sources);
        for (VirtualProcess& vp : net.vps())
            for (const StaticSynapseTable& t : vp.tables())
                if (std::size_t(t.projection) == proj && t.short_term >= 0 && !t.short_term_per_synapse)
                    for (std::uint32_t node = 0; node < t.n_sources; ++node)
                        vp.short_term()[std::size_t(t.short_term)].set(node, state.data() + node * values, last[node]);
    }
    for (std::size_t proj = 0; proj < spec.projections.size(); ++proj) {
        if (!stp_per_synapse(spec, proj)) continue;
        const std::string key = "stp_synapses/" + spec.projections[proj].name + "/";
        const SortedRows rows(source, key + "state", synapse_key, synapse_key + stp_values(spec, proj));
        const auto last = source.integers(key + "last", n_sources_of(spec, pops, proj));
        each_keyed_synapse(net, proj, has_stp_per_synapse,
                           [&](const double* k, VirtualProcess& vp, StaticSynapseTable& t, std::uint32_t s, std::uint32_t i) {
                               TsodyksMarkramSynapses& stp = vp.short_term_synapses()[std::size_t(t.short_term)];
                               stp.set_state(i, rows.at(k, "a synapse of '" + spec.projections[proj].name + "'"));
                               stp.last_spike(s) = last[s];
                           });
    }
    restore_plasticity(sim, source);
    restore_teaching(sim, source);
    const bool traces = trace_rule(spec);
    SpikeClassifier& run_classifier = sim.classifier().classifier();
    restore_classifiers(source, "classifier/", run_classifier.size(), traces, [&](auto&& f) {
        for (std::size_t i = 0; i < run_classifier.size(); ++i) f(run_classifier, i, i);
    });
    if (PopulationSpikeClassifier* d = sim.deliver_classifier()) {
        SpikeClassifier& c = d->classifier();
        restore_classifiers(source, "deliver_classifier/", c.size(), traces, [&](auto&& f) {
            for (std::size_t i = 0; i < c.size(); ++i) f(c, i, i);
        });
    }
    sim.resume_at(step);
}

}  // namespace apical
