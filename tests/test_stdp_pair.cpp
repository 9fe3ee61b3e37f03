// Pair-based STDP (docs/models.md 12.1-12.2): the lazy trace against the trace ODE stepped
// exactly; the STDP window of one pair against its closed form; and the eager, time-ordered rule
// (plasticity/stdp_pair.hpp) against a transcription of NEST's lazy evaluation at presynaptic
// spikes, with the traces written as explicit sums over all past spikes, on random trains with
// coinciding spikes and delays, for the four pairings of NEST's stdp_synapse, stdp_nn_symm_synapse,
// stdp_nn_pre_centered_synapse and stdp_nn_restr_synapse.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "plasticity/stdp_pair.hpp"
#include "plasticity/traces.hpp"
#include "stdp_trains.hpp"

using namespace apical;

namespace {

// Relative difference, against the reference; a reference of 0 (a weight clipped at the lower
// bound) is compared absolutely in units of Wmax.
double relative_error(double value, double reference, double scale) {
    return std::abs(value - reference) / (reference != 0.0 ? std::abs(reference) : scale);
}

// The eager rule over whole trains: `pre` in steps of send time, `arrivals` the postsynaptic
// spikes in synapse time (emission + delay), both sorted.
double run_eager(const StdpPair& rule, const std::vector<step_t>& pre, const std::vector<step_t>& arrivals,
                 double w0) {
    StdpPairSynapse s;
    s.w = w0;
    Trace post;
    test::for_each_event_step(pre, arrivals, [&](step_t t, bool pre_spike, bool post_arrives) {
        rule.step(s, t, pre_spike, post_arrives, post.at(t, rule.post_decay()));
        if (post_arrives) post.spike(t, rule.post_decay(), rule.post_update());
    });
    return s.w;
}

// NEST's evaluation, written from its documentation and the windows of its code
// (docs/models.md 12.2): at each presynaptic spike t, first the postsynaptic arrivals a in
// (t_last, t] facilitate in order, then t depresses with the postsynaptic side strictly before
// t. Traces are explicit sums over all spikes, exp(-(steps dt)/tau) per spike.
double run_nest_reference(const StdpPairParameters& p, StdpPairing pairing, double dt,
                          const std::vector<step_t>& pre, const std::vector<step_t>& arrivals, double w0) {
    auto kernel = [dt](step_t steps, double tau) { return std::exp(-(double(steps) * dt) / tau); };
    double w = w0;
    bool have_last = false;
    step_t last = 0;
    for (step_t t : pre) {
        std::vector<step_t> window;  // arrivals in (last, t]
        for (step_t a : arrivals)
            if ((!have_last || a > last) && a <= t) window.push_back(a);
        for (std::size_t k = 0; k < window.size(); ++k) {
            const step_t a = window[k];
            double k_plus = 0.0;
            switch (pairing) {
                case StdpPairing::all_to_all:  // every presynaptic spike before a
                    for (step_t q : pre)
                        if (q < a) k_plus += kernel(a - q, p.tau_plus_ms);
                    break;
                case StdpPairing::nn_symmetric:  // the latest presynaptic spike before a
                    if (have_last) k_plus = kernel(a - last, p.tau_plus_ms);
                    break;
                case StdpPairing::nn_pre_centered: {  // every presynaptic spike in [previous arrival, a)
                    step_t previous = std::numeric_limits<step_t>::min();
                    for (step_t b : arrivals)
                        if (b < a) previous = b;
                    for (step_t q : pre)
                        if (q >= previous && q < a) k_plus += kernel(a - q, p.tau_plus_ms);
                    break;
                }
                case StdpPairing::nn_restricted:  // the first arrival after the latest presynaptic spike
                    if (have_last && k == 0) k_plus = kernel(a - last, p.tau_plus_ms);
                    break;
            }
            w = stdp_facilitate(p, w, k_plus);
        }
        double k_minus = 0.0;
        if (pairing == StdpPairing::all_to_all) {
            for (step_t a : arrivals)
                if (a < t) k_minus += kernel(t - a, p.tau_minus_ms);
        } else if (pairing != StdpPairing::nn_restricted || !window.empty()) {
            // nn_restricted: NEST's condition is an arrival in (last, t]; the value is the latest
            // arrival strictly before t, whichever that is.
            for (step_t a : arrivals)
                if (a < t) k_minus = kernel(t - a, p.tau_minus_ms);
        }
        w = stdp_depress(p, w, k_minus);
        have_last = true;
        last = t;
    }
    return w;
}

const char* name(StdpPairing pairing) {
    switch (pairing) {
        case StdpPairing::all_to_all: return "all_to_all (stdp_synapse)";
        case StdpPairing::nn_symmetric: return "nn_symmetric (stdp_nn_symm_synapse)";
        case StdpPairing::nn_pre_centered: return "nn_pre_centered (stdp_nn_pre_centered_synapse)";
        case StdpPairing::nn_restricted: return "nn_restricted (stdp_nn_restr_synapse)";
    }
    return "";
}

const StdpPairing pairings[] = {StdpPairing::all_to_all, StdpPairing::nn_symmetric, StdpPairing::nn_pre_centered,
                                StdpPairing::nn_restricted};

}  // namespace

