// poisson_generator: an independent Poisson train into every target. The counts received by
// each neuron over a window have mean rate * T and Fano factor 1 (Poisson), checked within 4
// standard errors; two neurons' counts are uncorrelated. Expected values: Poisson moments.
// The word table gives the same counts as the CDF search from the word's uniform, and the
// counts do not depend on how the steps are cut into slices.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

TEST_CASE("poisson_generator counts have the Poisson mean and Fano factor", "[stimuli][poisson]") {
    // Target: iaf_psc_delta without leak in practice (tau_m = 1e12 ms: P33 = 1 - 1e-13) and an
    // unreachable threshold, weight 1 mV: V(T) - V(0) is the number of input spikes (the leak
    // changes it by < 1e-13 * 1e4 steps * count, far below 0.5).
    const std::uint64_t n = 2000;
    for (double rate : {50.0, 800.0, 30000.0}) {  // lambda per step 0.005, 0.08, 3 (inversion path)
        NetworkSpec spec;
        spec.populations = {population("P", "iaf_psc_delta", n,
                                       {{"tau_m", 1e12}, {"V_th", 1e12}, {"E_L", 0.0}, {"V_reset", 0.0}})};
        StimulusSpec s;
        s.kind = StimulusSpec::Kind::poisson_generator;
        s.targets = {"P"};
        s.rate_hz = rate;
        s.weight = 1.0;
        s.delay_ms = 0.1;
        s.start_ms = 0.0;
        s.stop_ms = 500.0;  // emission steps 1..5000
        spec.stimuli = {s};
        Network net(spec, 1, 0, 2);
        LocalContext ctx;
        Simulation sim(net, ctx);
        sim.run(6000);
        std::vector<double> counts;
        for (auto& vp : net.vps())
            for (double v : vp.group(0).state(0)) counts.push_back(std::round(v));
        REQUIRE(counts.size() == n);
        double sum = 0, sum2 = 0;
        for (double c : counts) {
            sum += c;
            sum2 += c * c;
        }
        const double mu = rate * 0.5;  // rate * T, T = 0.5 s
        const double mean = sum / double(n), var = (sum2 - double(n) * mean * mean) / double(n - 1);
        INFO("rate " << rate << " Hz: mean " << mean << ", variance " << var);
        REQUIRE(std::abs(mean - mu) < 4 * std::sqrt(mu / double(n)));
        // SE of the sample variance of Poisson counts: sqrt((mu4 - sigma^4)/n) with
        // mu4 = mu + 3 mu^2, sigma^4 = mu^2 -> sqrt((mu + 2 mu^2)/n); Fano = var/mu.
        REQUIRE(std::abs(var - mu) < 4 * std::sqrt((mu + 2 * mu * mu) / double(n)));
    }
}

TEST_CASE("poisson_generator: trains are independent across neurons and honour start, stop and delay",
          "[stimuli][poisson]") {
    NetworkSpec spec;
    spec.populations = {population("P", "iaf_psc_delta", 2,
                                   {{"tau_m", 1e12}, {"V_th", 1e12}, {"E_L", 0.0}, {"V_reset", 0.0}})};
    StimulusSpec s;
    s.kind = StimulusSpec::Kind::poisson_generator;
    s.targets = {"P"};
    s.rate_hz = 1e5;  // lambda 10 per step: the PTRS path
    s.weight = 1.0;
    s.delay_ms = 2.0;   // 20 steps
    s.start_ms = 10.0;  // emission steps 101..200, arrivals 121..220
    s.stop_ms = 20.0;
    spec.stimuli = {s};
    Network net(spec, 1, 0, 1);
    LocalContext ctx;
    Simulation sim(net, ctx);
    auto& v = net.vps()[0].group(0).state(0);
    sim.run(120);
    REQUIRE(v[0] == 0.0);
    REQUIRE(v[1] == 0.0);
    sim.run(121);
    REQUIRE(v[0] > 0.0);
    sim.run(220);
    const double a = v[0], b = v[1];
    sim.run(400);
    REQUIRE(v[0] == Approx(a).epsilon(1e-9));  // nothing after the window (only the 1e-13 leak)
    // 100 steps x lambda 10: mean 1000, SD 31.6 each; the two neurons differ (independent).
    REQUIRE(std::abs(a - 1000.0) < 4 * std::sqrt(1000.0));
    REQUIRE(a != b);
}

