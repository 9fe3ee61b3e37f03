// The populations section (docs/description.md: "populations", "Models", "Distributions",
// "Integers, booleans, names"): models, sizes, parameters with their defaults, initial state,
// options, spike sources and SONATA spike files. Parameter defaults and names are those the
// models declare (docs/description.md, "Models"); error positions come from the "@@" markers
// of each case (tests/description_cases.hpp).
#include "description_cases.hpp"

#include <cstdint>
#include <fstream>
#include <limits>

#include "io/hdf5.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// `small_description` with `lines` added to population E (after its size).
std::string with_e_keys(const std::string& lines) {
    return replaced(small_description, "    size: 10\n", "    size: 10\n" + lines);
}

// `small_description` with population E's size written as `size`, marked.
std::string with_e_size(const std::string& size) { return replaced(small_description, "size: 10", "size: @@" + size); }

// population E with the initial value of V_m given as `value` (marked by the case).
std::string with_initial_v_m(const std::string& value) { return with_e_keys("    initial: {V_m: " + value + "}\n"); }

// A spike source of two nodes with the spike times `times` (a list of lists).
std::string with_spike_times(const std::string& times) {
    return "populations:\n  S: {model: spike_source, size: 2, spike_times: " + times + "}\n";
}

// A spike source reading `file` (relative to the description), population lgn.
std::string with_spike_file(const std::string& size, const std::string& file) {
    return "populations:\n  input:\n    model: spike_source\n    size: " + size + "\n    spike_file: {path: " + file +
           ", population: lgn}\n";
}

const std::string not_an_integer = " (not an integer; write integers as plain digits)";