TEST_CASE("Lazy trace equals the trace ODE stepped exactly", "[stdp]") {
    // dx/dt = -x/tau between spikes, solved per step: x *= exp(-dt/tau); a spike adds 1 or sets 1.
    const double dt = 0.1, tau = 16.8;
    const TraceDecay decay{dt, tau};
    const auto spikes = test::bernoulli_train(0.01, 100000, 12, 1);
    for (TraceUpdate update : {TraceUpdate::all_to_all, TraceUpdate::nearest}) {
        Trace lazy;
        double x = 0.0, worst = 0.0;
        const double per_step = std::exp(-dt / tau);
        std::size_t k = 0;
        for (step_t t = 0; t < 100000; ++t) {
            x *= per_step;
            if (k < spikes.size() && spikes[k] == t) {
                // Read before the update, as the rules do, then add the spike.
                worst = std::max(worst, relative_error(lazy.at(t, decay), x, 1.0));
                x = update == TraceUpdate::nearest ? 1.0 : x + 1.0;
                lazy.spike(t, decay, update);
                ++k;
            }
            if (t % 97 == 0) worst = std::max(worst, relative_error(lazy.at(t, decay), x, 1.0));
        }
        INFO("worst relative difference " << worst);
        // The stepped ODE accumulates one rounding per step over up to 10^5 steps.
        CHECK(worst < 1e-11);
    }
    Trace cleared;
    cleared.spike(3, decay, TraceUpdate::all_to_all);
    cleared.clear(5);
    CHECK(cleared.at(100, decay) == 0.0);
}

TEST_CASE("STDP window of one pair equals its closed form", "[stdp]") {
    // Gütig et al. 2003 / NEST stdp_synapse: for s = t_post + d - t_pre > 0,
    // w~ + lambda (1 - w~)^mu_plus exp(-s/tau_plus); for s < 0, w~ - alpha lambda w~^mu_minus
    // exp(s/tau_minus); s = 0: no pair (NEST discards coinciding spikes). Every pairing gives the
    // same for a single pair.
    const StdpPairParameters p{.tau_plus_ms = 16.8, .tau_minus_ms = 33.7, .lambda = 0.01, .alpha = 0.85,
                               .mu_plus = 0.4, .mu_minus = 0.4, .Wmax = 100.0};
    const double dt = 0.1, w0 = 40.0, wt = w0 / p.Wmax;
    const step_t delay = 15;  // 1.5 ms, all dendritic
    double worst = 0.0;
    for (StdpPairing pairing : pairings) {
        const StdpPair rule(p, pairing, dt);
        for (step_t lag = -1000; lag <= 1000; lag += 5) {  // t_post - t_pre in steps, -100..100 ms
            const step_t t_pre = 2000, t_post = t_pre + lag;
            const std::vector<step_t> pre{t_pre}, arrivals{t_post + delay};
            const double s_ms = double(lag + delay) * dt;
            double expected = w0;
            if (s_ms > 0) expected = (wt + p.lambda * std::pow(1.0 - wt, p.mu_plus) * std::exp(-s_ms / p.tau_plus_ms)) * p.Wmax;
            if (s_ms < 0) expected = (wt - p.alpha * p.lambda * std::pow(wt, p.mu_minus) * std::exp(s_ms / p.tau_minus_ms)) * p.Wmax;
            const double w = run_eager(rule, pre, arrivals, w0);
            worst = std::max(worst, relative_error(w - w0, expected - w0, p.Wmax));
            if (lag + delay == 0) CHECK(w == w0);
        }
    }
    INFO("worst relative error of the weight change " << worst);
    CHECK(worst < 1e-9);
    // The bounds: a pair with a step larger than the distance to the bound clips.
    const StdpPairParameters big{.lambda = 2.0, .mu_plus = 0.0, .mu_minus = 0.0, .Wmax = 1.0};
    const StdpPair rule(big, StdpPairing::all_to_all, dt);
    CHECK(run_eager(rule, {0}, {1}, 0.5) == 1.0);
    CHECK(run_eager(rule, {1}, {0}, 0.5) == 0.0);
}

