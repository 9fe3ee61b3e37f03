// The Urbanczik-Senn rule in the kernel (plasticity/urbanczik_senn.hpp, plasticity/plastic_synapses.hpp;
// docs/models.md 15.2) against a brute-force reference written here: for each synapse on its
// own, every step of synapse time t walks the presynaptic traces a_L, a_s (decayed step by step
// by exp(-h / tau), incremented after the spike's own update), the low-passed J (decayed by
// exp(-h / tau_Delta) per step) and I, with PI(t) = (a_L - a_s) dPI(t - d) from the target's
// archive as the run wrote it (copied after every slice, before anything is trimmed; the
// archive's own values are tested against NEST's formula in test_pp_cond_exp_mc_urbanczik.cpp),
// and at each presynaptic spike w = clip(w_init + (I - J) c) (NEST's urbanczik_synapse::send in
// continuous form). It shares nothing with the kernel's per-interval kernels, its closed-form
// decays, its archive reads or its trimming. The kernel is exact relative to the archive: I
// and J agree to 1e-9 relative (the difference is rounding: sums in another order, per-step
// decays against closed forms); weights to single precision (they are stored as float).
// Also: the archive stays bounded, and 1 and 2 threads give bitwise the same weights and spikes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"

using namespace apical;

namespace {

constexpr double dt = 0.1;

// 40 Poisson sources at 15 Hz onto the dendrites of 6 pp_cond_exp_mc_urbanczik neurons
// (p 0.5), somatic Poisson drive so that the neurons fire at tens of Hz; eta large enough
// that weights move (some reach the bounds).
std::string description(int threads, const std::string& delay, double t_stop_ms = 1500) {
    return "simulation: {dt: 0.1 ms, t_stop: " + std::to_string(t_stop_ms) + " ms, seed: 5, threads: " +
           std::to_string(threads) +
           "}\n"
           "populations:\n"
           "  src: {model: poisson_source, size: 40, parameters: {rate: 15 Hz}}\n"
           "  tgt: {model: pp_cond_exp_mc_urbanczik, size: 6}\n"
           // Sources that start late: their first spikes come after archives were trimmed.
           "  late: {model: poisson_source, size: 10, parameters: {rate: 30 Hz, start: " +
           std::to_string(t_stop_ms / 2) +
           " ms}}\n"
           "projections:\n"
           "  - {name: plastic, source: src, target: tgt, receptor: dendrite.exc,\n"
           "     connectivity: {rule: pairwise_bernoulli, p: 0.5},\n"
           "     weight: {distribution: uniform, low: 50 pA, high: 250 pA}, delay: " +
           delay +
           ",\n"
           "     plasticity: {rule: urbanczik_senn, eta: 0.2, tau_Delta: 30 ms, Wmin: 0 pA, Wmax: 400 pA}}\n"
           "  - {name: plastic_late, source: late, target: tgt, receptor: dendrite.exc,\n"
           "     connectivity: {rule: pairwise_bernoulli, p: 0.5}, weight: 100 pA, delay: " +
           delay +
           ",\n"
           "     plasticity: {rule: urbanczik_senn, eta: 0.2, tau_Delta: 30 ms, Wmin: 0 pA, Wmax: 400 pA}}\n"
           "stimuli:\n"
           "  - {name: drive, model: poisson_generator, targets: [tgt], receptor: soma.exc, rate: 3 kHz, "
           "weight: 2 nS, delay: 0.1 ms}\n";
}

struct Synapse {
    gid_t source, target;
    float weight;
    double I, J;
    float w_init;
};

struct Result {
    std::vector<Spike> spikes;
    std::vector<Synapse> synapses;
    std::map<gid_t, std::vector<double>> dpi;  // per target: dPI of steps 1, 2, ...
    gid_t src_first = 0;
    step_t delivered = 0;
    std::size_t max_held = 0;
};

Result run(const std::string& text) {
    const NetworkSpec spec = parse_description(text, "urbanczik.yaml", {});
    Network net(spec, 1, 0, spec.simulation.threads);
    LocalContext ctx;
    Simulation sim(net, ctx);
    MemorySpikeRecorder rec;
    sim.add_recorder(&rec);
    Result r;
    const auto& pops = net.decomposition().populations();
    r.src_first = pops[0].first_gid;
    // Copy each target's new archive entries after every slice (before the next deliver trims).
    sim.on_slice([&](step_t) {
        for (VirtualProcess& vp : net.vps()) {
            const NeuronGroup& g = vp.group(1);
            const DendriticArchive& a = *g.dendritic_archive();
            for (std::uint32_t i = 0; i < g.size(); ++i) {
                std::vector<double>& v = r.dpi[g.gids()[i]];
                const step_t next = step_t(v.size()) + 1;
                REQUIRE(a.begin(i) <= next);
                const double* x = a.from(i, next);
                v.insert(v.end(), x, x + (a.end() - next));
                r.max_held = std::max(r.max_held, a.held(i));
            }
        }
    });
    sim.run(to_steps(spec.simulation.t_stop_ms, dt));
    r.spikes = rec.spikes;
    r.delivered = sim.delivered_through();
    for (auto& vp : net.vps()) {
        const auto& tables = vp.tables();
        for (std::size_t pi = 0; pi < vp.n_plastic(); ++pi) {
            const PlasticSynapses& ps = vp.plastic(pi);
            const StaticSynapseTable* table = nullptr;
            for (auto& t : tables)
                if (t.plastic == int(pi)) table = &t;
            REQUIRE(table);
            const auto& state = ps.urbanczik_synapses();
            for (std::uint32_t s = 0; s < table->n_sources; ++s)
                for (std::uint32_t k = table->offsets[s]; k < table->offsets[s + 1]; ++k)
                    r.synapses.push_back({table->source_first_gid + s, vp.group(1).gids()[table->target[k]],
                                          table->weight[k], state[k].I, state[k].J, state[k].w_init});
        }
    }
    std::sort(r.synapses.begin(), r.synapses.end(), [](const Synapse& a, const Synapse& b) {
        return std::pair(a.source, a.target) < std::pair(b.source, b.target);
    });
    return r;
}

struct Reference {
    double I = 0, J = 0;
    float w;
    double I_at_spike = 0, J_at_spike = 0;
};

// The dendrite defaults of pp_cond_exp_mc_urbanczik: C_m_d 300 pF, g_L_d 30 nS (tau_L 10 ms),
// tau_syn_ex_d 3 ms; the description's eta, tau_Delta, Wmin, Wmax.
Reference reference(float w_init, const std::vector<step_t>& pre, const std::vector<double>& dpi, step_t d,
                    step_t t_end) {
    const double tau_L = 300.0 / 30.0, tau_s = 3.0, tau_Delta = 30.0, eta = 0.2, Wmin = 0.0, Wmax = 400.0;
    const double c = 15.0 * 300.0 * tau_s * eta / (30.0 * (tau_L - tau_s));
    const double dL = std::exp(-dt / tau_L), ds = std::exp(-dt / tau_s), dD = std::exp(-dt / tau_Delta);
    Reference r{0, 0, w_init, 0, 0};
    double a_L = 0, a_s = 0;
    std::size_t next = 0;
    for (step_t t = 1; t <= t_end; ++t) {
        a_L *= dL;
        a_s *= ds;
        const step_t s = t - d;  // archived step that arrives at synapse time t
        const double x = s >= 1 && std::size_t(s) <= dpi.size() ? dpi[std::size_t(s) - 1] : 0.0;
        const double PI = (a_L - a_s) * x;
        r.I += PI;
        r.J = r.J * dD + PI;
        if (next < pre.size() && pre[next] == t) {
            // The kernel's I and J are those of the last presynaptic spike.
            r.I_at_spike = r.I;
            r.J_at_spike = r.J;
            r.w = float(std::clamp(double(w_init) + (r.I - r.J) * c, Wmin, Wmax));
            a_L += 1.0;
            a_s += 1.0;
            ++next;
        }
    }
    return r;
}

void check_against_reference(const std::string& delay, step_t d) {
    const Result r = run(description(1, delay, 4000));
    std::map<gid_t, std::vector<step_t>> trains;
    for (const Spike& s : r.spikes) trains[s.gid].push_back(s.step);
    REQUIRE(r.synapses.size() > 80);
    std::size_t target_spikes = 0;
    for (auto& [gid, v] : r.dpi) target_spikes += trains[gid].size();
    REQUIRE(target_spikes > 50);  // the targets fire: dPI has both signs
    double max_rel = 0.0, max_w = 0.0;
    int changed = 0, at_bound = 0;
    for (const Synapse& syn : r.synapses) {
        std::vector<step_t> pre;
        for (step_t s : trains[syn.source])
            if (s <= r.delivered) pre.push_back(s);
        const Reference ref = reference(syn.w_init, pre, r.dpi.at(syn.target), d, r.delivered);
        const double scale = std::max({std::abs(ref.I_at_spike), std::abs(ref.J_at_spike), 1e-3});
        max_rel = std::max(
            {max_rel, std::abs(syn.I - ref.I_at_spike) / scale, std::abs(syn.J - ref.J_at_spike) / scale});
        max_w = std::max(max_w, double(std::abs(syn.weight - ref.w)) / std::max(1.0f, std::abs(ref.w)));
        changed += std::abs(ref.w - syn.w_init) > 1.0f;
        at_bound += ref.w == 0.0f || ref.w == 400.0f;
    }
    // Bounded archive: it must hold the steps since its sources' oldest last spike (at most the
    // longest gap of a source train, the start included, plus the delay), plus up to 1024 steps
    // between trims, and twice that since the kept part moves only when half can go.
    step_t max_gap = 0;
    for (auto& [gid, steps] : trains) {
        if (r.dpi.count(gid)) continue;  // the sources only
        // A late source needs nothing before its first spike.
        step_t previous = gid < r.src_first + 40 ? 0 : steps.front();
        for (step_t s : steps) max_gap = std::max(max_gap, s - previous), previous = s;
        max_gap = std::max(max_gap, r.delivered - previous);
    }
    WARN("urbanczik_senn, delay " << delay << ": " << r.synapses.size() << " synapses, " << changed
                                  << " moved by > 1 pA, " << at_bound << " at a bound; max relative error of I, J "
                                  << max_rel << ", of w " << max_w << "; archive held at most " << r.max_held
                                  << " steps of " << r.delivered << " (longest source gap " << max_gap << ")");
    CHECK(max_rel < 1e-9);
    CHECK(max_w < 1e-6);  // float storage: 2^-24 relative per rounding
    CHECK(changed > int(r.synapses.size()) / 2);
    CHECK(r.max_held <= std::size_t(2 * (max_gap + d + DendriticArchive::trim_interval)));
    CHECK(r.max_held < std::size_t(r.delivered) / 2);
}

}  // namespace