std::vector<error_case> population_errors() {
    return {
        // Keys and models. The model lists follow the registry, which grows: "…" stands for the rest.
        {"unknown key", with_e_keys("    @@colour: red\n"), "populations.E.colour",
         "a key of a population (one of: model, size, parameters, initial, options, spike_times, spike_file)",
         "\"colour\""},
        {"no model", "populations:\n  E:\n    @@size: 10\n", "populations.E",
         "a \"model\" key (the neuron model, one of: iaf_psc_delta, …iaf_cond_exp, …spike_source…)", "keys size"},
        {"unknown model", replaced(small_description, "iaf_psc_delta", "@@iaf_psc_dleta"), "populations.E.model",
         "a model name (one of: iaf_psc_delta, …iaf_cond_exp, …spike_source…)",
         "\"iaf_psc_dleta\" (did you mean iaf_psc_delta?)"},
        {"not a mapping", "populations: @@3\n", "populations",
         "a mapping from population names to populations (at least one)", "\"3\""},
        {"a name that is not an HDF5-safe identifier", replaced(small_description, "  C:\n", "  @@2C:\n"),
         "populations.2C",
         "a population name of letters, digits and _, not starting with a digit (it names an HDF5 group)", "\"2C\""},
        {"a name given twice", replaced(small_description, "  C:\n", "  @@E:\n"), "populations.E",
         "each key once in a mapping",
         "\"E\" a second time (first at line " + std::to_string(line_of(small_description, "  E:\n")) + ")"},

        // Sizes: positive integers in plain digits.
        {"negative size", with_e_size("-5"), "populations.E.size", "a positive integer", "-5"},
        {"zero size", with_e_size("0"), "populations.E.size", "a positive integer", "0"},
        {"size in exponent notation", with_e_size("1e4"), "populations.E.size", "a positive integer",
         "\"1e4\"" + not_an_integer},
        {"fractional size", with_e_size("3.5"), "populations.E.size", "a positive integer", "\"3.5\"" + not_an_integer},
        {"size in words", with_e_size("ten"), "populations.E.size", "a positive integer", "\"ten\"" + not_an_integer},

        // Parameters, initial state and options of the model.
        {"parameter of the wrong dimension",
         replaced(small_description, "    size: 5\n", "    size: 5\n    parameters: {tau_syn_ex: @@2 pA}\n"),
         "populations.C.parameters.tau_syn_ex", "a time (e.g. \"1.5 ms\")", "\"2 pA\" (a current)"},
        {"unknown parameter", with_e_keys("    parameters: {@@tau: 20 ms}\n"), "populations.E.parameters.tau",
         "a parameter of iaf_psc_delta (one of: E_L, C_m, tau_m, t_ref, V_th, V_reset, I_e, V_min)",
         "\"tau\""},
        {"zero time constant", with_e_keys("    parameters: {tau_m: @@0 ms}\n"), "populations.E.parameters.tau_m",
         "a time above 0 ms", "0 ms"},
        {"negative refractory time", with_e_keys("    parameters: {t_ref: @@-1 ms}\n"),
         "populations.E.parameters.t_ref", "a time of at least 0 ms", "-1 ms"},
        {"the model's cross-parameter check, on the full set with defaults",
         with_e_keys("    parameters: @@{V_th: -80 mV}\n"), "populations.E.parameters", "V_reset below V_th",
         "V_th = -80 mV, V_reset = -70 mV"},
        {"a check that depends on dt (burst_poisson: t_burst_min of at least 2 steps of 0.1 ms)",
         "populations:\n  B:\n    model: burst_poisson\n    size: 1\n    parameters: @@{t_burst_min: 0.1 ms}\n",
         "populations.B.parameters", "t_burst_min of at least 2 time steps (dt)", "t_burst_min = 0.1 ms"},
        {"infinite threshold", with_e_keys("    parameters: {V_th: @@inf}\n"), "populations.E.parameters.V_th",
         "a finite voltage (e.g. \"-70 mV\")", "\"inf\""},
        {"unknown state variable", with_e_keys("    initial: {@@U_m: 1 mV}\n"), "populations.E.initial.U_m",
         "a state variable of iaf_psc_delta (one of: V_m)", "\"U_m\" (did you mean V_m?)"},
        {"option of a model without options", with_e_keys("    options: {@@solver: rk45}\n"),
         "populations.E.options.solver", "an option of iaf_psc_delta (there are none)", "\"solver\""},

        // Distributions (docs/description.md, "Distributions").
        {"unknown distribution", with_initial_v_m("{distribution: @@gamma, mean: 1 mV}"),
         "populations.E.initial.V_m.distribution", "a distribution (one of: constant, uniform, normal, lognormal)",
         "\"gamma\""},
        {"uniform with high = low", with_initial_v_m("{distribution: uniform, low: 1 mV, high: @@1 mV}"),
         "populations.E.initial.V_m.high", "high above low (1 mV)", "1 mV"},
        {"negative std", with_initial_v_m("{distribution: normal, mean: 1 mV, std: @@-1 mV}"),
         "populations.E.initial.V_m.std", "a standard deviation of at least 0 mV", "-1 mV"},
        {"lognormal with a negative mean", with_initial_v_m("{distribution: lognormal, mean: @@-1 mV, std: 1 mV}"),
         "populations.E.initial.V_m.mean", "a mean above 0 mV (the mean of the lognormal value itself)", "-1 mV"},
        {"max below min",
         with_initial_v_m("{distribution: normal, mean: 1 mV, std: 1 mV, min: 2 mV, max: @@1 mV}"),
         "populations.E.initial.V_m.max", "max at least min (2 mV)", "1 mV"},
        {"unknown distribution key", with_initial_v_m("{distribution: normal, mean: 1 mV, @@sd: 1 mV}"),
         "populations.E.initial.V_m.sd",
         "a key of a distribution (one of: distribution, value, low, high, mean, std, min, max)",
         "\"sd\""},
        {"bounds on a constant", with_initial_v_m("{distribution: constant, value: 1 mV, @@min: 0 mV}"),
         "populations.E.initial.V_m.min", "a key of a constant distribution (one of: distribution, value)",
         "\"min\""},
        {"distribution field of the wrong dimension",
         with_initial_v_m("{distribution: normal, mean: @@1 nS, std: 1 mV}"), "populations.E.initial.V_m.mean",
         "a voltage (e.g. \"-70 mV\")", "\"1 nS\" (a conductance)"},

        // Spike sources.
        {"a list of spike times per node", with_spike_times("@@[[1 ms], [2 ms], [3 ms]]"),
         "populations.S.spike_times", "one list of spike times per node (2 lists, the size of S)", "3 lists"},
        {"negative spike time", with_spike_times("[[1 ms], [@@-2 ms]]"), "populations.S.spike_times[1][0]",
         "a spike time of at least 0 ms", "-2 ms"},
        {"parameters of a spike source", "populations:\n  S: {model: spike_source, size: 2, @@parameters: {}}\n",
         "populations.S.parameters",
         "a key of a spike_source population (one of: model, size, spike_times, spike_file)",
         "\"parameters\" (spike_source neurons have no parameters and no state)"},
        {"missing spike file (relative to the folder of model.yaml)", with_spike_file("2", "@@missing.h5"),
         "populations.input.spike_file.path", "a readable SONATA spike file",
         "\"missing.h5\" (no such file)"},
    };
}

}  // namespace

TEST_CASE("bad input: populations", "[description][errors]") {
    check_error_case(GENERATE(from_range(population_errors())));
}

