// Connection rules: exact counts where the rule fixes them, Bernoulli counts and weight and
// delay distributions within 4 standard errors, no autapses or multapses where disallowed,
// and the same network for any number of threads. Expected values: the rule definitions
// (NEST's connection-management documentation) and the binomial / distribution moments.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "core/random.hpp"
#include "core/distribution.hpp"
#include "core/time.hpp"
#include "engine/network.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

namespace {

struct Edge {
    std::uint32_t source, target;  // node indices in their populations
    double weight;
    int delay;
    bool operator<(const Edge& o) const {
        return std::tie(target, source, weight, delay) < std::tie(o.target, o.source, o.weight, o.delay);
    }
};

// All synapses of projection 0 as (source node, target node, weight, delay), from every VP.
std::vector<Edge> edges(Network& net) {
    std::vector<Edge> e;
    const auto& d = net.decomposition();
    for (auto& vp : net.vps())
        for (auto& t : vp.tables()) {
            const int tp = t.target_group;
            for (std::uint32_t s = 0; s < t.n_sources; ++s)
                for (std::uint32_t k = t.offsets[s]; k < t.offsets[s + 1]; ++k)
                    e.push_back({s, d.node_of_local(tp, vp.id(), t.target[k]),
                                 t.weight.empty() ? t.weight_constant : double(t.weight[k]),
                                 t.delay.empty() ? t.delay_constant : int(t.delay[k])});
        }
    std::sort(e.begin(), e.end());
    return e;
}

NetworkSpec two_populations(std::uint64_t n_a, std::uint64_t n_b, ProjectionSpec proj, int threads = 1) {
    NetworkSpec spec;
    spec.simulation.threads = threads;
    spec.populations = {population("A", "iaf_psc_delta", n_a), population("B", "iaf_psc_delta", n_b)};
    spec.projections = {std::move(proj)};
    return spec;
}

bool has_autapse(const std::vector<Edge>& e) {
    for (auto& x : e) if (x.source == x.target) return true;
    return false;
}
bool has_multapse(const std::vector<Edge>& e) {
    for (std::size_t i = 1; i < e.size(); ++i)
        if (e[i].source == e[i - 1].source && e[i].target == e[i - 1].target) return true;
    return false;
}

}  // namespace

TEST_CASE("all_to_all and one_to_one give exact counts", "[connectivity]") {
    auto p = projection("A", "B", ConnectionRule::all_to_all, 1.0, 1.0);
    auto spec = two_populations(30, 40, p);
    Network net(spec, 1, 0, 1);
    REQUIRE(edges(net).size() == 30 * 40);

    auto self = projection("A", "A", ConnectionRule::all_to_all, 1.0, 1.0);
    self.allow_autapses = false;
    auto spec2 = two_populations(30, 40, self);
    Network net2(spec2, 1, 0, 2);
    auto e2 = edges(net2);
    REQUIRE(e2.size() == 30 * 29);
    REQUIRE_FALSE(has_autapse(e2));

    auto o = projection("A", "B", ConnectionRule::one_to_one, 1.0, 1.0);
    auto spec3 = two_populations(50, 50, o);
    Network net3(spec3, 1, 0, 2);
    auto e3 = edges(net3);
    REQUIRE(e3.size() == 50);
    for (std::uint32_t i = 0; i < 50; ++i) REQUIRE((e3[i].source == i && e3[i].target == i));
}

