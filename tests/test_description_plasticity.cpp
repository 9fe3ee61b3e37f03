// The `plasticity` key of a projection (docs/description.md, "Plasticity"): each kind of bad
// input is refused at its position with what was expected, and a valid key lands as the spec
// the kernel reads, resolved and re-read unchanged. Error positions come from the "@@" markers.
#include "description_cases.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// small_description's second projection (E -> C, 2 nS onto exc, delay 1 ms) with `key` added.
std::string with_plasticity(const std::string& key) {
    return replaced(small_description, "delay: 1 ms, receptor: exc}", "delay: 1 ms, receptor: exc, " + key + "}");
}

// An stdp_pair rule whose `active` key is `windows`.
std::string active_with(const std::string& windows) {
    return with_plasticity("plasticity: {rule: stdp_pair, Wmax: 5 nS, active: " + windows + "}");
}

// small_description with a pp_cond_exp_mc_urbanczik population U and a projection E -> U onto
// `receptor` with the plasticity key `key` (U's parameters: `parameters`).
std::string with_urbanczik(const std::string& key, const std::string& receptor = "dendrite.exc",
                           const std::string& parameters = "{}", const std::string& weight = "100 pA") {
    return replaced(small_description, "projections:\n",
                    "  U: {model: pp_cond_exp_mc_urbanczik, size: 3, parameters: " + parameters +
                        "}\nprojections:\n  - {source: E, target: U, connectivity: {rule: all_to_all}, weight: " +
                        weight + ", delay: 1 ms, receptor: " + receptor + ", " + key + "}\n");
}

// Each kind of bad urbanczik_senn key (the projection is projections[0]).
std::vector<error_case> urbanczik_errors() {
    const std::string p = "projections[0].plasticity";
    return {
        {"a target without a dendritic prediction",
         with_plasticity("plasticity: {rule: @@urbanczik_senn}"), "projections[1].plasticity.rule",
         "a rule whose target model provides a dendritic prediction (urbanczik_senn needs pp_cond_exp_mc_urbanczik)",
         "urbanczik_senn onto \"C\", a iaf_cond_exp population"},
        {"the inhibitory dendritic receptor", with_urbanczik("plasticity: @@{rule: urbanczik_senn}", "dendrite.inh"), p,
         "urbanczik_senn on the receptor dendrite.exc", "receptor dendrite.inh"},
        {"a somatic receptor",
         with_urbanczik("plasticity: @@{rule: urbanczik_senn, Wmax: 10 nS}", "soma.exc", "{}", "1 nS"), p,
         "urbanczik_senn on the receptor dendrite.exc", "receptor soma.exc"},
        {"Wmax not above Wmin", with_urbanczik("plasticity: {rule: urbanczik_senn, Wmin: 50 pA, Wmax: @@50 pA}"),
         p + ".Wmax", "a Wmax above Wmin (50 pA)", "50 pA"},
        {"Wmin in the wrong unit", with_urbanczik("plasticity: {rule: urbanczik_senn, Wmin: @@1 nS}"), p + ".Wmin",
         "a current (e.g. \"100 pA\")", "\"1 nS\" (a conductance)"},
        {"a negative eta", with_urbanczik("plasticity: {rule: urbanczik_senn, eta: @@-0.1}"), p + ".eta",
         "a value of at least 0", "-0.1"},
        {"a non-positive tau_Delta", with_urbanczik("plasticity: {rule: urbanczik_senn, tau_Delta: @@0 ms}"),
         p + ".tau_Delta", "a time above 0 ms", "0 ms"},
        {"learning windows", with_urbanczik("plasticity: {rule: urbanczik_senn, active: @@[[1 s, 2 s]]}"),
         p + ".active",
         "no learning windows or rate schedule with urbanczik_senn (its weight is a function of the whole integral "
         "since the start)",
         "active"},
        {"a rate schedule", with_urbanczik("plasticity: {rule: urbanczik_senn, rate_factors: @@[[1 s, 0.5]]}"),
         p + ".rate_factors",
         "no learning windows or rate schedule with urbanczik_senn (its weight is a function of the whole integral "
         "since the start)",
         "rate_factors"},
        {"tau_L equal to tau_syn_ex_d",
         with_urbanczik("plasticity: @@{rule: urbanczik_senn}", "dendrite.exc", "{C_m_d: 90 pF}"), p,
         "a target whose dendritic tau_L = C_m_d / g_L_d differs from tau_syn_ex_d (the rule divides by their "
         "difference)",
         "both 3 ms"},
        {"initial weight above Wmax", with_urbanczik("plasticity: @@{rule: urbanczik_senn}", "dendrite.exc", "{}", "150 pA"),
         p, "initial weights within the rule's bounds [0 pA, 100 pA] (bound a weight distribution with min and max)",
         "weight 150 pA"},
    };
}