TEST_CASE("Eager pair rule equals NEST's lazy evaluation on random trains", "[stdp]") {
    struct Case {
        const char* what;
        StdpPairParameters p;
        double dt;
        double p_pre, p_post;
        step_t n_steps;
    };
    const Case cases[] = {
        // NEST's defaults (multiplicative), a coarse grid where spikes often coincide.
        {"NEST defaults, dt 1 ms, 40 Hz", {}, 1.0, 0.04, 0.04, 5000},
        // The parameters of NEST's test of the nearest-neighbour synapses (additive, Wmax 1),
        // with a step large enough to reach both bounds.
        {"additive, lambda 0.05, dt 1 ms, 50/30 Hz",
         {.tau_plus_ms = 16.8, .tau_minus_ms = 33.7, .lambda = 0.05, .alpha = 0.85, .mu_plus = 0.0, .mu_minus = 0.0, .Wmax = 1.0},
         1.0, 0.05, 0.03, 5000},
        // Gütig et al. 2003's intermediate weight dependence, on the 0.1 ms grid.
        {"mu 0.4, dt 0.1 ms, 20 Hz",
         {.tau_plus_ms = 20.0, .tau_minus_ms = 20.0, .lambda = 0.02, .alpha = 1.05, .mu_plus = 0.4, .mu_minus = 0.4, .Wmax = 10.0},
         0.1, 0.002, 0.002, 50000},
    };
    std::uint32_t id = 100;
    for (const Case& c : cases) {
        for (step_t delay : {step_t(1), step_t(2), step_t(5)}) {
            auto pre = test::bernoulli_train(c.p_pre, c.n_steps, 12, id++);
            const auto post = test::bernoulli_train(c.p_post, c.n_steps, 12, id++);
            std::vector<step_t> arrivals;
            for (step_t t : post) arrivals.push_back(t + delay);
            // NEST applies facilitation at the next presynaptic spike: end with one after every
            // arrival so that both forms have applied everything.
            pre.push_back(arrivals.back() + 1);
            const std::size_t coincident = test::coinciding(pre, arrivals);
            for (StdpPairing pairing : pairings) {
                const StdpPair rule(c.p, pairing, c.dt);
                const double w0 = 0.5 * c.p.Wmax;
                const double w = run_eager(rule, pre, arrivals, w0);
                const double reference = run_nest_reference(c.p, pairing, c.dt, pre, arrivals, w0);
                const double error = relative_error(w, reference, c.p.Wmax);
                INFO(c.what << ", delay " << delay << " steps, " << name(pairing) << ": " << pre.size() << " pre, "
                            << arrivals.size() << " post, " << coincident << " coinciding; w " << w << ", reference "
                            << reference << ", relative error " << error);
                CHECK(error < 1e-9);
                CHECK(w != w0);
            }
        }
    }
}

TEST_CASE("Pair rule on NEST's hand-made trains with every order of pre and post", "[stdp]") {
    // The trains of NEST's test of the nearest-neighbour synapses (pre 1 5 6 7 9 11 12 13 ms,
    // post 2 3 4 8 9 10 12 ms, delay 0.1 ms, dt 0.1 ms), shifted so that the post spikes arrive
    // at those times: coincidences at 9 and 12 ms.
    const StdpPairParameters p{.tau_plus_ms = 16.8, .tau_minus_ms = 33.7, .lambda = 0.01, .alpha = 0.85,
                               .mu_plus = 0.0, .mu_minus = 0.0, .Wmax = 1.0};
    std::vector<step_t> pre{10, 50, 60, 70, 90, 110, 120, 130, 150};
    std::vector<step_t> arrivals{20, 30, 40, 80, 90, 100, 120};
    for (StdpPairing pairing : pairings) {
        const StdpPair rule(p, pairing, 0.1);
        const double w = run_eager(rule, pre, arrivals, 0.5);
        const double reference = run_nest_reference(p, pairing, 0.1, pre, arrivals, 0.5);
        INFO(name(pairing) << ": w " << w << ", reference " << reference);
        CHECK(relative_error(w, reference, 1.0) < 1e-12);
    }
}
