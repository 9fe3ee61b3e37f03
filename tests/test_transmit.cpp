// Event-only and burst-only projections (`transmit`, docs/models.md 4.6): a projection passes
// exactly the spikes of its class, counted at the targets, for every exchange mode and thread
// count, with and without the source's spikes recorded, and with short-term plasticity
// behind the filter (the state sees only the passed spikes).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "description_cases.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "io/description.hpp"
#include "synapses/tsodyks_markram.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// Two source nodes with hand-made trains (ms). Bursts are 2-5 ms apart inside and at least
// 100 ms from anything else, so the trace rule and the ISI rule (16 ms) agree on every class
// (docs/models.md 3.1-3.2: a spike continues a burst iff it comes within 16 ms of the last
// one when no earlier spike is left in the trace; after a burst of three 4 ms apart the trace
// lets a spike continue up to ~30 ms later, far below 100 ms).
//   node 0: isolated 20; burst 100 104 108; isolated 250; burst 400 402; burst 600 605 610
//           615; isolated 800                       -> 12 spikes, 6 events, 3 burst spikes
//   node 1: burst 50 55; isolated 300; burst 500 503 -> 5 spikes, 3 events, 2 burst spikes
const std::vector<std::vector<double>> trains = {
    {20, 100, 104, 108, 250, 400, 402, 600, 605, 610, 615, 800}, {50, 55, 300, 500, 503}};
// The spikes each class passes, by construction of the trains above.
const std::vector<std::vector<double>> events = {{20, 100, 250, 400, 600, 800}, {50, 300, 500}};
const std::vector<std::vector<double>> bursts = {{104, 402, 605}, {55, 503}};

constexpr double tau_m = 1e7, dt = 0.1, delay = 1.0, weight = 1.0, E_L = -70.0;
constexpr step_t t_stop_steps = 10000;  // 1 s

std::string description(const std::string& exchange, int threads, bool record_source) {
    std::string times;
    for (const auto& train : trains) {
        times += times.empty() ? "[" : ", ";
        std::string one;
        for (double t : train) one += (one.empty() ? "" : ", ") + std::to_string(t) + " ms";
        times += "[" + one + "]";
    }
    times += "]";
    std::string text = "simulation: {dt: 0.1 ms, t_stop: 1 s, threads: " + std::to_string(threads) +
                       ", spike_exchange: " + exchange + "}\npopulations:\n  src: {model: spike_source, size: 2, spike_times: " +
                       times + "}\n";
    // Neurons far from threshold with a leak of 1e-4 per second: each arrival is a 1 mV jump.
    for (const char* name : {"all_t", "events_t", "bursts_t", "bursts_stp_t"})
        text += std::string("  ") + name +
                ": {model: iaf_psc_delta, size: 2, parameters: {tau_m: 1e7 ms, V_th: 1e6 mV, E_L: -70 mV}, "
                "initial: {V_m: -70 mV}}\n";
    text += "projections:\n";
    const auto projection = [&](const char* target, const char* transmit, const char* extra) {
        text += std::string("  - {source: src, target: ") + target +
                ", connectivity: {rule: one_to_one}, weight: 1 mV, delay: 1 ms, transmit: " + transmit + extra + "}\n";
    };
    projection("all_t", "all", "");
    projection("events_t", "events", "");
    projection("bursts_t", "bursts", "");
    projection("bursts_stp_t", "bursts", ", synapse: {model: tsodyks_markram, preset: facilitating}");
    // Spikes of every population are recorded unless the description names some.
    text += std::string("recordings:\n  spikes: [") + (record_source ? "src" : "all_t") + "]\n";
    return text;
}

// The membrane potential of iaf_psc_delta at the last step, from jumps `efficacy[k]` x weight
// arriving at step round(times[k] / dt) + delay / dt: each decays with exp(-dt / tau_m) per
// step after its arrival step (docs/models.md 7.1).
double expected_v(const std::vector<double>& times, const std::vector<double>& efficacy) {
    double v = 0.0;
    for (std::size_t k = 0; k < times.size(); ++k) {
        const step_t arrival = std::llround(times[k] / dt) + std::llround(delay / dt);
        v += weight * efficacy[k] * std::exp(-double(t_stop_steps - arrival) * dt / tau_m);
    }
    return E_L + v;
}

// Efficacies of tsodyks_markram (the facilitating preset) for a train (docs/models.md 4.1).
std::vector<double> facilitating_efficacies(const std::vector<double>& times) {
    TsodyksMarkramParameters p;
    p.U = p.u0 = 0.02;
    p.f = 0.1;
    p.tau_F_ms = p.tau_D_ms = 100.0;
    TsodyksMarkramState s(p);
    std::vector<double> e = {s.first(p)};
    for (std::size_t k = 1; k < times.size(); ++k) e.push_back(s.spike(p, times[k] - times[k - 1]));
    return e;
}

}  // namespace

