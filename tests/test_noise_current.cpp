// noise_current: an Ornstein-Uhlenbeck current per target neuron (engine/stimuli.hpp,
// NoiseInput), tau dI/dt = mean - I + std sqrt(2 tau) xi(t), constant over each step and
// sampled exactly on the grid: I_{k+1} = mean + (I_k - mean) a + std sqrt(1 - a^2) z_k with
// a = exp(-dt/tau), I at `start` drawn from N(mean, std^2).
//
// Statistical checks use samples that are independent by construction (different neurons,
// i.e. different Philox counters, at one step; or one neuron at times many correlation times
// apart) and a deterministic seed, with tolerances of 4 standard errors (SE):
//   sample mean of M values of variance s^2:          SE = s / sqrt(M)
//   sample variance of M Gaussian values:            SE = s^2 sqrt(2 / (M - 1))
//   mean of M products x y / s^2, (x, y) bivariate normal with correlation rho, mean 0:
//                                                    SE = sqrt((1 + rho^2) / M)
//   least-squares slope sum x y / sum x^2 of the same pairs (the lag-1 autocorrelation
//   estimate when both have variance s^2):           SE = sqrt((1 - rho^2) / M)
//   mean of M values z^4, z standard normal (E = 3, Var = 105 - 9 = 96): SE = sqrt(96 / M)
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.hpp"
#include "engine/network.hpp"
#include "io/description.hpp"
#include "core/random.hpp"
#include "engine/simulation.hpp"
#include "engine/stimuli.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

namespace {

constexpr step_t forever = std::numeric_limits<step_t>::max() / 2;

NoiseInput make_ou(double mean, double sd, double tau, double dt, std::size_t n, step_t first = 1,
                   step_t last = forever) {
    NoiseInput ou(mean, sd, tau, dt, n);
    ou.seed = 12345;
    ou.purpose = purpose(Purpose::noise_current, 0);
    ou.first_step = first;
    ou.last_step = last;
    return ou;
}

StimulusSpec noise(const std::string& target, double mean, double sd, double tau, const std::string& compartment = "") {
    StimulusSpec s;
    s.kind = StimulusSpec::Kind::noise_current;
    s.name = "noise";
    s.targets = {target};
    s.mean_pA = mean;
    s.std_pA = sd;
    s.tau_ms = tau;
    if (!compartment.empty()) s.compartments = {compartment == "dendrite" ? 1 : 0};  // index in the models used here
    return s;
}

// State variable `var` of population 0 of every VP, by gid.
std::map<gid_t, double> state_by_gid(Network& net, int var, int population = 0) {
    std::map<gid_t, double> v;
    for (auto& vp : net.vps()) {
        auto& g = vp.group(std::size_t(population));
        for (std::size_t i = 0; i < g.size(); ++i) v[g.gids()[i]] = g.state(var)[i];
    }
    return v;
}

// Stationary variance of V_k = b V_{k-1} + c I_k driven by the stationary AR(1) current
// I_k = a I_{k-1} + sd sqrt(1 - a^2) z_k: V_k = c sum_j b^j I_{k-j}, so
// Var V = c^2 sd^2 sum_{j,l} b^{j+l} a^{|j-l|} = c^2 sd^2 (1 + a b) / ((1 - b^2)(1 - a b)).
double filtered_variance(double a, double b, double c, double sd) {
    return c * c * sd * sd * (1.0 + a * b) / ((1.0 - b * b) * (1.0 - a * b));
}

struct Moments {
    double n = 0, sum = 0, sum2 = 0;
    void add(double x) { n += 1; sum += x; sum2 += x * x; }
    double mean() const { return sum / n; }
    double var() const { return (sum2 - sum * sum / n) / (n - 1); }
};

}  // namespace

