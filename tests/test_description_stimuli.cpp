// The stimuli section (docs/description.md, "stimuli"): poisson_generator, dc_current,
// step_current, noise_current, sine_current and sine_input, their targets, keys and times, and the values a valid
// stimulus lands as, in internal units (Hz, pA, ms). Error positions come from the "@@"
// markers of each case (tests/description_cases.hpp).
#include "description_cases.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// A noise_current into E with `keys` besides model and target.
std::string noise_with(const std::string& keys) {
    return with_stimulus("{model: noise_current, target: E, " + keys + "}");
}

// A sine_current into E with `keys` besides model and target.
std::string sine_with(const std::string& keys) {
    return with_stimulus("{model: sine_current, target: E, " + keys + "}");
}

// A sine_input into C (iaf_cond_exp) with `keys` besides model and target.
std::string sine_input_with(const std::string& keys) {
    return with_stimulus("{model: sine_input, target: C, " + keys + "}");
}

// One stimulus, `item`, into a description that also has X, a population of the exact
// event-driven model intfire1.
std::string with_event_driven_target(const std::string& item) {
    return replaced(with_stimulus(item), "populations:\n", "populations:\n  X:\n    model: intfire1\n    size: 4\n");
}

std::vector<error_case> stimulus_errors() {
    return {
        // Exact event-driven models take no ring-buffer counts; intfire1 takes no current.
        {"poisson_generator onto an exact event-driven model",
         with_event_driven_target("{model: poisson_generator, target: @@X, rate: 1 kHz, weight: 0.1, delay: 1 ms}"),
         "stimuli[0].target",
         "a target population of a grid-based model (poisson_generator adds counts per step; exact event-driven "
         "models take spikes through projections, e.g. from a poisson_source population)",
         "\"X\" (model intfire1, exact event-driven)"},
        {"a current onto intfire1", with_event_driven_target("{model: dc_current, targets: [E, @@X], amplitude: 1 pA}"),
         "stimuli[0].targets[1]", "a target population whose neurons take currents",
         "\"X\" (model intfire1, which takes no current)"},
        {"unknown model", with_stimulus("{model: @@ac_current, target: E}"), "stimuli[0].model",
         "a stimulus model (one of: poisson_generator, dc_current, step_current, noise_current, sine_current, "
         "teaching_current, sine_input)",
         "\"ac_current\" (did you mean dc_current?)"},
        {"unknown target population",
         small_description + "stimuli: [{model: dc_current, targets: [E, @@Q], amplitude: 1 pA}]\n",
         "stimuli[0].targets[1]", "a population name (one of: E, C)", "\"Q\""},
        {"unknown key", with_stimulus("{model: dc_current, target: E, amplitude: 1 pA, @@rate: 3 Hz}"),
         "stimuli[0].rate",
         "a key of a dc_current stimulus (one of: name, model, target, targets, amplitude, compartment, start, stop)",
         "\"rate\""},
        {"stop before start",
         with_stimulus("{model: dc_current, target: E, amplitude: 1 pA, start: 5 ms, stop: @@1 ms}"),
         "stimuli[0].stop", "a stop time at or after start (5 ms)", "1 ms"},
        {"unknown compartment", with_stimulus("{model: dc_current, target: E, amplitude: 1 pA, compartment: @@apical}"),
         "stimuli[0].compartment", "a compartment of iaf_psc_delta, the model of population E (one of: soma)",
         "\"apical\""},

        // step_current: times strictly increasing, one amplitude per time.
        {"step times out of order",
         with_stimulus("{model: step_current, target: E, times: [2 ms, @@1 ms], amplitudes: [1 pA, 2 pA]}"),
         "stimuli[0].times[1]", "times in strictly increasing order (after 2 ms)", "1 ms"},
        {"more amplitudes than times",
         with_stimulus("{model: step_current, target: E, times: [1 ms], amplitudes: @@[1 pA, 2 pA]}"),
         "stimuli[0].amplitudes", "one amplitude per time (1)", "2"},
        // step_current with a period: times inside the period.
        {"a time at the period",
         with_stimulus("{model: step_current, target: E, period: 32 ms, times: [0 ms, @@32 ms], amplitudes: [1 pA, 2 pA]}"),
         "stimuli[0].times[1]", "a time inside the period (below 32 ms, counted from start)", "32 ms"},
        {"a zero period",
         with_stimulus("{model: step_current, target: E, period: @@0 ms, times: [0 ms], amplitudes: [1 pA]}"),
         "stimuli[0].period", "a time above 0 ms", "0 ms"},
        {"a period below one step",
         with_stimulus("{model: step_current, target: E, period: @@0.01 ms, times: [0 ms], amplitudes: [1 pA]}"),
         "stimuli[0].period", "a period of at least one step (dt)", "0.01 ms"},

        // teaching_current: period, window inside it, a pattern of 0 and 1, a non-empty middle range.
        {"teaching without window",
         with_stimulus("@@{model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, pattern: [0, 1], tau_avg: 2 s}"),
         "stimuli[0]", "a \"window\" key (the teaching window [start, stop] inside each period, e.g. [7.2 s, 8 s])",
         "keys model, target, amplitude, period, pattern, tau_avg"},
        {"teaching window beyond the period",
         with_stimulus("{model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, window: [7.2 s, @@9 s], "
                       "pattern: [0, 1], tau_avg: 2 s}"),
         "stimuli[0].window[1]", "a stop time inside the period in (7200 ms, 8000 ms]", "9000 ms"},
        {"teaching window of one time",
         with_stimulus("{model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, window: @@[7.2 s], "
                       "pattern: [0, 1], tau_avg: 2 s}"),
         "stimuli[0].window", "a window [start, stop] inside the period, e.g. [7.2 s, 8 s]", "a list"},
        {"teaching target 2",
         with_stimulus("{model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, window: [7.2 s, 8 s], "
                       "pattern: [0, @@2], tau_avg: 2 s}"),
         "stimuli[0].pattern[1]", "a target, 0 or 1", "2"},
        {"teaching empty pattern",
         with_stimulus("{model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, window: [7.2 s, 8 s], "
                       "pattern: @@[], tau_avg: 2 s}"),
         "stimuli[0].pattern", "a non-empty list of targets 0 and 1, e.g. [0, 1, 1, 0]", "a list"},
        {"teaching negative amplitude",
         with_stimulus("{model: teaching_current, target: E, amplitude: @@-1 nA, period: 8 s, window: [7.2 s, 8 s], "
                       "pattern: [1], tau_avg: 2 s}"),
         "stimuli[0].amplitude", "a current of at least 0 pA", "-1000 pA"},
        {"teaching empty middle range",
         with_stimulus("{model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, window: [7.2 s, 8 s], "
                       "pattern: [1], tau_avg: 2 s, e_min: 2 Hz, e_max: @@3 Hz}"),
         "stimuli[0].e_max", "an e_max of at least e_min + 2 tolerance (4 Hz)", "3 Hz"},

        // poisson_generator: weights as for projections, one receptor for every target.
        {"negative weight onto a conductance receptor",
         with_stimulus("{model: poisson_generator, target: C, rate: 20 kHz, weight: @@-1 nS, delay: 1 ms, "
                       "receptor: exc}"),
         "stimuli[0].weight", "a non-negative weight (receptor exc of iaf_cond_exp takes only weights >= 0 nS)",
         "-1 nS"},
        {"targets of models with different receptors",
         with_stimulus("{model: poisson_generator, targets: [E, @@C], rate: 20 kHz, weight: 1 mV, delay: 1 ms, "
                       "receptor: exc}"),
         "stimuli[0].targets[1]", "target populations whose receptors all take a voltage as weight (E does)",
         "\"C\" (its receptor exc takes a conductance)"},

        // noise_current: std >= 0 and tau > 0 are required.
        {"negative std", noise_with("std: @@-5 pA, tau: 2 ms"), "stimuli[0].std",
         "a standard deviation of at least 0 pA", "-5 pA"},
        {"no tau", with_stimulus("@@{model: noise_current, target: E, std: 5 pA}"), "stimuli[0]",
         "a \"tau\" key (the correlation time of the current, e.g. 2 ms)", "keys model, target, std"},
        {"zero tau", noise_with("std: 5 pA, tau: @@0 ms"), "stimuli[0].tau", "a time above 0 ms", "0 ms"},
        {"no std", with_stimulus("@@{model: noise_current, target: E, tau: 2 ms}"), "stimuli[0]",
         "a \"std\" key (the standard deviation of the current, e.g. 50 pA)", "keys model, target, tau"},
        {"std of the wrong dimension", noise_with("std: @@5 mV, tau: 2 ms"), "stimuli[0].std",
         "a current (e.g. \"100 pA\")", "\"5 mV\" (a voltage)"},
        {"key of another stimulus model", noise_with("std: 5 pA, tau: 2 ms, @@amplitude: 1 pA"),
         "stimuli[0].amplitude",
         "a key of a noise_current stimulus (one of: name, model, target, targets, mean, std, tau, compartment, "
         "start, stop)",
         "\"amplitude\""},
        {"unknown compartment of a noise current", noise_with("std: 5 pA, tau: 2 ms, compartment: @@dendrite"),
         "stimuli[0].compartment", "a compartment of iaf_psc_delta, the model of population E (one of: soma)",
         "\"dendrite\""},

        // sine_current: amplitude and frequency required, frequency >= 0, phase a plain number
        // of degrees, offset a current.
        {"sine without amplitude", with_stimulus("@@{model: sine_current, target: E, frequency: 2 Hz}"), "stimuli[0]",
         "a \"amplitude\" key (the amplitude of the sine, e.g. 100 pA)", "keys model, target, frequency"},
        {"sine without frequency", with_stimulus("@@{model: sine_current, target: E, amplitude: 10 pA}"),
         "stimuli[0]", "a \"frequency\" key (the frequency of the sine, e.g. 2 Hz)", "keys model, target, amplitude"},
        {"negative frequency", sine_with("amplitude: 10 pA, frequency: @@-2 Hz"), "stimuli[0].frequency",
         "a frequency of at least 0 Hz", "-2 Hz"},
        {"frequency of the wrong dimension", sine_with("amplitude: 10 pA, frequency: @@500 ms"),
         "stimuli[0].frequency", "a frequency (e.g. \"20 Hz\")", "\"500 ms\" (a time)"},
        {"amplitude of the wrong dimension", sine_with("amplitude: @@10 mV, frequency: 2 Hz"), "stimuli[0].amplitude",
         "a current (e.g. \"100 pA\")", "\"10 mV\" (a voltage)"},
        {"offset of the wrong dimension", sine_with("amplitude: 10 pA, frequency: 2 Hz, offset: @@1 nS"),
         "stimuli[0].offset", "a current (e.g. \"100 pA\")", "\"1 nS\" (a conductance)"},
        {"phase with a unit", sine_with("amplitude: 10 pA, frequency: 2 Hz, phase: @@90 ms"), "stimuli[0].phase",
         "a number (e.g. \"0.5\")", "\"90 ms\" (a time)"},
        {"phase not a number", sine_with("amplitude: 10 pA, frequency: 2 Hz, phase: @@quarter"), "stimuli[0].phase",
         "a number (e.g. \"0.5\")", "\"quarter\" (not a number)"},
        {"key of another stimulus model in a sine", sine_with("amplitude: 10 pA, frequency: 2 Hz, @@mean: 1 pA"),
         "stimuli[0].mean",
         "a key of a sine_current stimulus (one of: name, model, target, targets, amplitude, offset, frequency, "
         "phase, compartment, start, stop)",
         "\"mean\""},
        {"unknown compartment of a sine", sine_with("amplitude: 10 pA, frequency: 2 Hz, compartment: @@dendrite"),
         "stimuli[0].compartment", "a compartment of iaf_psc_delta, the model of population E (one of: soma)",
         "\"dendrite\""},
        {"sine stop before start", sine_with("amplitude: 10 pA, frequency: 2 Hz, start: 5 ms, stop: @@1 ms"),
         "stimuli[0].stop", "a stop time at or after start (5 ms)", "1 ms"},

        // sine_input: amplitude, frequency and delay required; amplitude and offset in the
        // receptor's weight unit; never a negative conductance; a receptor of the target.
        {"sine_input without amplitude", with_stimulus("@@{model: sine_input, target: C, receptor: exc, frequency: 2 Hz, delay: 1 ms}"),
         "stimuli[0]", "a \"amplitude\" key (the amplitude of the sine, a conductance (e.g. \"10 nS\"))",
         "keys model, target, receptor, frequency, delay"},
        {"sine_input without frequency",
         with_stimulus("@@{model: sine_input, target: C, receptor: exc, amplitude: 1 nS, offset: 2 nS, delay: 1 ms}"), "stimuli[0]",
         "a \"frequency\" key (the frequency of the sine, e.g. 10 Hz)", "keys model, target, receptor, amplitude, offset, delay"},
        {"sine_input without delay",
         with_stimulus("@@{model: sine_input, target: C, receptor: exc, amplitude: 1 nS, offset: 2 nS, frequency: 2 Hz}"),
         "stimuli[0]", "a \"delay\" key (the delay of each input, a time of at least dt)",
         "keys model, target, receptor, amplitude, offset, frequency"},
        {"sine_input amplitude of the wrong dimension",
         sine_input_with("receptor: exc, amplitude: @@1 pA, offset: 2 nS, frequency: 2 Hz, delay: 1 ms"), "stimuli[0].amplitude",
         "a conductance (e.g. \"10 nS\")", "\"1 pA\" (a current)"},
        {"sine_input going below zero onto a conductance",
         sine_input_with("amplitude: 3 nS, offset: @@2 nS, frequency: 2 Hz, delay: 1 ms, receptor: exc"),
         "stimuli[0].offset",
         "an offset of at least the amplitude's size (receptor exc of iaf_cond_exp takes only weights >= 0 nS)",
         "2 nS with amplitude 3 nS"},
        {"sine_input onto an unknown receptor",
         sine_input_with("amplitude: 1 nS, offset: 2 nS, frequency: 2 Hz, delay: 1 ms, receptor: @@dendrite.exc"),
         "stimuli[0].receptor", "a receptor of iaf_cond_exp, the model of population C (one of: exc, inh)", "\"dendrite.exc\""},
        {"sine_input onto an exact event-driven model",
         with_event_driven_target("{model: sine_input, target: @@X, amplitude: 1, frequency: 2 Hz, delay: 1 ms}"),
         "stimuli[0].target",
         "a target population of a grid-based model (sine_input adds a weight per step; exact event-driven "
         "models take spikes through projections, e.g. from a poisson_source population)",
         "\"X\" (model intfire1, exact event-driven)"},
        {"sine_input with a compartment",
         sine_input_with("receptor: exc, amplitude: 1 nS, offset: 2 nS, frequency: 2 Hz, delay: 1 ms, @@compartment: soma"),
         "stimuli[0].compartment",
         "a key of a sine_input stimulus (one of: name, model, target, targets, amplitude, offset, frequency, "
         "phase, delay, receptor, start, stop)",
         "\"compartment\""},
    };
}

}  // namespace

