// Short-term plasticity (docs/models.md 4): the efficacies u x of the extended Tsodyks-Markram
// model for regular trains and two-spike bursts, NEST tsodyks2_synapse's rows, the per-source
// state on the step grid, delivery through a network (weight x efficacy, one update per spike
// even with two receptor tables, bitwise identical for 1 and 2 threads) and the synapse key of
// the description with its errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/random.hpp"
#include "description_cases.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"
#include "synapses/tsodyks_markram.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// Starting from rest: u0 = U, x0 = 1.
TsodyksMarkramParameters parameters(double U, double f, double tau_F, double tau_D) {
    return {.U = U, .f = f, .tau_F_ms = tau_F, .tau_D_ms = tau_D, .u0 = U, .x0 = 1.0};
}

// Payeur et al. 2021's sets (docs/models.md 4.2).
const TsodyksMarkramParameters depressing = parameters(0.9, 0.1, 1000.0, 20.0);
const TsodyksMarkramParameters facilitating = parameters(0.02, 0.1, 100.0, 100.0);

// The efficacies of spikes with the intervals `isi_ms` after the first, through the model.
template <class State>
std::vector<double> train(const TsodyksMarkramParameters& p, const std::vector<double>& isi_ms) {
    State s(p);
    std::vector<double> e{s.first(p)};
    for (double h : isi_ms) e.push_back(s.spike(p, h));
    return e;
}

// Efficacies of `n` spikes at regular intervals `isi_ms`.
template <class State = TsodyksMarkramState>
std::vector<double> efficacies(const TsodyksMarkramParameters& p, int n, double isi_ms) {
    return train<State>(p, std::vector<double>(std::size_t(n) - 1, isi_ms));
}

// An independent reference: the continuous form where u relaxes to U and x to 1 between
// spikes and a spike transmits the pre-spike u x, then x -= u x and u += f (1 - u)
// (docs/models.md 4.3: algebraically the same map, written differently).
std::vector<double> relaxation_form(const TsodyksMarkramParameters& p, int n, double isi_ms) {
    double u = p.u0, x = p.x0;
    std::vector<double> e;
    for (int k = 0; k < n; ++k) {
        if (k > 0) {
            x = 1.0 - (1.0 - x) * std::exp(-isi_ms / p.tau_D_ms);
            u = p.U - (p.U - u) * std::exp(-isi_ms / p.tau_F_ms);
        }
        e.push_back(u * x);
        x -= u * x;
        u += p.f * (1.0 - u);
    }
    return e;
}

struct TrainRow {
    const char* set;
    double rate_hz;
    double e[6];  // spikes 1-5 and spike 200 (steady state)
};

// Exact exponential solution, docs/models.md 4.5 (five decimals, so compared to 5e-6).
const TrainRow train_rows[] = {
    {"depressing", 5, {0.9, 0.90815, 0.91418, 0.91863, 0.92190, 0.93107}},
    {"depressing", 10, {0.9, 0.90354, 0.91080, 0.91672, 0.92154, 0.94267}},
    {"depressing", 20, {0.9, 0.84232, 0.84864, 0.85451, 0.85953, 0.88928}},
    {"depressing", 50, {0.9, 0.60857, 0.60096, 0.60357, 0.60618, 0.62536}},
    {"depressing", 100, {0.9, 0.41321, 0.38429, 0.38369, 0.38455, 0.39205}},
    {"facilitating", 5, {0.02, 0.03317, 0.03471, 0.03489, 0.03491, 0.03491}},
    {"facilitating", 10, {0.02, 0.05564, 0.06641, 0.06957, 0.07049, 0.07085}},
    {"facilitating", 20, {0.02, 0.07848, 0.10574, 0.11697, 0.12115, 0.12242}},
    {"facilitating", 50, {0.02, 0.09859, 0.14436, 0.16330, 0.16603, 0.13168}},
    {"facilitating", 100, {0.02, 0.10671, 0.16046, 0.18040, 0.17627, 0.08682}},
};

const TsodyksMarkramParameters& set_named(const std::string& name) {
    return name == "depressing" ? depressing : facilitating;
}

void check_row(const std::vector<double>& e, const std::vector<double>& expected) {
    for (std::size_t k = 0; k < expected.size(); ++k) {
        INFO("spike " << (k == 5 ? 200 : k + 1));
        CHECK(std::abs(e[k == 5 ? 199 : k] - expected[k]) <= 5e-6);
    }
}

}  // namespace

TEST_CASE("tsodyks_markram: regular trains, Payeur's sets", "[stp]") {
    for (const TrainRow& row : train_rows) {
        INFO(row.set << " at " << row.rate_hz << " Hz");
        const auto& p = set_named(row.set);
        const auto e = efficacies(p, 200, 1000.0 / row.rate_hz);
        check_row(e, std::vector<double>(row.e, row.e + 6));
        // The relaxation form of the same model, to rounding.
        const auto r = relaxation_form(p, 200, 1000.0 / row.rate_hz);
        for (std::size_t k = 0; k < e.size(); ++k) CHECK(std::abs(e[k] - r[k]) <= 1e-12);
    }
}

