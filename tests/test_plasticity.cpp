// Plastic projections in the kernel (plasticity/plastic_synapses.hpp): the final weight of every
// synapse equals a brute-force reference written here, which walks every step for each synapse
// on its own, with the spikes the run produced (recorded with their classes), the rule's
// arithmetic (plasticity/stdp_pair.hpp, plasticity/bdsp.hpp, tested against their sources in
// test_stdp_pair.cpp and test_bdsp.cpp) and the storage's single-precision rounding after each
// update. It shares nothing with the kernel's transposed index, its queue of postsynaptic
// spikes or its merge in synapse time, which is what this tests: relative error < 1e-9 (in
// fact 0). The same networks with 2 and 3 threads give the same weights and spikes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
#include "plasticity/bdsp.hpp"
#include "plasticity/stdp_pair.hpp"
#include "plasticity/stdp_triplet.hpp"

using namespace apical;

namespace {

constexpr double dt = 0.1;

// 30 Poisson sources at 40 Hz (intervals below 16 ms are common: events, bursts and later burst
// spikes all occur) onto 12 iaf_psc_delta neurons driven to fire irregularly at tens of Hz.
std::string description(const std::string& plasticity, const std::string& delay, int threads) {
    return "simulation: {dt: 0.1 ms, t_stop: 1500 ms, seed: 7, threads: " + std::to_string(threads) +
           "}\n"
           "populations:\n"
           "  src: {model: poisson_source, size: 30, parameters: {rate: 40 Hz}}\n"
           "  tgt: {model: iaf_psc_delta, size: 12, parameters: {V_reset: -65 mV}}\n"
           "projections:\n"
           "  - {name: plastic, source: src, target: tgt, connectivity: {rule: pairwise_bernoulli, p: 0.5},\n"
           "     weight: {distribution: uniform, low: 0.2 mV, high: 1.5 mV}, delay: " +
           delay + ", plasticity: " + plasticity +
           "}\n"
           "stimuli:\n"
           "  - {name: drive, model: poisson_generator, targets: [tgt], rate: 6 kHz, weight: 0.3 mV, delay: 0.1 ms}\n"
           "recordings:\n  spikes: [src, tgt]\n";
}

struct Synapse {
    gid_t source, target;
    float weight;
};

struct Result {
    std::vector<Spike> spikes;
    std::vector<std::uint8_t> classes;
    std::vector<Synapse> synapses;  // sorted by (source, target)
    gid_t src_first = 0, tgt_first = 0;
};

Result run(const std::string& text) {
    const NetworkSpec spec = parse_description(text, "plastic.yaml", {});
    Network net(spec, 1, 0, spec.simulation.threads);
    LocalContext ctx;
    Simulation sim(net, ctx);
    MemorySpikeRecorder rec;
    sim.add_recorder(&rec);
    sim.run(to_steps(spec.simulation.t_stop_ms, dt));
    Result r{rec.spikes, rec.classes, {}, net.decomposition().populations()[0].first_gid,
             net.decomposition().populations()[1].first_gid};
    for (auto& vp : net.vps())
        for (const StaticSynapseTable& t : vp.tables()) {
            REQUIRE(t.plastic >= 0);
            for (std::uint32_t s = 0; s < t.n_sources; ++s)
                for (std::uint32_t k = t.offsets[s]; k < t.offsets[s + 1]; ++k)
                    r.synapses.push_back({t.source_first_gid + s,
                                          r.tgt_first + net.decomposition().node_of_local(1, vp.id(), t.target[k]),
                                          t.weight[k]});
        }
    std::sort(r.synapses.begin(), r.synapses.end(),
              [](const Synapse& a, const Synapse& b) { return std::tie(a.source, a.target) < std::tie(b.source, b.target); });
    return r;
}

// The spike steps (and classes) of one neuron.
struct Train {
    std::vector<step_t> steps;
    std::vector<std::uint8_t> classes;
};
std::map<gid_t, Train> trains(const Result& r) {
    std::map<gid_t, Train> m;
    for (std::size_t k = 0; k < r.spikes.size(); ++k) {
        m[r.spikes[k].gid].steps.push_back(r.spikes[k].step);
        m[r.spikes[k].gid].classes.push_back(r.classes[k]);
    }
    return m;
}

// The weights a synapse's initial weight ends with (the initial weights: those of an identical
// run whose rule cannot change anything, lambda or eta 0).
bool active(step_t t, const std::vector<std::pair<step_t, step_t>>& windows) {
    if (windows.empty()) return true;
    for (auto [a, b] : windows)
        if (t >= a && t < b) return true;
    return false;
}

// The learning-rate factor of step t: the last (from step, factor) at or before t, else 1.
using Factors = std::vector<std::pair<step_t, double>>;
double factor_at(const Factors& factors, step_t t) {
    double f = 1.0;
    for (auto [at, factor] : factors)
        if (at <= t) f = factor;
    return f;
}

float stdp_reference(const StdpPair& given, float w, const Train& pre, const Train& post, step_t d, step_t t_end,
                     const std::vector<std::pair<step_t, step_t>>& windows, const Factors& factors = {}) {
    StdpPair rule = given;
    Trace k_plus, k_minus;
    std::size_t i = 0, j = 0;
    for (step_t t = 0; t <= t_end; ++t) {  // every step; the traces in closed form
        const bool pre_spike = i < pre.steps.size() && pre.steps[i] == t;
        const bool post_arrives = j < post.steps.size() && post.steps[j] + d == t;
        if (!pre_spike && !post_arrives) continue;
        rule.set_rate_factor(factor_at(factors, t));
        if (post_arrives && active(t, windows)) w = float(rule.on_post(double(w), k_plus.at(t, rule.pre_decay())));
        if (pre_spike && active(t, windows)) w = float(rule.on_pre(double(w), k_minus.at(t, rule.post_decay())));
        if (post_arrives) k_minus.spike(t, rule.post_decay(), rule.post_update());
        if (pre_spike) k_plus.spike(t, rule.pre_decay(), rule.pre_update());
        i += pre_spike;
        j += post_arrives;
    }
    return w;
}

// The pairings with state per synapse, through StdpPair::step on one synapse's own trace and
// flags (tested against NEST's semantics in test_stdp_pair.cpp). A step with both spikes is split
// in two calls, postsynaptic first, so that the weight is rounded to float between the two updates
// as the kernel stores it; step() reads nothing the first call changes but the weight and the
// flags it sets for the second (the presynaptic trace it clears is read by neither).
float stdp_synapse_reference(const StdpPair& rule, float w, const Train& pre, const Train& post, step_t d,
                             step_t t_end) {
    StdpPairSynapse syn;
    syn.w = w;
    Trace k_minus;
    std::size_t i = 0, j = 0;
    for (step_t t = 0; t <= t_end; ++t) {
        const bool pre_spike = i < pre.steps.size() && pre.steps[i] == t;
        const bool post_arrives = j < post.steps.size() && post.steps[j] + d == t;
        if (!pre_spike && !post_arrives) continue;
        const double k = k_minus.at(t, rule.post_decay());
        if (post_arrives) {
            rule.step(syn, t, false, true, k);
            syn.w = double(float(syn.w));
        }
        if (pre_spike) {
            rule.step(syn, t, true, false, k);
            syn.w = double(float(syn.w));
        }
        if (post_arrives) k_minus.spike(t, rule.post_decay(), rule.post_update());
        i += pre_spike;
        j += post_arrives;
    }
    return float(syn.w);
}

// Triplet STDP on one synapse with its own four traces, in StdpTriplet::step's order.
float triplet_reference(const StdpTriplet& rule, float w, const Train& pre, const Train& post, step_t d,
                        step_t t_end) {
    TripletPreTraces r;
    TripletPostTraces o;
    std::size_t i = 0, j = 0;
    for (step_t t = 0; t <= t_end; ++t) {
        const bool pre_spike = i < pre.steps.size() && pre.steps[i] == t;
        const bool post_arrives = j < post.steps.size() && post.steps[j] + d == t;
        if (!pre_spike && !post_arrives) continue;
        if (post_arrives) w = float(rule.on_post(double(w), r.r1.at(t, rule.r1_decay()), o.o2.at(t, rule.o2_decay())));
        if (pre_spike) w = float(rule.on_pre(double(w), o.o1.at(t, rule.o1_decay()), r.r2.at(t, rule.r2_decay())));
        if (post_arrives) rule.post_spike(o, t);
        if (pre_spike) rule.pre_spike(r, t);
        i += pre_spike;
        j += post_arrives;
    }
    return w;
}

float bdsp_reference(const Bdsp& given, float w, const Train& pre, const Train& post, step_t d, step_t t_end,
                     const std::vector<std::pair<step_t, step_t>>& windows, const Factors& factors = {}) {
    Bdsp rule = given;
    Trace e_pre;
    BdspTarget target = rule.initial_target(0);
    std::size_t i = 0, j = 0;
    for (step_t t = 0; t <= t_end; ++t) {
        const bool pre_spike = i < pre.steps.size() && pre.steps[i] == t;
        const bool post_arrives = j < post.steps.size() && post.steps[j] + d == t;
        rule.set_rate_factor(factor_at(factors, t));
        if (pre_spike && pre.classes[i] == SpikeClass::event) {  // authors' order: presynaptic events first
            if (active(t, windows)) {
                const double g = rule.pre_increment(target, t);
                if (g != 0.0) w = float(rule.clip(double(w) + g));
            }
            e_pre.spike(t, rule.pre_decay(), TraceUpdate::all_to_all);
        }
        if (post_arrives) {
            const double factor = rule.post(target, t, post.classes[j]);
            const double e = e_pre.at(t, rule.pre_decay());
            if (active(t, windows) && factor != 0.0 && e != 0.0) w = float(rule.clip(double(w) + factor * e));
        }
        i += pre_spike;
        j += post_arrives;
    }
    return w;
}

// Runs `plasticity` with 1 thread and its frozen twin (`frozen`, same spikes: the rule changes
// nothing), compares each synapse with `reference(w0, pre, post)`, and 2 and 3 threads with 1.
template <class Reference>
void check(const std::string& plasticity, const std::string& frozen, const std::string& delay, step_t d,
           double w_min, double w_max, Reference reference) {
    const Result r = run(description(plasticity, delay, 1));
    const Result initial = run(description(frozen, delay, 1));
    REQUIRE(r.synapses.size() == initial.synapses.size());
    REQUIRE(r.synapses.size() > 120);  // about 30 x 12 / 2
    const auto spikes = trains(r);
    std::size_t changed = 0, post_spikes = 0, at_bound = 0;
    for (gid_t g = r.tgt_first; g < r.tgt_first + 12; ++g) post_spikes += spikes.count(g) ? spikes.at(g).steps.size() : 0;
    REQUIRE(post_spikes > 12 * 15);  // tens of Hz each over 1.5 s
    double worst = 0.0;
    for (std::size_t k = 0; k < r.synapses.size(); ++k) {
        const Synapse& s = r.synapses[k];
        REQUIRE(s.source == initial.synapses[k].source);
        REQUIRE(s.target == initial.synapses[k].target);
        const Train none;
        const Train& pre = spikes.count(s.source) ? spikes.at(s.source) : none;
        const Train& post = spikes.count(s.target) ? spikes.at(s.target) : none;
        const float expected = reference(initial.synapses[k].weight, pre, post, d, 15000);
        worst = std::max(worst, std::abs(double(s.weight) - double(expected)) / std::abs(double(expected)));
        changed += s.weight != initial.synapses[k].weight;
        at_bound += s.weight <= float(w_min) || s.weight >= float(w_max);
    }
    // Weights pinned at a bound would hide errors: most end inside.
    CHECK(at_bound < r.synapses.size() / 5);
    CHECK(worst < 1e-9);
    CHECK(changed > r.synapses.size() * 9 / 10);  // the rule was at work
    for (int threads : {2, 3}) {
        INFO(threads << " threads");
        const Result t = run(description(plasticity, delay, threads));
        CHECK(t.spikes == r.spikes);
        REQUIRE(t.synapses.size() == r.synapses.size());
        bool same = true;
        for (std::size_t k = 0; k < t.synapses.size(); ++k)
            same = same && t.synapses[k].weight == r.synapses[k].weight && t.synapses[k].target == r.synapses[k].target;
        CHECK(same);
    }
}

const std::vector<std::pair<step_t, step_t>> gated = {{1000, 6000}, {8000, std::numeric_limits<step_t>::max()}};

}  // namespace

