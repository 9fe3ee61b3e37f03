// --set overrides (docs/description.md, "Changing values from the command line: --set"):
// addressing by key, index and name, values as YAML, and errors in them, which name the file
// "--set" and no position (io/description.hpp).
#include "description_cases.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// Two populations sharing their parameters through a YAML alias, a named and an unnamed
// projection and a named stimulus: every way of addressing an entry.
const std::string brunel = R"(simulation: {t_stop: 1000 ms}
populations:
  E:
    model: iaf_psc_delta
    size: 10
    parameters: &neuron {tau_m: 20 ms, V_th: 20 mV, E_L: 0 mV, V_reset: 0 mV}
  I:
    model: iaf_psc_delta
    size: 5
    parameters: *neuron
projections:
  - {name: EE, source: E, target: E, connectivity: {rule: fixed_indegree, indegree: 2}, weight: 0.1 mV, delay: 1.5 ms}
  - {source: I, target: E, connectivity: {rule: fixed_indegree, indegree: 1}, weight: -0.5 mV, delay: 1.5 ms}
stimuli:
  - {name: drive, model: poisson_generator, targets: [E, I], rate: 20 kHz, weight: 0.1 mV, delay: 1.5 ms}
)";

// An error case of `small_description` with the override `set`.
error_case bad_set(const std::string& name, const std::string& set, const std::string& key_path,
                   const std::string& expected, const std::string& found) {
    return {name, small_description, key_path, expected, found, {set}};
}

std::vector<error_case> override_errors() {
    const std::string entry_of_projections =
        "the name of an entry of projections (one of: E->E, E->C) or an index [0] to [1]";
    const std::string malformed_path = "a key path such as populations.E.size or projections[0].weight";
    return {
        {"a value of the wrong dimension", brunel, "simulation.t_stop", "a time (e.g. \"1.5 ms\")",
         "\"5 mV\" (a voltage)", {"simulation.t_stop=5 mV"}},
        {"an unknown key that --set adds", brunel, "simulation.tstop",
         "a key of simulation (one of: dt, t_stop, seed, threads, output, flush_interval, spike_exchange, "
         "spike_classification)",
         "\"tstop\" (did you mean t_stop?)", {"simulation.tstop=5 ms"}},
        bad_set("an unknown value", "simulation.spike_exchange=direct", "simulation.spike_exchange",
                "a spike exchange (one of: allgather, directed)", "\"direct\" (did you mean directed?)"),
        bad_set("unknown projection name", "projections.XX.weight=0.2 mV", "projections.XX.weight",
                entry_of_projections, "\"XX\""),
        bad_set("unknown population", "populations.X.size=3", "populations.X.size",
                "the name of a population (one of: E, C)", "\"X\""),
        bad_set("index out of range", "projections[7].weight=1 mV", "projections[7].weight",
                "an index below 2 in projections", "7"),
        bad_set("a key below a scalar", "simulation.dt.unit=ms", "simulation.dt.unit",
                "a mapping at simulation.dt to look up \"unit\"", "\"0.1 ms\""),
        bad_set("an empty key", "populations..size=3", "populations..size", malformed_path, "\"populations..size\""),
        bad_set("an index that is not a number", "projections[x].weight=3", "projections[x].weight", malformed_path,
                "\"projections[x].weight\""),
        bad_set("no value", "simulation.t_stop", "", "an override key.path=value (e.g. simulation.t_stop=200 ms)",
                "\"simulation.t_stop\""),
    };
}

}  // namespace

TEST_CASE("bad input: --set overrides", "[description][errors][set]") {
    check_error_case(GENERATE(from_range(override_errors())));
}

// Every value below is the one its --set gives; the rest is brunel as written.
TEST_CASE("overrides (--set) replace values before validation", "[description][set]") {
    const NetworkSpec s = parse_description(
        brunel, "brunel.yaml",
        {"simulation.t_stop=200 ms", "populations.E.size=100", "projections.EE.weight=0.2 mV",
         "projections[1].weight = -1 mV", "projections.EE.connectivity.rule=pairwise_bernoulli",
         "projections.EE.connectivity={rule: pairwise_bernoulli, p: 0.5}", "populations.E.parameters.tau_m=5 ms",
         "populations.I.initial.V_m=3 mV", "stimuli.drive.rate=8 kHz", "simulation.seed=7",
         "simulation.output=/tmp/x y", "recordings.spikes=[I]"});
    CHECK(s.simulation.t_stop_ms == 200.0);
    CHECK(s.simulation.seed == 7u);
    CHECK(s.simulation.output_dir == "/tmp/x y");
    check_where(s.simulation.output_where, {}, "simulation.output");  // given on the command line
    CHECK(s.populations[0].size == 100);
    CHECK(s.projections[0].weight.value == 0.2);
    CHECK(s.projections[0].rule == ConnectionRule::pairwise_bernoulli);
    CHECK(s.projections[0].p == 0.5);
    CHECK(s.projections[1].weight.value == -1.0);
    CHECK(s.populations[0].parameters.at("tau_m") == 5.0);
    CHECK(s.populations[1].parameters.at("tau_m") == 20.0);  // the alias is a copy, not the same node
    CHECK(s.populations[1].initial.at("V_m").value == 3.0);
    CHECK(s.stimuli[0].rate_hz == 8000.0);
    CHECK(s.spike_recordings == std::vector<std::string>{"I"});
    CHECK(contains(s.resolved_yaml, "t_stop: 200 ms"));

    // Projections without a name are addressed by their default name too.
    const NetworkSpec d = parse_description(brunel, "b.yaml", {"projections.I->E.delay=2 ms"});
    CHECK(d.projections[1].delay.value == 2.0);
}