TEST_CASE("tsodyks_markram: two-spike bursts, Payeur's sets", "[stp]") {
    // Exact exponential solution, docs/models.md 4.5: second efficacy and (e1 + e2) / e1.
    struct Burst { const char* set; double isi_ms, e2, ratio; };
    const Burst rows[] = {
        {"depressing", 2, 0.16893, 1.188},   {"depressing", 5, 0.27215, 1.302},
        {"depressing", 10, 0.41321, 1.459},  {"depressing", 15, 0.52305, 1.581},
        {"facilitating", 2, 0.11378, 6.689}, {"facilitating", 5, 0.11107, 6.553},
        {"facilitating", 10, 0.10671, 6.335}, {"facilitating", 15, 0.10255, 6.128},
    };
    for (const Burst& b : rows) {
        INFO(b.set << ", interval " << b.isi_ms << " ms");
        const auto e = efficacies(set_named(b.set), 2, b.isi_ms);
        CHECK(e[0] == set_named(b.set).U);
        CHECK(std::abs(e[1] - b.e2) <= 5e-6);
        CHECK(std::abs((e[0] + e[1]) / e[0] - b.ratio) <= 5e-4);
    }
}

TEST_CASE("NEST's tsodyks2_synapse (tsodyks_markram with f = U) and tsodyks_synapse (tsodyks_3state)", "[stp]") {
    // NEST at regular 20 Hz, weight-normalised, docs/models.md 4.5 (five decimals).
    // tau_F = 0: NEST's "no facilitation" (decay factor exp(-h/0) = 0). tsodyks_3state starts
    // from NEST's u = 0, x = 1, y = 0 with tau_psc 3 ms.
    struct NestRow { bool three_state; double U, tau_D, tau_F, e[6]; };
    const NestRow rows[] = {
        {false, 0.5, 800, 0, {0.5, 0.26515, 0.15483, 0.10302, 0.07868, 0.05713}},
        {false, 0.67, 450, 0, {0.67, 0.26831, 0.14969, 0.11466, 0.10432, 0.09998}},
        {false, 0.1, 100, 1000, {0.1, 0.17435, 0.22200, 0.25053, 0.26799, 0.33552}},
        {true, 0.5, 800, 0, {0.5, 0.26426, 0.15395, 0.10233, 0.07818, 0.05694}},
        {true, 0.67, 450, 0, {0.67, 0.26561, 0.14782, 0.11351, 0.10352, 0.09941}},
        {true, 0.1, 100, 1000, {0.1, 0.17400, 0.22091, 0.24859, 0.26531, 0.33024}},
    };
    for (const NestRow& row : rows) {
        INFO((row.three_state ? "tsodyks_3state" : "tsodyks_markram") << ", U " << row.U << ", tau_D "
                                                                       << row.tau_D << ", tau_F " << row.tau_F);
        TsodyksMarkramParameters p = parameters(row.U, row.U, row.tau_F, row.tau_D);
        if (row.three_state) p.u0 = 0.0;
        const std::vector<double> e = row.three_state ? efficacies<Tsodyks3State>(p, 200, 50.0)
                                                      : efficacies(p, 200, 50.0);
        check_row(e, std::vector<double>(row.e, row.e + 6));
    }
}

TEST_CASE("tsodyks_markram: per-source state on the step grid", "[stp]") {
    TsodyksMarkramSources sources(SynapseModel::tsodyks_markram, facilitating, 3, 0.1);
    // Source 1 spikes at steps 100, 120 (2 ms); source 0 and 2 stay at rest.
    const double e1 = sources.efficacy(1, 100);
    CHECK(e1 == facilitating.U);
    const double e2 = sources.efficacy(1, 120);
    CHECK(e2 == efficacies(facilitating, 2, 2.0)[1]);
    // A second table of the projection asks again for the same spike: same value, no update.
    CHECK(sources.efficacy(1, 120) == e2);
    CHECK(sources.efficacy(0, 120) == facilitating.U);
    // u, x and the last step per source, and the projection's cache of decays per interval.
    const std::size_t cache = 2048;
    CHECK(sources.bytes() == 3 * (2 * sizeof(double) + sizeof(step_t)) + cache * 2 * sizeof(double));
    // tsodyks_3state keeps u, x, y and the last release per source; four propagators cached.
    TsodyksMarkramSources three(SynapseModel::tsodyks_3state, facilitating, 2, 0.1);
    CHECK(three.bytes() == 2 * (4 * sizeof(double) + sizeof(step_t)) + cache * 4 * sizeof(double));
    // The first spike facilitates u0 by U (1 - u0), then releases u x0 (docs/models.md 4.3).
    const double u1 = facilitating.u0 + facilitating.U * (1.0 - facilitating.u0);
    CHECK(three.efficacy(0, 5) == u1 * facilitating.x0);
    CHECK(three.efficacy(0, 5) == u1 * facilitating.x0);  // asked again for the same spike
}