TEST_CASE("bad input: stimuli", "[description][errors]") {
    check_error_case(GENERATE(from_range(stimulus_errors())));
}

// The values as written in the full description, in Hz, pA and ms; "never" is stop 1e300.
TEST_CASE("stimuli: the full description", "[description]") {
    const NetworkSpec s = parse_description(full_description().text, "models/full.yaml");
    REQUIRE(s.stimuli.size() == 7);
    const StimulusSpec& drive = s.stimuli[0];
    CHECK(drive.name == "drive");
    CHECK(drive.kind == StimulusSpec::Kind::poisson_generator);
    CHECK(drive.targets == std::vector<std::string>{"E", "I"});
    CHECK(drive.rate_hz == 20000.0);  // 20 kHz
    CHECK(drive.weight == 0.1);
    CHECK(drive.delay_ms == 1.5);
    CHECK(drive.start_ms == 0.0);
    CHECK(drive.stop_ms == 1000.0);
    CHECK(drive.receptors.empty());

    const StimulusSpec& bias = s.stimuli[1];
    CHECK(bias.kind == StimulusSpec::Kind::dc_current);
    CHECK(bias.targets == std::vector<std::string>{"C"});
    CHECK(bias.amplitude_pA == 500.0);  // 0.5 nA
    CHECK(bias.start_ms == 10.0);
    CHECK(bias.stop_ms == 1e300);
    CHECK(bias.compartments == std::vector<int>{0});  // soma

    const StimulusSpec& steps = s.stimuli[2];
    CHECK(steps.kind == StimulusSpec::Kind::step_current);
    CHECK(steps.times_ms == std::vector<double>{100.0, 200.0});
    CHECK(steps.amplitudes_pA == std::vector<double>{50.0, 0.0});
    CHECK(steps.compartments.empty());  // none named: the soma

    CHECK(s.stimuli[3].receptors == std::vector<int>{0});  // exc
    CHECK(s.stimuli[3].weight == 2.0);
    CHECK(s.stimuli[3].rate_hz == 8.0);

    const StimulusSpec& ou = s.stimuli[4];
    CHECK(ou.kind == StimulusSpec::Kind::noise_current);
    CHECK(ou.targets == std::vector<std::string>{"E", "C"});
    CHECK(ou.mean_pA == 100.0);  // 0.1 nA
    CHECK(ou.std_pA == 20.0);
    CHECK(ou.tau_ms == 5.0);
    CHECK(ou.start_ms == 0.0);
    CHECK(ou.stop_ms == 1000.0);
    CHECK(ou.compartments.empty());

    CHECK(s.stimuli[5].period_ms == 32.0);  // the periodic step_current
    const StimulusSpec& teach = s.stimuli[6];
    CHECK(teach.kind == StimulusSpec::Kind::teaching_current);
    CHECK(teach.window_ms == std::pair<double, double>{7.2, 8.0});
    CHECK(teach.tolerance_hz == 2.0);
    CHECK(teach.e_max_hz == 20.0);
}