std::vector<error_case> plasticity_errors() {
    const std::string p = "projections[1].plasticity";
    return {
        // Plasticity runs on the grid; exact event-driven models' spikes are off it.
        {"plasticity onto an exact event-driven model",
         replaced(small_description, "projections:\n",
                  "  X:\n    model: intfire1\n    size: 4\nprojections:\n  - {source: E, target: X, connectivity: "
                  "{rule: all_to_all}, weight: 0.1, delay: 1 ms, plasticity: @@{rule: stdp_pair, Wmax: 5}}\n"),
         "projections[0].plasticity",
         "no plasticity between exact event-driven models (their spikes are off the grid; plasticity runs on it)",
         "\"stdp_pair\" with intfire1"},
        {"not a mapping", with_plasticity("plasticity: @@stdp"), p, "a mapping {rule: stdp_pair, ...}", "\"stdp\""},
        {"no rule", with_plasticity("plasticity: @@{lambda: 0.1}"), p,
         "a \"rule\" key (a plasticity rule (one of: stdp_pair, bdsp, stdp_triplet, urbanczik_senn))", "keys lambda"},
        {"unknown rule", with_plasticity("plasticity: {rule: @@stdp}"), p + ".rule",
         "a plasticity rule (one of: stdp_pair, bdsp, stdp_triplet, urbanczik_senn)", "\"stdp\""},
        {"a key of the other rule", with_plasticity("plasticity: {rule: stdp_pair, @@eta: 0.1 nS}"), p + ".eta",
         "a key of a stdp_pair rule (one of: rule, pairing, tau_plus, tau_minus, lambda, alpha, mu_plus, mu_minus, "
         "Wmax, active, rate_factors, initial_weights)",
         "\"eta\""},
        {"unknown pairing", with_plasticity("plasticity: {rule: stdp_pair, pairing: @@nearest}"), p + ".pairing",
         "a pairing (one of: all_to_all, nn_symmetric, nn_pre_centered, nn_restricted)", "\"nearest\""},
        {"unknown triplet preset", with_plasticity("plasticity: {rule: stdp_triplet, preset: @@visual_cortex}"),
         p + ".preset",
         "a parameter set (one of: visual_cortex_all_to_all, visual_cortex_nearest, hippocampal_nearest_minimal)",
         "\"visual_cortex\""},
        {"unknown triplet interaction", with_plasticity("plasticity: {rule: stdp_triplet, interaction: @@nn}"),
         p + ".interaction", "a trace interaction (one of: all_to_all, nearest)", "\"nn\""},
        {"rate factors not a list", with_plasticity("plasticity: {rule: stdp_pair, Wmax: 5 nS, rate_factors: @@0.5}"),
         p + ".rate_factors", "a list of [time, factor] pairs, e.g. [[60 s, 0.1], [120 s, 0]]", "\"0.5\""},
        {"rate factor times not ascending",
         with_plasticity("plasticity: {rule: stdp_pair, Wmax: 5 nS, rate_factors: [[2 s, 0.5], [@@1 s, 1]]}"),
         p + ".rate_factors[1][0]", "a time above 2000 ms", "1000 ms"},
        {"a negative rate factor",
         with_plasticity("plasticity: {rule: bdsp, w_max: 5 nS, rate_factors: [[2 s, @@-1]]}"),
         p + ".rate_factors[0][1]", "a factor of at least 0", "-1"},
        {"a negative triplet amplitude", with_plasticity("plasticity: {rule: stdp_triplet, A3_plus: @@-1 nS}"),
         p + ".A3_plus", "an amplitude of at least 0 nS", "-1 nS"},
        {"a pairing on a triplet rule", with_plasticity("plasticity: {rule: stdp_triplet, @@pairing: all_to_all}"),
         p + ".pairing",
         "a key of a stdp_triplet rule (one of: rule, preset, interaction, tau_plus, tau_x, tau_minus, tau_y, "
         "A2_plus, A3_plus, A2_minus, A3_minus, Wmax, active, rate_factors, initial_weights)",
         "\"pairing\""},
        {"a negative time constant", with_plasticity("plasticity: {rule: stdp_pair, tau_plus: @@-20 ms}"),
         p + ".tau_plus", "a time above 0 ms", "-20 ms"},
        {"Wmax in the wrong unit", with_plasticity("plasticity: {rule: stdp_pair, Wmax: @@10 mV}"), p + ".Wmax",
         "a conductance (e.g. \"10 nS\")", "\"10 mV\" (a voltage)"},
        {"weights above Wmax", with_plasticity("plasticity: @@{rule: stdp_pair, Wmax: 1 nS}"), p,
         "initial weights within the rule's bounds [0 nS, 1 nS] (bound a weight distribution with min and max)",
         "weight 2 nS"},
        {"w_max not above w_min", with_plasticity("plasticity: {rule: bdsp, w_min: 3 nS, w_max: @@3 nS}"), p + ".w_max",
         "a w_max above w_min (3 nS)", "3 nS"},
        {"a negative rate", with_plasticity("plasticity: {rule: bdsp, w_max: 5 nS, e_min: @@-1 Hz}"), p + ".e_min",
         "a rate of at least 0 Hz", "-1 Hz"},
        {"unknown homeostasis rate",
         with_plasticity("plasticity: {rule: bdsp, w_max: 5 nS, homeostasis_rate: @@events}"), p + ".homeostasis_rate",
         "the rate homeostasis compares with e_min (one of: spike_rate, event_rate)",
         "\"events\""},
        {"active not a list", active_with("@@10 s"),
         p + ".active",
         "a list of [start, stop] windows, e.g. [[20 s, 170 s]], or periodic windows {period: 8 s, windows: [[7.2 s, "
         "8 s]], start: 0 s}",
         "\"10 s\""},
        {"periodic windows without period",
         active_with("@@{windows: [[1 s, 2 s]]}"), p + ".active",
         "a \"period\" key (the period after which the windows repeat, e.g. 8 s)", "keys windows"},
        {"a periodic window beyond the period",
         active_with("{period: 8 s, windows: [[7 s, @@9 s]]}"),
         p + ".active.windows[0][1]", "a stop time inside the period in (7000 ms, 8000 ms]", "9000 ms"},
        {"periodic windows overlapping",
         active_with("{period: 8 s, windows: [[1 s, 3 s], [@@2 s, 4 s]]}"),
         p + ".active.windows[1][0]", "a start time inside the period in [3000 ms, 8000 ms]", "2000 ms"},
        {"periodic windows: an unknown key",
         active_with("{period: 8 s, windows: [[1 s, 3 s]], @@every: 2}"),
         p + ".active.every", "a key of periodic active windows (one of: period, windows, start, stop)", "\"every\""},
        {"periodic windows: stop before start",
         active_with("{period: 8 s, windows: [[1 s, 3 s]], start: 10 s, stop: @@5 s}"),
         p + ".active.stop", "a stop time above 10000 ms", "5000 ms"},
        {"a window of one time", active_with("[@@[10 s]]"),
         p + ".active[0]", "a window [start, stop]", "a list"},
        {"a window ending before it starts",
         active_with("[[10 s, @@5 s]]"), p + ".active[0][1]",
         "a stop time above 10000 ms", "5000 ms"},
        {"overlapping windows",
         active_with("[[1 s, 5 s], [@@4 s, 6 s]]"),
         p + ".active[1][0]", "a start time of at least 5000 ms", "4000 ms"},
        {"drawn delays",
         replaced(with_plasticity("plasticity: @@{rule: stdp_pair, Wmax: 5 nS}"), "delay: 1 ms, receptor: exc",
                  "delay: {distribution: uniform, low: 1 ms, high: 2 ms}, receptor: exc"),
         p,
         "a projection with one delay (a plastic projection's delay is dendritic and the same for all its synapses)",
         "a plasticity rule on a projection whose delay is a uniform distribution on [1 ms, 2 ms) without min"},
    };
}