TEST_CASE("short-term plasticity: cached decays are bitwise those computed at the spike", "[stp]") {
    // Intervals inside the cache (1, 7, 2047 steps) and beyond it (2048, 50000 steps).
    const std::vector<step_t> steps = {10, 11, 18, 2065, 4113, 54113};
    for (const TsodyksMarkramParameters& p : {depressing, facilitating, parameters(0.3, 0.1, 7.0, 1e4)}) {
        TsodyksMarkramParameters three = p;
        three.tau_psc_ms = 3.0;
        TsodyksMarkramSources cached(SynapseModel::tsodyks_markram, p, 1, 0.1);
        TsodyksMarkramSources cached3(SynapseModel::tsodyks_3state, three, 1, 0.1);
        TsodyksMarkramState direct(p);
        Tsodyks3State direct3(three);
        for (std::size_t k = 0; k < steps.size(); ++k) {
            const double h = k == 0 ? 0.0 : double(steps[k] - steps[k - 1]) * 0.1;
            CHECK(cached.efficacy(0, steps[k]) == (k == 0 ? direct.first(p) : direct.spike(p, h)));
            CHECK(cached3.efficacy(0, steps[k]) == (k == 0 ? direct3.first(three) : direct3.spike(three, h)));
        }
    }
}

namespace {

// One spike_source (spikes at `times`) onto `n` iaf_psc_delta neurons, all to all, through a
// short-term plastic projection (`model`, the depressing set; tau_psc 3 ms) with weights drawn uniformly in [low, high] mV (both signs: the
// projection then has two tables, exc and inh, on a VP). The threshold is out of reach.
NetworkSpec stp_network(SynapseModel model, int threads, std::uint64_t n, double low, double high,
                        const std::vector<double>& times) {
    NetworkSpec spec;
    spec.simulation.threads = threads;
    auto src = population("src", "spike_source", 1);
    src.spike_times_ms = {times};
    spec.populations.push_back(src);
    spec.populations.push_back(population("tgt", "iaf_psc_delta", n, {{"V_th", 1e6}, {"tau_m", 20.0}}));
    auto proj = projection("src", "tgt", ConnectionRule::all_to_all, 0.0, 1.0);
    proj.weight.kind = Distribution::Kind::uniform;
    proj.weight.low = low;
    proj.weight.high = high;
    proj.synapse.model = model;
    proj.synapse.set(depressing);
    spec.projections.push_back(proj);
    return spec;
}

// Runs `spec` step by step; per target neuron (node order), the voltage jumps not explained by
// the leak: V(s) - (E_L + (V(s-1) - E_L) exp(-dt/tau_m)), per step. Also the final voltages.
struct Jumps {
    std::vector<std::vector<double>> by_node;  // [node][step]
    std::vector<double> final_v;               // [node]
    std::vector<double> weight;                // [node], as stored
};

Jumps run_jumps(const NetworkSpec& spec, int steps) {
    Network net(spec, 1, 0, spec.simulation.threads);
    const std::size_t n = spec.populations[1].size;
    Jumps j;
    j.by_node.assign(n, std::vector<double>(std::size_t(steps) + 1, 0.0));
    j.final_v.assign(n, 0.0);
    j.weight.assign(n, 0.0);
    const double p33 = std::exp(-0.1 / 20.0);
    std::vector<double> before(n, -70.0);
    for (auto& vp : net.vps())
        for (auto& t : vp.tables())
            for (std::uint32_t k = 0; k < t.size(); ++k)
                j.weight[vp.group(1).gids()[t.target[k]] - 1] = t.weight.empty() ? t.weight_constant : t.weight[k];
    LocalContext ctx;
    Simulation sim(net, ctx);
    for (step_t s = 1; s <= steps; ++s) {
        sim.run(s);
        for (auto& vp : net.vps()) {
            NeuronGroup& g = vp.group(1);
            for (std::size_t i = 0; i < g.size(); ++i) {
                const std::size_t node = g.gids()[i] - 1;
                const double v = g.state(0)[i];
                j.by_node[node][std::size_t(s)] = v - (-70.0 + (before[node] + 70.0) * p33);
                before[node] = v;
                j.final_v[node] = v;
            }
        }
    }
    return j;
}

}  // namespace