// The periodic step_current and the teaching_current: values in internal units, defaults,
// and the same values again from the resolved description.
TEST_CASE("stimuli: periodic step_current and teaching_current", "[description]") {
    const std::string text = small_description +
                             "stimuli:\n"
                             "  - {model: step_current, target: E, start: 6 s, period: 32 s, times: [0 s, 8 s], "
                             "amplitudes: [-350 pA, 150 pA]}\n"
                             "  - {model: teaching_current, target: E, amplitude: 1 nA, period: 8 s, window: [7.2 s, 8 s], "
                             "pattern: [0, 1, 1, 0], tau_avg: 2 s, start: 38 s, stop: 100 s}\n";
    for (int pass = 0; pass < 2; ++pass) {
        INFO("pass " << pass);
        const NetworkSpec s =
            parse_description(pass == 0 ? text : parse_description(text, "m.yaml").resolved_yaml, "m.yaml");
        const StimulusSpec& steps = s.stimuli.at(0);
        CHECK(steps.period_ms == 32000.0);
        CHECK(steps.start_ms == 6000.0);
        CHECK(steps.times_ms == std::vector<double>{0.0, 8000.0});
        CHECK(steps.amplitudes_pA == std::vector<double>{-350.0, 150.0});
        const StimulusSpec& t = s.stimuli.at(1);
        CHECK(t.kind == StimulusSpec::Kind::teaching_current);
        CHECK(t.amplitude_pA == 1000.0);
        CHECK(t.period_ms == 8000.0);
        CHECK(t.window_ms == std::pair<double, double>{7200.0, 8000.0});
        CHECK(t.pattern == std::vector<int>{0, 1, 1, 0});
        CHECK(t.tau_avg_ms == 2000.0);
        CHECK(t.e_min_hz == 2.0);     // defaults
        CHECK(t.e_max_hz == 10.0);
        CHECK(t.tolerance_hz == 1.0);
        CHECK(t.start_ms == 38000.0);
        CHECK(t.stop_ms == 100000.0);
    }
}