TEST_CASE("poisson_generator: the word table equals the CDF search from the word's uniform", "[stimuli][poisson]") {
    // Expected: count(u) of the scalar CDF search (guide table then linear search) with
    // u = (w + 1/2) 2^-32, at every bucket edge, at every CDF threshold T(k) and its
    // neighbours (found by bisection here, independently of build_guide), and at random words.
    for (double lambda : {0.0, 0.005, 0.08, 0.5, 2.0, 3.0, 7.5, 9.99}) {
        PoissonInput in;
        in.lambda = lambda;
        in.cdf = poisson_cdf(lambda);
        in.build_guide();
        INFO("lambda " << lambda);
        auto check = [&](std::uint64_t w) {
            if (w > 0xFFFFFFFFu) return;
            const std::uint32_t x = std::uint32_t(w);
            REQUIRE(in.count_word(x) == in.count(PoissonInput::uniform(x)));
        };
        for (std::uint64_t b = 0; b <= (std::uint64_t(1) << PoissonInput::bucket_bits); ++b) {
            const std::uint64_t edge = b << PoissonInput::bucket_shift;
            for (std::uint64_t d : {0, 1, 2}) {
                check(edge + d);
                if (edge >= d) check(edge - d);
            }
        }
        for (double F : in.cdf) {
            std::uint64_t lo = 0, hi = std::uint64_t(1) << 32;
            while (lo < hi) {
                const std::uint64_t mid = (lo + hi) / 2;
                if ((double(mid) + 0.5) * 0x1p-32 >= F) hi = mid;
                else lo = mid + 1;
            }
            for (std::uint64_t d : {0, 1, 2}) {
                check(lo + d);
                if (lo >= d) check(lo - d);
            }
        }
        std::mt19937 gen(7);
        for (int i = 0; i < 200000; ++i) check(gen());
        // The batch adds count * weight where the count is not 0, exactly as the scalar loop.
        std::vector<std::uint32_t> w(1000);
        for (auto& x : w) x = gen();
        for (std::size_t i = 0; i < 40; ++i) w[i] = 0xFFFFFFFFu - std::uint32_t(i) * 4099u;  // tail words
        in.weight = -0.37;
        std::vector<double> row(w.size()), expected(w.size());
        for (std::size_t i = 0; i < w.size(); ++i) row[i] = expected[i] = 0.25 * double(i % 7) - 0.5;
        add_poisson_counts(in, w.data(), w.size(), row.data());
        for (std::size_t i = 0; i < w.size(); ++i) {
            const std::uint64_t c = in.count(PoissonInput::uniform(w[i]));
            if (c) expected[i] += double(c) * in.weight;
            REQUIRE(std::memcmp(&row[i], &expected[i], sizeof(double)) == 0);
        }
    }
}

TEST_CASE("poisson_generator: counts do not depend on the slice length", "[stimuli][poisson]") {
    // Slices of 1, 2, 3, 7 and 10 steps (the default: no synapses, 1 ms) and 1 or 3 virtual
    // processes give bitwise identical V (the sum of each neuron's weighted counts). Two
    // generators (lambda 2 and 0.08) with odd delays and a window that starts and ends
    // inside a four-step Philox group.
    auto simulate = [](int slice, int vps) {
        NetworkSpec spec;
        spec.populations = {population("P", "iaf_psc_delta", 300,
                                       {{"tau_m", 1e12}, {"V_th", 1e12}, {"E_L", 0.0}, {"V_reset", 0.0}})};
        StimulusSpec a;
        a.kind = StimulusSpec::Kind::poisson_generator;
        a.targets = {"P"};
        a.rate_hz = 20000.0;
        a.weight = 0.1;
        a.delay_ms = 0.3;
        a.start_ms = 0.2;  // emission steps 3 .. 97
        a.stop_ms = 9.7;
        StimulusSpec b = a;
        b.rate_hz = 800.0;
        b.weight = -0.7;
        b.delay_ms = 0.5;
        b.start_ms = 0.5;  // emission steps 6 .. 105
        b.stop_ms = 10.5;
        spec.stimuli = {a, b};
        Network net(spec, 1, 0, vps);
        LocalContext ctx;
        Simulation sim(net, ctx);
        for (step_t t = slice; t < 130 + slice; t += slice) sim.run(std::min<step_t>(t, 130));
        std::map<gid_t, double> v;
        for (auto& vp : net.vps())
            for (std::size_t i = 0; i < vp.group(0).size(); ++i)
                v[vp.group(0).gids()[i]] = vp.group(0).state(0)[i];
        return v;
    };
    const auto reference = simulate(10, 1);
    REQUIRE(reference.size() == 300);
    double sum = 0;
    for (auto& [gid, v] : reference) sum += v;
    // mean per neuron 95 x 2 x 0.1 - 100 x 0.08 x 0.7 = 13.4
    REQUIRE(std::abs(sum / 300 - 13.4) < 1.0);
    for (int slice : {1, 2, 3, 7, 10})
        for (int vps : {1, 3}) {
            INFO("slices of " << slice << " steps, " << vps << " VPs");
            const auto v = simulate(slice, vps);
            REQUIRE(v.size() == reference.size());
            for (auto& [gid, x] : reference) REQUIRE(std::memcmp(&v.at(gid), &x, sizeof x) == 0);
        }
}
