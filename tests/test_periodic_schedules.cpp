// Periodic schedules (docs/description.md, "Periodic schedules"; docs/models.md 9.4, 9.7):
// the windows that repeat with a period (core/periodic_windows.hpp), the periodic step_current
// and the teaching_current (engine/stimuli.hpp), against values worked out by hand, with
// dt = 0.1 ms (so 1 ms = 10 steps). A step s acts over ((s-1) dt, s dt]; stimuli decide on its
// interval start j = s - 1.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/periodic_windows.hpp"
#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "engine/stimuli.hpp"
#include "io/description.hpp"

using namespace apical;

TEST_CASE("periodic windows: cycles, offsets, origin and end", "[stimuli][plasticity]") {
    PeriodicWindows w;
    CHECK(w.empty());
    w.period = 80;
    w.origin = 30;
    w.end = 30 + 3 * 80;  // three cycles
    w.windows = {{0, 10}, {72, 80}};
    CHECK(!w.empty());
    CHECK(!w.contains(29));       // before origin
    CHECK(w.window_of(30) == 0);  // cycle 0, offset 0
    CHECK(w.contains(39));
    CHECK(!w.contains(40));       // offset 10: the first window is [0, 10)
    CHECK(!w.contains(101));      // offset 71
    CHECK(w.window_of(102) == 1);  // offset 72
    CHECK(w.window_of(109) == 1);  // offset 79
    CHECK(w.window_of(110) == 0);  // cycle 1, offset 0
    CHECK(w.cycle(110) == 1);
    CHECK(w.offset(189) == 79);
    CHECK(w.contains(269));        // the last step of cycle 2
    CHECK(!w.contains(270));       // end
}

// input1 of models/xor.yaml at a smaller scale: from start 6 ms, period 32 ms, offsets 0, 8, 16
// and 24 ms with -350, 150, -350, 150 pA; stop 100 ms.
TEST_CASE("step_current with a period repeats its steps from start", "[stimuli]") {
    CurrentInput in;
    in.period = 320;
    in.origin = 60;
    in.stop_index = 1000;
    in.start_index = {0, 80, 160, 240};
    in.amplitude = {-350.0, 150.0, -350.0, 150.0};
    const auto at_ms = [&](double t_ms) { return in.at_step(std::llround(t_ms * 10) + 1); };  // interval from t
    CHECK(at_ms(0.0) == 0.0);
    CHECK(at_ms(5.9) == 0.0);        // before start
    CHECK(at_ms(6.0) == -350.0);     // offset 0
    CHECK(at_ms(13.9) == -350.0);
    CHECK(at_ms(14.0) == 150.0);     // offset 8 ms
    CHECK(at_ms(22.0) == -350.0);    // offset 16 ms
    CHECK(at_ms(30.0) == 150.0);     // offset 24 ms
    CHECK(at_ms(37.9) == 150.0);     // the last step of the first period
    CHECK(at_ms(38.0) == -350.0);    // period 2, offset 0
    CHECK(at_ms(46.0) == 150.0);
    CHECK(at_ms(70.0) == -350.0);    // period 3
    CHECK(at_ms(99.9) == 150.0);     // offset 29.9 ms of period 3
    CHECK(at_ms(100.0) == 0.0);      // stop

    // A first offset after 0: zero before it in the first period, the last amplitude of the
    // previous period before it in the later ones.
    CurrentInput late;
    late.period = 100;
    late.origin = 0;
    late.stop_index = 1000;
    late.start_index = {20, 50};
    late.amplitude = {1.0, 2.0};
    CHECK(late.at_step(1) == 0.0);     // j = 0
    CHECK(late.at_step(20) == 0.0);    // j = 19
    CHECK(late.at_step(21) == 1.0);    // j = 20
    CHECK(late.at_step(51) == 2.0);    // j = 50
    CHECK(late.at_step(101) == 2.0);   // j = 100: period 2 before its first offset
    CHECK(late.at_step(121) == 1.0);
}