// Defaults of docs/description.md, "stimuli": name <model>_<index>, start 0, stop never,
// bare amplitudes in pA.
TEST_CASE("stimuli: defaults", "[description]") {
    const NetworkSpec s = parse_description(minimal_description, "d.yaml");
    const StimulusSpec& st = s.stimuli.at(0);
    CHECK(st.name == "dc_current_0");
    CHECK(st.amplitude_pA == 20.0);
    CHECK(st.start_ms == 0.0);
    CHECK(st.stop_ms == 1e300);
}

// noise_current: mean defaults to 0 pA; std 0 is a constant current of `mean`.
TEST_CASE("stimuli: noise_current", "[description]") {
    const NetworkSpec s = parse_description(
        with_stimulus("{model: noise_current, target: C, std: 0.05 nA, tau: 2 ms, compartment: soma}"), "model.yaml");
    const StimulusSpec& st = s.stimuli.at(0);
    CHECK(st.name == "noise_current_0");
    CHECK(st.kind == StimulusSpec::Kind::noise_current);
    CHECK(st.targets == std::vector<std::string>{"C"});
    CHECK(st.mean_pA == 0.0);
    CHECK(st.std_pA == 50.0);
    CHECK(st.tau_ms == 2.0);
    CHECK(st.compartments == std::vector<int>{0});  // soma
    CHECK(st.start_ms == 0.0);
    CHECK(st.stop_ms == 1e300);
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "    mean: 0 pA\n    std: 50 pA\n    tau: 2 ms\n    compartment: soma\n"));
    check_round_trip(s);
    const NetworkSpec c = parse_description(noise_with("mean: 5, std: 0, tau: 1"), "model.yaml");
    CHECK(c.stimuli.at(0).mean_pA == 5.0);
}

