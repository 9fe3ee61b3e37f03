// The recordings section (docs/description.md: "recordings", "State recordings", "Population
// rates"): spike recordings, state recordings (variables, node selections, times against dt)
// and population rates, their names and output files, and the values valid ones land as.
// Error positions come from the "@@" markers of each case (tests/description_cases.hpp).
#include "description_cases.hpp"

#include <algorithm>
#include <cstdint>

using namespace apical;
using namespace apical::test;

namespace {

// `small_description` (dt 0.1 ms, t_stop 1000 ms; E of 10 iaf_psc_delta, C of 5 iaf_cond_exp)
// with one state recording, `item`.
std::string with_state(const std::string& item) { return with_recordings("  state:\n    - " + item + "\n"); }

// A state recording of E's V_m with nodes `nodes` and `more` keys.
std::string with_e_nodes(const std::string& nodes, const std::string& more = "") {
    return with_state("{population: E, variables: [V_m], nodes: " + nodes + more + "}");
}

// One population rate recording, `item`.
std::string with_rates(const std::string& item) { return with_recordings("  population_rates:\n    - " + item + "\n"); }

// A state recording `state` and a population rate recording `rates`.
std::string with_state_and_rates(const std::string& state, const std::string& rates) {
    return with_recordings("  state:\n    - " + state + "\n  population_rates:\n    - " + rates + "\n");
}

const std::string multiple_of_dt = "a positive multiple of dt (0.1 ms)";

std::vector<error_case> recording_errors() {
    return {
        {"unknown key", with_recordings("  @@rates: []\n"), "recordings.rates",
         "a key of recordings (one of: spikes, state, population_rates, weights)", "\"rates\""},
        {"unknown population in spike recordings", small_description + "recordings: {spikes: [E, @@e]}\n",
         "recordings.spikes[1]", "a population name (one of: E, C)", "\"e\" (did you mean E?)"},

        // State recordings: variables of the population's model.
        {"unknown state variable", with_state("{population: C, variables: [V_m, @@g_exc], nodes: all}"),
         "recordings.state[0].variables[1]",
         "a state variable of iaf_cond_exp, the model of population C (one of: V_m, g_ex, g_in)",
         "\"g_exc\" (did you mean g_ex?)"},
        {"a population without state",
         replaced(with_state("{population: @@S, variables: [V_m], nodes: all}"), "size: 5\n",
                  "size: 5\n  S: {model: spike_source, size: 3}\n"),
         "recordings.state[0].population", "a population whose neurons have state variables",
         "\"S\" (a spike_source population, which has none)"},
        {"a variable twice", with_state("{population: C, variables: [g_in, @@g_in], nodes: all}"),
         "recordings.state[0].variables[1]", "each state variable once", "\"g_in\" again"},
        {"no variables", with_state("{population: C, variables: @@[], nodes: all}"), "recordings.state[0].variables",
         "a non-empty list of state variables (one of: V_m, g_ex, g_in)", "a list"},
        {"no nodes", with_state("@@{population: C, variables: [V_m]}"), "recordings.state[0]",
         "a \"nodes\" key (the node ids to sample: list, {range: [first, stop]}, {sample: n, seed: s} or all)",
         "keys population, variables"},

        // Node selections (ids 0 to size - 1).
        {"node id out of range", with_e_nodes("[3, @@10]"), "recordings.state[0].nodes[1]",
         "a node id below 10 (the size of E)", "10"},
        {"negative node id", with_e_nodes("[@@-1]"), "recordings.state[0].nodes[0]",
         "a node id below 10 (the size of E)", "-1"},
        {"a node twice", with_e_nodes("[3, 1, @@3]"), "recordings.state[0].nodes[2]", "each node once",
         "3 again (first at recordings.state[0].nodes[0])"},
        {"sample larger than the population", with_e_nodes("{sample: @@11, seed: 1}"),
         "recordings.state[0].nodes.sample", "a number of nodes from 1 to 10 (the size of E)", "11"},
        {"sample without seed", with_e_nodes("@@{sample: 3}"), "recordings.state[0].nodes",
         "a \"seed\" key (the seed of the sample, an integer in [0, 4294967295])", "keys sample"},
        {"range stop beyond the population", with_e_nodes("{range: [5, @@11]}"),
         "recordings.state[0].nodes.range[1]", "a stop from 1 to 10 (the size of E)", "11"},
        {"empty range", with_e_nodes("{range: [@@5, 5]}"), "recordings.state[0].nodes.range[0]",
         "a first node id below stop (5)", "5"},
        {"zero range step", with_e_nodes("{range: [0, 5, @@0]}"), "recordings.state[0].nodes.range[2]",
         "a positive integer step", "0"},
        {"range and seed", with_e_nodes("{range: [0, 5], @@seed: 1}"), "recordings.state[0].nodes.seed",
         "a key of a node range (one of: range)", "\"seed\" (seed belongs to sample)"},
        {"a word other than all", with_e_nodes("@@some"), "recordings.state[0].nodes",
         "a list of node ids, {range: [first, stop]}, {sample: n, seed: s} or all", "\"some\""},

        // Times: multiples of dt, start before stop.
        {"interval off the step grid", with_e_nodes("all", ", interval: @@0.25 ms"), "recordings.state[0].interval",
         "an interval that is " + multiple_of_dt, "0.25 ms (2.5 steps)"},
        {"zero interval", with_e_nodes("all", ", interval: @@0 ms"), "recordings.state[0].interval",
         "an interval that is " + multiple_of_dt, "0 ms"},
        {"start off the step grid", with_e_nodes("all", ", start: @@0.05 ms"), "recordings.state[0].start",
         "a start time that is a non-negative multiple of dt (0.1 ms)", "0.05 ms (0.5 steps)"},
        {"stop at start", with_e_nodes("all", ", start: 5 ms, stop: @@5 ms"), "recordings.state[0].stop",
         "a stop time after start (5 ms)", "5 ms"},
        {"start after t_stop", with_e_nodes("all", ", start: @@2 s"), "recordings.state[0].start",
         "a start time before stop (t_stop, 1000 ms)", "2000 ms"},

        // Names: each recording its own, and its own output files.
        {"two recordings of one population without names",
         with_recordings("  state:\n    - {population: E, variables: [V_m], nodes: all}\n"
                         "    - @@{population: E, variables: [V_m], nodes: [1]}\n"),
         "recordings.state[1].name",
         "a recording name not used before (recordings.state[0] is \"E_state\"; give each recording a different "
         "name)",
         "\"E_state\""},
        {"a name used by a recording of the other kind",
         with_state_and_rates("{population: E, variables: [V_m], nodes: all}", "{name: @@E_state, population: C}"),
         "recordings.population_rates[0].name",
         "a recording name not used before (recordings.state[0] is \"E_state\"; give each recording a different "
         "name)",
         "\"E_state\""},
        {"a name whose file another recording writes",
         with_state_and_rates("{name: x, population: E, variables: [V_m], nodes: all}",
                              "{name: @@x_V_m, population: C}"),
         "recordings.population_rates[0].name",
         "a recording name whose output files are its own (recordings.state[0] writes \"x_V_m.h5\")", "\"x_V_m\""},
        {"the name of the spike file", with_rates("{name: @@spikes, population: C}"),
         "recordings.population_rates[0].name",
         "a recording name whose output files are its own (recordings.spikes writes \"spikes.h5\")", "\"spikes\""},
        {"a name that is not a file name", with_rates("{name: @@a/b, population: C}"),
         "recordings.population_rates[0].name",
         "a recording name of letters, digits, _, - and ., not starting with . or - (it names output files)",
         "\"a/b\""},

        // Population rates.
        {"unknown population of a rate recording", with_rates("{population: @@X}"),
         "recordings.population_rates[0].population", "a population name (one of: E, C)", "\"X\""},
        // The step count is printed as computed (25.499999999999996): "…" keeps it out of the test.
        {"bin off the step grid", with_rates("{population: C, bin: @@2.55 ms}"),
         "recordings.population_rates[0].bin", "a bin width that is " + multiple_of_dt, "2.55 ms (25.4… steps)"},
        {"default bin off the step grid",
         replaced(with_rates("@@{population: C}"), "dt: 0.1 ms", "dt: 0.3 ms"), "recordings.population_rates[0]",
         "a \"bin\" key (the bin width; the default, 25 ms, is not a positive multiple of dt (0.3 ms))",
         "keys population"},
    };
}

// The nodes a {sample: n, seed: seed} selection picks from a population of `size`.
std::vector<std::uint32_t> sampled(const std::string& n, const std::string& seed, const std::string& size,
                                   const std::string& simulation_seed = "12345") {
    const std::string yaml = "simulation: {seed: " + simulation_seed + "}\n" +
                             "populations: {E: {model: iaf_psc_delta, size: " + size + "}}\n" +
                             "recordings:\n  state:\n    - {population: E, variables: [V_m], nodes: {sample: " + n +
                             ", seed: " + seed + "}}\n";
    return parse_description(yaml, "sample.yaml").state_recordings.at(0).nodes;
}

}  // namespace