TEST_CASE("stdp_pair in a network: every weight as the per-synapse reference, any thread count", "[plasticity]") {
    StdpPairParameters p;
    p.tau_plus_ms = 16.8, p.tau_minus_ms = 33.7, p.lambda = 0.05, p.alpha = 1.2, p.mu_plus = 0.4, p.mu_minus = 0.4;
    p.Wmax = 2.0;
    const std::string common = "tau_plus: 16.8 ms, tau_minus: 33.7 ms, alpha: 1.2, mu_plus: 0.4, mu_minus: 0.4, Wmax: 2 mV";
    for (auto [delay, d] : {std::pair<std::string, step_t>{"1 ms", 10}, {"0.1 ms", 1}}) {
        SECTION("all-to-all, delay " + delay) {
            const StdpPair rule(p, StdpPairing::all_to_all, dt);
            check("{rule: stdp_pair, lambda: 0.05, " + common + "}", "{rule: stdp_pair, lambda: 0, " + common + "}",
                  delay, d, 0.0, 2.0, [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                      return stdp_reference(rule, w, pre, post, dd, end, {});
                  });
        }
        SECTION("nearest-spike, gated, delay " + delay) {
            const StdpPair rule(p, StdpPairing::nn_symmetric, dt);
            const std::string active = ", active: [[100 ms, 600 ms], [800 ms, inf]]";
            check("{rule: stdp_pair, pairing: nn_symmetric, lambda: 0.05, " + common + active + "}",
                  "{rule: stdp_pair, lambda: 0, " + common + "}", delay, d, 0.0, 2.0,
                  [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                      return stdp_reference(rule, w, pre, post, dd, end, gated);
                  });
        }
    }
}