// Node 1 fires at 1 and 3 ms, node 0 at 2.5 ms (written unsorted, as files may be).
TEST_CASE("populations: spike sources read SONATA spike files relative to the description", "[description]") {
    const auto dir = scratch("description_spike_file");
    {
        auto f = h5::create_file(dir / "inputs.h5");
        auto spikes = h5::create_group(f.get(), "spikes");
        auto lgn = h5::create_group(spikes.get(), "lgn");
        auto ts = h5::create_chunked_1d(lgn.get(), "timestamps", H5T_IEEE_F64LE, 16);
        auto ids = h5::create_chunked_1d(lgn.get(), "node_ids", H5T_STD_U64LE, 16);
        const std::vector<double> t = {3.0, 1.0, 2.5};
        const std::vector<std::uint64_t> n = {1, 1, 0};
        h5::append(ts.get(), std::span<const double>(t));
        h5::append(ids.get(), std::span<const std::uint64_t>(n));
    }
    std::ofstream(dir / "model.yaml") << with_spike_file("2", "inputs.h5");
    const NetworkSpec s = load((dir / "model.yaml").string());
    CHECK(s.populations[0].spike_times_ms == std::vector<std::vector<double>>{{2.5}, {1.0, 3.0}});
    check_round_trip(s, "elsewhere/resolved.yaml");  // the resolved path is absolute

    // A population too small for the file's node ids.
    const marked_text small = strip_markers(with_spike_file("1", "@@inputs.h5"));
    const std::string path = (dir / "small.yaml").string();
    std::ofstream(path) << small.text;
    try {
        load(path);
        FAIL("no DescriptionError");
    } catch (const DescriptionError& e) {
        check_error(e, path, small.at(), "populations.input.spike_file.path",
                    "node ids below 1 (the size of population input)", "…node id 1 in…");
    }
}

// The values as written in the full description, in internal units (ms, mV, pA, nS, pF),
// and every other parameter at the model's default (docs/description.md, "Models").
TEST_CASE("populations: the full description", "[description]") {
    const marked_text& full = full_description();
    const NetworkSpec s = parse_description(full.text, "models/full.yaml");
    REQUIRE(s.populations.size() == 4);
    CHECK(s.populations[0].name == "E");  // document order = gid order
    CHECK(s.populations[1].name == "I");
    CHECK(s.populations[2].name == "C");
    CHECK(s.populations[3].name == "input");

    const PopulationSpec& E = population_of(s, "E");
    CHECK(model_name(E) == "iaf_psc_delta");
    CHECK(E.size == 80);
    check_where(E.where, full.at("population_E"), "populations.E");
    CHECK(E.parameters.size() == 8);  // every parameter, defaults filled in
    CHECK(E.parameters.at("tau_m") == 20.0);
    CHECK(E.parameters.at("V_th") == -50.0);
    CHECK(E.parameters.at("C_m") == 250.0);  // 0.25 nF
    CHECK(E.parameters.at("I_e") == 500.0);  // 0.5 nA
    CHECK(E.parameters.at("V_min") == -std::numeric_limits<double>::infinity());
    CHECK(E.parameters.at("E_L") == -70.0);  // default
    CHECK(E.parameters.at("t_ref") == 2.0);  // default
    REQUIRE(E.initial.count("V_m") == 1);
    const Distribution& vm = E.initial.at("V_m");
    CHECK(vm.kind == Distribution::Kind::normal);
    CHECK(vm.mean == -65.0);
    CHECK(vm.std == 5.0);
    CHECK(vm.min == -80.0);
    CHECK(vm.max == -50.0);

    const PopulationSpec& C = population_of(s, "C");
    CHECK(model_name(C) == "iaf_cond_exp");
    CHECK(C.parameters.at("g_L") == 10.0);
    CHECK(C.parameters.at("E_in") == -80.0);
    CHECK(C.parameters.at("E_ex") == 0.0);  // default
    CHECK(C.initial.at("V_m").kind == Distribution::Kind::uniform);
    CHECK(C.initial.at("V_m").low == -70.0);
    CHECK(C.initial.at("V_m").high == -60.0);
    CHECK(C.initial.at("g_ex").is_constant());
    CHECK(C.initial.at("g_ex").value == 1.0);
    CHECK(C.initial.at("g_in").value == 2.0);

    const PopulationSpec& input = population_of(s, "input");
    CHECK(model_name(input) == "spike_source");
    CHECK(input.parameters.empty());
    CHECK(input.spike_times_ms == std::vector<std::vector<double>>{{1.0, 5.5}, {2.0}});  // sorted; bare = ms
}

// The parameter defaults of iaf_psc_delta (docs/description.md, "Models").
TEST_CASE("populations: defaults", "[description]") {
    const NetworkSpec s = parse_description(minimal_description, "d.yaml");
    const PopulationSpec& E = s.populations.at(0);
    CHECK(E.parameters == std::map<std::string, double>{{"E_L", -70.0},
                                                        {"C_m", 250.0},
                                                        {"tau_m", 10.0},
                                                        {"t_ref", 2.0},
                                                        {"V_th", -55.0},
                                                        {"V_reset", -70.0},
                                                        {"I_e", 0.0},
                                                        {"V_min", -std::numeric_limits<double>::infinity()}});
    CHECK(E.initial.empty());  // the kernel takes V_m from E_L

    // A spike source without spike times is silent, and costs nothing however large.
    const NetworkSpec d = parse_description(
        "populations: {E: {model: iaf_cond_exp, size: 1}, S: {model: spike_source, size: 4000000000}}", "min.yaml");
    CHECK(d.populations[1].spike_times_ms.empty());
    check_round_trip(d, "min.yaml");
}