TEST_CASE("teaching_current: the piecewise rule of Payeur et al.'s XOR task", "[stimuli]") {
    // A = 1000 pA, e_min 2 Hz, e_max 10 Hz, tolerance 1 Hz: target 1 gives A up to 3 Hz,
    // A tol / (E - e_min) between 3 and 9 Hz, 0 from 9 Hz; target 0 gives 0 up to 3 Hz,
    // -A tol / (e_max - E) between, -A from 9 Hz.
    const auto r = [](int target, double e) { return TeachingInput::rule(target, e, 1000.0, 2.0, 10.0, 1.0); };
    CHECK(r(1, 0.0) == 1000.0);
    CHECK(r(1, 3.0) == 1000.0);
    CHECK(r(1, 4.0) == Approx(500.0).epsilon(1e-15));
    CHECK(r(1, 6.0) == Approx(250.0).epsilon(1e-15));
    CHECK(r(1, 8.999) == Approx(1000.0 / 6.999).epsilon(1e-15));
    CHECK(r(1, 9.0) == 0.0);
    CHECK(r(1, 25.0) == 0.0);
    CHECK(r(0, 0.0) == 0.0);
    CHECK(r(0, 3.0) == 0.0);
    CHECK(r(0, 3.001) == Approx(-1000.0 / 6.999).epsilon(1e-15));
    CHECK(r(0, 6.0) == Approx(-250.0).epsilon(1e-15));
    CHECK(r(0, 8.0) == Approx(-500.0).epsilon(1e-15));
    CHECK(r(0, 9.0) == -1000.0);
    CHECK(r(0, 40.0) == -1000.0);
    // The tolerance scales the middle branch: A tol / (E - e_min) with tol 2 Hz at 5 Hz.
    CHECK(TeachingInput::rule(1, 5.0, 1000.0, 2.0, 10.0, 2.0) == Approx(2000.0 / 3.0).epsilon(1e-15));
}

TEST_CASE("teaching_current: the running event rate and the current of each window", "[stimuli]") {
    // Two neurons, dt 0.1 ms, tau_avg 2 ms (20 steps); period 10 ms (100 steps) from step 0,
    // window [8 ms, 10 ms) of each period; targets 1, 0. A = 100 pA, e_min 200 Hz, e_max
    // 1000 Hz, tolerance 100 Hz (rates of a 2 ms average are large).
    TeachingInput in(SpikeClassifier(SpikeClassifier::Rule::isi, 1.6, 0.1, 2), 2);
    in.schedule.period = 100;
    in.schedule.origin = 0;
    in.schedule.windows = {{80, 100}};
    in.pattern = {1, 0};
    in.amplitude = 100.0;
    in.e_min = 200.0, in.e_max = 1000.0, in.tolerance = 100.0;
    in.tau_steps = 20.0;
    in.tau_s = 2e-3;
    // Neuron 0: events at steps 50 and 70 (20 steps apart, beyond the 16-step burst window);
    // a spike 5 steps after the second is a burst spike and leaves the average alone.
    in.spike(0, 50);
    in.spike(0, 70);
    in.spike(0, 75);
    // Neuron 1: no spikes.
    const double e0 = (std::exp(-30.0 / 20.0) + std::exp(-10.0 / 20.0)) / 2e-3;  // Ebar at step 80, Hz
    CHECK(in.rate_hz(0, 80) == Approx(e0).epsilon(1e-14));
    CHECK(in.rate_hz(1, 80) == 0.0);
    // Slices of 10 steps: 71..80 holds no window step (j = 70..79); 81..90 starts the window
    // of cycle 0 at its first step (j = 80, a slice boundary): Ebar is read at step 80.
    std::vector<double> out(2 * 10, 0.0);
    CHECK(!in.active_in(71, 10));
    CHECK(in.active_in(81, 10));
    in.add(81, 10, out.data());
    const double i0 = TeachingInput::rule(1, e0, 100.0, 200.0, 1000.0, 100.0);
    CHECK(i0 == Approx(100.0 * 100.0 / (e0 - 200.0)).epsilon(1e-14));  // e0 = 414.8 Hz: the middle branch
    for (int k = 0; k < 10; ++k) {
        CHECK(out[std::size_t(2 * k)] == i0);
        CHECK(out[std::size_t(2 * k + 1)] == 100.0);  // no events: Ebar 0, target 1 -> A
    }
    // The window goes on with the same currents although a new event came (set once per window).
    in.spike(1, 90);
    std::fill(out.begin(), out.end(), 0.0);
    in.add(91, 10, out.data());
    CHECK(out[0] == i0);
    CHECK(out[1] == 100.0);
    // Cycle 1 (target 0) starts its window at j = 180 inside the slice 171..190: Ebar is read at
    // the end of the slice before (step 170), the last step whose spikes are known.
    std::vector<double> out2(2 * 20, 0.0);
    in.add(171, 20, out2.data());
    for (int k = 0; k < 9; ++k) CHECK(out2[std::size_t(2 * k)] == 0.0);  // j = 170..178: outside
    const double e1 = in.rate_hz(1, 170);
    CHECK(e1 == Approx(std::exp(-80.0 / 20.0) / 2e-3).epsilon(1e-14));  // 9.2 Hz: <= e_min + tol
    for (int k = 10; k < 20; ++k) {  // j = 180..189
        CHECK(out2[std::size_t(2 * k)] == TeachingInput::rule(0, in.rate_hz(0, 170), 100.0, 200.0, 1000.0, 100.0));
        CHECK(out2[std::size_t(2 * k + 1)] == 0.0);  // target 0 at a low rate: no current
    }
}