TEST_CASE("OU generator: stationary mean and variance, Gaussian, lag-1 autocorrelation exp(-dt/tau)", "[stimuli][noise]") {
    const std::size_t N = 100000;  // independent neurons
    const double mean = 50.0, sd = 20.0, tau = 5.0, dt = 0.1;
    const double rho = std::exp(-dt / tau);
    std::vector<gid_t> gids(N);
    std::iota(gids.begin(), gids.end(), 7u);
    NoiseInput ou = make_ou(mean, sd, tau, dt, N);
    std::vector<double> out(N), prev(N);
    // Steps 1 (the stationary start), 2 (across a Philox pair), 3 (inside one pair), 1000, 1001.
    for (step_t s = 1; s <= 1001; ++s) {
        prev = out;
        std::fill(out.begin(), out.end(), 0.0);
        ou.add(gids.data(), N, s, 1, out.data());
        if (!(s <= 3 || s >= 1000)) continue;
        INFO("step " << s);
        Moments m;
        double fourth = 0;
        for (double x : out) {
            m.add(x);
            const double z = (x - mean) / sd;
            fourth += z * z * z * z;
        }
        fourth /= double(N);
        CHECK(std::abs(m.mean() - mean) < 4 * sd / std::sqrt(double(N)));
        CHECK(std::abs(m.var() / (sd * sd) - 1.0) < 4 * std::sqrt(2.0 / double(N - 1)));
        CHECK(std::abs(fourth - 3.0) < 4 * std::sqrt(96.0 / double(N)));
        if (s == 1 || s == 1000) continue;
        double xy = 0, xx = 0;
        for (std::size_t i = 0; i < N; ++i) {
            xy += (prev[i] - mean) * (out[i] - mean);
            xx += (prev[i] - mean) * (prev[i] - mean);
        }
        const double r_product = xy / (double(N) * sd * sd), r_slope = xy / xx;
        CHECK(std::abs(r_product - rho) < 4 * std::sqrt((1 + rho * rho) / double(N)));
        CHECK(std::abs(r_slope - rho) < 4 * std::sqrt((1 - rho * rho) / double(N)));
        // The innovations are uncorrelated with the previous value and have variance
        // sd^2 (1 - rho^2): the slope test above at SE sqrt(1 - rho^2)/sqrt(N) = 0.2 % of rho.
    }
}

TEST_CASE("OU generator: slicing, the active window and other neurons change no value", "[stimuli][noise]") {
    const std::size_t N = 6;
    std::vector<gid_t> gids = {3, 4, 10, 11, 12, 1000};
    const step_t first = 5, last = 40, T = 50;
    // Reference: one step per call.
    NoiseInput ref = make_ou(-10.0, 30.0, 2.0, 0.1, N, first, last);
    std::vector<double> expect(std::size_t(T) * N, 0.0);
    for (step_t s = 1; s <= T; ++s) ref.add(gids.data(), N, s, 1, expect.data() + std::size_t(s - 1) * N);
    for (step_t s = 1; s <= T; ++s)
        for (std::size_t i = 0; i < N; ++i) {
            const double x = expect[std::size_t(s - 1) * N + i];
            if (s < first || s > last) REQUIRE(x == 0.0);
            else REQUIRE(x != 0.0);
        }
    for (int len : {2, 3, 7, 50}) {
        INFO("slice length " << len);
        NoiseInput ou = make_ou(-10.0, 30.0, 2.0, 0.1, N, first, last);
        std::vector<double> got(std::size_t(T) * N, 0.0);
        for (step_t s = 1; s <= T; s += len) {
            const int n = int(std::min<step_t>(len, T - s + 1));
            ou.add(gids.data(), N, s, n, got.data() + std::size_t(s - 1) * N);
        }
        REQUIRE(std::memcmp(got.data(), expect.data(), got.size() * sizeof(double)) == 0);
    }
    // A neuron's current depends only on its gid: two of them alone, in another order.
    std::vector<gid_t> two = {12, 4};
    NoiseInput ou = make_ou(-10.0, 30.0, 2.0, 0.1, 2, first, last);
    std::vector<double> got(std::size_t(T) * 2, 0.0);
    ou.add(two.data(), 2, 1, int(T), got.data());
    for (step_t s = 1; s <= T; ++s) {
        REQUIRE(got[std::size_t(s - 1) * 2 + 0] == expect[std::size_t(s - 1) * N + 4]);
        REQUIRE(got[std::size_t(s - 1) * 2 + 1] == expect[std::size_t(s - 1) * N + 1]);
    }
}