TEST_CASE("short-term plasticity in a network: jumps are weight x efficacy, once per spike", "[stp][kernel]") {
    // Spikes at 10, 12, 17, 67 ms: intervals 2, 5 and 50 ms; arrivals 1 ms (10 steps) later.
    const std::vector<double> times = {10.0, 12.0, 17.0, 67.0};
    for (SynapseModel model : {SynapseModel::tsodyks_markram, SynapseModel::tsodyks_3state}) {
        INFO("model " << int(model));
        // Expected efficacies: the models themselves, checked against docs/models.md 4.5 above.
        const NetworkSpec spec = stp_network(model, 1, 6, -5.0, 5.0, times);
        const TsodyksMarkramParameters p = spec.projections[0].synapse.constants();
        const std::vector<double> e = model == SynapseModel::tsodyks_markram
                                          ? train<TsodyksMarkramState>(p, {2.0, 5.0, 50.0})
                                          : train<Tsodyks3State>(p, {2.0, 5.0, 50.0});
        Jumps j = run_jumps(spec, 800);
        bool both_signs[2] = {false, false};
        for (std::size_t node = 0; node < 6; ++node) {
            INFO("node " << node << ", weight " << j.weight[node]);
            both_signs[j.weight[node] < 0] = true;
            for (std::size_t k = 0; k < times.size(); ++k) {
                const std::size_t arrival = std::size_t(std::llround(times[k] * 10)) + 10;
                CHECK(std::abs(j.by_node[node][arrival] - j.weight[node] * e[k]) <= 1e-9);
                j.by_node[node][arrival] = 0.0;
            }
            for (double r : j.by_node[node]) CHECK(std::abs(r) <= 1e-9);  // nothing else arrives
        }
        CHECK((both_signs[0] && both_signs[1]));  // two tables (exc and inh) shared one state
    }
}