TEST_CASE("bad input: recordings", "[description][errors]") {
    check_error_case(GENERATE(from_range(recording_errors())));
}

// The values as written in the full description (dt 0.05 ms, t_stop 2 s); defaults of
// docs/description.md, "State recordings" and "Population rates".
TEST_CASE("recordings: the full description", "[description]") {
    const marked_text& full = full_description();
    const NetworkSpec s = parse_description(full.text, "models/full.yaml");
    CHECK(s.spike_recordings == std::vector<std::string>{"E", "C"});

    REQUIRE(s.state_recordings.size() == 4);
    const StateRecordingSpec& cs = s.state_recordings[0];
    CHECK(cs.name == "C_state");  // default
    CHECK(cs.population == "C");
    CHECK(cs.variables == std::vector<int>{0, 1});  // V_m, g_ex: indices into the model's state
    CHECK(cs.nodes == std::vector<std::uint32_t>{0, 2, 4});  // sorted
    CHECK(cs.interval_ms == 0.05);                           // default: dt
    CHECK(cs.start_ms == 0.0);
    CHECK(cs.stop_ms == 2000.0);  // default: t_stop
    check_where(cs.where, full.at("C_state"), "recordings.state[0]");
    const StateRecordingSpec& range = s.state_recordings[1];
    CHECK(range.name == "range");
    CHECK(range.nodes == std::vector<std::uint32_t>{10, 14, 18});
    CHECK(range.interval_ms == 1.0);
    CHECK(range.start_ms == 100.0);
    CHECK(range.stop_ms == 500.0);
    CHECK(s.state_recordings[2].nodes.size() == 5);
    const StateRecordingSpec& every = s.state_recordings[3];
    CHECK(every.population == "I");
    CHECK(every.nodes.size() == 20);
    CHECK(every.nodes.front() == 0);
    CHECK(every.nodes.back() == 19);
    CHECK(every.interval_ms == 0.15);  // 3 steps, within rounding of 0.15 / 0.05

    REQUIRE(s.population_rates.size() == 2);
    CHECK(s.population_rates[0].name == "E_rates");
    CHECK(s.population_rates[0].population == "E");
    CHECK(s.population_rates[0].bin_ms == 25.0);
    CHECK(s.population_rates[0].start_ms == 0.0);
    CHECK(s.population_rates[0].stop_ms == 2000.0);
    CHECK(s.population_rates[1].name == "input_rates");
    CHECK(s.population_rates[1].population == "input");  // spike sources have rates too
    CHECK(s.population_rates[1].bin_ms == 10.0);
    CHECK(s.population_rates[1].start_ms == 1000.0);
    CHECK(s.population_rates[1].stop_ms == 1500.0);
    CHECK(s.population_rates[1].where.key_path == "recordings.population_rates[1]");
}

