// dc_current, step_current and sine_current through the network: the membrane potential of iaf_psc_delta
// follows the closed form of a piecewise-constant current, V(t) = V_inf + (V(t0) - V_inf)
// exp(-(t - t0)/tau_m) on each piece, with V_inf = E_L + R I, R = tau_m / C_m = 0.04 GOhm.
// Window convention (engine/stimuli.hpp): a current on [start, stop) acts on the steps whose
// interval begins in [start, stop).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "engine/network.hpp"
#include "engine/simulation.hpp"
#include "spec_builders.hpp"

using namespace apical;
using namespace apical::test;

TEST_CASE("dc_current and step_current act in their windows as the closed form says", "[stimuli][currents]") {
    NetworkSpec spec;
    spec.populations = {population("P", "iaf_psc_delta", 3, {{"V_th", 1e9}})};
    StimulusSpec dc;
    dc.kind = StimulusSpec::Kind::dc_current;
    dc.targets = {"P"};
    dc.amplitude_pA = 100.0;
    dc.start_ms = 5.0;
    dc.stop_ms = 30.0;
    StimulusSpec steps;
    steps.kind = StimulusSpec::Kind::step_current;
    steps.targets = {"P"};
    steps.times_ms = {10.0, 20.0};
    steps.amplitudes_pA = {50.0, -25.0};
    spec.stimuli = {dc, steps};
    for (int threads : {1, 2}) {
        spec.simulation.threads = threads;
        Network net(spec, 1, 0, threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        double v = -70.0;  // the closed form, piece by piece
        for (step_t s = 1; s <= 400; ++s) {
            const double t_begin = double(s - 1) * 0.1;
            double I = 0;
            if (t_begin >= 5.0 - 1e-9 && t_begin < 30.0 - 1e-9) I += 100.0;
            if (t_begin >= 20.0 - 1e-9) I += -25.0;
            else if (t_begin >= 10.0 - 1e-9) I += 50.0;
            const double v_inf = -70.0 + 0.04 * I;
            v = v_inf + (v - v_inf) * std::exp(-0.1 / 10.0);
            sim.run(s);
            for (auto& vp : net.vps())
                for (double x : vp.group(0).state(0)) REQUIRE(std::abs(x - v) <= 1e-12 * std::abs(v));
        }
    }
}

// sine_current (NEST's ac_generator, t absolute): the current of step s is the exact mean of
// offset + A sin(omega t + phase) over ((s-1) dt, s dt] (engine/stimuli.hpp). Checked two ways
// on iaf_psc_delta (tau_m 10 ms, R 0.04 GOhm, V_th out of reach):
// 1. step by step against the closed form of a piecewise-constant current, each step's current
//    computed independently as (cos(omega t0 + phase) - cos(omega t1 + phase)) / (omega dt) in
//    long double: 1e-12 relative, i.e. rounding;
// 2. against the exact solution of the membrane equation driven by the continuous sine from
//    `start` (V(start) = E_L):
//      V(t) = E_L + R I0 + R A (sin(wt+p) - w tau cos(wt+p)) / (1 + (w tau)^2) + C e^{-(t-start)/tau}.
//    A step mean differs from the continuous input only inside each step, by a zero-mean ripple
//    that the membrane filters: over one step the kernel e^{-(t1 - t)/tau} and the sine are both
//    nearly linear, so the error per step is their covariance, (1/tau) I' dt^3 / 12 (times R/tau),
//    and summed over the kernel at most R A w dt^2 / (12 tau) = 4.2e-5 mV (measured 2.9e-5 mV;
//    tolerance 5e-5 mV). Sampling the sine at the step start instead would lag it by dt/2, an
//    error of R A w dt / 2 / sqrt(1 + (w tau)^2) = 1.6e-2 mV, which the tolerance excludes.
TEST_CASE("sine_current: the step mean of the sine, and the membrane follows the exact solution",
          "[stimuli][currents]") {
    constexpr double pi = 3.14159265358979323846;
    const double A = 100.0, I0 = 50.0, f = 20.0, phase_deg = 30.0, start = 5.0, stop = 150.0;
    const double tau = 10.0, R = 0.04, h = 0.1, E_L = -70.0;
    NetworkSpec spec;
    spec.populations = {population("P", "iaf_psc_delta", 3, {{"V_th", 1e9}})};
    StimulusSpec sine;
    sine.kind = StimulusSpec::Kind::sine_current;
    sine.targets = {"P"};
    sine.amplitude_pA = A;
    sine.offset_pA = I0;
    sine.frequency_hz = f;
    sine.phase_deg = phase_deg;
    sine.start_ms = start;
    sine.stop_ms = stop;
    spec.stimuli = {sine};
    const long double w = 2.0L * pi * f * 1e-3L, p = phase_deg * pi / 180.0L;
    const double wt = double(w) * tau;
    double max_continuous_error = 0.0;
    for (int threads : {1, 2}) {
        spec.simulation.threads = threads;
        Network net(spec, 1, 0, threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        double v = E_L;
        for (step_t s = 1; s <= 2000; ++s) {
            const double t0 = double(s - 1) * h, t1 = double(s) * h;
            double I = 0.0;
            if (t0 >= start - 1e-9 && t0 < stop - 1e-9)
                I = I0 + double(A * (std::cos(w * t0 + p) - std::cos(w * t1 + p)) / (w * h));
            const double v_inf = E_L + R * I;
            v = v_inf + (v - v_inf) * std::exp(-h / tau);
            sim.run(s);
            for (auto& vp : net.vps())
                for (double x : vp.group(0).state(0)) REQUIRE(std::abs(x - v) <= 1e-12 * std::abs(v));
            if (t1 > start && t1 <= stop + 1e-9) {
                auto particular = [&](double t) {
                    const double a = double(w) * t + double(p);
                    return R * A * (std::sin(a) - wt * std::cos(a)) / (1.0 + wt * wt);
                };
                const double C = -R * I0 - particular(start);
                const double exact = E_L + R * I0 + particular(t1) + C * std::exp(-(t1 - start) / tau);
                max_continuous_error = std::max(max_continuous_error, std::abs(v - exact));
            }
        }
    }
    INFO("largest deviation from the continuous solution: " << max_continuous_error << " mV");
    CHECK(max_continuous_error < 5e-5);
    CHECK(max_continuous_error > 0.0);
}

// sine_input (NEST: a spike_generator with a spike in every step, its spike_weights a sine):
// emission step e in (round(start/dt), round(stop/dt)] sends w(e) = offset + A sin(2 pi f e dt
// + phase) into the receptor after `delay`. iaf_cond_exp's g_ex decays exactly and then takes the
// weights arriving in the step (neurons/iaf_cond_exp.cpp), so g(s) = g(s-1) exp(-dt/tau_syn_ex)
// + w(s - delay): the expected conductance, step by step, with the sine computed here.
TEST_CASE("sine_input: one weight per step into the receptor, the sine of its emission time",
          "[stimuli][sine_input]") {
    constexpr double pi = 3.14159265358979323846;
    const double A = 2.0, offset = 3.0, f = 40.0, phase_deg = -60.0, start = 2.0, stop = 80.0, h = 0.1;
    const step_t delay = 7;
    NetworkSpec spec;
    spec.populations = {population("P", "iaf_cond_exp", 3, {{"V_th", 1e9}})};
    StimulusSpec sine;
    sine.kind = StimulusSpec::Kind::sine_input;
    sine.targets = {"P"};
    sine.input_amplitude = A;
    sine.input_offset = offset;
    sine.frequency_hz = f;
    sine.phase_deg = phase_deg;
    sine.delay_ms = 0.7;
    sine.start_ms = start;
    sine.stop_ms = stop;
    spec.stimuli = {sine};
    const double decay = std::exp(-h / 0.2);  // tau_syn_ex 0.2 ms (NEST's default)
    for (int threads : {1, 2}) {
        spec.simulation.threads = threads;
        Network net(spec, 1, 0, threads);
        LocalContext ctx;
        Simulation sim(net, ctx);
        double g = 0.0, g_max = 0.0;
        for (step_t s = 1; s <= 1000; ++s) {
            const step_t e = s - delay;
            g *= decay;
            if (e > 20 && e <= 800) g += offset + A * std::sin(2.0 * pi * f * 1e-3 * h * double(e) + phase_deg * pi / 180.0);
            g_max = std::max(g_max, g);
            sim.run(s);
            for (auto& vp : net.vps())
                for (double x : vp.group(0).state(1)) REQUIRE(std::abs(x - g) <= 1e-12 * std::max(1.0, g));
        }
        CHECK(g_max > 1.5);  // the input did arrive: (offset - A) / (1 - decay) = 1.6 at least
    }
}
