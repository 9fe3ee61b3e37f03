#include "engine/checkpoint.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
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

// Short-term plasticity drawn per synapse: rows (receptor, source node, target node, occurrence
// of that pair in the table, state...) of every synapse of projection `proj`, with f(row, state
// of the synapse, its table's state, k) for each. The first four values identify a synapse
// under any decomposition: a target's synapses of one projection and receptor are one table,
// in construction order, on the target's VP.
constexpr std::size_t synapse_key = 4;
template <class F>
void each_stp_synapse(Network& net, std::size_t proj, F&& f) {
    for (VirtualProcess& vp : net.vps())
        for (const StaticSynapseTable& t : vp.tables()) {
            if (std::size_t(t.projection) != proj || t.short_term < 0 || !t.short_term_per_synapse) continue;
            TsodyksMarkramSynapses& stp = vp.short_term_synapses()[std::size_t(t.short_term)];
            std::unordered_map<std::uint32_t, std::uint32_t> seen;  // per source: occurrences per target
            for (std::uint32_t s = 0; s < t.n_sources; ++s) {
                seen.clear();
                for (std::uint32_t k = t.offsets[s]; k < t.offsets[s + 1]; ++k) {
                    const double key[synapse_key] = {
                        double(t.receptor), double(s),
                        double(net.decomposition().node_of_local(t.target_group, vp.id(), t.target[k])),
                        double(seen[t.target[k]]++)};
                    f(key, stp, s, k);
                }
            }
        }
}

// Short-term plasticity of projection `proj`: state per source node, or per synapse.
bool stp_per_source(const NetworkSpec& spec, std::size_t proj) {
    const SynapseSpec& s = spec.projections[proj].synapse;
    return s.model != SynapseModel::static_synapse && !s.per_synapse();
}
bool stp_per_synapse(const NetworkSpec& spec, std::size_t proj) {
    const SynapseSpec& s = spec.projections[proj].synapse;
    return s.model != SynapseModel::static_synapse && s.per_synapse();
}

bool key_less(const double* a, const double* b) {
    return std::lexicographical_compare(a, a + synapse_key, b, b + synapse_key);
}

std::size_t n_sources_of(const NetworkSpec& spec, const std::vector<PopulationLayout>& pops, std::size_t proj) {
    for (const PopulationLayout& p : pops)
        if (p.name == spec.projections[proj].source) return p.size;
    return 0;
}

}  // namespace

void check_checkpoint_support(Simulation& sim) {
    const NetworkSpec& spec = sim.spec();
    auto refuse = [](const std::string& what) {
        throw UserError("apical: checkpoints do not support " + what + " yet");
    };
    // (The Urbanczik-Senn archive is kept only for plastic projections.)
    for (const ProjectionSpec& proj : spec.projections)
        if (proj.plasticity.rule != PlasticityRule::none) refuse("plastic projections ('" + proj.name + "')");
    for (const StimulusSpec& st : spec.stimuli)
        if (st.kind == StimulusSpec::Kind::teaching_current) refuse("teaching_current stimuli ('" + st.name + "')");
    if (sim.has_deliver_classifier())
        refuse("the directed spike exchange with projections that transmit one spike class");
    if (!spec.weight_recordings.empty()) refuse("weight recordings");
}