TEST_CASE("passive membranes driven by noise_current: stationary mean and variance of V", "[stimuli][noise][no_sanitize]") {
    // iaf_psc_delta, iaf_psc_exp, iaf_cond_exp (g_L = 25 nS) and aeif_cond_exp (a = b = 0,
    // Delta_T = 0) with C_m = 250 pF, tau_m = 10 ms, R = tau_m / C_m = 0.04 GOhm, no threshold in
    // reach: V = E_L + R I low-pass filtered. With the current constant over each step, the exact
    // propagators give V_k = b V_{k-1} + R (1 - b) I_k, b = exp(-dt/tau_m), so
    //   E V = E_L + R mean,  Var V = filtered_variance(a, b, R (1 - b), std)   (exact on the grid)
    // whose dt -> 0 limit is the continuous Var V = std^2 R^2 tau / (tau + tau_m) = 5.3333 mV^2.
    // At dt = 0.1 ms the two differ by 6.7e-5 (relative), far below the statistical tolerance
    // (4 SE = 2.8 %), so both are checked: the discrete one within 4 SE, the continuous one
    // within 4 SE plus that difference. The conductance-based models integrate V by RK4, whose
    // step factor differs from exp(-h/tau_m) by (h/tau_m)^5/120 ~ 1e-12: their V must equal
    // iaf_psc_delta's to 1e-8 mV (the same gids get the same noise).
    const double E_L = -70.0, R = 0.04, tau_m = 10.0, dt = 0.1;
    const double mean = 100.0, sd = 100.0, tau = 5.0;
    const std::uint64_t N = 2000;
    const double a = std::exp(-dt / tau), b = std::exp(-dt / tau_m);
    const double var_grid = filtered_variance(a, b, R * (1 - b), sd);
    const double var_cont = sd * sd * R * R * tau / (tau + tau_m);
    REQUIRE(std::abs(var_grid / var_cont - 1) < 1e-4);
    std::map<std::string, std::map<std::string, double>> models = {
        {"iaf_psc_delta", {{"V_th", 1e9}, {"E_L", E_L}}},
        {"iaf_psc_exp", {{"V_th", 1e9}, {"E_L", E_L}}},
        {"iaf_cond_exp", {{"V_th", 1e9}, {"E_L", E_L}, {"g_L", 25.0}}},
        {"aeif_cond_exp", {{"V_th", 1e9}, {"V_peak", 1e9}, {"E_L", E_L}, {"g_L", 25.0}, {"a", 0.0},
                           {"b", 0.0}, {"Delta_T", 0.0}, {"C_m", 250.0}}},
    };
    std::vector<std::map<gid_t, double>> reference;  // iaf_psc_delta's samples
    for (std::string model : {"iaf_psc_delta", "iaf_psc_exp", "iaf_cond_exp", "aeif_cond_exp"}) {
        INFO(model);
        NetworkSpec spec;
        spec.populations = {population("P", model, N, models.at(model))};
        spec.stimuli = {noise("P", mean, sd, tau)};
        Network net(spec, 1, 0, 1);
        LocalContext ctx;
        Simulation sim(net, ctx);
        Moments m;
        std::vector<std::map<gid_t, double>> samples;
        // Samples 100 ms apart (10 tau_m, 20 tau): correlation < e^-10, independent for the SE;
        // the first at 100 ms, when the transient from V = E_L has decayed by e^-10.
        for (step_t s = 1000; s <= 20000; s += 1000) {
            sim.run(s);
            samples.push_back(state_by_gid(net, 0));
            for (auto& [gid, v] : samples.back()) m.add(v);
        }
        const double M = m.n;
        INFO("mean " << m.mean() << " var " << m.var() << " grid " << var_grid << " continuous " << var_cont);
        CHECK(std::abs(m.mean() - (E_L + R * mean)) < 4 * std::sqrt(var_grid / M));
        const double se = var_grid * std::sqrt(2.0 / (M - 1));
        CHECK(std::abs(m.var() - var_grid) < 4 * se);
        CHECK(std::abs(m.var() - var_cont) < 4 * se + std::abs(var_grid - var_cont));
        if (reference.empty()) {
            reference = samples;
            continue;
        }
        double worst = 0;
        for (std::size_t k = 0; k < samples.size(); ++k)
            for (auto& [gid, v] : samples[k]) worst = std::max(worst, std::abs(v - reference[k].at(gid)));
        CHECK(worst < 1e-8);
    }
}