TEST_CASE("short-term plasticity in a network: bitwise identical for 1, 2 and 3 threads", "[stp][determinism]") {
    const std::vector<double> times = {5.0, 7.5, 9.0, 30.0, 31.0, 80.0};
    for (SynapseModel model : {SynapseModel::tsodyks_markram, SynapseModel::tsodyks_3state}) {
        const Jumps one = run_jumps(stp_network(model, 1, 9, -3.0, 4.0, times), 1000);
        for (int threads : {2, 3}) {
            INFO("model " << int(model) << ", threads " << threads);
            const Jumps more = run_jumps(stp_network(model, threads, 9, -3.0, 4.0, times), 1000);
            REQUIRE(one.final_v.size() == more.final_v.size());
            CHECK(std::memcmp(one.final_v.data(), more.final_v.data(), one.final_v.size() * sizeof(double)) == 0);
            for (std::size_t node = 0; node < one.by_node.size(); ++node)
                CHECK(std::memcmp(one.by_node[node].data(), more.by_node[node].data(),
                                  one.by_node[node].size() * sizeof(double)) == 0);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The synapse key (docs/description.md, "Synapse models")

namespace {

// small_description with the first projection's synapse key written as `synapse`.
std::string with_synapse(const std::string& synapse) {
    return replaced(small_description, "delay: 1.5 ms}", "delay: 1.5 ms, synapse: " + synapse + "}");
}

const std::string presets = "(one of: depressing, facilitating)";

std::vector<error_case> synapse_errors() {
    const std::string path = "projections[0].synapse";
    return {
        {"not a mapping", with_synapse("@@tsodyks_markram"), path, "a mapping {model: tsodyks_markram, ...}",
         "…"},
        {"unknown model", with_synapse("{model: @@tsodyks_markam, U: 0.5, tau_F: 1 s, tau_D: 1 s}"), path + ".model",
         "a synapse model (one of: tsodyks_markram, tsodyks_3state)", "\"tsodyks_markam\" (did you mean tsodyks_markram?)"},
        {"unknown preset", with_synapse("{model: tsodyks_markram, preset: @@depression}"), path + ".preset",
         "a preset " + presets, "\"depression\"…"},
        {"unknown key", with_synapse("{model: tsodyks_markram, preset: depressing, @@tau_rec: 1 s}"),
         path + ".tau_rec", "a key of synapse (one of: model, preset, f, U, tau_F, tau_D, tau_psc, u0, x0)",
         "\"tau_rec\"…"},
        {"a key of another model", with_synapse("{model: tsodyks_markram, preset: depressing, @@tau_psc: 3 ms}"),
         path + ".tau_psc", "a key of a tsodyks_markram synapse (one of: model, preset, U, f, tau_F, tau_D, u0, x0)",
         "\"tau_psc\"…"},
        {"a preset for tsodyks_3state", with_synapse("{model: tsodyks_3state, @@preset: depressing}"),
         path + ".preset", "a key of a tsodyks_3state synapse (one of: model, U, tau_F, tau_D, tau_psc, u0, x0)",
         "\"preset\"…"},
        {"no tau_D for tsodyks_3state", with_synapse("@@{model: tsodyks_3state, U: 0.5, tau_F: 1 ms}"), path,
         "a \"tau_D\" key (the recovery time constant, a time above 0 ms)", "…"},
        {"tau_psc equal to tau_D", with_synapse("{model: tsodyks_3state, U: 0.5, tau_F: 1 ms, tau_D: 3 ms, tau_psc: @@3 ms}"),
         path + ".tau_psc", "a tau_psc different from tau_D (3 ms)", "3 ms"},
        {"tau_psc of 0", with_synapse("{model: tsodyks_3state, U: 0.5, tau_F: 1 ms, tau_D: 1 s, tau_psc: @@0 ms}"),
         path + ".tau_psc", "a time above 0 ms", "0 ms"},
        {"no model", with_synapse("@@{U: 0.5, tau_F: 1 s, tau_D: 1 s}"), path,
         "a \"model\" key (a synapse model (one of: tsodyks_markram, tsodyks_3state))", "…"},
        {"no U without a preset", with_synapse("@@{model: tsodyks_markram, tau_F: 1 s, tau_D: 1 s}"), path,
         "a \"U\" key (the utilisation U, a number in (0, 1], or a preset " + presets + ")", "…"},
        {"U of 0", with_synapse("{model: tsodyks_markram, preset: facilitating, U: @@0}"), path + ".U",
         "a fraction in (0, 1]", "0"},
        {"f above 1", with_synapse("{model: tsodyks_markram, preset: facilitating, f: @@1.5}"), path + ".f",
         "a fraction in (0, 1]", "1.5"},
        {"tau_D of 0", with_synapse("{model: tsodyks_markram, preset: depressing, tau_D: @@0 ms}"),
         path + ".tau_D", "a time above 0 ms", "0 ms"},
        {"x0 below 0", with_synapse("{model: tsodyks_markram, preset: depressing, x0: @@-0.1}"), path + ".x0",
         "a fraction in [0, 1]", "-0.1"},
        // Distributions: every draw within the range (docs/description.md, "Synapse models").
        {"U may draw 0", with_synapse("{model: tsodyks_markram, preset: depressing, U: @@{distribution: uniform, low: 0, high: 0.5}}"),
         path + ".U", "a distribution whose every draw is a fraction in (0, 1] (bound it with min and max)",
         "a uniform distribution on [0, 0.5), which draws from 0 to 0.5"},
        {"tau_D unbounded below", with_synapse("{model: tsodyks_markram, preset: depressing, tau_D: @@{distribution: normal, mean: 20 ms, std: 5 ms}}"),
         path + ".tau_D", "a distribution whose every draw is a time above 0 ms (bound it with min and max)",
         "a normal distribution (mean 20 ms, std 5 ms), which draws from -inf ms to inf ms"},
        {"x0 above 1", with_synapse("{model: tsodyks_markram, preset: depressing, x0: @@{distribution: uniform, low: 0.5, high: 1.5}}"),
         path + ".x0", "a distribution whose every draw is a fraction in [0, 1] (bound it with min and max)",
         "a uniform distribution on [0.5, 1.5), which draws from 0.5 to 1.5"},
    };
}

}  // namespace

TEST_CASE("bad input: synapse", "[description][errors][stp]") {
    check_error_case(GENERATE(from_range(synapse_errors())));
}

TEST_CASE("synapse: presets, overrides, defaults and the resolved description", "[description][stp]") {
    const NetworkSpec spec = parse_description(
        with_synapse("{model: tsodyks_markram, preset: depressing, tau_D: 50 ms}"), "model.yaml", {});
    const SynapseSpec& ss = spec.projections[0].synapse;
    const TsodyksMarkramParameters s = ss.constants();
    CHECK(ss.model == SynapseModel::tsodyks_markram);
    CHECK(ss.preset == SynapsePreset::depressing);
    CHECK(s.U == 0.9);
    CHECK(s.f == 0.1);
    CHECK(s.tau_F_ms == 1000.0);
    CHECK(s.tau_D_ms == 50.0);
    CHECK(s.u0 == 0.9);
    CHECK(s.x0 == 1.0);
    CHECK(spec.projections[1].synapse.model == SynapseModel::static_synapse);
    // Resolved and read again: the same values.
    const NetworkSpec again = parse_description(spec.resolved_yaml, "resolved.yaml", {});
    const TsodyksMarkramParameters r = again.projections[0].synapse.constants();
    CHECK(again.projections[0].synapse.preset == ss.preset);
    CHECK((r.U == s.U && r.f == s.f && r.tau_F_ms == s.tau_F_ms && r.tau_D_ms == s.tau_D_ms && r.u0 == s.u0 &&
           r.x0 == s.x0));
    CHECK(contains(spec.resolved_yaml, "synapse: {model: tsodyks_markram, preset: depressing, U: 0.9"));

    // Without a preset: f and u0 default to U (NEST's tsodyks2_synapse), x0 to 1.
    const NetworkSpec plain = parse_description(
        with_synapse("{model: tsodyks_markram, U: 0.3, tau_F: 0.1 s, tau_D: 200 ms, x0: 0.5}"), "model.yaml", {});
    const TsodyksMarkramParameters p = plain.projections[0].synapse.constants();
    CHECK((p.U == 0.3 && p.f == 0.3 && p.u0 == 0.3 && p.x0 == 0.5 && p.tau_F_ms == 100.0 && p.tau_D_ms == 200.0));
    CHECK(plain.projections[0].synapse.preset == SynapsePreset::none);

    // tsodyks_3state: u0 defaults to 0 (NEST tsodyks_synapse), tau_psc to 3 ms; round trip.
    const NetworkSpec three = parse_description(
        with_synapse("{model: tsodyks_3state, U: 0.5, tau_F: 10 ms, tau_D: 800 ms}"), "model.yaml", {});
    const TsodyksMarkramParameters t = three.projections[0].synapse.constants();
    CHECK((three.projections[0].synapse.model == SynapseModel::tsodyks_3state && t.U == 0.5 && t.u0 == 0.0 && t.x0 == 1.0 &&
           t.tau_psc_ms == 3.0 && t.tau_F_ms == 10.0 && t.tau_D_ms == 800.0));
    CHECK(contains(three.resolved_yaml, "synapse: {model: tsodyks_3state, U: 0.5, tau_F: 10 ms, tau_D: 800 ms, "
                                        "tau_psc: 3 ms, u0: 0, x0: 1}"));
    // A copy: the NetworkSpec returned by parse_description ends with this statement.
    const SynapseSpec t2 = parse_description(three.resolved_yaml, "resolved.yaml", {}).projections[0].synapse;
    CHECK((t2.model == SynapseModel::tsodyks_3state && t2.u0.value == t.u0 && t2.tau_psc.value == t.tau_psc_ms));
}

// ---------------------------------------------------------------------------------------
// Per-synapse state (docs/models.md 4.4): parameters drawn per synapse

TEST_CASE("per-source and per-synapse storage give identical results for constant parameters", "[stp][kernel]") {
    const std::vector<double> times = {5.0, 7.5, 9.0, 30.0, 31.0, 80.0};
    for (SynapseModel model : {SynapseModel::tsodyks_markram, SynapseModel::tsodyks_3state})
        for (int threads : {1, 2}) {
            INFO("model " << int(model) << ", threads " << threads);
            const NetworkSpec per_source = stp_network(model, threads, 9, -3.0, 4.0, times);
            NetworkSpec per_synapse = per_source;
            per_synapse.projections[0].synapse.state_per_synapse = true;
            const Jumps a = run_jumps(per_source, 1000), b = run_jumps(per_synapse, 1000);
            CHECK(std::memcmp(a.final_v.data(), b.final_v.data(), a.final_v.size() * sizeof(double)) == 0);
            for (std::size_t node = 0; node < a.by_node.size(); ++node)
                CHECK(std::memcmp(a.by_node[node].data(), b.by_node[node].data(),
                                  a.by_node[node].size() * sizeof(double)) == 0);
            // The storage that was asked for: one state per source (24 bytes), or one per synapse.
            Network net(per_synapse, 1, 0, threads);
            std::size_t n_synapse_states = 0;
            for (auto& vp : net.vps()) {
                CHECK(vp.short_term().empty());
                for (auto& t : vp.tables()) CHECK(t.short_term_per_synapse);
                n_synapse_states += vp.short_term_synapses().size();
            }
            CHECK(n_synapse_states >= 2);  // the exc and the inh table
        }
}

TEST_CASE("parameters drawn per synapse: each synapse follows its own parameters", "[stp][kernel]") {
    // U, tau_D and x0 drawn; f and u0 not given, so each synapse's own U (NEST tsodyks2_synapse
    // at rest). Spikes at 10, 12, 17, 67 ms; arrivals 1 ms later.
    const std::vector<double> times = {10.0, 12.0, 17.0, 67.0};
    for (int threads : {1, 3}) {
        INFO("threads " << threads);
        NetworkSpec spec = stp_network(SynapseModel::tsodyks_markram, threads, 6, 1.0, 5.0, times);
        SynapseSpec& s = spec.projections[0].synapse;
        s.U.kind = Distribution::Kind::uniform, s.U.low = 0.1, s.U.high = 0.9;
        s.f = s.U, s.u0 = s.U, s.f_is_U = s.u0_is_U = true;
        s.tau_D.kind = Distribution::Kind::uniform, s.tau_D.low = 10.0, s.tau_D.high = 200.0;
        s.x0.kind = Distribution::Kind::uniform, s.x0.low = 0.5, s.x0.high = 1.0;
        // The stored values of every synapse, by target node (one source, all to all).
        Network net(spec, 1, 0, threads);
        std::vector<TsodyksMarkramParameters> stored(6);
        std::vector<double> weight(6);
        for (auto& vp : net.vps())
            for (auto& t : vp.tables()) {
                REQUIRE(t.short_term_per_synapse);
                const TsodyksMarkramSynapses& stp = vp.short_term_synapses()[std::size_t(t.short_term)];
                for (std::uint32_t k = 0; k < t.size(); ++k) {
                    const std::size_t node = vp.group(1).gids()[t.target[k]] - 1;
                    stored[node] = stp.parameters(k);
                    weight[node] = t.weight.empty() ? t.weight_constant : t.weight[k];
                }
            }
        std::vector<double> distinct_U;
        for (const auto& p : stored) {
            CHECK((p.U >= 0.1 && p.U < 0.9 && p.tau_D_ms >= 10.0 && p.tau_D_ms < 200.0));
            CHECK(p.f == p.U);                          // f is the synapse's own U, not a second draw
            CHECK(p.U == double(float(p.U)));           // stored in single precision
            CHECK(p.tau_F_ms == depressing.tau_F_ms);   // the constant stays as given
            distinct_U.push_back(p.U);
        }
        std::sort(distinct_U.begin(), distinct_U.end());
        CHECK(std::adjacent_find(distinct_U.begin(), distinct_U.end()) == distinct_U.end());
        // The same draws for any number of threads: the jumps of each node are its synapse's
        // weight x efficacy of the model with its own parameters and initial state (u0 = U,
        // x0 drawn: read back from the first efficacy, u0 x0).
        const Jumps j = run_jumps(spec, 800);
        for (std::size_t node = 0; node < 6; ++node) {
            INFO("node " << node);
            const std::size_t first = std::size_t(std::llround(times[0] * 10)) + 10;
            TsodyksMarkramParameters p = stored[node];
            p.u0 = p.U;
            p.x0 = j.by_node[node][first] / (weight[node] * p.U);
            CHECK((p.x0 >= 0.5 && p.x0 <= 1.0));
            const std::vector<double> e = train<TsodyksMarkramState>(p, {2.0, 5.0, 50.0});
            for (std::size_t k = 0; k < times.size(); ++k) {
                const std::size_t arrival = std::size_t(std::llround(times[k] * 10)) + 10;
                CHECK(std::abs(j.by_node[node][arrival] - weight[node] * e[k]) <= 1e-9);
            }
        }
    }
}

TEST_CASE("parameters drawn per synapse with plasticity: each synapse transmits its weight x its own efficacy",
          "[stp][plasticity][kernel]") {
    // The drawn network above with a plastic projection (stdp_pair): the targets never spike, so
    // every presynaptic update depresses with K- = 0 and leaves each weight as it is; what reaches
    // the targets must be, bit for bit, what the static projection with the same drawn
    // short-term parameters delivers (weight x the synapse's own efficacy, per spike).
    const std::vector<double> times = {10.0, 12.0, 17.0, 40.0, 41.0, 67.0};
    for (int threads : {1, 3}) {
        INFO("threads " << threads);
        NetworkSpec spec = stp_network(SynapseModel::tsodyks_markram, threads, 7, 1.0, 5.0, times);
        SynapseSpec& s = spec.projections[0].synapse;
        s.U.kind = Distribution::Kind::uniform, s.U.low = 0.1, s.U.high = 0.9;
        s.f = s.U, s.u0 = s.U, s.f_is_U = s.u0_is_U = true;
        s.tau_D.kind = Distribution::Kind::uniform, s.tau_D.low = 10.0, s.tau_D.high = 200.0;
        NetworkSpec plastic = spec;
        plastic.projections[0].plasticity.rule = PlasticityRule::stdp_pair;
        plastic.projections[0].plasticity.stdp.Wmax = 10.0;
        const Jumps a = run_jumps(spec, 800), b = run_jumps(plastic, 800);
        {
            Network net(plastic, 1, 0, threads);
            for (auto& vp : net.vps())
                for (auto& t : vp.tables()) CHECK((t.plastic >= 0 && t.short_term_per_synapse));
        }
        CHECK(std::memcmp(a.final_v.data(), b.final_v.data(), a.final_v.size() * sizeof(double)) == 0);
        double largest = 0.0;
        for (std::size_t node = 0; node < a.by_node.size(); ++node) {
            CHECK(std::memcmp(a.by_node[node].data(), b.by_node[node].data(), a.by_node[node].size() * sizeof(double)) ==
                  0);
            for (double x : b.by_node[node]) largest = std::max(largest, x);
        }
        CHECK(largest > 0.1);  // the spikes did arrive (weights 1 to 5 mV x efficacies of 0.1 to 0.9)
    }
}

TEST_CASE("parameters drawn per synapse: bitwise identical for 1, 2 and 3 threads", "[stp][determinism]") {
    const std::vector<double> times = {5.0, 7.5, 9.0, 30.0, 31.0, 80.0};
    for (SynapseModel model : {SynapseModel::tsodyks_markram, SynapseModel::tsodyks_3state}) {
        const auto drawn = [&](int threads) {
            NetworkSpec spec = stp_network(model, threads, 9, -3.0, 4.0, times);
            SynapseSpec& s = spec.projections[0].synapse;
            s.tau_F.kind = Distribution::Kind::normal, s.tau_F.mean = 500.0, s.tau_F.std = 100.0, s.tau_F.min = 1.0;
            s.U.kind = Distribution::Kind::uniform, s.U.low = 0.2, s.U.high = 0.8;
            return spec;
        };
        const Jumps one = run_jumps(drawn(1), 1000);
        for (int threads : {2, 3}) {
            INFO("model " << int(model) << ", threads " << threads);
            const Jumps more = run_jumps(drawn(threads), 1000);
            CHECK(std::memcmp(one.final_v.data(), more.final_v.data(), one.final_v.size() * sizeof(double)) == 0);
        }
    }
}

TEST_CASE("synapse: parameters as distributions, their bounds and the resolved description", "[description][stp]") {
    const NetworkSpec spec = parse_description(
        with_synapse("{model: tsodyks_markram, U: {distribution: uniform, low: 0.1, high: 0.5}, "
                     "tau_F: {distribution: normal, mean: 100 ms, std: 10 ms, min: 1 ms}, tau_D: 50 ms}"),
        "model.yaml", {});
    const SynapseSpec& s = spec.projections[0].synapse;
    CHECK((s.U.kind == Distribution::Kind::uniform && s.U.low == 0.1 && s.U.high == 0.5));
    CHECK((s.f_is_U && s.u0_is_U && s.per_synapse()));
    CHECK((s.tau_F.kind == Distribution::Kind::normal && s.tau_F.mean == 100.0 && s.tau_F.min == 1.0));
    // f and u0 follow each synapse's U, so they are not written as draws of their own.
    CHECK(contains(spec.resolved_yaml, "synapse: {model: tsodyks_markram, U: {distribution: uniform, low: 0.1, "
                                       "high: 0.5}, tau_F: {distribution: normal, mean: 100 ms, std: 10 ms, "
                                       "min: 1 ms}, tau_D: 50 ms, x0: 1}"));
    const SynapseSpec again = parse_description(spec.resolved_yaml, "resolved.yaml", {}).projections[0].synapse;
    CHECK((again.f_is_U && again.u0_is_U && again.U.high == 0.5 && again.tau_F.std == 10.0));
    // Constants keep the state per source.
    const NetworkSpec constant = parse_description(
        with_synapse("{model: tsodyks_markram, preset: depressing, f: 0.2}"), "model.yaml", {});
    CHECK(!constant.projections[0].synapse.per_synapse());
    CHECK(!constant.projections[0].synapse.f_is_U);
}

// ---------------------------------------------------------------------------------------
// Poisson trains (docs/models.md 4.5)

TEST_CASE("tsodyks_markram: mean efficacy of Poisson trains, Payeur's sets", "[stp]") {
    // Reference: the Monte Carlo of docs/models.md 4.5 (50 trains x 4000 spikes, first 200
    // discarded; its standard error at most 6e-4). The same protocol here with its own
    // streams: the two means must agree within 4 standard errors of their difference.
    struct Row { const char* set; double rate_hz, mean; };
    const Row rows[] = {{"depressing", 5, 0.853},   {"depressing", 10, 0.797},  {"depressing", 20, 0.696},
                        {"depressing", 50, 0.495},  {"facilitating", 5, 0.0627}, {"facilitating", 10, 0.0937},
                        {"facilitating", 20, 0.1263}, {"facilitating", 50, 0.1221}};
    constexpr int trains = 50, spikes = 4000, discarded = 200;
    constexpr double reference_sem = 6e-4;
    for (const Row& row : rows) {
        INFO(row.set << " at " << row.rate_hz << " Hz");
        const TsodyksMarkramParameters& p = set_named(row.set);
        std::vector<double> means;
        for (int n = 0; n < trains; ++n) {
            RandomStream rng(7, purpose(Purpose::test, 4), std::uint32_t(n), std::uint32_t(row.rate_hz));
            TsodyksMarkramState s(p);
            double sum = 0.0;
            for (int k = 0; k < spikes; ++k) {
                const double e = k == 0 ? s.first(p) : s.spike(p, -std::log(rng.uniform_open()) * 1e3 / row.rate_hz);
                if (k >= discarded) sum += e;
            }
            means.push_back(sum / (spikes - discarded));
        }
        double mean = 0.0, var = 0.0;
        for (double m : means) mean += m / trains;
        for (double m : means) var += (m - mean) * (m - mean) / (trains - 1);
        const double sem = std::sqrt(var / trains);
        CHECK(std::abs(mean - row.mean) <= 4.0 * std::sqrt(sem * sem + reference_sem * reference_sem));
        CHECK(sem < 2e-3);  // the test has the power to tell the sets and rates apart
    }
}