TEST_CASE("transmit: each projection passes exactly the spikes of its class", "[transmit][kernel]") {
    const auto [exchange, threads, record_source] =
        GENERATE(table<std::string, int, bool>({{"allgather", 1, false}, {"allgather", 2, true},
                                                {"directed", 1, false}, {"directed", 2, false}, {"directed", 2, true}}));
    INFO(exchange << ", " << threads << " threads, source recorded: " << record_source);
    const NetworkSpec spec = parse_description(description(exchange, threads, record_source), "transmit.yaml", {});
    MemorySpikeRecorder recorded;
    Network net(spec, 1, 0, threads);
    LocalContext ctx;
    Simulation sim(net, ctx);
    sim.add_recorder(&recorded);
    REQUIRE(sim.run(t_stop_steps) == t_stop_steps);
    // The source is classified where its projections deliver, recorded or not; all_t for its
    // recording when the source is not recorded.
    CHECK(sim.classified_neurons() == (record_source ? 2u : 4u));

    std::vector<std::vector<double>> v(5, std::vector<double>(2, 0.0));
    for (VirtualProcess& vp : net.vps())
        for (std::size_t p = 1; p < 5; ++p) {
            NeuronGroup& g = vp.group(p);
            const gid_t first = gid_t(2 * p);  // populations of 2 neurons, in order
            for (std::size_t i = 0; i < g.size(); ++i) v[p][g.gids()[i] - first] = g.state(0)[i];
        }
    for (std::size_t node = 0; node < 2; ++node) {
        INFO("node " << node);
        const auto ones = [](const std::vector<double>& t) { return std::vector<double>(t.size(), 1.0); };
        CHECK(std::abs(v[1][node] - expected_v(trains[node], ones(trains[node]))) <= 1e-9);
        CHECK(std::abs(v[2][node] - expected_v(events[node], ones(events[node]))) <= 1e-9);
        CHECK(std::abs(v[3][node] - expected_v(bursts[node], ones(bursts[node]))) <= 1e-9);
        // Short-term state advanced by the burst spikes alone.
        CHECK(std::abs(v[4][node] - expected_v(bursts[node], facilitating_efficacies(bursts[node]))) <= 1e-9);
        // Counts: the jumps sum to the number of passed spikes, less the leak's 1e-4 over 1 s.
        CHECK(std::llround(v[3][node] - E_L) == std::llround(double(bursts[node].size())));
    }
    if (record_source) {
        // The recorded classes are the ones the filters used.
        REQUIRE(recorded.spikes.size() == 17);  // 12 + 5
        int n_events = 0, n_bursts = 0;
        for (std::uint8_t c : recorded.classes) {
            n_events += c == SpikeClass::event;
            n_bursts += c == SpikeClass::burst;
        }
        CHECK(n_events == 9);
        CHECK(n_bursts == 5);
    }
}

TEST_CASE("transmit: the key, its default, its errors and the resolved description", "[transmit][description]") {
    const NetworkSpec spec = parse_description(description("allgather", 1, false), "transmit.yaml", {});
    REQUIRE(spec.projections.size() == 4);
    CHECK(spec.projections[0].transmit == Transmit::all);
    CHECK(spec.projections[1].transmit == Transmit::events);
    CHECK(spec.projections[2].transmit == Transmit::bursts);
    const NetworkSpec again = parse_description(spec.resolved_yaml, "resolved.yaml", {});
    for (std::size_t p = 0; p < 4; ++p) CHECK(again.projections[p].transmit == spec.projections[p].transmit);
    const NetworkSpec plain = parse_description(small_description, "model.yaml", {});
    CHECK(plain.projections[0].transmit == Transmit::all);
    CHECK(plain.resolved_yaml.find("transmit") == std::string::npos);  // the default is not written
}

TEST_CASE("bad input: transmit", "[description][errors][transmit]") {
    check_error_case(GENERATE(values<error_case>({
        {"unknown class",
         replaced(small_description, "delay: 1.5 ms}", "delay: 1.5 ms, transmit: @@event}"),
         "projections[0].transmit", "which spikes the projection transmits (one of: all, events, bursts)",
         "\"event\" (did you mean events?)"},
        {"not a scalar",
         replaced(small_description, "delay: 1.5 ms}", "delay: 1.5 ms, transmit: @@[events]}"),
         "projections[0].transmit", "which spikes the projection transmits (one of: all, events, bursts)", "…"},
    })));
}