TEST_CASE("burst_poisson: noise_current reaches the compartment it names", "[stimuli][noise]") {
    // Forward Euler (the model's scheme, a_w = 0, no spikes): V_k = b V_{k-1} + (dt/C) I_k with
    // b = 1 - dt/tau_c per compartment; the discrete formula is exact for it (it differs from
    // the continuous limit by 0.24 % for the soma at dt = 0.1 ms). Soma noise std 100 pA,
    // dendrite noise std 60 pA, independent streams (two stimuli).
    const double dt = 0.1, tau = 5.0, sd_s = 100.0, sd_d = 60.0;
    const std::uint64_t N = 2000;
    NetworkSpec spec;
    spec.populations = {population("B", "burst_poisson", N, {{"theta_0", 1e9}, {"a_w", 0.0}})};
    auto soma = noise("B", 0.0, sd_s, tau);
    auto dend = noise("B", 0.0, sd_d, tau, "dendrite");
    dend.name = "noise_d";
    spec.stimuli = {soma, dend};
    Network net(spec, 1, 0, 1);
    LocalContext ctx;
    Simulation sim(net, ctx);
    Moments ms, md;
    for (step_t s = 1000; s <= 20000; s += 1000) {
        sim.run(s);
        for (auto& [gid, v] : state_by_gid(net, 0)) ms.add(v);
        for (auto& [gid, v] : state_by_gid(net, 1)) md.add(v);
    }
    const double a = std::exp(-dt / tau);
    const double var_s = filtered_variance(a, 1 - dt / 16.0, dt / 370.0, sd_s);
    const double var_d = filtered_variance(a, 1 - dt / 7.0, dt / 170.0, sd_d);
    INFO("V_s var " << ms.var() << " expected " << var_s << "; V_d var " << md.var() << " expected " << var_d);
    CHECK(std::abs(ms.mean() + 70.0) < 4 * std::sqrt(var_s / ms.n));
    CHECK(std::abs(md.mean() + 70.0) < 4 * std::sqrt(var_d / md.n));
    CHECK(std::abs(ms.var() / var_s - 1) < 4 * std::sqrt(2.0 / (ms.n - 1)));
    CHECK(std::abs(md.var() / var_d - 1) < 4 * std::sqrt(2.0 / (md.n - 1)));
}

TEST_CASE("burst_pyramidal: dendritic noise moves V_d, and V_s only through the coupling", "[stimuli][noise]") {
    // No spikes (theta_0 out of reach). Reference runs without noise. Noise on the dendrite:
    // V_d varies across neurons; with g_s = 0 (no dendrite -> soma coupling) V_s is bitwise the
    // noiseless V_s, with the default g_s it differs. Noise on the soma (the default
    // compartment): V_d is bitwise the noiseless V_d (the soma reaches the dendrite only
    // through the bAP, i.e. spikes). Both step orders (default RK4, auryn).
    const std::uint64_t N = 200;
    for (std::string order : {"default", "auryn"}) {
        for (double g_s : {0.0, 1300.0}) {
            INFO("reference_step_order " << order << ", g_s " << g_s);
            auto run = [&](const std::string& compartment, bool with_noise) {
                NetworkSpec spec;
                spec.populations = {population("Y", "burst_pyramidal", N, {{"theta_0", 1e9}, {"g_s", g_s}})};
                spec.populations[0].options = burst_pyramidal_info().option_indices({{"reference_step_order", order}});
                if (with_noise) spec.stimuli = {noise("Y", 0.0, 50.0, 3.0, compartment)};
                Network net(spec, 1, 0, 1);
                LocalContext ctx;
                Simulation sim(net, ctx);
                sim.run(2000);
                return std::make_pair(state_by_gid(net, 0), state_by_gid(net, 1));  // V_s, V_d
            };
            const auto [vs0, vd0] = run("", false);
            const auto [vs_d, vd_d] = run("dendrite", true);
            const auto [vs_s, vd_s] = run("", true);
            Moments d;
            for (auto& [gid, v] : vd_d) d.add(v);
            CHECK(d.var() > 0.1);  // mV^2
            bool vs_same = true, vd_same = true;
            for (auto& [gid, v] : vs_d) vs_same = vs_same && v == vs0.at(gid);
            for (auto& [gid, v] : vd_s) vd_same = vd_same && v == vd0.at(gid);
            CHECK(vs_same == (g_s == 0.0));
            CHECK(vd_same);
            Moments s;
            for (auto& [gid, v] : vs_s) s.add(v);
            CHECK(s.var() > 0.1);
        }
    }
}