// Calls f(spec) with the spec of `text` and with that of its resolved description read back.
template <class F>
void for_text_and_resolved(const std::string& text, F&& f) {
    for (int pass = 0; pass < 2; ++pass) {
        INFO("pass " << pass);
        f(parse_description(pass == 0 ? text : parse_description(text, "m.yaml").resolved_yaml, "m.yaml"));
    }
}

}  // namespace

TEST_CASE("bad input: plasticity", "[description][errors]") {
    check_error_case(GENERATE(from_range(plasticity_errors())));
}

TEST_CASE("bad input: urbanczik_senn", "[description][errors][urbanczik_senn]") {
    check_error_case(GENERATE(from_range(urbanczik_errors())));
}

TEST_CASE("urbanczik_senn: the values and the target's dendrite land in the spec and survive the resolved "
          "description", "[description][urbanczik_senn]") {
    const std::string text = with_urbanczik(
        "plasticity: {rule: urbanczik_senn, eta: 0.17, tau_Delta: 50 ms, Wmin: 10 pA, Wmax: 1.35 nA}", "dendrite.exc",
        "{C_m_d: 200 pF, g_L_d: 40 nS, tau_syn_ex_d: 2 ms}");
    for_text_and_resolved(text, [](const NetworkSpec& spec) {
        const PlasticitySpec& s = spec.projections[0].plasticity;
        CHECK(s.rule == PlasticityRule::urbanczik_senn);
        CHECK(s.urbanczik.eta == 0.17);
        CHECK(s.urbanczik.tau_Delta_ms == 50.0);
        CHECK(s.urbanczik.Wmin == 10.0);
        CHECK(s.urbanczik.Wmax == 1350.0);
        CHECK(s.urbanczik.C_m_d == 200.0);
        CHECK(s.urbanczik.g_L_d == 40.0);
        CHECK(s.urbanczik.tau_s_ms == 2.0);
    });
    // NEST's defaults (urbanczik_synapse; pp_cond_exp_mc_urbanczik's dendrite).
    const UrbanczikSennParameters d =
        parse_description(with_urbanczik("plasticity: {rule: urbanczik_senn}"), "m.yaml").projections[0].plasticity.urbanczik;
    CHECK(d.eta == 0.07);
    CHECK(d.tau_Delta_ms == 100.0);
    CHECK(d.Wmin == 0.0);
    CHECK(d.Wmax == 100.0);
    CHECK(d.tau_L_ms() == 10.0);
    CHECK(d.tau_s_ms == 3.0);
}