// Without a recordings section the spikes of every population are written, nothing else.
TEST_CASE("recordings: defaults", "[description]") {
    const NetworkSpec s = parse_description(minimal_description, "d.yaml");
    CHECK(s.spike_recordings == std::vector<std::string>{"E"});
    CHECK(s.state_recordings.empty());
    CHECK(s.population_rates.empty());
}

// The four forms of docs/description.md, "State recordings", on E of 10 nodes.
TEST_CASE("recordings: node selections of state recordings", "[description]") {
    auto nodes = [](const std::string& n) {
        return parse_description(with_e_nodes(n), "model.yaml").state_recordings.at(0).nodes;
    };
    using ids = std::vector<std::uint32_t>;
    CHECK(nodes("[9, 0, 5]") == ids{0, 5, 9});
    CHECK(nodes("[3]") == ids{3});
    CHECK(nodes("all") == ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(nodes("{range: [2, 5]}") == ids{2, 3, 4});  // half-open, like Python's range
    CHECK(nodes("{range: [0, 10, 3]}") == ids{0, 3, 6, 9});
    CHECK(nodes("{range: [9, 10, 100]}") == ids{9});
    CHECK(nodes("{sample: 10, seed: 0}") == ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // the whole population
}

TEST_CASE("recordings: a sampled node selection is reproducible", "[description]") {
    const auto a = sampled("8", "7", "1000");
    // This pins the algorithm: Floyd's sampling without replacement on the Philox stream
    // (seed 7, purpose (sampling, 0)), id 0, sub 0, drawing with RandomStream::uniform_int.
    // If it changes, descriptions that sample nodes record other nodes than before.
    CHECK(a == std::vector<std::uint32_t>{65, 94, 182, 292, 341, 376, 562, 930});
    CHECK(sampled("8", "7", "1000") == a);        // same seed, same nodes
    CHECK(sampled("8", "7", "1000", "99") == a);  // whatever the simulation seed
    CHECK(sampled("8", "8", "1000") != a);        // another seed, other nodes
    const auto b = sampled("300", "1", "400");
    CHECK(b.size() == 300);
    CHECK(std::adjacent_find(b.begin(), b.end(), [](auto x, auto y) { return x >= y; }) == b.end());
    CHECK(b.back() < 400);
    CHECK(sampled("3", "5", "4000000000").size() == 3);  // no cost in the population size

    // Every node is equally likely: 5 of 10 nodes with 400 seeds, each node expected 200 times
    // (standard deviation 10).
    std::vector<int> count(10, 0);
    for (int seed = 0; seed < 400; ++seed)
        for (auto n : sampled("5", std::to_string(seed), "10")) ++count[n];
    for (int c : count) CHECK((c > 150 && c < 250));
}

// Defaults of docs/description.md, "Population rates": name <population>_rates, bin 25 ms,
// start 0, stop t_stop (1000 ms in small_description).
TEST_CASE("recordings: population rate defaults", "[description]") {
    const marked_text m = strip_markers(with_recordings("  population_rates:\n"
                                                        "    - @C_rates@{population: C, stop: 500 ms}\n"
                                                        "    - {name: late, population: C, bin: 0.5 ms, start: 0.9 s}\n"));
    const NetworkSpec s = parse_description(m.text, "model.yaml");
    REQUIRE(s.population_rates.size() == 2);
    CHECK(s.population_rates[0].name == "C_rates");
    CHECK(s.population_rates[0].bin_ms == 25.0);
    CHECK(s.population_rates[0].start_ms == 0.0);
    CHECK(s.population_rates[0].stop_ms == 500.0);
    check_where(s.population_rates[0].where, m.at("C_rates"), "recordings.population_rates[0]");
    CHECK(s.population_rates[1].name == "late");
    CHECK(s.population_rates[1].bin_ms == 0.5);
    CHECK(s.population_rates[1].start_ms == 900.0);
    CHECK(s.population_rates[1].stop_ms == 1000.0);
    check_round_trip(s);
}