TEST_CASE("noise_current: identical spikes and voltages for any threads, ranks and slicing", "[stimuli][noise][determinism]") {
    // A recurrent iaf_psc_exp network in the fluctuation-driven regime (mean below rheobase
    // 375 pA): spikes and final V bitwise equal for 1, 2 and 3 threads.
    auto recurrent = [](int threads) {
        NetworkSpec spec;
        spec.simulation.threads = threads;
        spec.populations = {population("E", "iaf_psc_exp", 400)};
        auto p = projection("E", "E", ConnectionRule::fixed_indegree, 20.0, 1.5);
        p.degree = 40;
        spec.projections = {p};
        spec.stimuli = {noise("E", 300.0, 150.0, 5.0)};
        return spec;
    };
    std::vector<Spike> ref_spikes;
    std::map<gid_t, double> ref_v;
    for (int threads : {1, 2, 3}) {
        INFO("threads " << threads);
        auto spec = recurrent(threads);
        Network net(spec, 1, 0, threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        MemorySpikeRecorder rec;
        sim.add_recorder(&rec);
        sim.run(3000);
        auto v = state_by_gid(net, 0);
        if (threads == 1) {
            ref_spikes = rec.spikes;
            ref_v = v;
            REQUIRE(ref_spikes.size() > 200);
            continue;
        }
        REQUIRE(rec.spikes.size() == ref_spikes.size());
        REQUIRE(std::memcmp(rec.spikes.data(), ref_spikes.data(), ref_spikes.size() * sizeof(Spike)) == 0);
        REQUIRE(v == ref_v);
    }

    // Without synapses the ranks run independently (each with its own LocalContext): 2 ranks
    // x 2 threads give the V of 1 rank x 1 thread. Slices of 10 steps (no synapses), 1 and 3
    // steps (a zero-weight projection of that delay), and updates split by a state recording:
    // the same V, bitwise.
    auto passive = [](int threads, double delay) {
        NetworkSpec spec;
        spec.simulation.threads = threads;
        spec.populations = {population("P", "iaf_psc_exp", 101, {{"V_th", 1e9}}),
                            population("Q", "iaf_psc_delta", 3)};
        if (delay > 0) spec.projections = {projection("Q", "Q", ConnectionRule::one_to_one, 0.0, delay)};
        spec.stimuli = {noise("P", 20.0, 80.0, 4.0)};
        spec.stimuli[0].start_ms = 1.25;  // steps 13 ..
        spec.stimuli[0].stop_ms = 70.0;   // .. 700
        return spec;
    };
    auto run_passive = [](const NetworkSpec& spec, int ranks, int rank, bool record) {
        Network net(spec, ranks, rank, spec.simulation.threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        if (record) sim.add_state_recorder(nullptr);
        std::vector<std::map<gid_t, double>> frames;
        for (step_t s = 7; s <= 800; s += 7) {
            sim.run(s);
            frames.push_back(state_by_gid(net, 0));
        }
        return frames;
    };
    const auto expect = run_passive(passive(1, 0.0), 1, 0, false);
    REQUIRE(expect.size() == 114);
    REQUIRE(expect[0].begin()->second == -70.0);             // step 7: before start
    REQUIRE(expect[1].begin()->second != -70.0);             // step 14
    {
        auto r0 = run_passive(passive(2, 0.0), 2, 0, false), r1 = run_passive(passive(2, 0.0), 2, 1, false);
        for (std::size_t k = 0; k < expect.size(); ++k) {
            auto merged = r0[k];
            merged.insert(r1[k].begin(), r1[k].end());
            REQUIRE(merged == expect[k]);
        }
    }
    for (double delay : {0.1, 0.3}) {
        INFO("delay " << delay);
        REQUIRE(run_passive(passive(1, delay), 1, 0, false) == expect);
        REQUIRE(run_passive(passive(2, delay), 1, 0, false) == expect);
    }
    {
        auto spec = passive(2, 0.3);
        StateRecordingSpec r;
        r.name = "v";
        r.population = "P";
        r.variables = {0};  // V_m
        r.nodes = {0, 5, 100};
        r.interval_ms = 0.5;
        spec.state_recordings = {r};
        REQUIRE(run_passive(spec, 1, 0, true) == expect);
    }
}

TEST_CASE("noise_current: a compartment the model lacks and spike sources are errors", "[stimuli][noise][errors]") {
    // The description layer refuses them with the stimulus's position (docs/description.md,
    // "stimuli"); the network builder asserts what it checked.
    const std::string populations = "populations:\n  P: {model: iaf_psc_exp, size: 4}\n  S: {model: spike_source, size: 2}\n";
    auto error_of = [&](const std::string& stimulus) {
        try {
            parse_description(populations + "stimuli:\n  - {model: noise_current, " + stimulus + "}\n", "net.yaml");
        } catch (const DescriptionError& e) {
            return std::pair{e.key_path(), std::string(e.what())};
        }
        return std::pair{std::string(), std::string("no error")};
    };
    auto [path, what] = error_of("targets: [P], std: 10 pA, tau: 5 ms, compartment: dendrite");
    INFO(what);
    CHECK(path == "stimuli[0].compartment");
    CHECK(what.find("a compartment of iaf_psc_exp") != std::string::npos);
    CHECK(what.find("\"dendrite\"") != std::string::npos);
    CHECK(error_of("targets: [S], std: 10 pA, tau: 5 ms").first == "stimuli[0].targets[0]");
    CHECK(error_of("targets: [P], std: -1 pA, tau: 5 ms").first == "stimuli[0].std");
}
