// poisson_source (neurons/poisson_source.cpp): independent Poisson spike sources on the step
// grid. In every active step a source spikes with probability p = 1 - exp(-rate dt), at most
// once, independently of other steps and sources. Expected values follow from that law:
// - the count of a source over n steps is Binomial(n, p): mean n p, variance n p (1 - p);
// - inter-spike intervals are geometric: P(ISI = k steps) = (1 - p)^(k-1) p, mean 1/p steps,
//   standard deviation sqrt(1 - p)/p steps;
// - counts of different sources are independent: the sample correlation r of two independent
//   series of B bins has mean ~0 and standard deviation ~1/sqrt(B) (and E[r^2] ~ 1/B);
// - an active window [start, stop) covers steps round(start/dt) < s <= round(stop/dt) (the
//   stimuli's convention, docs/architecture.md "Stimuli").
// Statistical checks allow 4 standard errors; the runs are seeded, so each check is a
// fixed outcome that a wrong law would miss by many standard errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

namespace {

PopulationSpec sources(const std::string& name, std::uint64_t n, double rate_hz, double start_ms = 0.0,
                       double stop_ms = std::numeric_limits<double>::infinity()) {
    return population(name, "poisson_source", n, {{"rate", rate_hz}, {"start", start_ms}, {"stop", stop_ms}});
}

// A network on one rank with a spike recorder; `spec` must outlive it (the network keeps a
// reference).
struct Run {
    Network net;
    LocalContext ctx;
    Simulation sim;
    MemorySpikeRecorder rec;
    Run(const NetworkSpec& spec, int threads) : net(spec, 1, 0, threads), sim(net, ctx) { sim.add_recorder(&rec); }
};

// All spikes of a run of `steps` steps, sorted by (step, gid).
std::vector<Spike> run(const NetworkSpec& spec, step_t steps, int threads = 1) {
    Run r(spec, threads);
    r.sim.run(steps);
    return r.rec.spikes;
}

bool bitwise_equal(const std::vector<Spike>& a, const std::vector<Spike>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Spike)) == 0;
}

std::vector<Spike> of_gids(const std::vector<Spike>& s, gid_t first, gid_t end) {
    std::vector<Spike> out;
    for (auto& x : s)
        if (x.gid >= first && x.gid < end) out.push_back(x);
    return out;
}

// Spike steps per source gid (in step order).
std::map<gid_t, std::vector<step_t>> trains(const std::vector<Spike>& spikes) {
    std::map<gid_t, std::vector<step_t>> t;
    for (auto& s : spikes) t[s.gid].push_back(s.step);
    return t;
}

}  // namespace

TEST_CASE("poisson_source: counts are Binomial(n_steps, 1 - exp(-rate dt))", "[poisson_source]") {
    // dt = 0.1 ms, 1 s: n = 10 000 steps. 50 Hz: p = 1 - e^-0.005 = 0.0049875; 2 kHz:
    // p = 1 - e^-0.2 = 0.18127 (rate dt = 0.2 would give 2000 per source, 150 SE away).
    const std::uint64_t N = 2000;
    const double n = 10000;
    for (double rate : {50.0, 2000.0}) {
        NetworkSpec spec;
        spec.populations = {sources("S", N, rate)};
        const auto spikes = run(spec, step_t(n));
        std::vector<double> count(N, 0.0);
        for (auto& s : spikes) count[s.gid] += 1.0;
        double sum = 0, sum2 = 0;
        for (double c : count) {
            sum += c;
            sum2 += c * c;
        }
        const double p = -std::expm1(-rate * 1e-4);
        const double mu = n * p, var_expected = n * p * (1 - p);
        const double mean = sum / double(N), var = (sum2 - double(N) * mean * mean) / double(N - 1);
        // SE of the mean: sqrt(n p q / N). SE of the sample variance: sqrt((mu4 - sigma^4) / N)
        // with the binomial fourth central moment mu4 = n p q (1 + 3 p q (n - 2)).
        const double pq = p * (1 - p);
        const double mu4 = n * pq * (1 + 3 * pq * (n - 2));
        INFO("rate " << rate << " Hz: mean " << mean << " (expected " << mu << "), variance " << var
                     << " (expected " << var_expected << ")");
        CHECK(std::abs(mean - mu) < 4 * std::sqrt(var_expected / double(N)));
        CHECK(std::abs(var - var_expected) < 4 * std::sqrt((mu4 - var_expected * var_expected) / double(N)));
    }
}