TEST_CASE("stdp_pair's pairings with state per synapse in a network: every weight as the per-synapse reference",
          "[plasticity]") {
    StdpPairParameters p;
    p.tau_plus_ms = 16.8, p.tau_minus_ms = 33.7, p.lambda = 0.05, p.alpha = 1.2, p.mu_plus = 0.4, p.mu_minus = 0.4;
    p.Wmax = 2.0;
    const std::string common = "tau_plus: 16.8 ms, tau_minus: 33.7 ms, alpha: 1.2, mu_plus: 0.4, mu_minus: 0.4, Wmax: 2 mV";
    for (auto [delay, d] : {std::pair<std::string, step_t>{"1 ms", 10}, {"0.1 ms", 1}})
        for (auto [name, pairing] : {std::pair<std::string, StdpPairing>{"nn_pre_centered", StdpPairing::nn_pre_centered},
                                     {"nn_restricted", StdpPairing::nn_restricted}})
            SECTION(name + ", delay " + delay) {
                const StdpPair rule(p, pairing, dt);
                check("{rule: stdp_pair, pairing: " + name + ", lambda: 0.05, " + common + "}",
                      "{rule: stdp_pair, lambda: 0, " + common + "}", delay, d, 0.0, 2.0,
                      [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                          return stdp_synapse_reference(rule, w, pre, post, dd, end);
                      });
            }
}