TEST_CASE("plasticity: the values land in the spec and survive the resolved description", "[description]") {
    const std::string text = with_plasticity(
        "plasticity: {rule: bdsp, eta: 0.01 nS, tau_pre: 50 ms, tau_avg: 2 s, w_min: 1 nS, w_max: 4 nS, "
        "e_min: 1 Hz, e_max: inf Hz, homeostasis_rate: event_rate, initial_event_rate: 5 Hz, "
        "active: [[1 s, 2 s], [3 s, inf]], rate_factors: [[0 s, 2], [1.5 s, 0.25]]}");
    for_text_and_resolved(text, [](const NetworkSpec& spec) {
        const PlasticitySpec& s = spec.projections[1].plasticity;
        CHECK(s.rule == PlasticityRule::bdsp);
        CHECK(s.bdsp.eta == 0.01);
        CHECK(s.bdsp.tau_pre_ms == 50.0);
        CHECK(s.bdsp.tau_avg_ms == 2000.0);
        CHECK(s.bdsp.w_min == 1.0);
        CHECK(s.bdsp.w_max == 4.0);
        CHECK(s.bdsp.e_min_hz == 1.0);
        CHECK(std::isinf(s.bdsp.e_max_hz));
        CHECK(s.bdsp.homeostasis_rate == BdspHomeostasisRate::event_rate);
        CHECK(s.bdsp.initial_event_rate_hz == 5.0);
        CHECK(s.bdsp.tau_rate_ms == 30000.0);  // default
        REQUIRE(s.active_ms.size() == 2);
        CHECK(s.active_ms[0] == std::pair<double, double>{1000.0, 2000.0});
        CHECK(s.active_ms[1].first == 3000.0);
        CHECK(s.active_ms[1].second >= 1e300);
        CHECK(s.rate_factors == std::vector<std::pair<double, double>>{{0.0, 2.0}, {1500.0, 0.25}});
    });
    // Periodic windows: the values, and again from the resolved description.
    const std::string periodic = with_plasticity(
        "plasticity: {rule: bdsp, w_max: 4 nS, active: {period: 8 s, windows: [[0 s, 1 s], [7.2 s, 8 s]], start: 38 s, stop: 100 s}}");
    for (int pass = 0; pass < 2; ++pass) {
        INFO("periodic, pass " << pass);
        const NetworkSpec spec = parse_description(
            pass == 0 ? periodic : parse_description(periodic, "m.yaml").resolved_yaml, "m.yaml");
        const PlasticitySpec& s = spec.projections[1].plasticity;
        CHECK(s.active_ms.empty());
        CHECK(s.periodic.period_ms == 8000.0);
        CHECK(s.periodic.windows_ms ==
              std::vector<std::pair<double, double>>{{0.0, 1000.0}, {7200.0, 8000.0}});
        CHECK(s.periodic.start_ms == 38000.0);
        CHECK(s.periodic.stop_ms == 100000.0);
    }
    const NetworkSpec stdp = parse_description(
        with_plasticity("plasticity: {rule: stdp_pair, pairing: nn_symmetric, Wmax: 5 nS, mu_plus: 0}"), "m.yaml");
    const PlasticitySpec& s = stdp.projections[1].plasticity;
    CHECK(s.rule == PlasticityRule::stdp_pair);
    CHECK(s.pairing == StdpPairing::nn_symmetric);
    CHECK(s.stdp.Wmax == 5.0);
    CHECK(s.stdp.mu_plus == 0.0);
    CHECK(s.stdp.lambda == 0.01);
    CHECK(stdp.projections[0].plasticity.rule == PlasticityRule::none);
}