TEST_CASE("poisson_source: inter-spike intervals are geometric, at most one spike per step",
          "[poisson_source]") {
    // 500 Hz, dt 0.1 ms: p = 1 - e^-0.05 = 0.048771; 200 sources x 2 s: ~195 000 intervals.
    const double p = -std::expm1(-0.05);
    NetworkSpec spec;
    spec.populations = {sources("S", 200, 500.0)};
    const auto spikes = run(spec, 20000);
    std::vector<double> isi;
    for (auto& [gid, t] : trains(spikes))
        for (std::size_t k = 1; k < t.size(); ++k) {
            REQUIRE(t[k] > t[k - 1]);  // one spike per step at most
            isi.push_back(double(t[k] - t[k - 1]));
        }
    const double m = double(isi.size());
    REQUIRE(m > 150000);
    double sum = 0;
    std::map<int, double> of_length;
    for (double d : isi) {
        sum += d;
        if (d <= 5) of_length[int(d)] += 1;
    }
    // P(ISI = k) = (1-p)^(k-1) p, each fraction a Bernoulli mean: SE sqrt(P (1 - P) / m).
    for (int k = 1; k <= 5; ++k) {
        const double P = std::pow(1 - p, k - 1) * p;
        INFO("ISI of " << k << " steps: fraction " << of_length[k] / m << ", expected " << P);
        CHECK(std::abs(of_length[k] / m - P) < 4 * std::sqrt(P * (1 - P) / m));
    }
    // Mean ISI dt/p = 2.0504 ms (20.504 steps); SE sqrt(1 - p)/p / sqrt(m) = 0.045 steps. (The
    // intervals inside a 20 000-step window are biased short by ~ mean ISI / window = 0.1 %,
    // 0.02 steps, well inside the tolerance.)
    const double mean = sum / m;
    INFO("mean ISI " << mean * 0.1 << " ms, expected " << 0.1 / p << " ms");
    CHECK(std::abs(mean - 1 / p) < 4 * std::sqrt(1 - p) / p / std::sqrt(m));
}