// sine_current (NEST's ac_generator): offset and phase default to 0; the phase is a plain
// number of degrees; values land in pA, Hz and degrees and survive the round trip.
TEST_CASE("stimuli: sine_current", "[description]") {
    const NetworkSpec s = parse_description(
        with_stimulus("{model: sine_current, target: C, amplitude: 0.2 nA, offset: -50 pA, frequency: 2 Hz, "
                      "phase: 90, start: 1 s, compartment: soma}"),
        "model.yaml");
    const StimulusSpec& st = s.stimuli.at(0);
    CHECK(st.name == "sine_current_0");
    CHECK(st.kind == StimulusSpec::Kind::sine_current);
    CHECK(st.amplitude_pA == 200.0);
    CHECK(st.offset_pA == -50.0);
    CHECK(st.frequency_hz == 2.0);
    CHECK(st.phase_deg == 90.0);
    CHECK(st.start_ms == 1000.0);
    CHECK(st.stop_ms == 1e300);
    CHECK(st.compartments == std::vector<int>{0});
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "    amplitude: 200 pA\n    offset: -50 pA\n    frequency: 2 Hz\n    phase: 90\n"));
    check_round_trip(s);
    const NetworkSpec d = parse_description(sine_with("amplitude: 10, frequency: 0 Hz"), "model.yaml");
    CHECK(d.stimuli.at(0).offset_pA == 0.0);
    CHECK(d.stimuli.at(0).phase_deg == 0.0);
    CHECK(d.stimuli.at(0).frequency_hz == 0.0);
}