TEST_CASE("stdp_triplet: presets, keys beside them, and the resolved description", "[description]") {
    // A preset with one key overridden: the rest is the preset's (plasticity/stdp_triplet.hpp).
    const std::string text =
        with_plasticity("plasticity: {rule: stdp_triplet, preset: hippocampal_nearest_minimal, A3_plus: 0.02 nS}");
    for (int pass = 0; pass < 2; ++pass) {
        INFO("pass " << pass);
        const NetworkSpec spec =
            parse_description(pass == 0 ? text : parse_description(text, "m.yaml").resolved_yaml, "m.yaml");
        const PlasticitySpec& s = spec.projections[1].plasticity;
        CHECK(s.rule == PlasticityRule::stdp_triplet);
        CHECK(s.triplet_preset == StdpTripletPreset::hippocampal_nearest_minimal);
        CHECK(s.triplet.A3_plus == 0.02);
        CHECK(s.triplet.A2_plus == 4.6e-3);
        CHECK(s.triplet.tau_y_ms == 48.0);
        CHECK(s.triplet.A3_minus == 0.0);
        CHECK(s.triplet.interaction == TraceUpdate::nearest);
        CHECK(s.triplet.Wmax == 100.0);
    }
    // Without a preset: NEST stdp_triplet_synapse's defaults, all-to-all.
    const PlasticitySpec d =
        parse_description(with_plasticity("plasticity: {rule: stdp_triplet, tau_x: 200 ms}"), "m.yaml")
            .projections[1]
            .plasticity;
    CHECK(d.triplet.tau_x_ms == 200.0);
    CHECK(d.triplet.A3_plus == 6.2e-3);
    CHECK(d.triplet.interaction == TraceUpdate::all_to_all);
    CHECK(d.triplet_preset == StdpTripletPreset::none);
    const PlasticitySpec r =
        parse_description(with_plasticity("plasticity: {rule: stdp_pair, pairing: nn_restricted, Wmax: 5 nS}"), "m.yaml")
            .projections[1]
            .plasticity;
    CHECK(r.pairing == StdpPairing::nn_restricted);
}

