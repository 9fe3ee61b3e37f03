#include "engine/network.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <stdexcept>

#include <omp.h>

#include "core/distribution.hpp"
#include "core/error.hpp"
#include "core/huge_pages.hpp"
#include "core/random.hpp"
#include "neurons/models.hpp"
#include "neurons/spike_source.hpp"
#include "synapses/connection_rules.hpp"

namespace apical {

Decomposition make_decomposition(const NetworkSpec& spec, int ranks, int threads) {
    std::vector<PopulationLayout> layout;
    std::uint64_t next = 0;
    for (auto& p : spec.populations) {
        APICAL_ASSERT(next + p.size <= std::numeric_limits<gid_t>::max());  // the description checks it
        layout.push_back({p.name, gid_t(next), std::uint32_t(p.size)});
        next += p.size;
    }
    return Decomposition(std::move(layout), ranks, threads);
}

int slice_steps_without_synapses(double dt) {
    return fits_steps(1.0, dt, 65535) ? std::max(1, int(to_steps(1.0, dt))) : 65535;
}

namespace {

int population_index(const NetworkSpec& spec, const std::string& name) {
    for (std::size_t i = 0; i < spec.populations.size(); ++i)
        if (spec.populations[i].name == name) return int(i);
    throw std::logic_error("unknown population " + name + " passed the description checks");
}

// A delay in whole steps and, onto exact event-driven targets, the fraction of a step beyond
// them (docs/architecture.md, "Time"). On the grid the nearest step; either way at least one.
struct StepDelay {
    int steps;
    float fraction;
};
StepDelay step_delay(double ms, double h, bool exact) {
    if (!exact) return {std::max(1, int(to_steps(ms, h))), 0.0f};
    const ExactTime x = exact_time(ms, h);
    if (x.step < 1) return {1, 0.0f};
    return {int(x.step), x.offset};
}

// Runs body(vp) for every local VP on its own thread; rethrows the first exception.
template <class F>
void for_each_vp_parallel(std::vector<VirtualProcess>& vps, F body) {
    std::vector<std::exception_ptr> errors(vps.size());
#pragma omp parallel for schedule(static, 1) num_threads(int(vps.size()))
    for (std::size_t v = 0; v < vps.size(); ++v) {
        try {
            body(vps[v]);
        } catch (...) {
            errors[v] = std::current_exception();
        }
    }
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace

Network::Network(const NetworkSpec& spec, int ranks, int rank, int threads, DistributedContext* context)
    : spec_(spec), decomposition_(make_decomposition(spec, ranks, threads)) {
    for (auto& p : spec.populations) {
        APICAL_ASSERT(p.info && p.entry);  // the description layer resolves them; code must too
        n_neurons_ += p.size;
    }
    for (int t = 0; t < threads; ++t) vps_.emplace_back(rank * threads + t);
    edge_reading_.assign(std::size_t(threads), EdgeReading{});
    std::exception_ptr failure;
    try {
        for_each_vp_parallel(vps_, [&](VirtualProcess& vp) { build_synapses(vp); });
    } catch (...) {
        failure = std::current_exception();
    }
    // Ranks agree before the collectives below, so a failure on one rank cannot hang the others.
    if (context && context->size() > 1 && context->any(bool(failure)) && !failure) throw PeerFailure();
    if (failure) std::rethrow_exception(failure);

    // Slice length and ring-buffer size from the delays actually present (constant delays
    // count even where a VP has no synapse of that projection).
    int lo = std::numeric_limits<int>::max(), hi = 0;
    for (auto& p : spec.projections)
        if (p.delay.is_constant() && p.rule != ConnectionRule::explicit_edges) {
            const bool exact = spec.populations[std::size_t(population_index(spec, p.target))].info->event_driven;
            const int d = step_delay(p.delay.value, dt(), exact).steps;
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
    for (auto& vp : vps_)
        for (auto& t : vp.tables())
            if (t.size() > 0) {
                lo = std::min(lo, t.min_delay);
                hi = std::max(hi, t.max_delay);
            }
    if (context && context->size() > 1) {  // every rank must use the same slice length
        hi = int(context->max(double(hi)));
        lo = -int(context->max(-double(lo)));
    }
    if (hi == 0) lo = hi = slice_steps_without_synapses(dt());
    min_delay_ = std::max(1, lo);
    max_delay_ = std::max(min_delay_, hi);

    for_each_vp_parallel(vps_, [&](VirtualProcess& vp) {
        build_groups(vp);
        build_stimuli(vp);
        vp.finish_building(min_delay_);
    });
    for (auto& vp : vps_) {
        for (auto& t : vp.tables()) {
            n_synapses_ += t.size();
            synapse_bytes_ += t.bytes();
        }
        for (auto& stp : vp.short_term()) synapse_bytes_ += stp.bytes();
        for (auto& stp : vp.short_term_synapses()) synapse_bytes_ += stp.bytes();
        for (std::size_t i = 0; i < vp.n_plastic(); ++i) synapse_bytes_ += vp.plastic(i).bytes();
    }
}

namespace {

// Which short-term parameters a projection draws per synapse (ShortTermParameter order).
std::array<bool, ShortTermParameter::count> drawn_short_term(const SynapseSpec& s) {
    return {!s.U.is_constant(), !s.f.is_constant(), !s.tau_F.is_constant(),
            !s.tau_D.is_constant(), !s.tau_psc.is_constant()};
}

// One synapse's short-term parameters and initial state, drawn in a fixed order from the
// stream of its projection and target (so independent of the decomposition). Drawn
// parameters are rounded to single precision here, as they are stored; an f or u0 not given
// is the synapse's own U.
TsodyksMarkramParameters draw_short_term(const std::string& file, const ProjectionSpec& proj, RandomStream& rng) {
    const SynapseSpec& s = proj.synapse;
    const auto stored = [&](const Distribution& d) { return d.is_constant() ? d.value : double(float(draw(d, rng))); };
    TsodyksMarkramParameters p;
    p.U = stored(s.U);
    p.f = s.f_is_U ? p.U : stored(s.f);
    p.tau_F_ms = stored(s.tau_F);
    p.tau_D_ms = stored(s.tau_D);
    p.tau_psc_ms = stored(s.tau_psc);
    p.u0 = s.u0_is_U ? p.U : draw(s.u0, rng);
    p.x0 = draw(s.x0, rng);
    // The three-state propagator divides by tau_psc - tau_D (docs/models.md 4.3).
    if (s.model == SynapseModel::tsodyks_3state && p.tau_psc_ms == p.tau_D_ms)
        throw DescriptionError(file, s.where.line, s.where.column, s.where.key_path + ".tau_psc",
                               "a tau_psc different from tau_D for every synapse",
                               "a synapse with both " + std::to_string(p.tau_D_ms) + " ms");
    return p;
}

// A delay in steps as the synapse table stores it (16 bits).
std::uint16_t table_delay(int steps, const std::string& file, const ProjectionSpec& proj) {
    if (steps > std::numeric_limits<std::uint16_t>::max())
        throw DescriptionError(file, proj.where.line, proj.where.column, proj.where.key_path + ".delay",
                               "delays below 65536 steps", std::to_string(steps) + " steps");
    return std::uint16_t(steps);
}

// Hands out a projection's initial weights from a file (InitialWeights), target by target: each
// source of a target takes the first unused entry of its (source, target) pair, so repeated
// pairs keep their construction order. A target whose synapses differ from the file's, in number
// or in sources, is a DescriptionError at the `initial_weights` key.
class InitialWeightTaker {
public:
    InitialWeightTaker(const std::string& file, const ProjectionSpec& proj)
        : file_(file), proj_(proj), w_(proj.initial_weights.get()) {}
    explicit operator bool() const { return w_ != nullptr; }

    void start(std::uint32_t target, std::size_t n_built) {
        target_ = target;
        begin_ = w_->first[target];  // `first` has an entry per target node and one more
        end_ = w_->first[target + 1];
        if (end_ - begin_ != n_built)
            fail(std::to_string(n_built) + " synapses onto target node " + std::to_string(target) +
                     ", as the projection builds them",
                 std::to_string(end_ - begin_));
        used_.assign(end_ - begin_, false);
    }
    double take(std::uint32_t source) {
        const auto* first = w_->source.data() + begin_;
        std::size_t k = std::size_t(std::lower_bound(first, w_->source.data() + end_, source) - first);
        while (k < used_.size() && first[k] == source && used_[k]) ++k;
        if (k == used_.size() || first[k] != source)
            fail("a synapse from source node " + std::to_string(source) + " to target node " +
                     std::to_string(target_) + ", as the projection builds it",
                 "none (the file's synapses come from another connectivity or seed)");
        used_[k] = true;
        return double(w_->weight[begin_ + k]);
    }

private:
    [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
        const SourceLocation& at = proj_.initial_weights_where;
        throw DescriptionError(file_, at.line, at.column, at.key_path,
                               expected + " in " + w_->file + " /weights/" + w_->projection, found);
    }
    const std::string& file_;
    const ProjectionSpec& proj_;
    const InitialWeights* w_;
    std::uint32_t target_ = 0;
    std::size_t begin_ = 0, end_ = 0;
    std::vector<bool> used_;
};

}  // namespace

void Network::build_synapses(VirtualProcess& vp) {
    const auto& pops = decomposition_.populations();
    const double h = dt();
    const std::uint32_t seed = spec_.simulation.seed;
    std::vector<std::uint32_t> sources;
    for (std::size_t pi = 0; pi < spec_.projections.size(); ++pi) {
        const ProjectionSpec& proj = spec_.projections[pi];
        const int ps = population_index(spec_, proj.source), pt = population_index(spec_, proj.target);
        const ModelInfo& tinfo = *spec_.populations[std::size_t(pt)].info;
        std::vector<std::uint32_t> target_nodes(decomposition_.local_count(pt, vp.id()));
        for (std::uint32_t i = 0; i < target_nodes.size(); ++i)
            target_nodes[i] = decomposition_.node_of_local(pt, vp.id(), i);
        // Listed edges (explicit_edges) come from their EdgeSource, only those onto this VP's
        // targets, each with its own weight and delay; the other rules generate sources.
        const bool listed = proj.rule == ConnectionRule::explicit_edges;
        std::optional<ConnectionGenerator> gen;
        if (!listed)
            gen.emplace(proj, int(pi), seed, pops[ps].size, pops[ps].first_gid, pops[pt].size, pops[pt].first_gid,
                        target_nodes);

        const int named = proj.receptor;
        const std::size_t n_rec = std::max<std::size_t>(1, tinfo.receptors.size());
        // Synapses per receptor, in target order then construction order: their sources, and
        // how many each target has (not the target of every synapse: they come target by target).
        struct Flat {
            std::vector<std::uint32_t> src, per_target;
            std::vector<float> w;           // the table's precision
            std::vector<std::uint16_t> d;   // the table's steps
            std::vector<float> frac;  // onto event-driven targets: every synapse's delay fraction
            std::vector<TsodyksMarkramParameters> stp;  // drawn short-term parameters
        };
        const bool exact = tinfo.event_driven;
        const bool stp_per_synapse =
            proj.synapse.model != SynapseModel::static_synapse && proj.synapse.per_synapse();
        const bool plastic = proj.plasticity.rule != PlasticityRule::none;  // weights per synapse
        const bool weight_per_synapse = !proj.weight.is_constant() || plastic || listed;
        const bool delay_per_synapse = !proj.delay.is_constant() || listed;
        std::vector<Flat> flat(n_rec);
        for (Flat& f : flat) f.per_target.assign(target_nodes.size(), 0);
        // With a constant weight every synapse goes to one receptor: reserve the expected count
        // there, so the arrays do not grow (and copy) step by step.
        if (proj.weight.is_constant() && !listed) {
            const double expected = expected_connections(proj, double(target_nodes.size()),
                                                         double(pops[ps].size), double(pops[pt].size));
            const int r = named >= 0 ? named : (tinfo.route_by_sign && proj.weight.value < 0 ? 1 : 0);
            Flat& f = flat[std::size_t(r)];
            const auto n = std::size_t(expected * 1.05) + 16;  // a binomial count rarely exceeds its mean by 5 %
            f.src.reserve(n);
            prefer_huge_pages(f.src);
            if (!proj.delay.is_constant()) {
                f.d.reserve(n);
                prefer_huge_pages(f.d);
            }
        }
        InitialWeightTaker from_file(spec_.file, proj);
        if (listed) {
            // The edges arrive in blocks and go straight into the receptors' arrays.
            struct Sink final : EdgeSink {
                std::vector<Flat>& flat;
                const std::vector<std::uint32_t>& target_nodes;
                const ModelInfo& tinfo;
                const ProjectionSpec& proj;
                const std::string& file;
                int named;
                std::uint32_t n_sources;
                double h;
                bool exact;  // onto exact event-driven targets: delays keep their fraction of a step
                std::size_t local = 0;
                std::uint64_t n = 0;
                // Delays converted to steps, by the delay's bits: edges mostly share a few delays.
                struct CachedDelay {
                    double ms = -1.0;
                    StepDelay steps{1, 0.0f};
                };
                std::array<CachedDelay, 256> delays{};
                Sink(std::vector<Flat>& f, const std::vector<std::uint32_t>& t, const ModelInfo& i,
                     const ProjectionSpec& p, const std::string& fl, int r, std::uint32_t s, double dt, bool x)
                    : flat(f), target_nodes(t), tinfo(i), proj(p), file(fl), named(r), n_sources(s), h(dt), exact(x) {}
                // Which receptor an edge goes to. NEST's rule for listed edges: a negative weight
                // onto a conductance-based model (unsigned receptors) is the conductance -w of
                // the second (inhibitory) receptor.
                bool negated(double w) const {
                    return named < 0 && w < 0 && tinfo.receptors.size() >= 2 && !tinfo.receptors[1].signed_weights;
                }
                std::size_t receptor(double w, bool negated_w) const {
                    return named >= 0 ? std::size_t(named) : ((tinfo.route_by_sign || negated_w) && w < 0 ? 1 : 0);
                }
                // Every receptor that can receive reserves them all: address space only, the
                // pages unused stay untouched.
                void expect(std::uint64_t count) override {
                    for (std::size_t r = 0; r < flat.size(); ++r) {
                        const bool can = named >= 0 ? int(r) == named
                                                    : r == 0 || (r == 1 && (tinfo.route_by_sign || !tinfo.receptors[1].signed_weights));
                        if (!can) continue;
                        Flat& f = flat[r];
                        f.src.reserve(f.src.size() + count);
                        f.w.reserve(f.w.size() + count);
                        f.d.reserve(f.d.size() + count);
                        if (exact) f.frac.reserve(f.frac.size() + count);
                        prefer_huge_pages(f.src);
                        prefer_huge_pages(f.w);
                        prefer_huge_pages(f.d);
                    }
                }
                void take(const ExplicitEdge* edges, std::size_t count) override {
                    n += count;
                    for (std::size_t k = 0; k < count; ++k) {
                        const ExplicitEdge& e = edges[k];
                        while (local < target_nodes.size() && target_nodes[local] < e.target) ++local;
                        if (local == target_nodes.size() || target_nodes[local] != e.target || e.source >= n_sources)
                            throw std::logic_error("EdgeSource of projection " + proj.name +
                                                   " returned an edge outside the asked targets or the source population");
                        const bool neg = negated(e.weight);
                        Flat& f = flat[receptor(e.weight, neg)];
                        f.src.push_back(e.source);
                        ++f.per_target[local];
                        f.w.push_back(float(neg ? -e.weight : e.weight));
                        const auto bits = std::bit_cast<std::uint64_t>(e.delay_ms);
                        CachedDelay& c = delays[(bits * 0x9E3779B97F4A7C15u) >> 56];  // Fibonacci hashing
                        if (c.ms != e.delay_ms) {
                            c = {e.delay_ms, step_delay(e.delay_ms, h, exact)};
                            table_delay(c.steps.steps, file, proj);
                        }
                        f.d.push_back(std::uint16_t(c.steps.steps));
                        if (exact) f.frac.push_back(c.steps.fraction);
                    }
                }
            } sink(flat, target_nodes, tinfo, proj, spec_.file, named, pops[ps].size, h, exact);
            const auto start = std::chrono::steady_clock::now();
            proj.edges->edges_onto(target_nodes, sink);
            EdgeReading& reading = edge_reading_[std::size_t(vp.id() % int(edge_reading_.size()))];
            reading.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            reading.edges += sink.n;
        }
        for (std::size_t local = 0; local < (listed ? 0 : target_nodes.size()); ++local) {
            sources.clear();
            gen->sources(local, sources);
            const gid_t tgid = pops[pt].first_gid + target_nodes[local];
            RandomStream wrng(seed, purpose(Purpose::weight, std::uint32_t(pi)), tgid);
            RandomStream drng(seed, purpose(Purpose::delay, std::uint32_t(pi)), tgid);
            RandomStream srng(seed, purpose(Purpose::short_term, std::uint32_t(pi)), tgid);
            if (from_file) from_file.start(target_nodes[local], sources.size());
            for (std::uint32_t s : sources) {
                const double w = from_file ? from_file.take(s) : draw(proj.weight, wrng);
                const StepDelay d = step_delay(draw(proj.delay, drng), h, exact);
                const int r = named >= 0 ? named : (tinfo.route_by_sign && w < 0 ? 1 : 0);
                Flat& f = flat[std::size_t(r)];
                f.src.push_back(s);
                ++f.per_target[local];
                if (weight_per_synapse) f.w.push_back(float(w));
                if (delay_per_synapse) f.d.push_back(table_delay(d.steps, spec_.file, proj));
                if (exact) f.frac.push_back(d.fraction);
                if (stp_per_synapse) f.stp.push_back(draw_short_term(spec_.file, proj, srng));
            }
        }
        // Short-term plasticity: one per-source state for the projection's tables on this VP,
        // or a per-synapse state for each table.
        int short_term = -1;
        for (std::size_t r = 0; r < n_rec; ++r) {
            Flat& f = flat[r];
            if (f.src.empty()) continue;
            std::optional<TsodyksMarkramSynapses> per_synapse;
            if (stp_per_synapse)
                per_synapse.emplace(proj.synapse.model, proj.synapse.constants(), drawn_short_term(proj.synapse),
                                    pops[ps].size, f.src.size(), h);
            else if (proj.synapse.model != SynapseModel::static_synapse && short_term < 0)
                short_term = vp.add_short_term(
                    TsodyksMarkramSources(proj.synapse.model, proj.synapse.constants(), pops[ps].size, h));
            StaticSynapseTable t;
            t.short_term = short_term;
            t.transmit = proj.transmit;
            t.projection = int(pi);
            t.receptor = int(r);
            t.target_group = pt;
            t.source_first_gid = pops[ps].first_gid;
            t.n_sources = pops[ps].size;
            t.weight_constant = proj.weight.value;
            t.delay_constant = step_delay(proj.delay.value, h, exact).steps;
            t.event_target = exact;
            if (std::any_of(f.frac.begin(), f.frac.end(), [](float x) { return x != 0.0f; }))
                t.delay_fraction.resize(f.src.size());
            // Stable counting sort by source.
            t.offsets.assign(std::size_t(t.n_sources) + 1, 0);
            for (auto s : f.src) ++t.offsets[s + 1];
            for (std::uint32_t s = 0; s < t.n_sources; ++s) t.offsets[s + 1] += t.offsets[s];
            std::vector<std::uint32_t> fill(t.offsets.begin(), t.offsets.end() - 1);
            resize_on_huge_pages(t.target, f.src.size());
            if (!f.w.empty()) resize_on_huge_pages(t.weight, f.src.size());
            if (!f.d.empty()) resize_on_huge_pages(t.delay, f.src.size());
            t.min_delay = t.max_delay = t.delay_constant;
            if (!f.d.empty()) {
                t.min_delay = *std::min_element(f.d.begin(), f.d.end());
                t.max_delay = *std::max_element(f.d.begin(), f.d.end());
            }
            std::uint32_t local = 0, left = f.per_target.empty() ? 0 : f.per_target[0];
            // The writes go to as many places as there are sources: fetch a few edges ahead
            // (their place may move on by then, but rarely out of its cache line).
            constexpr std::size_t ahead = 16;
            for (std::size_t k = 0; k < f.src.size(); ++k) {
                if (k + ahead < f.src.size()) {
                    const std::uint32_t later = fill[f.src[k + ahead]];
                    __builtin_prefetch(t.target.data() + later, 1);
                    if (!f.w.empty()) __builtin_prefetch(t.weight.data() + later, 1);
                    if (!f.d.empty()) __builtin_prefetch(t.delay.data() + later, 1);
                }
                while (left == 0) left = f.per_target[++local];
                --left;
                const std::uint32_t at = fill[f.src[k]]++;
                t.target[at] = local;
                if (!f.w.empty()) t.weight[at] = f.w[k];
                if (!f.d.empty()) t.delay[at] = f.d[k];
                if (!t.delay_fraction.empty()) t.delay_fraction[at] = f.frac[k];
                if (per_synapse) per_synapse->set(at, f.stp[k]);
            }
            if (per_synapse) {
                t.short_term = vp.add_short_term_synapses(std::move(*per_synapse));
                t.short_term_per_synapse = true;
            }
            if (plastic) {
                std::optional<SpikeClassifier> classifier;
                const SpikeClassificationSpec& c = spec_.simulation.spike_classification;
                if (proj.plasticity.rule == PlasticityRule::bdsp)
                    classifier.emplace(c.rule == ClassificationRule::isi ? SpikeClassifier::Rule::isi
                                                                         : SpikeClassifier::Rule::trace,
                                       c.threshold_ms, h, target_nodes.size());
                t.plastic = vp.add_plastic(PlasticSynapses(proj.plasticity, t, target_nodes.size(), h), pt,
                                           pops[std::size_t(pt)], decomposition_.n_vp(), std::move(classifier));
            }
            f = Flat{};  // release the temporary arrays early
            vp.add_table(ps, std::move(t));
        }
    }
}

void Network::plastic_weights(int projection, std::vector<SynapseWeight>& out) const {
    const int pt = population_index(spec_, spec_.projections[std::size_t(projection)].target);
    for (const VirtualProcess& vp : vps_)
        for (const StaticSynapseTable& t : vp.tables()) {
            if (t.projection != projection || t.plastic < 0) continue;
            for (std::uint32_t s = 0; s < t.n_sources; ++s)
                for (std::uint32_t k = t.offsets[s]; k < t.offsets[s + 1]; ++k)
                    out.push_back({s, decomposition_.node_of_local(pt, vp.id(), t.target[k]), t.weight[k]});
        }
}

void Network::build_groups(VirtualProcess& vp) {
    const auto& pops = decomposition_.populations();
    const int n_slots = min_delay_ + max_delay_;
    for (std::size_t p = 0; p < pops.size(); ++p) {
        const PopulationSpec& ps = spec_.populations[p];
        const std::uint32_t n = decomposition_.local_count(int(p), vp.id());
        std::vector<gid_t> gids(n);
        for (std::uint32_t i = 0; i < n; ++i)
            gids[i] = pops[p].first_gid + decomposition_.node_of_local(int(p), vp.id(), i);
        const ModelEntry* entry = ps.entry;
        if (!entry->make) {  // spike_source
            std::vector<std::vector<double>> times(n);
            for (std::uint32_t i = 0; i < n; ++i) {
                const std::uint32_t node = decomposition_.node_of_local(int(p), vp.id(), i);
                if (node < ps.spike_times_ms.size()) times[i] = ps.spike_times_ms[node];
            }
            vp.add_group(make_spike_source(std::move(gids), n_slots, dt(), times, ps.exact_spike_times));
            continue;
        }
        ModelContext context{spec_.simulation.seed, std::uint32_t(p), ps.options};
        if (!ps.parameter_sets.empty()) {
            context.parameter_sets = &ps.parameter_sets;
            context.set_of_node = &ps.parameter_set_of_node;
            context.first_gid = pops[p].first_gid;
        }
        auto group = entry->make(std::move(gids), n_slots, dt(), ps.parameters, context);
        // Initial state: defaults, then the user's constants or per-neuron draws from the
        // stream (seed, initial_state purpose of the population and variable, gid).
        const ModelInfo& info = group->info();
        for (std::size_t s = 0; s < info.state.size(); ++s) {
            auto& x = group->state(int(s));
            const auto& from = info.state[s].default_from_parameter;
            std::fill(x.begin(), x.end(), from.empty() ? 0.0 : ps.parameters.at(from));
            auto it = ps.initial.find(info.state[s].name);
            if (it == ps.initial.end()) continue;
            const std::uint32_t what = purpose(Purpose::initial_state, std::uint32_t(p * 256 + s));
            for (std::size_t i = 0; i < x.size(); ++i) {
                RandomStream rng(spec_.simulation.seed, what, group->gids()[i]);
                x[i] = draw(it->second, rng);
            }
        }
        vp.add_group(std::move(group));
    }
}

void Network::build_stimuli(VirtualProcess& vp) {
    const double h = dt();
    for (std::size_t si = 0; si < spec_.stimuli.size(); ++si) {
        const StimulusSpec& st = spec_.stimuli[si];
        for (std::size_t k = 0; k < st.targets.size(); ++k) {
            const int p = population_index(spec_, st.targets[k]);
            if (st.kind == StimulusSpec::Kind::poisson_generator) {
                const ModelInfo& info = vp.group(std::size_t(p)).info();
                PoissonInput in;
                in.group = p;
                in.receptor = st.receptors.empty() ? (info.route_by_sign && st.weight < 0 ? 1 : 0)
                                                   : st.receptors[k];
                in.weight = st.weight;
                in.lambda = st.rate_hz * h * 1e-3;
                if (in.lambda < 10.0) {
                    in.cdf = poisson_cdf(in.lambda);
                    in.build_guide();
                }
                in.delay = std::max(1, int(to_steps(st.delay_ms, h)));
                in.first_emission = to_steps(st.start_ms, h) + 1;
                in.last_emission = st.stop_ms >= 1e299 ? std::numeric_limits<step_t>::max() / 2
                                                       : to_steps(st.stop_ms, h);
                in.purpose = purpose(Purpose::poisson_input, std::uint32_t(si));
                vp.add_poisson(std::move(in));
            } else if (st.kind == StimulusSpec::Kind::sine_input) {
                constexpr double pi = 3.14159265358979323846;
                ReceptorInput in;
                in.group = p;
                in.receptor = st.receptors.empty() ? 0 : st.receptors[k];
                in.delay = std::max(1, int(to_steps(st.delay_ms, h)));
                in.first_emission = to_steps(st.start_ms, h) + 1;
                in.last_emission = st.stop_ms >= 1e299 ? std::numeric_limits<step_t>::max() / 2
                                                       : to_steps(st.stop_ms, h);
                in.offset = st.input_offset;
                in.amplitude = st.input_amplitude;
                in.omega_dt = 2.0 * pi * st.frequency_hz * 1e-3 * h;
                in.phase = st.phase_deg * pi / 180.0;
                vp.add_receptor_input(in);
            } else {
                CurrentInput in;
                in.group = p;
                in.compartment = st.compartments.empty() ? 0 : st.compartments[k];
                if (st.kind == StimulusSpec::Kind::noise_current) {
                    add_noise(vp, st, si, p, in.compartment);
                    continue;
                }
                if (st.kind == StimulusSpec::Kind::teaching_current) {
                    add_teaching(vp, st, si, p, in.compartment);
                    continue;
                }
                in.stop_index = st.stop_ms >= 1e299 ? std::numeric_limits<step_t>::max() / 2
                                                    : to_steps(st.stop_ms, h);
                if (st.kind == StimulusSpec::Kind::dc_current) {
                    in.start_index = {to_steps(st.start_ms, h)};
                    in.amplitude = {st.amplitude_pA};
                } else if (st.kind == StimulusSpec::Kind::sine_current) {
                    in.start_index = {to_steps(st.start_ms, h)};
                    in.amplitude = {st.offset_pA};
                    in.set_sine(st.amplitude_pA, st.frequency_hz, st.phase_deg, h);
                } else if (st.period_ms > 0.0) {  // periodic step_current: offsets inside a period
                    in.period = to_steps(st.period_ms, h);
                    in.origin = to_steps(st.start_ms, h);
                    for (std::size_t k = 0; k < st.times_ms.size(); ++k) {
                        in.start_index.push_back(to_steps(st.times_ms[k], h));
                        in.amplitude.push_back(st.amplitudes_pA[k]);
                    }
                } else {
                    for (std::size_t k = 0; k < st.times_ms.size(); ++k) {
                        in.start_index.push_back(std::max(to_steps(st.times_ms[k], h), to_steps(st.start_ms, h)));
                        in.amplitude.push_back(st.amplitudes_pA[k]);
                    }
                }
                vp.add_current(std::move(in));
            }
        }
    }
}

// A noise_current on population p: one NoiseInput per VP
// that owns neurons of p.
void Network::add_noise(VirtualProcess& vp, const StimulusSpec& st, std::size_t si, int p, int compartment) {
    const NeuronGroup& g = vp.group(std::size_t(p));
    // The description has checked the target (one whose neurons take input), std, tau and mean.
    APICAL_ASSERT(!g.info().is_spike_source);
    if (g.size() == 0) return;
    const double h = dt();
    NoiseInput in(st.mean_pA, st.std_pA, st.tau_ms, h, g.size());
    in.group = p;
    in.compartment = compartment;
    in.first_step = to_steps(st.start_ms, h) + 1;
    in.last_step = st.stop_ms >= 1e299 ? std::numeric_limits<step_t>::max() / 2 : to_steps(st.stop_ms, h);
    in.seed = spec_.simulation.seed;
    in.purpose = purpose(Purpose::noise_current, std::uint32_t(si));
    vp.add_noise(std::move(in));
}

// A teaching_current on population p: one TeachingInput per VP that owns neurons of p, with
// its own classifier of their spikes (the run's rule).
void Network::add_teaching(VirtualProcess& vp, const StimulusSpec& st, std::size_t si, int p, int compartment) {
    const NeuronGroup& g = vp.group(std::size_t(p));
    if (g.size() == 0) return;
    const double h = dt();
    const SpikeClassificationSpec& c = spec_.simulation.spike_classification;
    TeachingInput in(SpikeClassifier(c.rule == ClassificationRule::isi ? SpikeClassifier::Rule::isi
                                                                       : SpikeClassifier::Rule::trace,
                                     c.threshold_ms, h, g.size()),
                     g.size());
    in.stimulus = int(si);
    in.group = p;
    in.compartment = compartment;
    in.schedule.period = to_steps(st.period_ms, h);
    in.schedule.origin = to_steps(st.start_ms, h);
    if (st.stop_ms < 1e299) in.schedule.end = to_steps(st.stop_ms, h);
    in.schedule.windows = {{to_steps(st.window_ms.first, h), to_steps(st.window_ms.second, h)}};
    for (int t : st.pattern) in.pattern.push_back(std::uint8_t(t));
    in.amplitude = st.amplitude_pA;
    in.e_min = st.e_min_hz, in.e_max = st.e_max_hz, in.tolerance = st.tolerance_hz;
    in.tau_steps = st.tau_avg_ms / h;
    in.tau_s = st.tau_avg_ms * 1e-3;
    vp.add_teaching(std::move(in), decomposition_.populations()[std::size_t(p)], decomposition_.n_vp());
}

std::uint64_t Network::neuron_bytes() const {
    std::uint64_t b = 0;
    for (auto& vp : vps_)
        for (std::size_t p = 0; p < vp.n_groups(); ++p) b += vp.group(p).bytes();
    return b;
}

std::vector<std::uint64_t> Network::synapses_per_projection() const {
    std::vector<std::uint64_t> n(spec_.projections.size(), 0);
    for (auto& vp : vps_)
        for (auto& t : vp.tables()) n[std::size_t(t.projection)] += t.size();
    return n;
}

bool Network::sources_within(const std::vector<std::uint8_t>& populations) const {
    for (auto& vp : vps_)
        for (auto& t : vp.tables())
            if (t.size() > 0 && !populations[std::size_t(decomposition_.population_of(t.source_first_gid))]) return false;
    return true;
}

SpikeRoutes Network::spike_routes(DistributedContext& context) const {
    const std::size_t R = std::size_t(context.size());
    SpikeRoutes routes;
    routes.threads = decomposition_.threads_per_rank();
    routes.n_vp = decomposition_.n_vp();
    if (std::size_t(decomposition_.ranks()) != R)
        throw std::logic_error("spike_routes: the context's ranks differ from the decomposition's");
    // Slots per rank (the same for every rank): one per (gid / n_vp, thread).
    const std::uint64_t V = std::uint64_t(routes.n_vp);
    const std::size_t slots = std::size_t((n_neurons_ + V - 1) / V) * std::size_t(routes.threads);
    const std::size_t bytes = (slots + 7) / 8;
    std::vector<std::uint8_t> need(bytes * R, 0);  // [owner rank][slot bit]
    for (auto& vp : vps_)
        for (auto& t : vp.tables())
            for (std::uint32_t node = 0; node < t.n_sources; ++node)
                if (t.offsets[node + 1] > t.offsets[node]) {
                    const gid_t gid = t.source_first_gid + node;
                    const std::size_t owner = std::size_t(decomposition_.vp_of(gid) / routes.threads);
                    const std::uint32_t s = routes.slot(gid);
                    need[owner * bytes + s / 8] |= std::uint8_t(1u << (s % 8));
                }
    std::vector<std::uint8_t> wanted;
    std::vector<std::size_t> counts(R, bytes), received;
    context.all_to_all(need, counts, wanted, received);
    need = {};
    for (std::size_t r = 0; r < R; ++r)
        if (received[r] != bytes) throw std::logic_error("spike_routes: bitmaps of unequal sizes");
    routes.offsets.assign(slots + 1, 0);
    for (std::size_t s = 0; s < slots; ++s) {
        for (std::size_t r = 0; r < R; ++r)
            if (wanted[r * bytes + s / 8] >> (s % 8) & 1u) routes.ranks.push_back(std::uint32_t(r));
        routes.offsets[s + 1] = std::uint32_t(routes.ranks.size());
    }
    routes.ranks.shrink_to_fit();
    return routes;
}

}  // namespace apical