TEST_CASE("poisson_source: sources are independent", "[poisson_source]") {
    // Two populations (different purposes) of 200 sources at 50 Hz, 10 s in 10 ms bins
    // (B = 1000 bins, ~0.5 spikes per bin). Pairs: neighbouring gids (2i, 2i + 1) inside each
    // population, and source i of one population with source i of the other: 400 pairs.
    const int n = 200, B = 1000, bin = 100;  // steps per bin
    NetworkSpec spec;
    spec.populations = {sources("A", n, 50.0), sources("B", n, 50.0)};
    const auto spikes = run(spec, step_t(B) * bin, 2);
    std::vector<std::vector<double>> counts(2 * n, std::vector<double>(B, 0.0));
    for (auto& s : spikes) counts[s.gid][std::size_t((s.step - 1) / bin)] += 1.0;
    auto corr = [&](const std::vector<double>& x, const std::vector<double>& y) {
        double mx = 0, my = 0;
        for (int b = 0; b < B; ++b) {
            mx += x[std::size_t(b)];
            my += y[std::size_t(b)];
        }
        mx /= B;
        my /= B;
        double sxy = 0, sxx = 0, syy = 0;
        for (int b = 0; b < B; ++b) {
            const double dx = x[std::size_t(b)] - mx, dy = y[std::size_t(b)] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxy / std::sqrt(sxx * syy);
    };
    std::vector<double> r;
    for (int i = 0; i + 1 < n; i += 2) {
        r.push_back(corr(counts[std::size_t(i)], counts[std::size_t(i + 1)]));
        r.push_back(corr(counts[std::size_t(n + i)], counts[std::size_t(n + i + 1)]));
    }
    for (int i = 0; i < n; ++i) r.push_back(corr(counts[std::size_t(i)], counts[std::size_t(n + i)]));
    const double P = double(r.size());
    double mean = 0, mean2 = 0;
    for (double x : r) {
        mean += x / P;
        mean2 += x * x / P;
    }
    // Independent pairs: r ~ N(0, 1/B), so mean r has SE 1/sqrt(B P) = 0.0016, and mean r^2 is
    // 1/B = 0.001 with SE sqrt(2/P)/B = 7.1e-5 (shared or correlated streams would give r^2
    // near 1 for some pairs).
    INFO("mean correlation " << mean << ", mean squared correlation " << mean2 << " over " << P << " pairs");
    CHECK(std::abs(mean) < 4 / std::sqrt(double(B) * P));
    CHECK(std::abs(mean2 - 1.0 / B) < 4 * std::sqrt(2.0 / P) / B);
}

TEST_CASE("poisson_source: active from start up to stop in the stimuli's step convention", "[poisson_source]") {
    // 5 kHz: p = 1 - e^-0.5 = 0.39 per step; with 100 sources every step has spikes (the
    // chance that a given step has none is 0.61^100 = 4e-22).
    NetworkSpec spec;
    spec.populations = {sources("window", 100, 5000.0, 10.0, 20.0),     // steps 101..200
                        sources("rounded", 100, 5000.0, 10.04, 19.96),  // round: 100, 200 -> 101..200
                        sources("empty", 100, 5000.0, 15.0, 15.0),      // none
                        sources("silent", 100, 0.0),                    // none
                        sources("late", 100, 5000.0, 30.0)};            // 301.. to the end
    const auto spikes = run(spec, 400);
    std::map<gid_t, std::pair<step_t, step_t>> range;  // population -> first, last step
    std::vector<std::size_t> count(5, 0);
    for (auto& s : spikes) {
        const gid_t pop = s.gid / 100;
        auto it = range.find(pop);
        if (it == range.end())
            range[pop] = {s.step, s.step};
        else
            it->second = {std::min(it->second.first, s.step), std::max(it->second.second, s.step)};
        ++count[pop];
    }
    CHECK(range.at(0) == std::make_pair(step_t(101), step_t(200)));
    CHECK(range.at(1) == std::make_pair(step_t(101), step_t(200)));
    CHECK(count[2] == 0);
    CHECK(count[3] == 0);
    CHECK(range.at(4) == std::make_pair(step_t(301), step_t(400)));
    // Mean count in the 100-step window: 100 p per source = 39.3, SE sqrt(100 p q / 100) = 0.49.
    const double p = -std::expm1(-0.5);
    CHECK(std::abs(double(count[0]) / 100 - 100 * p) < 4 * std::sqrt(p * (1 - p)));
}

TEST_CASE("poisson_source with a period: the first period's trains, repeated exactly", "[poisson_source]") {
    // 100 sources at 200 Hz from 2 ms to 50.05 ms with a period of 7.3 ms (73 steps): steps
    // 21..500, periods starting at steps 21, 94, 167, ...; the last one cut at step 500. The
    // first period is the unrepeated train's first period (the same draws), and every spike
    // of period k is a spike of period 0 moved by 73 k steps, and the reverse.
    auto periodic = [](double period_ms) {
        PopulationSpec p = sources("pattern", 100, 200.0, 2.0, 50.05);
        p.parameters["period"] = period_ms;
        NetworkSpec spec;
        spec.populations = {p};
        return spec;
    };
    const step_t P = 73, first = 21, last = 500;
    const auto repeated = run(periodic(7.3), 600);
    const auto plain = run(periodic(0.0), 600);
    std::map<gid_t, std::vector<step_t>> pattern, got, plain_first;
    for (auto& s : plain)
        if (s.step < first + P) plain_first[s.gid].push_back(s.step);
    for (auto& s : repeated) {
        REQUIRE(s.step >= first);
        REQUIRE(s.step <= last);
        got[s.gid].push_back(s.step);
        if (s.step < first + P) pattern[s.gid].push_back(s.step);
    }
    CHECK(pattern == plain_first);
    std::size_t n_pattern = 0;
    for (auto& [gid, steps] : pattern) n_pattern += steps.size();
    // 100 sources x 73 steps x p = 1 - exp(-0.02) = 0.0198: 144.6 spikes, SD 11.9.
    CHECK(n_pattern > 100);
    for (auto& [gid, steps] : got) {
        std::vector<step_t> expected;
        for (step_t origin = 0; first + origin <= last; origin += P)
            for (step_t s : pattern[gid])
                if (s + origin <= last) expected.push_back(s + origin);
        INFO("source " << gid);
        CHECK(steps == expected);
    }
    CHECK(got.size() == pattern.size());
    // A period of one step repeats the first step's draw: every step or none.
    const auto every = run(periodic(0.1), 600);
    std::map<gid_t, std::size_t> count;
    for (auto& s : every) ++count[s.gid];
    for (auto& [gid, n] : count) CHECK(n == std::size_t(last - first + 1));
}

TEST_CASE("poisson_source: identical spikes for 1, 2, 3 threads and any slice length", "[poisson_source][determinism]") {
    // Sources at 200 Hz and 30 Hz (from 5 ms) project onto iaf_psc_delta neurons that fire.
    // The slice length is the smallest delay: 1 step, 23 steps, or 1 ms (10 steps) without any
    // projection.
    auto spec_with = [](double delay_ms, std::uint32_t seed = 12345) {
        NetworkSpec spec;
        spec.simulation.seed = seed;
        spec.populations = {sources("fast", 300, 200.0), sources("slow", 100, 30.0, 5.0),
                            population("T", "iaf_psc_delta", 50)};
        if (delay_ms > 0) {
            ProjectionSpec a = projection("fast", "T", ConnectionRule::fixed_indegree, 2.0, delay_ms);
            a.degree = 60;
            ProjectionSpec b = projection("slow", "T", ConnectionRule::fixed_indegree, 3.0, delay_ms);
            b.degree = 20;
            spec.projections = {a, b};
        }
        return spec;
    };
    const step_t steps = 3000;  // 300 ms
    const auto reference = run(spec_with(0.1), steps, 1);
    const auto sources_only = of_gids(reference, 0, 400);
    REQUIRE(sources_only.size() > 15000);                        // ~300 x 60 + 100 x 8.8
    REQUIRE(reference.size() - sources_only.size() > 100);      // the targets fire
    for (int threads : {2, 3}) {
        INFO("threads " << threads);
        CHECK(bitwise_equal(run(spec_with(0.1), steps, threads), reference));
    }
    for (double delay : {2.3, 0.0}) {
        INFO("min delay " << delay << " ms");
        for (int threads : {1, 3})
            CHECK(bitwise_equal(of_gids(run(spec_with(delay), steps, threads), 0, 400), sources_only));
    }
    // A run in pieces of uneven length continues the same trains.
    {
        const NetworkSpec spec = spec_with(2.3);
        Run r(spec, 2);
        for (step_t until : {7, 500, 1234, 3000}) r.sim.run(until);
        CHECK(bitwise_equal(of_gids(r.rec.spikes, 0, 400), sources_only));
    }
    CHECK_FALSE(bitwise_equal(of_gids(run(spec_with(0.1, 999), steps, 1), 0, 400), sources_only));
}

TEST_CASE("poisson_source: through a projection, a target receives K x rate", "[poisson_source]") {
    // Targets: iaf_psc_delta without leak in practice (tau_m = 1e12 ms) and with an
    // unreachable threshold, weight 1 mV: V_m at the end counts the input spikes received.
    // Sources emit on [0, 1000) ms (steps 1..10 000); the run lasts until the last spike
    // (delay 1 ms) has arrived.
    const std::uint64_t Ns = 1000, Nt = 200;
    const double rate = 20.0, n = 10000;
    const double p = -std::expm1(-rate * 1e-4);
    const std::map<std::string, double> counter = {{"tau_m", 1e12}, {"V_th", 1e12}, {"E_L", 0.0}, {"V_reset", 0.0}};
    NetworkSpec spec;
    spec.populations = {sources("S", Ns, rate, 0.0, 1000.0),
                        population("T", "iaf_psc_delta", Nt, counter), population("all", "iaf_psc_delta", 3, counter)};
    const std::uint64_t K = 50;
    ProjectionSpec k = projection("S", "T", ConnectionRule::fixed_indegree, 1.0, 1.0);
    k.degree = K;
    spec.projections = {k, projection("S", "all", ConnectionRule::all_to_all, 1.0, 1.0)};
    Run r(spec, 2);
    r.sim.run(10010);
    const double emitted = double(of_gids(r.rec.spikes, 0, gid_t(Ns)).size());
    std::vector<double> received_T, received_all;
    for (auto& vp : r.net.vps()) {
        for (double v : vp.group(1).state(0)) received_T.push_back(std::round(v));
        for (double v : vp.group(2).state(0)) received_all.push_back(std::round(v));
    }
    REQUIRE(received_T.size() == Nt);
    // all_to_all: every target receives every source spike, exactly.
    for (double c : received_all) CHECK(c == emitted);
    // fixed_indegree K: mean input count K n p = 50 x 10 000 x 0.0019980 = 999.0 (K x rate x
    // 1 s = 1000 up to the grid's 1 - exp). SE of the mean over targets, from the two sources
    // of spread: the realised source counts (variance sigma^2 = n p q each; K x their mean:
    // K^2 sigma^2 / Ns) and which sources each target drew (Nt K draws from the sources:
    // K sigma^2 / Nt): sqrt(2500 x 19.96 / 1000 + 50 x 19.96 / 200) = 7.4 spikes (0.74 %).
    double mean = 0;
    for (double c : received_T) mean += c / double(Nt);
    const double sigma2 = n * p * (1 - p);
    const double se = std::sqrt(double(K * K) * sigma2 / double(Ns) + double(K) * sigma2 / double(Nt));
    INFO("mean input " << mean << " spikes/s, expected " << double(K) * n * p << " (SE " << se << ")");
    CHECK(std::abs(mean - double(K) * n * p) < 4 * se);
    // The same through the source counts actually emitted: K x (emitted / Ns), up to the
    // choice of sources (SE sqrt(K sigma^2 / Nt) = 2.2).
    CHECK(std::abs(mean - double(K) * emitted / double(Ns)) < 4 * std::sqrt(double(K) * sigma2 / double(Nt)));
}

TEST_CASE("poisson_source in a description: parameters, no input", "[poisson_source][description]") {
    const std::string head = "simulation: {dt: 0.1 ms, t_stop: 10 ms}\npopulations:\n";
    {
        NetworkSpec spec = parse_description(
            head + "  S: {model: poisson_source, size: 10, parameters: {rate: 5 Hz, start: 1 ms, stop: inf ms}}\n",
            "model.yaml");
        REQUIRE(spec.populations[0].parameters.at("rate") == 5.0);
        REQUIRE(spec.populations[0].parameters.at("start") == 1.0);
        REQUIRE(std::isinf(spec.populations[0].parameters.at("stop")));
        NetworkSpec defaults = parse_description(head + "  S: {model: poisson_source, size: 10}\n", "model.yaml");
        REQUIRE(defaults.populations[0].parameters.at("rate") == 0.0);
        REQUIRE(defaults.populations[0].parameters.at("start") == 0.0);
        REQUIRE(std::isinf(defaults.populations[0].parameters.at("stop")));
    }
    auto error_of = [&](const std::string& body) -> std::string {
        try {
            parse_description(head + body, "model.yaml");
        } catch (const DescriptionError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK_THAT(error_of("  S: {model: poisson_source, size: 10, parameters: {rate: -1 Hz}}\n"),
               Catch::Contains("populations.S.parameters.rate: expected a frequency of at least 0 Hz"));
    CHECK_THAT(error_of("  S: {model: poisson_source, size: 10, parameters: {start: 5 ms, stop: 2 ms}}\n"),
               Catch::Contains("expected stop at or after start"));
    CHECK_THAT(error_of("  S: {model: poisson_source, size: 10, parameters: {period: -2 ms}}\n"),
               Catch::Contains("populations.S.parameters.period: expected a time of at least 0 ms"));
    CHECK_THAT(error_of("  S: {model: poisson_source, size: 10, parameters: {period: inf ms}}\n"),
               Catch::Contains("populations.S.parameters.period: expected a finite time"));
    CHECK(parse_description(head + "  S: {model: poisson_source, size: 10, parameters: {period: 200 ms}}\n",
                            "model.yaml")
              .populations[0]
              .parameters.at("period") == 200.0);
    // Nothing projects onto it: it has no receptors.
    CHECK_THAT(error_of("  S: {model: poisson_source, size: 10, parameters: {rate: 5 Hz}}\n"
                        "  T: {model: poisson_source, size: 10}\n"
                        "projections:\n"
                        "  - {source: S, target: T, connectivity: {rule: all_to_all}, weight: 1, delay: 1 ms}\n"),
               Catch::Contains("projections[0].target: expected a target population whose neurons take input, "
                               "found \"T\" (a poisson_source population, which has no receptors)"));
}

// Stimuli onto a poisson_source must be errors. Hidden until io/description/stimuli.cpp rejects
// stimulus targets whose model has no compartments and no receptors as it does spike_source
// ones (a poisson_generator is refused today, for want of a receptor; a current is accepted
// and ignored).
TEST_CASE("poisson_source: stimuli cannot target it", "[poisson_source][description]") {
    const std::string head = "simulation: {dt: 0.1 ms, t_stop: 10 ms}\npopulations:\n"
                             "  S: {model: poisson_source, size: 10, parameters: {rate: 5 Hz}}\nstimuli:\n";
    for (std::string stim : {"  - {model: dc_current, target: S, amplitude: 10 pA}\n",
                             "  - {model: noise_current, target: S, std: 10 pA, tau: 1 ms}\n",
                             "  - {model: poisson_generator, target: S, rate: 1 kHz, weight: 1, delay: 1 ms}\n"}) {
        std::string message = "no error";
        try {
            parse_description(head + stim, "model.yaml");
        } catch (const DescriptionError& e) {
            message = e.what();
        }
        INFO(stim);
        CHECK_THAT(message, Catch::Contains("stimuli[0].target: expected a target population whose neurons take "
                                           "input, found \"S\" (a poisson_source population"));
    }
}