TEST_CASE("urbanczik_senn: weights equal a brute-force per-synapse reference", "[plasticity][urbanczik_senn]") {
    SECTION("delay 1 ms") { check_against_reference("1 ms", 10); }
    SECTION("delay 2.3 ms") { check_against_reference("2.3 ms", 23); }
}

TEST_CASE("urbanczik_senn: a source's first spike just after an archive was trimmed", "[plasticity][urbanczik_senn]") {
    // Delay 1 ms (slices of 10 steps): the archive is trimmed at the deliver that starts step
    // 2061 (every 1024 steps since the first trim at 1031), when no synapse needs anything
    // (the source has not spiked). The source's first spike at step 2063 opens the interval
    // that its second spike (2500) reads from step 2063 - 10 + 1 = 2054, before that trim.
    const std::string text =
        "simulation: {dt: 0.1 ms, t_stop: 300 ms, seed: 3}\n"
        "populations:\n"
        "  src: {model: spike_source, size: 1, spike_times: [[206.3 ms, 250 ms, 280 ms]]}\n"
        "  tgt: {model: pp_cond_exp_mc_urbanczik, size: 1, parameters: {E_L_s: -60 mV}}\n"
        "projections:\n"
        "  - {name: plastic, source: src, target: tgt, receptor: dendrite.exc, connectivity: {rule: all_to_all},\n"
        "     weight: 100 pA, delay: 1 ms,\n"
        "     plasticity: {rule: urbanczik_senn, eta: 0.2, tau_Delta: 30 ms, Wmin: 0 pA, Wmax: 400 pA}}\n";
    const Result r = run(text);
    REQUIRE(r.synapses.size() == 1);
    const Synapse& syn = r.synapses[0];
    const Reference ref = reference(syn.w_init, {2063, 2500, 2800}, r.dpi.at(syn.target), 10, r.delivered);
    CHECK(syn.I != 0.0);
    CHECK(std::abs(syn.I - ref.I_at_spike) <= 1e-9 * std::abs(ref.I_at_spike));
    CHECK(std::abs(syn.J - ref.J_at_spike) <= 1e-9 * std::abs(ref.J_at_spike));
    CHECK(syn.weight == ref.w);
}

TEST_CASE("urbanczik_senn: 1 and 2 threads give the same weights and spikes", "[plasticity][urbanczik_senn]") {
    const Result one = run(description(1, "1.5 ms", 800));
    const Result two = run(description(2, "1.5 ms", 800));
    REQUIRE(one.synapses.size() == two.synapses.size());
    for (std::size_t k = 0; k < one.synapses.size(); ++k) {
        REQUIRE(one.synapses[k].weight == two.synapses[k].weight);
        REQUIRE(one.synapses[k].I == two.synapses[k].I);
        REQUIRE(one.synapses[k].J == two.synapses[k].J);
    }
    REQUIRE(one.spikes.size() == two.spikes.size());
    for (std::size_t k = 0; k < one.spikes.size(); ++k) {
        REQUIRE(one.spikes[k].step == two.spikes[k].step);
        REQUIRE(one.spikes[k].gid == two.spikes[k].gid);
    }
}
