#include "engine/memory_estimate.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/padded_array.hpp"
#include "engine/network.hpp"
#include "neurons/model_info.hpp"

namespace apical {

namespace {

constexpr double max_delay_steps = 65535;  // per-synapse delays are 16 bits

// The delays a projection's synapses will likely have, in steps as the builder rounds them:
// the range of the draws, and for unbounded sides 6 standard deviations from the mean.
std::pair<int, int> delay_steps(const Distribution& d, double dt) {
    auto [lo, hi] = draw_range(d);
    double spread_lo = lo, spread_hi = hi;
    if (d.kind == Distribution::Kind::normal) {
        spread_lo = d.mean - 6 * d.std, spread_hi = d.mean + 6 * d.std;
    } else if (d.kind == Distribution::Kind::lognormal && d.mean > 0) {
        const double s2 = std::log1p((d.std * d.std) / (d.mean * d.mean));
        const double mu = std::log(d.mean) - 0.5 * s2;
        spread_lo = std::exp(mu - 6 * std::sqrt(s2)), spread_hi = std::exp(mu + 6 * std::sqrt(s2));
    }
    if (!std::isfinite(lo)) lo = spread_lo;
    if (!std::isfinite(hi)) hi = spread_hi;
    lo = std::max(lo, spread_lo), hi = std::min(hi, spread_hi);
    const auto steps = [dt](double ms) { return int(std::clamp(std::round(ms / dt), 1.0, max_delay_steps)); };
    return {steps(std::min(lo, hi)), steps(std::max(lo, hi))};
}

// How many tables a projection makes per VP: two when the target routes weights by sign
// and the drawn weights take both signs, else one.
int tables_of(const ProjectionSpec& proj, const ModelInfo& target) {
    if (proj.receptor >= 0 || proj.weight.is_constant() || !target.route_by_sign) return 1;
    auto [lo, hi] = draw_range(proj.weight);
    return lo < 0 && hi >= 0 ? 2 : 1;
}

// A vector filled by push_back without a reserve holds on average about 1.5 times its size.
constexpr double growth = 1.5;

std::uint64_t read_number(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") return 0;
    try {
        const unsigned long long v = std::stoull(text);
        return v >= (1ull << 60) ? 0 : v;  // v1 says "no limit" with a page-rounded 2^63
    } catch (const std::exception&) {
        return 0;
    }
}

void take(MemoryLimit& limit, std::uint64_t bytes, const std::string& source) {
    if (bytes > 0 && (limit.bytes == 0 || bytes < limit.bytes)) limit = {bytes, source};
}

}  // namespace

MemoryEstimate estimate_memory(const NetworkSpec& spec, int ranks, int rank) {
    const int threads = spec.simulation.threads;
    const Decomposition d = make_decomposition(spec, ranks, threads);
    const double dt = spec.simulation.dt_ms;
    const auto local = [&](std::size_t p, int t) { return double(d.local_count(int(p), rank * threads + t)); };
    const auto on_rank = [&](std::size_t p) {
        double n = 0;
        for (int t = 0; t < threads; ++t) n += local(p, t);
        return n;
    };
    for (auto& p : spec.populations) APICAL_ASSERT(p.info);  // resolved by the description layer
    // By a hash: descriptions may have hundreds of thousands of populations.
    std::unordered_map<std::string_view, std::size_t> by_name;
    for (std::size_t i = 0; i < spec.populations.size(); ++i) by_name.emplace(spec.populations[i].name, i);
    const auto index = [&](const std::string& name) { return by_name.at(name); };  // names the description matched

    MemoryEstimate e;
    double synapse_bytes = 0, largest_build = 0;
    int lo = std::numeric_limits<int>::max(), hi = 0;
    for (const ProjectionSpec& proj : spec.projections) {
        const std::size_t ps = index(proj.source), pt = index(proj.target);
        const double n_src = double(spec.populations[ps].size), n_tgt = double(spec.populations[pt].size);
        const int n_tables = tables_of(proj, *spec.populations[pt].info);
        // Plastic synapses keep a weight each and a transposed index (plasticity/plastic_synapses.hpp).
        const bool plastic = proj.plasticity.rule != PlasticityRule::none;
        const bool weights = !proj.weight.is_constant() || plastic, delays = !proj.delay.is_constant();
        const bool stp = proj.synapse.model != SynapseModel::static_synapse;
        const bool stp_per_synapse = stp && proj.synapse.per_synapse();
        const bool three = proj.synapse.model == SynapseModel::tsodyks_3state;
        const double state = three ? sizeof(Tsodyks3State) : sizeof(TsodyksMarkramState);
        const double cache = double(DecayCache<Tsodyks3State>::n) *
                             (three ? sizeof(Tsodyks3State::Decay) : sizeof(TsodyksMarkramState::Decay));
        int drawn = 0;
        for (const Distribution* p : {&proj.synapse.U, &proj.synapse.f, &proj.synapse.tau_F, &proj.synapse.tau_D,
                                      &proj.synapse.tau_psc})
            drawn += !p->is_constant();
        // Per synapse in the tables (synapses/static_synapse_table.hpp) and its short-term state.
        // nn_pre_centered STDP keeps a presynaptic trace per synapse; triplet STDP two traces per
        // source and per target; Urbanczik-Senn its integrals and initial weight per synapse and
        // two traces per source (the targets' archives grow with the run and are not counted).
        const bool urbanczik = proj.plasticity.rule == PlasticityRule::urbanczik_senn;
        const bool synapse_trace =
            proj.plasticity.rule == PlasticityRule::stdp_pair && proj.plasticity.pairing == StdpPairing::nn_pre_centered;
        const double traces = proj.plasticity.rule == PlasticityRule::stdp_triplet || urbanczik ? 2.0 : 1.0;
        const double per_synapse = 4.0 + (weights ? 4.0 : 0.0) + (delays ? 2.0 : 0.0) + (plastic ? 4.0 : 0.0) +
                                   (synapse_trace ? 8.0 : 0.0) + (urbanczik ? sizeof(UrbanczikSennSynapse) : 0.0) +
                                   (stp_per_synapse ? state + 4.0 * drawn : 0.0);
        // Per synapse while building: the source, the delay (16 bits, the table's steps), the
        // weight (float, the table's precision) and short-term parameters; reserved when the
        // weight is constant. (Targets are counted per target node: 4 bytes each, below.)
        const double flat = (4.0 + (delays ? 2.0 : 0.0)) * (weights ? growth : 1.05) +
                            (weights ? 4.0 * growth : 0.0) +
                            (stp_per_synapse ? sizeof(TsodyksMarkramParameters) * growth : 0.0);
        double rank_synapses = 0, projection_bytes = 0;
        for (int t = 0; t < threads; ++t) {
            const double n = expected_connections(proj, local(pt, t), n_src, n_tgt);
            if (n <= 0) continue;
            rank_synapses += n;
            // Offsets per table, and the per-source state of short-term plasticity.
            double vp_bytes = n * per_synapse + n_tables * 4.0 * (n_src + 1);
            if (stp_per_synapse) vp_bytes += n_tables * (8.0 * n_src + (drawn ? 0.0 : cache));
            else if (stp) vp_bytes += n_src * (state + 8.0) + cache;
            // Plastic: per source a trace and the index's block starts; per target its
            // postsynaptic state and index offset; the trace decay tables.
            if (plastic)
                vp_bytes += n_tables * (n_src * (traces * sizeof(Trace) + 4.0) +
                                        local(pt, t) * (std::max(sizeof(BdspTarget), 2 * sizeof(Trace) + 8) + 4.0) +
                                        2.0 * traces * double(TraceDecayCache::table_bytes));
            projection_bytes += vp_bytes;
        }
        if (rank_synapses <= 0 && !proj.delay.is_constant()) continue;
        // The flat arrays and the fill positions of the table being filled. Every VP builds
        // the same projection at about the same time: the rank's peak is their sum.
        double build = 0;
        for (int t = 0; t < threads; ++t) {
            const double n = expected_connections(proj, local(pt, t), n_src, n_tgt);
            if (n > 0) build += n * flat + 4.0 * (n_src + 1) + 4.0 * double(n_tables) * local(pt, t);
        }
        largest_build = std::max(largest_build, build);
        synapse_bytes += projection_bytes;
        // Initial weights from a file: held whole on every rank for the build (InitialWeights).
        if (proj.initial_weights)
            synapse_bytes += double(proj.initial_weights->source.size()) * 8.0 +
                             double(proj.initial_weights->first.size()) * 8.0;
        e.synapses += rank_synapses;
        const auto [dlo, dhi] = delay_steps(proj.delay, dt);
        lo = std::min(lo, dlo);
        hi = std::max(hi, dhi);
    }
    if (hi == 0) lo = hi = slice_steps_without_synapses(dt);
    e.min_delay = std::max(1, lo);
    e.max_delay = std::max(e.min_delay, hi);
    const double slots = double(e.min_delay + e.max_delay);

    // Neurons: gid and state variables, a ring buffer per receptor with its own buffer
    // (neurons/neuron_group.hpp).
    double neuron_bytes = 0, other = 0;
    std::vector<std::uint8_t> noisy(spec.populations.size(), 0);
    for (const StimulusSpec& st : spec.stimuli)
        for (const std::string& target : st.targets) {
            const std::size_t p = index(target);
            const double n = on_rank(p);
            if (st.kind == StimulusSpec::Kind::poisson_generator) other += 16.0 * n + threads * 33000.0;
            if (st.kind == StimulusSpec::Kind::noise_current) other += 24.0 * n, noisy[p] = 1;
            // teaching_current: trace, last event and current (24 bytes), its classifier (9 or 17).
            if (st.kind == StimulusSpec::Kind::teaching_current) other += 41.0 * n, noisy[p] = 1;
        }
    std::size_t compartments = 1;
    for (std::size_t p = 0; p < spec.populations.size(); ++p) {
        const ModelInfo& info = *spec.populations[p].info;
        int buffers = 0;
        for (auto& r : info.receptors) buffers += r.shares_buffer_of < 0 && !info.event_driven;  // events instead
        const double n = on_rank(p);
        e.neurons += std::uint64_t(n);
        // State arrays and ring-buffer rows are padded per group, i.e. per VP, to the SIMD
        // width (core/padded_array.hpp).
        double padded = 0;
        for (int t = 0; t < threads; ++t) padded += double(padded_size(std::size_t(local(p, t))));
        neuron_bytes += n * sizeof(gid_t) + padded * (8.0 * double(info.state.size()) + 8.0 * buffers * slots);
        compartments = std::max(compartments, info.compartments.size());
    }
    // Stimulus scratch per VP: a slice of current per compartment, and per neuron for the
    // largest group with noise_current or teaching_current.
    for (int t = 0; t < threads; ++t) {
        double largest = 0;
        for (std::size_t p = 0; p < spec.populations.size(); ++p)
            if (noisy[p]) largest = std::max(largest, local(p, t));
        other += 8.0 * double(compartments) * e.min_delay * (1.0 + largest);
    }
    // State recordings: the frames of a slice, rank-wide on every rank.
    for (const StateRecordingSpec& r : spec.state_recordings) {
        const double every = std::max(1.0, std::round(r.interval_ms / dt));
        other += 8.0 * (std::floor(e.min_delay / every) + 2) * double(r.variables.size()) * double(r.nodes.size());
    }
    const auto bytes = [](double b) {
        return b >= 1.8e19 ? std::numeric_limits<std::uint64_t>::max() / 4 : std::uint64_t(b);
    };
    e.synapse_bytes = bytes(synapse_bytes);
    e.neuron_bytes = bytes(neuron_bytes);
    e.other_bytes = bytes(other);
    e.build_bytes = bytes(largest_build);
    return e;
}

MemoryLimit available_memory(int ranks_on_node, const std::string& proc_cgroup, const std::string& cgroup_root,
                             const std::string& meminfo, std::uint64_t address_space) {
    MemoryLimit limit;
    const std::uint64_t share = std::uint64_t(std::max(1, ranks_on_node));
    const std::string per_rank = share > 1 ? " shared by " + std::to_string(share) + " ranks on this node" : "";
    std::ifstream cgroups(proc_cgroup);
    for (std::string line; std::getline(cgroups, line);) {
        // hierarchy-id:controllers:path
        const auto a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1);
        std::string path = line.substr(b + 1);
        if (line.compare(0, a, "0") == 0 && controllers.empty()) {
            // v2: the limits of the process's cgroup and of every ancestor apply.
            for (;;) {
                take(limit, read_number(cgroup_root + path + "/memory.max") / share, "cgroup memory.max" + per_rank);
                if (path.empty() || path == "/") break;
                path = path.substr(0, path.rfind('/'));
            }
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            // v1: the group's limit; inside a container the group's path may not exist.
            std::uint64_t v = read_number(cgroup_root + "/memory" + path + "/memory.limit_in_bytes");
            if (v == 0) v = read_number(cgroup_root + "/memory/memory.limit_in_bytes");
            take(limit, v / share, "cgroup memory.limit_in_bytes" + per_rank);
        }
    }
    std::ifstream info(meminfo);
    for (std::string key; info >> key;) {
        std::uint64_t kib = 0;
        info >> kib;
        if (key == "MemAvailable:") {
            take(limit, kib * 1024 / share, "MemAvailable" + per_rank);
            break;
        }
        info.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    take(limit, address_space, "the address-space limit, ulimit -v");
    return limit;
}

MemoryLimit available_memory(int ranks_on_node) {
    rlimit as{};
    const std::uint64_t address_space =
        getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY ? std::uint64_t(as.rlim_cur) : 0;
    return available_memory(ranks_on_node, "/proc/self/cgroup", "/sys/fs/cgroup", "/proc/meminfo", address_space);
}

std::string memory_text(double bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) bytes /= 1024, ++u;
    char text[64];
    std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return text;
}

void check_memory(const NetworkSpec& spec, DistributedContext& context) {
    if (spec.simulation.force_memory) return;
    const MemoryEstimate e = estimate_memory(spec, context.size(), context.rank());
    const MemoryLimit limit = available_memory(context.ranks_on_node());
    const bool too_big = limit.bytes > 0 && e.peak_bytes() > limit.bytes;
    if (!context.any(too_big)) return;
    if (!too_big) throw PeerFailure();
    std::ostringstream neurons, synapses;
    neurons << e.neurons;
    synapses << std::uint64_t(std::llround(e.synapses));
    throw UserError(printable_line(
        (spec.file.empty() ? std::string("<description>") : spec.file) + ": the network needs about " +
        memory_text(double(e.peak_bytes())) + " per rank (" + neurons.str() +
        " neurons, " + synapses.str() + " synapses), more than the " + memory_text(double(limit.bytes)) +
        " available to this process (" + limit.source + "); use --force to run anyway"));
}

}  // namespace apical