TEST_CASE("stdp_triplet in a network: every weight as the per-synapse reference, any thread count", "[plasticity]") {
    // Amplitudes large enough that both terms move weights by a good part of their range in 1.5 s.
    StdpTripletParameters p;
    p.tau_plus_ms = 16.8, p.tau_x_ms = 101.0, p.tau_minus_ms = 33.7, p.tau_y_ms = 125.0;
    p.A2_plus = 0.0025, p.A3_plus = 0.001, p.A2_minus = 0.003, p.A3_minus = 0.001, p.Wmax = 2.0;
    const std::string common = "tau_plus: 16.8 ms, tau_x: 101 ms, tau_minus: 33.7 ms, tau_y: 125 ms, "
                               "A2_plus: 0.0025 mV, A3_plus: 0.001 mV, A2_minus: 0.003 mV, A3_minus: 0.001 mV, Wmax: 2 mV";
    const std::string frozen = "{rule: stdp_triplet, A2_plus: 0 mV, A3_plus: 0 mV, A2_minus: 0 mV, A3_minus: 0 mV, Wmax: 2 mV}";
    for (auto [delay, d] : {std::pair<std::string, step_t>{"1 ms", 10}, {"0.1 ms", 1}})
        for (auto interaction : {TraceUpdate::all_to_all, TraceUpdate::nearest}) {
            const std::string name = interaction == TraceUpdate::nearest ? "nearest" : "all_to_all";
            SECTION(name + ", delay " + delay) {
                StdpTripletParameters q = p;
                q.interaction = interaction;
                const StdpTriplet rule(q, dt);
                check("{rule: stdp_triplet, interaction: " + name + ", " + common + "}", frozen, delay, d, 0.0, 2.0,
                      [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                          return triplet_reference(rule, w, pre, post, dd, end);
                      });
            }
        }
}