TEST_CASE("bad input: weight recordings", "[description][errors]") {
    const std::string plastic = with_plasticity("plasticity: {rule: stdp_pair, Wmax: 5 nS}");
    check_error_case(GENERATE_COPY(values<error_case>({
        {"a projection without plasticity", plastic + "recordings:\n  weights:\n    - {projection: @@E->E}\n",
         "recordings.weights[0].projection", "a plastic projection (one of: E->C)", "\"E->E\""},
        {"no projection", plastic + "recordings:\n  weights:\n    - @@{interval: 1 ms}\n", "recordings.weights[0]",
         "a \"projection\" key (the plastic projection whose weights are recorded)", "keys interval"},
        {"an interval off the grid", plastic + "recordings:\n  weights:\n    - {projection: E->C, interval: @@0.05 ms}\n",
         "recordings.weights[0].interval", "an interval that is a positive multiple of dt (0.1 ms)", "0.05 ms (0.5 steps)"},
        {"a source outside the population", plastic + "recordings:\n  weights:\n    - {projection: E->C, sources: [@@10]}\n",
         "recordings.weights[0].sources[0]", "a node id below 10 (the size of E)", "10"},
        {"targets not a selection", plastic + "recordings:\n  weights:\n    - {projection: E->C, targets: @@some}\n",
         "recordings.weights[0].targets",
         "a list of node ids, {range: [first, stop]}, {sample: n, seed: s} or all", "\"some\""},
    })));
}

TEST_CASE("weight recordings per synapse: the selections land in the spec and survive the resolved description",
          "[description]") {
    const std::string text = with_plasticity("plasticity: {rule: stdp_pair, Wmax: 5 nS}") +
                             "recordings:\n  weights:\n    - {projection: E->C, sources: {range: [0, 3, 2]}}\n"
                             "    - {projection: E->C, name: mean_only}\n";
    for (int pass = 0; pass < 2; ++pass) {
        INFO("pass " << pass);
        const NetworkSpec spec =
            parse_description(pass == 0 ? text : parse_description(text, "m.yaml").resolved_yaml, "m.yaml");
        REQUIRE(spec.weight_recordings.size() == 2);
        const WeightRecordingSpec& r = spec.weight_recordings[0];
        CHECK(r.per_synapse);
        CHECK(r.sources == std::vector<std::uint32_t>{0, 2});
        CHECK(r.targets.empty());  // all
        CHECK_FALSE(spec.weight_recordings[1].per_synapse);
    }
}