TEST_CASE("fixed_indegree, fixed_outdegree and fixed_total_number give exact counts", "[connectivity]") {
    for (bool multapses : {true, false}) {
        auto p = projection("A", "A", ConnectionRule::fixed_indegree, 1.0, 1.0);
        p.degree = 25;
        p.allow_autapses = false;
        p.allow_multapses = multapses;
        Network net(two_populations(40, 10, p, 2), 1, 0, 2);
        auto e = edges(net);
        REQUIRE(e.size() == 40 * 25);
        std::map<std::uint32_t, int> in;
        for (auto& x : e) ++in[x.target];
        for (auto& [t, c] : in) REQUIRE(c == 25);
        REQUIRE_FALSE(has_autapse(e));
        if (!multapses) REQUIRE_FALSE(has_multapse(e));
    }
    for (bool multapses : {true, false}) {
        auto p = projection("A", "B", ConnectionRule::fixed_outdegree, 1.0, 1.0);
        p.degree = 7;
        p.allow_multapses = multapses;
        Network net(two_populations(40, 10, p, 2), 1, 0, 2);
        auto e = edges(net);
        REQUIRE(e.size() == 40 * 7);
        std::map<std::uint32_t, int> out;
        for (auto& x : e) ++out[x.source];
        for (auto& [s, c] : out) REQUIRE(c == 7);
        if (!multapses) REQUIRE_FALSE(has_multapse(e));
    }
    auto p = projection("A", "A", ConnectionRule::fixed_total_number, 1.0, 1.0);
    p.degree = 12345;
    p.allow_autapses = false;
    Network net(two_populations(100, 10, p, 2), 1, 0, 2);
    auto e = edges(net);
    REQUIRE(e.size() == 12345);
    REQUIRE_FALSE(has_autapse(e));
}

TEST_CASE("pairwise_bernoulli counts are binomial; weight and delay distributions have their moments", "[connectivity]") {
    // n = 400 x 500 pairs, p = 0.1: count ~ Binomial(n, p), SE = sqrt(n p (1-p)) = 134.
    auto p = projection("A", "B", ConnectionRule::pairwise_bernoulli, 0.0, 0.0);
    p.p = 0.1;
    p.weight.kind = Distribution::Kind::normal;
    p.weight.mean = 2.0;
    p.weight.std = 0.5;
    p.delay.kind = Distribution::Kind::uniform;
    p.delay.low = 1.0;
    p.delay.high = 3.0;
    Network net(two_populations(400, 500, p), 1, 0, 1);
    auto e = edges(net);
    const double n = 400.0 * 500.0, mean = n * 0.1, se = std::sqrt(n * 0.1 * 0.9);
    REQUIRE(std::abs(double(e.size()) - mean) < 4 * se);
    // Per-source in a target: each pair independent, so sources of one target are distinct.
    REQUIRE_FALSE(has_multapse(e));
    double sw = 0, sww = 0, sd = 0;
    for (auto& x : e) {
        sw += x.weight;
        sww += x.weight * x.weight;
        sd += x.delay;
    }
    const double m = double(e.size());
    // Weights: stored as float (relative rounding 6e-8, far below the SE 0.5/sqrt(m) = 0.0035).
    REQUIRE(std::abs(sw / m - 2.0) < 4 * 0.5 / std::sqrt(m));
    const double var = sww / m - (sw / m) * (sw / m);
    // SE of the sample variance of a normal: sigma^2 sqrt(2/(m-1)).
    REQUIRE(std::abs(var - 0.25) < 4 * 0.25 * std::sqrt(2.0 / (m - 1)));
    // Delays: uniform on [1, 3) ms rounded to 0.1 ms steps: mean 20 steps (rounding is symmetric
    // except at the ends: the 10 and 30 bins get half weight, mean unchanged), SD of the uniform
    // 20/sqrt(12) = 5.77 steps.
    REQUIRE(std::abs(sd / m - 20.0) < 4 * (20.0 / std::sqrt(12.0)) / std::sqrt(m));
    REQUIRE(net.min_delay() >= 10);
    REQUIRE(net.max_delay() <= 30);
}

TEST_CASE("lognormal weights and clipping", "[connectivity]") {
    auto p = projection("A", "B", ConnectionRule::all_to_all, 0.0, 1.0);
    p.weight.kind = Distribution::Kind::lognormal;
    p.weight.mean = 3.0;
    p.weight.std = 1.5;
    Network net(two_populations(200, 200, p), 1, 0, 1);
    auto e = edges(net);
    double s = 0, ss = 0;
    for (auto& x : e) {
        s += x.weight;
        ss += x.weight * x.weight;
        REQUIRE(x.weight > 0);
    }
    const double m = double(e.size());
    REQUIRE(std::abs(s / m - 3.0) < 4 * 1.5 / std::sqrt(m));
    const double sd = std::sqrt(ss / m - (s / m) * (s / m));
    REQUIRE(sd == Approx(1.5).epsilon(0.05));  // 4 SE of an SD estimate from 40000 lognormal draws ~ 3 %
    auto q = projection("A", "B", ConnectionRule::all_to_all, 0.0, 1.0);
    q.weight.kind = Distribution::Kind::normal;
    q.weight.mean = 0.0;
    q.weight.std = 1.0;
    q.weight.min = -0.5;
    q.weight.max = 0.5;
    Network net2(two_populations(100, 100, q), 1, 0, 1);
    for (auto& x : edges(net2)) REQUIRE((x.weight >= -0.5 && x.weight <= 0.5));
}