void save_state(Simulation& sim, DistributedContext& ctx, StateSink* sink) {
    check_checkpoint_support(sim);
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
        const std::size_t values = spec.projections[proj].synapse.model == SynapseModel::tsodyks_3state
                     ? PerSourceStates<Tsodyks3State>::values
                     : PerSourceStates<TsodyksMarkramState>::values;
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
        std::size_t width = synapse_key;
        std::vector<double> rows;
        each_stp_synapse(net, proj, [&](const double* key, TsodyksMarkramSynapses& stp, std::uint32_t, std::uint32_t k) {
            width = synapse_key + stp.state_values();
            rows.insert(rows.end(), key, key + synapse_key);
            rows.resize(rows.size() + stp.state_values());
            stp.get(k, rows.data() + rows.size() - stp.state_values());
        });
        width = std::size_t(ctx.max(double(width)));  // ranks without such synapses know it too
        const std::vector<double> all = concatenated_on_root(ctx, rows);
        const std::string key = "stp_synapses/" + spec.projections[proj].name + "/";
        if (ctx.rank() == 0 && sink) {
            std::vector<std::size_t> order(all.size() / width);
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
            std::sort(order.begin(), order.end(),
                      [&](std::size_t a, std::size_t b) { return key_less(&all[a * width], &all[b * width]); });
            std::vector<double> sorted;
            sorted.reserve(all.size());
            for (std::size_t i : order) sorted.insert(sorted.end(), &all[i * width], &all[i * width] + width);
            sink->reals(key + "state", sorted, width);
        }
        save_array<std::int64_t>(ctx, sink, key + "last", n_sources_of(spec, pops, proj), 1, no_spike_yet,
                                 [&](const auto& put) {
                                     each_stp_synapse(net, proj, [&](const double*, TsodyksMarkramSynapses& stp,
                                                                     std::uint32_t s, std::uint32_t) {
                                         put(s, stp.last_spike(s));
                                     });
                                 });
    }
    // The run's classifier: the same on every rank, saved from rank 0's.
    if (ctx.rank() == 0 && sink) {
        SpikeClassifier& c = sim.classifier().classifier();
        sink->integers("classifier/last", c.last_steps(), 1);
        const std::vector<std::int64_t> in_burst(c.in_burst_flags().begin(), c.in_burst_flags().end());
        sink->integers("classifier/in_burst", in_burst, 1);
        sink->reals("classifier/trace", c.traces(), 1);
    }
}

void restore_state(Simulation& sim, step_t step, StateSource& source) {
    check_checkpoint_support(sim);
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
        const std::size_t values = spec.projections[proj].synapse.model == SynapseModel::tsodyks_3state
                                       ? PerSourceStates<Tsodyks3State>::values
                                       : PerSourceStates<TsodyksMarkramState>::values;
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
        const std::size_t width = synapse_key + (spec.projections[proj].synapse.model == SynapseModel::tsodyks_3state
                                                     ? PerSourceStates<Tsodyks3State>::values
                                                     : PerSourceStates<TsodyksMarkramState>::values);
        const std::size_t n = source.rows(key + "state");
        const auto rows = source.reals(key + "state", n * width);
        const auto last = source.integers(key + "last", n_sources_of(spec, pops, proj));
        each_stp_synapse(net, proj, [&](const double* k, TsodyksMarkramSynapses& stp, std::uint32_t s, std::uint32_t i) {
            std::size_t lo = 0, hi = n;  // the row of key k (rows are sorted by key)
            while (lo < hi) {
                const std::size_t mid = (lo + hi) / 2;
                if (key_less(&rows[mid * width], k)) lo = mid + 1;
                else hi = mid;
            }
            if (lo == n || key_less(k, &rows[lo * width]))
                throw UserError("apical: the checkpoint does not fit the network: a synapse of '" +
                                spec.projections[proj].name + "' is not in it");
            stp.set_state(i, &rows[lo * width + synapse_key]);
            stp.last_spike(s) = last[s];
        });
    }
    SpikeClassifier& c = sim.classifier().classifier();
    const auto last = source.integers("classifier/last", c.last_steps().size());
    const auto in_burst = source.integers("classifier/in_burst", c.in_burst_flags().size());
    const auto trace = source.reals("classifier/trace", c.traces().size());
    std::copy(last.begin(), last.end(), c.last_steps().begin());
    for (std::size_t i = 0; i < in_burst.size(); ++i) c.in_burst_flags()[i] = std::uint8_t(in_burst[i]);
    std::copy(trace.begin(), trace.end(), c.traces().begin());
    sim.resume_at(step);
}

}  // namespace apical
