// The description as a whole and its simulation section (docs/description.md: "simulation",
// "Spike classes", "Errors"): malformed, empty and missing documents, top-level keys, and the
// values of the simulation section, given and defaulted. Expected values are the documented
// defaults and unit conversions; error positions come from the "@@" markers of each case
// (tests/description_cases.hpp).
#include "description_cases.hpp"

using namespace apical;
using namespace apical::test;

namespace {

std::vector<error_case> document_errors() {
    return {
        {"unclosed flow mapping (reported where the text ends)",
         "populations:\n  E: {model: iaf_psc_delta, size: 10\n@@", "", "well-formed YAML",
         "a syntax error (end of map flow not found)"},
        {"a key indented less than its siblings", "populations:\n  E:\n    model: a\n   @@size: 3\n", "",
         "well-formed YAML", "a syntax error (end of map not found)"},
        {"unknown top-level key", small_description + "@@recording: {spikes: all}\n", "recording",
         "a top-level key (one of: simulation, populations, projections, stimuli, recordings)",
         "\"recording\" (did you mean recordings?)"},
        {"no populations", "@@simulation: {dt: 0.1 ms}\n", "",
         "a \"populations\" key (a mapping from population names to populations)", "keys simulation"},
        {"an empty document (no position)", "# nothing yet\n", "",
         "a description (a mapping with a populations key)", "an empty document"},
    };
}

std::vector<error_case> simulation_errors() {
    return {
        {"dt of the wrong dimension", replaced(small_description, "dt: 0.1 ms", "dt: @@0.1 mV"), "simulation.dt",
         "a time (e.g. \"1.5 ms\")", "\"0.1 mV\" (a voltage)"},
        // A run of round(t_stop / dt) steps: at least one, at most 2^53 (exact step numbers).
        {"a t_stop that overflows the step count", with_simulation_line("  t_stop: @@1e30 ms\n"), "simulation.t_stop",
         "a t_stop of at least one step and at most 2^53 steps of dt (0.1 ms)", "1e+30 ms"},
        {"a t_stop below half a step", with_simulation_line("  t_stop: @@1e-300 ms\n"), "simulation.t_stop",
         "a t_stop of at least one step and at most 2^53 steps of dt (0.1 ms)", "1e-300 ms"},
        {"unknown spike exchange", with_simulation_line("  spike_exchange: @@alltoall\n"),
         "simulation.spike_exchange", "a spike exchange (one of: allgather, directed)", "\"alltoall\""},
        {"unknown classification rule", with_simulation_line("  spike_classification: {rule: @@bursts}\n"),
         "simulation.spike_classification.rule", "a spike classification rule (one of: trace, isi)",
         "\"bursts\""},
        {"zero classification threshold",
         with_simulation_line("  spike_classification: {rule: isi, threshold: @@0 ms}\n"),
         "simulation.spike_classification.threshold", "a time above 0 ms", "0 ms"},
        {"classification threshold of the wrong dimension",
         with_simulation_line("  spike_classification: {rule: isi, threshold: @@2 mV}\n"),
         "simulation.spike_classification.threshold", "a time (e.g. \"1.5 ms\")", "\"2 mV\" (a voltage)"},
        {"unknown classification key", with_simulation_line("  spike_classification: {rule: isi, @@window: 2 ms}\n"),
         "simulation.spike_classification.window", "a key of spike_classification (one of: rule, threshold)",
         "\"window\""},
        {"classification not a mapping", with_simulation_line("  spike_classification: @@isi\n"),
         "simulation.spike_classification", "a mapping {rule: trace or isi, threshold: TIME}", "\"isi\""},
    };
}

}  // namespace

TEST_CASE("bad input: the document", "[description][errors]") {
    check_error_case(GENERATE(from_range(document_errors())));
}

TEST_CASE("bad input: the simulation section", "[description][errors]") {
    check_error_case(GENERATE(from_range(simulation_errors())));
}

// A missing file has no position: the message names the path only (docs/description.md, "Errors").
TEST_CASE("bad input: a missing description file", "[description][errors]") {
    const auto dir = scratch("description_missing_file");
    const std::string path = (dir / "nope.yaml").string();
    auto error_loading = [](const std::string& p) {
        try {
            load(p);
        } catch (const DescriptionError& e) {
            return e;
        }
        FAIL("no DescriptionError loading " << p);
        throw std::logic_error("not reached");
    };
    check_error(error_loading(path), path, {}, "", "a readable description file", "no such file");
    check_error(error_loading(dir.string()), dir.string(), {}, "", "a readable description file", "a directory");
}

// The values as written in the full description, in internal units (ms).
TEST_CASE("simulation: the full description", "[description]") {
    const marked_text& full = full_description();
    const NetworkSpec s = parse_description(full.text, "models/full.yaml");
    CHECK(s.file == "models/full.yaml");
    CHECK(s.warnings.empty());
    const SimulationSpec& sim = s.simulation;
    CHECK(sim.dt_ms == 0.05);
    CHECK(sim.t_stop_ms == 2000.0);  // 2 s
    CHECK(sim.seed == 4294967295u);  // the largest documented seed
    CHECK(sim.threads == 4);
    CHECK(sim.output_dir == "results/run1");
    check_where(sim.output_where, full.at("output"), "simulation.output");
    CHECK(sim.flush_interval_ms == 1.0);  // 1e-3 s
    CHECK(spike_exchange_name(sim) == "directed");
    CHECK(classification_rule_name(sim.spike_classification) == "isi");
    CHECK(sim.spike_classification.threshold_ms == 10.0);
    check_where(sim.spike_classification.where, full.at("classification"), "simulation.spike_classification");
}

// The defaults of the table in docs/description.md, "simulation".
TEST_CASE("simulation: defaults", "[description]") {
    const NetworkSpec s = parse_description(minimal_description, "d.yaml");
    const SimulationSpec& sim = s.simulation;
    CHECK(sim.dt_ms == 0.1);
    CHECK(sim.t_stop_ms == 1000.0);
    CHECK(sim.seed == 12345u);
    CHECK(sim.threads == 1);
    CHECK(sim.output_dir == "out");
    check_where(sim.output_where, {}, "simulation.output");  // a default has no position
    CHECK(sim.flush_interval_ms == 1000.0);
    CHECK(spike_exchange_name(sim) == "allgather");
    CHECK(classification_rule_name(sim.spike_classification) == "trace");
    CHECK(sim.spike_classification.threshold_ms == 16.0);
}

// Defaults as written to the resolved description, and a partial mapping given with --set
// keeps the default of the key it leaves out (docs/description.md, "Spike classes").
TEST_CASE("simulation: spike exchange and spike classification", "[description]") {
    const NetworkSpec d = parse_description(small_description, "model.yaml");
    CHECK(contains(d.resolved_yaml, "spike_exchange: allgather\n"));
    CHECK(contains(d.resolved_yaml, "spike_classification: {rule: trace, threshold: 16 ms}\n"));
    const NetworkSpec s = parse_description(
        small_description, "model.yaml",
        {"simulation.spike_classification={threshold: 0.02 s}", "simulation.spike_exchange=directed"});
    CHECK(classification_rule_name(s.simulation.spike_classification) == "trace");
    CHECK(s.simulation.spike_classification.threshold_ms == 20.0);
    CHECK(spike_exchange_name(s.simulation) == "directed");
    check_round_trip(s);
}