namespace {

// 90 burst_poisson cells under Poisson drive with recurrent event-only excitation (delay one
// step), a periodic step_current into the somata and (if `teaching`) a teaching_current into the
// dendrites: windows [60 ms, 100 ms) of every 100 ms from 0, targets 1, 0, tau_avg 200 ms.
NetworkSpec teaching_network(int threads, bool teaching) {
    std::string text = R"(simulation: {dt: 0.1 ms, seed: 7}
populations:
  P: {model: burst_poisson, size: 90}
projections:
  - {source: P, target: P, connectivity: {rule: pairwise_bernoulli, p: 0.1}, weight: 0.2, delay: 0.1 ms,
     receptor: soma.exc, transmit: events}
stimuli:
  - {model: poisson_generator, target: P, rate: 3 kHz, weight: 0.35, delay: 0.1 ms, receptor: soma.exc}
  - {model: step_current, target: P, period: 50 ms, times: [0 ms, 25 ms], amplitudes: [100 pA, -50 pA]}
)";
    if (teaching)
        text += "  - {model: teaching_current, target: P, compartment: dendrite, amplitude: 1 nA, period: 100 ms, "
                "window: [60 ms, 100 ms], pattern: [1, 0], tau_avg: 200 ms}\n";
    NetworkSpec spec = parse_description(text, "teach.yaml");
    spec.simulation.threads = threads;
    return spec;
}

std::vector<Spike> run_spikes(const NetworkSpec& spec, step_t steps) {
    Network net(spec, 1, 0, spec.simulation.threads);
    LocalContext ctx;
    Simulation sim(net, ctx);
    MemorySpikeRecorder rec;
    sim.add_recorder(&rec);
    sim.run(steps);
    return rec.spikes;
}

}  // namespace

TEST_CASE("teaching_current in a network: acts from its first window on, the same spikes for 1, 2 and 3 threads",
          "[stimuli][determinism]") {
    const std::vector<Spike> ref = run_spikes(teaching_network(1, true), 5000);
    REQUIRE(ref.size() > 500);
    for (int threads : {2, 3}) {
        INFO("threads " << threads);
        const std::vector<Spike> s = run_spikes(teaching_network(threads, true), 5000);
        REQUIRE(s.size() == ref.size());
        CHECK(std::memcmp(s.data(), ref.data(), ref.size() * sizeof(Spike)) == 0);
    }
    // Without the teaching current: the same spikes up to step 600 (the first window acts from
    // step 601, the interval that starts at 60 ms), different ones afterwards.
    const std::vector<Spike> plain = run_spikes(teaching_network(1, false), 5000);
    const auto upto = [](const std::vector<Spike>& v, step_t last) {
        std::vector<Spike> out;
        for (const Spike& s : v)
            if (s.step <= last) out.push_back(s);
        return out;
    };
    const auto a = upto(ref, 600), b = upto(plain, 600);
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(Spike)) == 0);
    // In the first window (target 1, Ebar far below e_min + tolerance: +1 nA into every
    // dendrite, 41 mV of steady V_d without adaptation) the cells burst more (f(V_d)
    // rises): more intervals of at most 16 ms than without (seed 7: 36 against 16).
    const auto short_intervals = [](const std::vector<Spike>& v, step_t first, step_t last) {
        std::map<gid_t, step_t> previous;
        std::size_t n = 0;
        for (const Spike& s : v) {
            if (s.step < first || s.step > last) continue;
            auto it = previous.find(s.gid);
            if (it != previous.end() && s.step - it->second <= 160) ++n;
            previous[s.gid] = s.step;
        }
        return n;
    };
    const std::size_t with = short_intervals(ref, 601, 1000), without = short_intervals(plain, 601, 1000);
    INFO("first window: " << with << " intervals <= 16 ms with the teaching current, " << without << " without");
    CHECK(double(with) > 1.5 * double(without));
    INFO("spikes up to 60 ms: " << a.size() << ", up to 500 ms: " << ref.size() << " with, " << plain.size()
                                  << " without");
    CHECK((ref.size() != plain.size() || std::memcmp(ref.data(), plain.data(), ref.size() * sizeof(Spike)) != 0));
}