TEST_CASE("every rule builds the same network for 1, 2 and 3 threads", "[connectivity][determinism]") {
    std::vector<ProjectionSpec> rules;
    for (auto r : {ConnectionRule::pairwise_bernoulli, ConnectionRule::fixed_indegree,
                   ConnectionRule::fixed_outdegree, ConnectionRule::fixed_total_number}) {
        auto p = projection("A", "B", r, 0.0, 1.0);
        p.p = 0.2;
        p.degree = r == ConnectionRule::fixed_total_number ? 900 : 9;
        p.weight.kind = Distribution::Kind::normal;
        p.weight.mean = 1.0;
        p.weight.std = 0.3;
        rules.push_back(p);
    }
    for (auto& p : rules) {
        Network one(two_populations(60, 70, p, 1), 1, 0, 1);
        const auto reference = edges(one);
        for (int threads : {2, 3}) {
            Network many(two_populations(60, 70, p, threads), 1, 0, threads);
            auto e = edges(many);
            REQUIRE(e.size() == reference.size());
            for (std::size_t i = 0; i < e.size(); ++i)
                REQUIRE((e[i].source == reference[i].source && e[i].target == reference[i].target &&
                         e[i].weight == reference[i].weight));
        }
    }
}

TEST_CASE("a large table (4.5 M synapses) holds the synapses of each source in construction order",
          "[connectivity]") {
    // Expected: the table a plain stable counting sort by source makes of the generator's
    // synapses (target order, then each target's sources in generated order), computed here
    // from ConnectionGenerator itself. Delays drawn, so the per-synapse delays must follow.
    ProjectionSpec proj = projection("A", "B", ConnectionRule::fixed_indegree, 1.0, 1.0);
    proj.degree = 1500;  // 3,000 targets: 4.5 M synapses
    proj.delay.kind = Distribution::Kind::uniform;
    proj.delay.low = 0.5, proj.delay.high = 3.0;
    NetworkSpec spec = two_populations(3000, 3000, proj);
    Network net(spec, 1, 0, 1);
    REQUIRE(net.vps().size() == 1);
    REQUIRE(net.vps()[0].tables().size() == 1);
    const StaticSynapseTable& t = net.vps()[0].tables()[0];
    REQUIRE(t.size() == 4500000);

    std::vector<std::uint32_t> nodes(3000);
    for (std::uint32_t i = 0; i < 3000; ++i) nodes[i] = i;
    ConnectionGenerator gen(spec.projections[0], 0, spec.simulation.seed, 3000, 0, 3000, 3000, nodes);
    std::vector<std::uint32_t> src, tgt, sources;
    std::vector<int> delay;  // drawn as the network builder draws them: per target gid, in source order
    for (std::uint32_t local = 0; local < 3000; ++local) {
        sources.clear();
        gen.sources(local, sources);
        RandomStream drng(spec.simulation.seed, purpose(Purpose::delay, 0), 3000 + local);
        for (std::uint32_t s : sources) {
            src.push_back(s), tgt.push_back(local);
            delay.push_back(std::max(1, int(to_steps(draw(spec.projections[0].delay, drng), spec.simulation.dt_ms))));
        }
    }
    std::vector<std::uint32_t> fill(t.offsets.begin(), t.offsets.end() - 1), expected(src.size());
    std::vector<std::uint16_t> expected_delay(src.size());
    for (std::size_t k = 0; k < src.size(); ++k) {
        const std::uint32_t at = fill[src[k]]++;
        expected[at] = tgt[k];
        expected_delay[at] = std::uint16_t(delay[k]);
    }
    CHECK(t.target == expected);
    CHECK(t.delay == expected_delay);
}