TEST_CASE("bdsp in a network: every weight as the per-synapse reference, any thread count", "[plasticity]") {
    BdspParameters p;
    // Both homeostatic terms at work part of the time: the rate averages start low (G) and the
    // event rate rises above e_max (H); weights stay mostly inside their bounds.
    p.eta = 0.01, p.tau_pre_ms = 50.0, p.tau_avg_ms = 300.0, p.w_min = 0.05, p.w_max = 3.0;
    p.e_min_hz = 5.0, p.e_max_hz = 15.0;
    p.initial_event_rate_hz = 5.0, p.initial_burst_rate_hz = 1.0, p.tau_rate_ms = 1000.0;
    const std::string common =
        "tau_pre: 50 ms, tau_avg: 300 ms, w_min: 0.05 mV, w_max: 3 mV, e_min: 5 Hz, e_max: 15 Hz, "
        "initial_event_rate: 5 Hz, initial_burst_rate: 1 Hz, tau_rate: 1 s";
    for (auto [delay, d] : {std::pair<std::string, step_t>{"1 ms", 10}, {"0.1 ms", 1}}) {
        const std::string frozen = "{rule: bdsp, eta: 0, w_min: 0 mV, w_max: 3 mV}";
        SECTION("executed homeostasis, delay " + delay) {
            const Bdsp rule(p, dt);
            check("{rule: bdsp, eta: 0.01 mV, " + common + "}", frozen, delay, d, 0.05, 3.0,
                  [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                      return bdsp_reference(rule, w, pre, post, dd, end, {});
                  });
        }
        SECTION("paper's homeostasis, gated, delay " + delay) {
            BdspParameters q = p;
            q.homeostasis_rate = BdspHomeostasisRate::event_rate;
            const Bdsp rule(q, dt);
            check("{rule: bdsp, eta: 0.01 mV, homeostasis_rate: event_rate, " + common +
                      ", active: [[100 ms, 600 ms], [800 ms, inf]]}",
                  frozen, delay, d, 0.05, 3.0, [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                      return bdsp_reference(rule, w, pre, post, dd, end, gated);
                  });
        }
    }
}

TEST_CASE("learning-rate schedules: every weight as the per-synapse reference with the rate changed at the same times",
          "[plasticity]") {
    const Factors factors = {{3000, 0.5}, {7000, 2.0}, {11000, 0.0}, {12000, 1.0}};
    const std::string schedule = ", rate_factors: [[300 ms, 0.5], [700 ms, 2], [1100 ms, 0], [1200 ms, 1]]";
    SECTION("stdp_pair") {
        StdpPairParameters p;
        p.tau_plus_ms = 16.8, p.tau_minus_ms = 33.7, p.lambda = 0.05, p.alpha = 1.2, p.mu_plus = 0.4, p.mu_minus = 0.4;
        p.Wmax = 2.0;
        const std::string common = "tau_plus: 16.8 ms, tau_minus: 33.7 ms, alpha: 1.2, mu_plus: 0.4, mu_minus: 0.4, Wmax: 2 mV";
        const StdpPair rule(p, StdpPairing::all_to_all, dt);
        check("{rule: stdp_pair, lambda: 0.05, " + common + schedule + "}", "{rule: stdp_pair, lambda: 0, " + common + "}",
              "1 ms", 10, 0.0, 2.0, [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                  return stdp_reference(rule, w, pre, post, dd, end, {}, factors);
              });
    }
    SECTION("bdsp") {
        BdspParameters p;
        p.eta = 0.01, p.tau_pre_ms = 50.0, p.tau_avg_ms = 300.0, p.w_min = 0.05, p.w_max = 3.0;
        p.e_min_hz = 5.0, p.e_max_hz = 15.0;
        p.initial_event_rate_hz = 5.0, p.initial_burst_rate_hz = 1.0, p.tau_rate_ms = 1000.0;
        const Bdsp rule(p, dt);
        check("{rule: bdsp, eta: 0.01 mV, tau_pre: 50 ms, tau_avg: 300 ms, w_min: 0.05 mV, w_max: 3 mV, e_min: 5 Hz, "
              "e_max: 15 Hz, initial_event_rate: 5 Hz, initial_burst_rate: 1 Hz, tau_rate: 1 s" + schedule + "}",
              "{rule: bdsp, eta: 0, w_min: 0 mV, w_max: 3 mV}", "1 ms", 10, 0.05, 3.0,
              [&](float w, const Train& pre, const Train& post, step_t dd, step_t end) {
                  return bdsp_reference(rule, w, pre, post, dd, end, {}, factors);
              });
    }
}