TEST_CASE("stimuli: sine_input", "[description]") {
    const NetworkSpec s = parse_description(
        with_stimulus("{model: sine_input, target: C, receptor: inh, amplitude: 0.5 nS, offset: 2000 pS, "
                      "frequency: 10 Hz, phase: -30, delay: 0.5 ms, start: 1 s, stop: 3 s}"),
        "model.yaml");
    const StimulusSpec& st = s.stimuli.at(0);
    CHECK(st.name == "sine_input_0");
    CHECK(st.kind == StimulusSpec::Kind::sine_input);
    CHECK(st.input_amplitude == 0.5);
    CHECK(st.input_offset == 2.0);
    CHECK(st.frequency_hz == 10.0);
    CHECK(st.phase_deg == -30.0);
    CHECK(st.delay_ms == 0.5);
    CHECK(st.receptors == std::vector<int>{1});
    CHECK(st.start_ms == 1000.0);
    CHECK(st.stop_ms == 3000.0);
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "    amplitude: 0.5 nS\n    offset: 2 nS\n    frequency: 10 Hz\n    phase: -30\n"
                                    "    delay: 0.5 ms\n    receptor: inh\n"));
    check_round_trip(s);
    // Onto a current-based model's receptor, amplitude and offset are voltages (iaf_psc_delta: mV)
    // and may take any sign.
    const NetworkSpec d = parse_description(
        with_stimulus("{model: sine_input, target: E, amplitude: 2 mV, offset: -1 mV, frequency: 0 Hz, delay: 1 ms}"),
        "model.yaml");
    CHECK(d.stimuli.at(0).input_amplitude == 2.0);
    CHECK(d.stimuli.at(0).input_offset == -1.0);
    CHECK(d.stimuli.at(0).receptors.empty());
}
