// The description layer (io/description.hpp, io/units.hpp): units, every field of a full
// description landing in NetworkSpec, defaults, the resolved description, --set overrides,
// and one test per kind of bad input, each checking the exact file:line:column and key path
// (positions are 1-based, of the offending node in the inline YAML texts).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/description.hpp"
#include "io/hdf5.hpp"
#include "io/units.hpp"

#ifndef APICAL_TEST_TMP
#define APICAL_TEST_TMP "/tmp/apical_test"
#endif

using namespace apical;
namespace fs = std::filesystem;

namespace {

// The DescriptionError that parsing `yaml` (as "model.yaml") raises.
DescriptionError error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
    try {
        parse_description(yaml, "model.yaml", overrides);
    } catch (const DescriptionError& e) {
        return e;
    }
    FAIL("no DescriptionError for:\n" << yaml);
    throw std::logic_error("not reached");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh scratch directory for files.
fs::path scratch(const std::string& name) {
    fs::path d = fs::path(APICAL_TEST_TMP) / ("description_" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

const PopulationSpec& pop(const NetworkSpec& s, const std::string& name) {
    for (auto& p : s.populations)
        if (p.name == name) return p;
    FAIL("no population " << name);
    throw std::logic_error("not reached");
}

// A small valid description that the error tests modify.
const std::string small = R"(simulation:
  dt: 0.1 ms
populations:
  E:
    model: iaf_psc_delta
    size: 10
  C:
    model: iaf_cond_exp
    size: 5
projections:
  - {source: E, target: E, connectivity: {rule: pairwise_bernoulli, p: 0.1}, weight: 0.1 mV, delay: 1.5 ms}
  - {source: E, target: C, connectivity: {rule: all_to_all}, weight: 2 nS, delay: 1 ms, receptor: exc}
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// Every field of the description: populations, projections, stimuli, recordings.
const std::string full = R"(# every feature of the format
simulation:
  dt: 0.05 ms
  t_stop: 2 s
  seed: 4294967295
  threads: 4
  output: results/run1
  flush_interval: 1e-3 s
  spike_exchange: directed
  spike_classification: {rule: isi, threshold: 10 ms}
populations:
  E:
    model: iaf_psc_delta
    size: 80
    parameters: {tau_m: 20 ms, V_th: -50 mV, C_m: 0.25 nF, V_min: -inf mV, I_e: 0.5 nA}
    initial: {V_m: {distribution: normal, mean: -65 mV, std: 5 mV, min: -80 mV, max: -50 mV}}
  I:
    model: iaf_psc_delta
    size: 20
  C:
    model: iaf_cond_exp
    size: 20
    parameters: {g_L: 10 nS, E_in: -80 mV}
    initial:
      V_m: {distribution: uniform, low: -70 mV, high: -60 mV}
      g_ex: {distribution: constant, value: 1 nS}
      g_in: 2 nS
  input:
    model: spike_source
    size: 2
    spike_times: [[5.5 ms, 1 ms], [2.0]]
projections:
  - name: EE
    source: E
    target: E
    connectivity: {rule: fixed_indegree, indegree: 10, allow_autapses: false, allow_multapses: true}
    weight: 0.1 mV
    delay: 1.5 ms
  - source: I
    target: E
    connectivity: {rule: pairwise_bernoulli, p: 0.2}
    weight: {distribution: normal, mean: -0.5 mV, std: 0.1 mV}
    delay: {distribution: uniform, low: 1 ms, high: 2 ms}
  - name: EC
    source: E
    target: C
    connectivity: {rule: fixed_outdegree, outdegree: 5, allow_multapses: false}
    weight: {distribution: lognormal, mean: 2 nS, std: 1 nS}
    delay: {distribution: normal, mean: 1.5 ms, std: 0.5 ms, min: 0.05 ms}
    receptor: exc
  - {name: inC, source: input, target: C, connectivity: {rule: all_to_all}, weight: 1 uS, delay: 0.1 ms, receptor: inh}
  - {name: CC, source: C, target: C, connectivity: {rule: one_to_one}, weight: 5 nS, delay: 1 ms, receptor: exc}
  - {name: total, source: E, target: I, connectivity: {rule: fixed_total_number, N: 500}, weight: 0.2 mV, delay: 2 ms}
stimuli:
  - name: drive
    model: poisson_generator
    targets: [E, I]
    rate: 20 kHz
    weight: 0.1 mV
    delay: 1.5 ms
    start: 0 ms
    stop: 1 s
  - {name: bias, model: dc_current, target: C, amplitude: 0.5 nA, start: 10 ms, compartment: soma}
  - {name: steps, model: step_current, target: E, times: [100 ms, 200 ms], amplitudes: [50 pA, 0 pA]}
  - {name: cdrive, model: poisson_generator, target: C, rate: 8 Hz, weight: 2 nS, delay: 0.5 ms, receptor: exc}
  - {name: ou, model: noise_current, targets: [E, C], mean: 0.1 nA, std: 20 pA, tau: 5 ms, stop: 1 s}
recordings:
  spikes: [E, C]
  state:
    - {population: C, variables: [V_m, g_ex], nodes: [4, 0, 2]}
    - {name: range, population: E, variables: [V_m], nodes: {range: [10, 20, 4]}, interval: 1 ms,
       start: 100 ms, stop: 500 ms}
    - {name: sample, population: E, variables: [V_m], nodes: {sample: 5, seed: 42}}
    - {name: every, population: I, variables: [V_m], nodes: all, interval: 0.15 ms}
  population_rates:
    - {population: E}
    - {name: input_rates, population: input, bin: 10 ms, start: 1 s, stop: 1.5 s}
)";

void check_same(const Distribution& a, const Distribution& b) {
    CHECK(a.kind == b.kind);
    CHECK(a.value == b.value);
    CHECK(a.low == b.low);
    CHECK(a.high == b.high);
    CHECK(a.mean == b.mean);
    CHECK(a.std == b.std);
    CHECK(a.min == b.min);
    CHECK(a.max == b.max);
}

// Every value of two specs (not the source positions, which differ between two texts).
void check_same(const NetworkSpec& a, const NetworkSpec& b) {
    CHECK(a.simulation.dt_ms == b.simulation.dt_ms);
    CHECK(a.simulation.t_stop_ms == b.simulation.t_stop_ms);
    CHECK(a.simulation.seed == b.simulation.seed);
    CHECK(a.simulation.threads == b.simulation.threads);
    CHECK(a.simulation.output_dir == b.simulation.output_dir);
    CHECK(a.simulation.flush_interval_ms == b.simulation.flush_interval_ms);
    REQUIRE(a.populations.size() == b.populations.size());
    for (std::size_t i = 0; i < a.populations.size(); ++i) {
        const auto &p = a.populations[i], &r = b.populations[i];
        INFO("population " << p.name);
        CHECK(p.name == r.name);
        CHECK(p.model == r.model);
        CHECK(p.size == r.size);
        CHECK(p.parameters == r.parameters);
        CHECK(p.options == r.options);
        CHECK(p.spike_times_ms == r.spike_times_ms);
        REQUIRE(p.initial.size() == r.initial.size());
        for (auto& [k, v] : p.initial) {
            REQUIRE(r.initial.count(k) == 1);
            check_same(v, r.initial.at(k));
        }
    }
    REQUIRE(a.projections.size() == b.projections.size());
    for (std::size_t i = 0; i < a.projections.size(); ++i) {
        const auto &p = a.projections[i], &r = b.projections[i];
        INFO("projection " << p.name);
        CHECK(p.name == r.name);
        CHECK(p.source == r.source);
        CHECK(p.target == r.target);
        CHECK(p.rule == r.rule);
        CHECK(p.p == r.p);
        CHECK(p.degree == r.degree);
        CHECK(p.allow_autapses == r.allow_autapses);
        CHECK(p.allow_multapses == r.allow_multapses);
        check_same(p.weight, r.weight);
        check_same(p.delay, r.delay);
        CHECK(p.receptor == r.receptor);
    }
    REQUIRE(a.stimuli.size() == b.stimuli.size());
    for (std::size_t i = 0; i < a.stimuli.size(); ++i) {
        const auto &s = a.stimuli[i], &r = b.stimuli[i];
        INFO("stimulus " << s.name);
        CHECK(s.name == r.name);
        CHECK(s.kind == r.kind);
        CHECK(s.targets == r.targets);
        CHECK(s.start_ms == r.start_ms);
        CHECK(s.stop_ms == r.stop_ms);
        CHECK(s.rate_hz == r.rate_hz);
        CHECK(s.weight == r.weight);
        CHECK(s.delay_ms == r.delay_ms);
        CHECK(s.receptors == r.receptors);
        CHECK(s.amplitude_pA == r.amplitude_pA);
        CHECK(s.times_ms == r.times_ms);
        CHECK(s.amplitudes_pA == r.amplitudes_pA);
        CHECK(s.compartments == r.compartments);
        CHECK(s.mean_pA == r.mean_pA);
        CHECK(s.std_pA == r.std_pA);
        CHECK(s.tau_ms == r.tau_ms);
    }
    CHECK(a.spike_recordings == b.spike_recordings);
    CHECK(a.simulation.spike_exchange == b.simulation.spike_exchange);
    CHECK(a.simulation.spike_classification.rule == b.simulation.spike_classification.rule);
    CHECK(a.simulation.spike_classification.threshold_ms == b.simulation.spike_classification.threshold_ms);
    REQUIRE(a.state_recordings.size() == b.state_recordings.size());
    for (std::size_t i = 0; i < a.state_recordings.size(); ++i) {
        const auto &r = a.state_recordings[i], &o = b.state_recordings[i];
        INFO("state recording " << r.name);
        CHECK(r.name == o.name);
        CHECK(r.population == o.population);
        CHECK(r.variables == o.variables);
        CHECK(r.nodes == o.nodes);
        CHECK(r.interval_ms == o.interval_ms);
        CHECK(r.start_ms == o.start_ms);
        CHECK(r.stop_ms == o.stop_ms);
    }
    REQUIRE(a.population_rates.size() == b.population_rates.size());
    for (std::size_t i = 0; i < a.population_rates.size(); ++i) {
        const auto &r = a.population_rates[i], &o = b.population_rates[i];
        INFO("population rate " << r.name);
        CHECK(r.name == o.name);
        CHECK(r.population == o.population);
        CHECK(r.bin_ms == o.bin_ms);
        CHECK(r.start_ms == o.start_ms);
        CHECK(r.stop_ms == o.stop_ms);
    }
}

// The exact message of a located error.
void check_error(const DescriptionError& e, const std::string& file, int line, int column,
                 const std::string& key_path) {
    INFO(e.what());
    CHECK(e.file() == file);
    CHECK(e.line() == line);
    CHECK(e.column() == column);
    CHECK(e.key_path() == key_path);
    const std::string where =
        line > 0 ? file + ":" + std::to_string(line) + ":" + std::to_string(column) : file;
    CHECK(std::string(e.what()).rfind(where + ": " + (key_path.empty() ? "" : key_path + ": ") + "expected ",
                                      0) == 0);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Units

TEST_CASE("quantities convert to internal units", "[description][units]") {
    CHECK(parse_quantity("1.5 ms", Dimension::time) == 1.5);
    CHECK(parse_quantity("-70mV", Dimension::voltage) == -70.0);
    CHECK(parse_quantity("250 pF", Dimension::capacitance) == 250.0);
    CHECK(parse_quantity("6 nS", Dimension::conductance) == 6.0);
    CHECK(parse_quantity("20 kHz", Dimension::frequency) == 20000.0);
    CHECK(parse_quantity("0.5 nA", Dimension::current) == 500.0);
    CHECK(parse_quantity("1e-3 s", Dimension::time) == 1.0);
    CHECK(parse_quantity("10 uS", Dimension::conductance) == 10000.0);
    CHECK(parse_quantity("10 \xCE\xBCS", Dimension::conductance) == 10000.0);  // Greek mu
    CHECK(parse_quantity("10 \xC2\xB5S", Dimension::conductance) == 10000.0);  // micro sign
    CHECK(parse_quantity("2 V", Dimension::voltage) == 2000.0);
    CHECK(parse_quantity("3 uV", Dimension::voltage) == 0.003);
    CHECK(parse_quantity("1 A", Dimension::current) == 1e12);
    CHECK(parse_quantity("2 mA", Dimension::current) == 2e9);
    CHECK(parse_quantity("1 uA", Dimension::current) == 1e6);
    CHECK(parse_quantity("4 pA", Dimension::current) == 4.0);
    CHECK(parse_quantity("1 S", Dimension::conductance) == 1e9);
    CHECK(parse_quantity("1 mS", Dimension::conductance) == 1e6);
    CHECK(parse_quantity("500 pS", Dimension::conductance) == 0.5);
    CHECK(parse_quantity("1 F", Dimension::capacitance) == 1e12);
    CHECK(parse_quantity("1 uF", Dimension::capacitance) == 1e6);
    CHECK(parse_quantity("0.2 nF", Dimension::capacitance) == 200.0);
    CHECK(parse_quantity("8 Hz", Dimension::frequency) == 8.0);
    CHECK(parse_quantity("1.5 MHz", Dimension::frequency) == 1.5e6);
    CHECK(parse_quantity("0.1 us", Dimension::time) == 1e-4);   // exact decimal scaling
    CHECK(parse_quantity("  +42  ", Dimension::time) == 42.0);  // bare number: internal unit
    CHECK(parse_quantity(".5", Dimension::dimensionless) == 0.5);
    CHECK(parse_quantity("2.5E+2 ms", Dimension::time) == 250.0);
    CHECK(parse_quantity("-inf mV", Dimension::voltage, true) == -std::numeric_limits<double>::infinity());
    CHECK(parse_quantity("-.inf", Dimension::voltage, true) == -std::numeric_limits<double>::infinity());

    auto error = [](const std::string& text, Dimension d) {
        try {
            parse_quantity(text, d);
        } catch (const QuantityError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error("5 ms", Dimension::voltage) ==
          "expected a voltage (e.g. \"-70 mV\"), found \"5 ms\" (a time)");
    CHECK(error("20 Hz", Dimension::dimensionless) ==
          "expected a number (e.g. \"0.5\"), found \"20 Hz\" (a frequency)");
    CHECK(error("5 furlongs", Dimension::time) ==
          "expected a time (e.g. \"1.5 ms\"); units of a time: s, ms, us, found \"5 furlongs\" (unknown unit "
          "\"furlongs\")");
    CHECK(error("5 ms later", Dimension::time) ==
          "expected a time (e.g. \"1.5 ms\"), found \"5 ms later\" (not a number with a unit)");
    CHECK(error("1.5.3", Dimension::time) ==
          "expected a time (e.g. \"1.5 ms\"), found \"1.5.3\" (not a number with a unit)");
    CHECK(error("abc", Dimension::time) == "expected a time (e.g. \"1.5 ms\"), found \"abc\" (not a number)");
    CHECK(error("", Dimension::time) == "expected a time (e.g. \"1.5 ms\"), found nothing");
    CHECK(error("nan", Dimension::voltage) ==
          "expected a voltage (e.g. \"-70 mV\"), found \"nan\" (not a number)");
    CHECK(error("-inf mV", Dimension::voltage) ==
          "expected a finite voltage (e.g. \"-70 mV\"), found \"-inf mV\"");
    CHECK(error("1e999 ms", Dimension::time) ==
          "expected a finite time (e.g. \"1.5 ms\"), found \"1e999 ms\" (out of the range of double "
          "precision)");
}

TEST_CASE("formatted quantities read back exactly", "[description][units]") {
    CHECK(format_quantity(20, Dimension::time) == "20 ms");
    CHECK(format_quantity(-70, Dimension::voltage) == "-70 mV");
    CHECK(format_quantity(0.5, Dimension::dimensionless) == "0.5");
    CHECK(format_quantity(-std::numeric_limits<double>::infinity(), Dimension::voltage) == "-inf mV");
    for (double v : {0.1, 1.0 / 3.0, 1e-300, 6.02214076e23, -0.0, 16.6667, 3 * 0.1}) {
        INFO(v);
        CHECK(parse_quantity(format_quantity(v, Dimension::conductance), Dimension::conductance) == v);
    }
    CHECK(parse_quantity(format_quantity(-std::numeric_limits<double>::infinity(), Dimension::voltage),
                         Dimension::voltage, true) == -std::numeric_limits<double>::infinity());
}

// ---------------------------------------------------------------------------------------
// Valid descriptions

TEST_CASE("a full description lands in NetworkSpec in internal units", "[description]") {
    const NetworkSpec s = parse_description(full, "models/full.yaml");
    CHECK(s.file == "models/full.yaml");
    CHECK(s.warnings.empty());
    CHECK(s.simulation.dt_ms == 0.05);
    CHECK(s.simulation.t_stop_ms == 2000.0);
    CHECK(s.simulation.seed == 4294967295u);
    CHECK(s.simulation.threads == 4);
    CHECK(s.simulation.output_dir == "results/run1");
    CHECK(s.simulation.output_where.line == 7);
    CHECK(s.simulation.output_where.column == 11);
    CHECK(s.simulation.flush_interval_ms == 1.0);  // "1e-3 s"

    REQUIRE(s.populations.size() == 4);
    CHECK(s.populations[0].name == "E");  // document order = gid order
    CHECK(s.populations[1].name == "I");
    CHECK(s.populations[2].name == "C");
    CHECK(s.populations[3].name == "input");

    const PopulationSpec& E = pop(s, "E");
    CHECK(E.model == "iaf_psc_delta");
    CHECK(E.size == 80);
    CHECK(E.where.line == 13);
    CHECK(E.where.key_path == "populations.E");
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

    const PopulationSpec& C = pop(s, "C");
    CHECK(C.model == "iaf_cond_exp");
    CHECK(C.parameters.at("g_L") == 10.0);
    CHECK(C.parameters.at("E_in") == -80.0);
    CHECK(C.parameters.at("E_ex") == 0.0);
    CHECK(C.initial.at("V_m").kind == Distribution::Kind::uniform);
    CHECK(C.initial.at("V_m").low == -70.0);
    CHECK(C.initial.at("V_m").high == -60.0);
    CHECK(C.initial.at("g_ex").is_constant());
    CHECK(C.initial.at("g_ex").value == 1.0);
    CHECK(C.initial.at("g_in").value == 2.0);

    const PopulationSpec& input = pop(s, "input");
    CHECK(input.model == "spike_source");
    CHECK(input.parameters.empty());
    CHECK(input.spike_times_ms == std::vector<std::vector<double>>{{1.0, 5.5}, {2.0}});  // sorted; bare = ms

    REQUIRE(s.projections.size() == 6);
    const ProjectionSpec& ee = s.projections[0];
    CHECK(ee.name == "EE");
    CHECK(ee.source == "E");
    CHECK(ee.target == "E");
    CHECK(ee.rule == ConnectionRule::fixed_indegree);
    CHECK(ee.degree == 10);
    CHECK_FALSE(ee.allow_autapses);
    CHECK(ee.allow_multapses);
    CHECK(ee.weight.is_constant());
    CHECK(ee.weight.value == 0.1);
    CHECK(ee.delay.value == 1.5);
    CHECK(ee.receptor == -1);  // route by sign
    CHECK(ee.where.line == 33);
    CHECK(ee.where.column == 5);
    CHECK(ee.where.key_path == "projections[0]");

    const ProjectionSpec& ie = s.projections[1];
    CHECK(ie.name == "I->E");
    CHECK(ie.rule == ConnectionRule::pairwise_bernoulli);
    CHECK(ie.p == 0.2);
    CHECK(ie.allow_autapses);
    CHECK(ie.weight.kind == Distribution::Kind::normal);
    CHECK(ie.weight.mean == -0.5);
    CHECK(ie.weight.std == 0.1);
    CHECK_FALSE(ie.weight.min.has_value());
    CHECK(ie.delay.kind == Distribution::Kind::uniform);
    CHECK(ie.delay.low == 1.0);
    CHECK(ie.delay.high == 2.0);

    const ProjectionSpec& ec = s.projections[2];
    CHECK(ec.rule == ConnectionRule::fixed_outdegree);
    CHECK(ec.degree == 5);
    CHECK_FALSE(ec.allow_multapses);
    CHECK(ec.weight.kind == Distribution::Kind::lognormal);
    CHECK(ec.weight.mean == 2.0);
    CHECK(ec.delay.min == 0.05);
    CHECK(ec.receptor == 0);  // exc

    CHECK(s.projections[3].rule == ConnectionRule::all_to_all);
    CHECK(s.projections[3].weight.value == 1000.0);  // 1 uS in nS
    CHECK(s.projections[3].receptor == 1);  // inh
    CHECK(s.projections[4].rule == ConnectionRule::one_to_one);
    CHECK(s.projections[5].rule == ConnectionRule::fixed_total_number);
    CHECK(s.projections[5].degree == 500);

    REQUIRE(s.stimuli.size() == 5);
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
    CHECK(s.stimuli[2].compartments.empty());  // none named: the soma
    const StimulusSpec& steps = s.stimuli[2];
    CHECK(steps.kind == StimulusSpec::Kind::step_current);
    CHECK(steps.times_ms == std::vector<double>{100.0, 200.0});
    CHECK(steps.amplitudes_pA == std::vector<double>{50.0, 0.0});
    CHECK(s.stimuli[3].receptors == std::vector<int>{0});  // exc
    CHECK(s.stimuli[3].weight == 2.0);
    CHECK(s.stimuli[3].rate_hz == 8.0);

    CHECK(s.spike_recordings == std::vector<std::string>{"E", "C"});

    CHECK(s.simulation.spike_exchange == SpikeExchange::directed);
    CHECK(s.simulation.spike_classification.rule == ClassificationRule::isi);
    CHECK(s.simulation.spike_classification.threshold_ms == 10.0);
    CHECK(s.simulation.spike_classification.where.line == 10);
    CHECK(s.simulation.spike_classification.where.key_path == "simulation.spike_classification");

    const StimulusSpec& ou = s.stimuli[4];
    CHECK(ou.kind == StimulusSpec::Kind::noise_current);
    CHECK(ou.targets == std::vector<std::string>{"E", "C"});
    CHECK(ou.mean_pA == 100.0);  // 0.1 nA
    CHECK(ou.std_pA == 20.0);
    CHECK(ou.tau_ms == 5.0);
    CHECK(ou.start_ms == 0.0);
    CHECK(ou.stop_ms == 1000.0);
    CHECK(ou.compartments.empty());

    REQUIRE(s.state_recordings.size() == 4);
    const StateRecordingSpec& cs = s.state_recordings[0];
    CHECK(cs.name == "C_state");  // default
    CHECK(cs.population == "C");
    CHECK(cs.variables == std::vector<int>{0, 1});  // V_m, g_ex
    CHECK(cs.nodes == std::vector<std::uint32_t>{0, 2, 4});  // sorted
    CHECK(cs.interval_ms == 0.05);                           // default: dt
    CHECK(cs.start_ms == 0.0);
    CHECK(cs.stop_ms == 2000.0);  // default: t_stop
    CHECK(cs.where.line == 70);
    CHECK(cs.where.column == 7);
    CHECK(cs.where.key_path == "recordings.state[0]");
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

TEST_CASE("defaults are filled in", "[description]") {
    const NetworkSpec s = parse_description(R"(
populations:
  E: {model: iaf_psc_delta, size: 3}
projections:
  - {source: E, target: E, connectivity: {rule: all_to_all}, weight: -0.2, delay: 1}
stimuli:
  - {model: dc_current, target: E, amplitude: 20}
)",
                                            "d.yaml");
    CHECK(s.simulation.dt_ms == 0.1);
    CHECK(s.simulation.t_stop_ms == 1000.0);
    CHECK(s.simulation.seed == 12345u);
    CHECK(s.simulation.threads == 1);
    CHECK(s.simulation.output_dir == "out");
    CHECK(s.simulation.output_where.line == 0);
    CHECK(s.simulation.output_where.key_path == "simulation.output");
    CHECK(s.simulation.flush_interval_ms == 1000.0);
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
    const ProjectionSpec& p = s.projections.at(0);
    CHECK(p.name == "E->E");
    CHECK(p.allow_autapses);
    CHECK(p.allow_multapses);
    CHECK(p.weight.value == -0.2);  // bare numbers: mV, ms
    CHECK(p.delay.value == 1.0);
    CHECK(p.receptor == -1);
    const StimulusSpec& st = s.stimuli.at(0);
    CHECK(st.name == "dc_current_0");
    CHECK(st.amplitude_pA == 20.0);
    CHECK(st.start_ms == 0.0);
    CHECK(st.stop_ms == 1e300);
    CHECK(s.spike_recordings == std::vector<std::string>{"E"});  // all populations
}

TEST_CASE("the resolved description re-parses to the same spec", "[description]") {
    const NetworkSpec s = parse_description(full, "models/full.yaml");
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "tau_m: 20 ms"));
    CHECK(contains(s.resolved_yaml, "E_L: -70 mV"));  // defaults written out
    CHECK(contains(s.resolved_yaml, "V_min: -inf mV"));
    CHECK(contains(s.resolved_yaml, "rate: 20000 Hz"));
    CHECK(contains(s.resolved_yaml, "flush_interval: 1 ms"));
    const NetworkSpec again = parse_description(s.resolved_yaml, "resolved.yaml");
    check_same(s, again);
    CHECK(again.resolved_yaml.substr(again.resolved_yaml.find('\n')) ==
          s.resolved_yaml.substr(s.resolved_yaml.find('\n')));  // the same but for the header comment

    const NetworkSpec d = parse_description(
        "populations: {E: {model: iaf_cond_exp, size: 1}, S: {model: spike_source, size: 4000000000}}",
        "min.yaml");
    CHECK(d.populations[1].spike_times_ms.empty());  // a silent source costs nothing
    check_same(d, parse_description(d.resolved_yaml, "min.yaml"));
}

TEST_CASE("overrides (--set) replace values before validation", "[description][set]") {
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
    const NetworkSpec s = parse_description(
        brunel, "brunel.yaml",
        {"simulation.t_stop=200 ms", "populations.E.size=100", "projections.EE.weight=0.2 mV",
         "projections[1].weight = -1 mV", "projections.EE.connectivity.rule=pairwise_bernoulli",
         "projections.EE.connectivity={rule: pairwise_bernoulli, p: 0.5}",
         "populations.E.parameters.tau_m=5 ms", "populations.I.initial.V_m=3 mV", "stimuli.drive.rate=8 kHz",
         "simulation.seed=7", "simulation.output=/tmp/x y", "recordings.spikes=[I]"});
    CHECK(s.simulation.t_stop_ms == 200.0);
    CHECK(s.simulation.seed == 7u);
    CHECK(s.simulation.output_dir == "/tmp/x y");
    CHECK(s.simulation.output_where.line == 0);  // given on the command line
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
    CHECK(parse_description(brunel, "b.yaml", {"projections.I->E.delay=2 ms"}).projections[1].delay.value ==
          2.0);
    // A wrong value given with --set is located at "--set".
    const auto e = error_of(brunel, {"simulation.t_stop=5 mV"});
    check_error(e, "--set", 0, 0, "simulation.t_stop");
    CHECK(std::string(e.what()) ==
          "--set: simulation.t_stop: expected a time (e.g. \"1.5 ms\"), found \"5 mV\" (a voltage)");
    // So is an unknown key that --set adds.
    const auto k = error_of(brunel, {"simulation.tstop=5 ms"});
    check_error(k, "--set", 0, 0, "simulation.tstop");
    CHECK(contains(k.expected(), "t_stop"));
}

TEST_CASE("a constant delay off the step grid is rounded with a warning", "[description]") {
    const NetworkSpec s = parse_description(replaced(small, "delay: 1.5 ms", "delay: 1.52 ms"), "model.yaml");
    CHECK(s.projections[0].delay.value == 1.5);
    REQUIRE(s.warnings.size() == 1);
    CHECK(s.warnings[0] ==
          "model.yaml:11:101: projections[0].delay: 1.52 ms is not a multiple of dt (0.1 ms); rounded to 1.5 "
          "ms");
    CHECK(parse_description(small, "model.yaml").warnings.empty());
}

TEST_CASE("spike sources read SONATA spike files relative to the description", "[description]") {
    const fs::path dir = scratch("spike_file");
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
    const std::string yaml = R"(populations:
  input:
    model: spike_source
    size: 2
    spike_file: {path: inputs.h5, population: lgn}
)";
    std::ofstream(dir / "model.yaml") << yaml;
    const NetworkSpec s = load((dir / "model.yaml").string());
    CHECK(s.populations[0].spike_times_ms == std::vector<std::vector<double>>{{2.5}, {1.0, 3.0}});
    check_same(s, parse_description(s.resolved_yaml, "elsewhere/resolved.yaml"));  // absolute path

    std::ofstream(dir / "small.yaml") << replaced(yaml, "size: 2", "size: 1");
    const auto e = [&] {
        try {
            load((dir / "small.yaml").string());
        } catch (const DescriptionError& e) {
            return e;
        }
        FAIL("no error");
        throw std::logic_error("not reached");
    }();
    check_error(e, (dir / "small.yaml").string(), 5, 24, "populations.input.spike_file.path");
    CHECK(e.expected() == "node ids below 1 (the size of population input)");
    CHECK(contains(e.found(), "node id 1 in"));

    const auto m = error_of(replaced(yaml, "inputs.h5", "missing.h5"));
    check_error(m, "model.yaml", 5, 24, "populations.input.spike_file.path");
    CHECK(contains(m.found(), "missing.h5\" (no such file)"));
}

// ---------------------------------------------------------------------------------------
// Bad input: one test per kind, each with its exact position and key path

TEST_CASE("bad input: malformed YAML", "[description][errors]") {
    const auto e = error_of("populations:\n  E: {model: iaf_psc_delta, size: 10\n");
    check_error(e, "model.yaml", 3, 1, "");
    CHECK(std::string(e.what()) ==
          "model.yaml:3:1: expected well-formed YAML, found a syntax error (end of map flow not found)");
    check_error(error_of("populations:\n  E:\n    model: a\n   size: 3\n"), "model.yaml", 4, 4, "");
}

TEST_CASE("bad input: unknown key lists the valid keys", "[description][errors]") {
    const auto e = error_of(replaced(small, "    size: 10\n", "    size: 10\n    colour: red\n"));
    check_error(e, "model.yaml", 7, 5, "populations.E.colour");
    CHECK(std::string(e.what()) ==
          "model.yaml:7:5: populations.E.colour: expected a key of a population (one of: "
          "model, size, parameters, initial, options, spike_times, spike_file), found \"colour\"");
    const auto t = error_of(small + "recording: {spikes: all}\n");
    check_error(t, "model.yaml", 13, 1, "recording");
    CHECK(t.expected() ==
          "a top-level key (one of: simulation, populations, projections, stimuli, recordings)");
    CHECK(t.found() == "\"recording\" (did you mean recordings?)");
    const auto c = error_of(replaced(small, "p: 0.1}", "p: 0.1, indegree: 3}"));
    check_error(c, "model.yaml", 11, 77, "projections[0].connectivity.indegree");
    CHECK(c.expected() ==
          "a key of pairwise_bernoulli connectivity (one of: rule, p, allow_autapses, allow_multapses)");
}

TEST_CASE("bad input: missing required key", "[description][errors]") {
    const auto e = error_of("populations:\n  E:\n    size: 10\n");
    check_error(e, "model.yaml", 3, 5, "populations.E");
    // The registry's list of models (which grows) between these parts.
    CHECK(std::string(e.what()).rfind(
              "model.yaml:3:5: populations.E: expected a \"model\" key (the neuron model, one of: ", 0) == 0);
    CHECK(contains(e.expected(), "iaf_psc_delta"));
    CHECK(contains(e.expected(), "iaf_cond_exp"));
    CHECK(contains(e.expected(), "spike_source"));
    CHECK(e.found() == "keys size");
    const auto d = error_of(replaced(small, ", delay: 1.5 ms}", "}"));
    check_error(d, "model.yaml", 11, 5, "projections[0]");
    CHECK(contains(d.expected(), "\"delay\" key"));
    check_error(error_of("simulation: {dt: 0.1 ms}\n"), "model.yaml", 1, 1, "");
    const auto empty = error_of("# nothing yet\n");
    check_error(empty, "model.yaml", 0, 0, "");
    CHECK(std::string(empty.what()) ==
          "model.yaml: expected a description (a mapping with a populations key), found an empty document");
}

TEST_CASE("bad input: wrong unit dimension", "[description][errors]") {
    const auto e = error_of(replaced(small, "dt: 0.1 ms", "dt: 0.1 mV"));
    check_error(e, "model.yaml", 2, 7, "simulation.dt");
    CHECK(std::string(e.what()) ==
          "model.yaml:2:7: simulation.dt: expected a time (e.g. \"1.5 ms\"), found \"0.1 mV\" (a voltage)");
    const auto w = error_of(replaced(small, "weight: 2 nS", "weight: 2 mV"));
    check_error(w, "model.yaml", 12, 70, "projections[1].weight");
    CHECK(w.expected() == "a conductance (e.g. \"10 nS\")");
    const auto p =
        error_of(replaced(small, "    size: 5\n", "    size: 5\n    parameters: {tau_syn_ex: 2 pA}\n"));
    check_error(p, "model.yaml", 10, 30, "populations.C.parameters.tau_syn_ex");
}

TEST_CASE("bad input: negative and zero population size", "[description][errors]") {
    for (const char* size : {"-5", "0"}) {
        const auto e = error_of(replaced(small, "size: 10", std::string("size: ") + size));
        check_error(e, "model.yaml", 6, 11, "populations.E.size");
        CHECK(std::string(e.what()) ==
              std::string("model.yaml:6:11: populations.E.size: expected a positive integer, found ") + size);
    }
}

TEST_CASE("bad input: non-integer size", "[description][errors]") {
    for (const char* size : {"1e4", "3.5", "ten"}) {
        const auto e = error_of(replaced(small, "size: 10", std::string("size: ") + size));
        check_error(e, "model.yaml", 6, 11, "populations.E.size");
        CHECK(e.expected() == "a positive integer");
        CHECK(e.found() == "\"" + std::string(size) + "\" (not an integer; write integers as plain digits)");
    }
}

TEST_CASE("bad input: probability above 1", "[description][errors]") {
    const auto e = error_of(replaced(small, "p: 0.1", "p: 1.5"));
    check_error(e, "model.yaml", 11, 72, "projections[0].connectivity.p");
    CHECK(std::string(e.what()) ==
          "model.yaml:11:72: projections[0].connectivity.p: expected a probability in [0, 1], found 1.5");
}

TEST_CASE("bad input: delay below dt", "[description][errors]") {
    const auto e = error_of(replaced(small, "delay: 1.5 ms", "delay: 0.05 ms"));
    check_error(e, "model.yaml", 11, 101, "projections[0].delay");
    CHECK(std::string(e.what()) ==
          "model.yaml:11:101: projections[0].delay: expected a delay of at least dt (0.1 ms), found 0.05 ms");
    const auto d = error_of(
        replaced(small, "delay: 1.5 ms", "delay: {distribution: normal, mean: 1.5 ms, std: 0.5 ms}"));
    check_error(d, "model.yaml", 11, 101, "projections[0].delay");
    CHECK(d.expected() == "a delay of at least dt (0.1 ms) for every draw: add min: 0.1 ms");
    CHECK(d.found() == "a normal distribution (mean 1.5 ms, std 0.5 ms) without min");
    const auto s = error_of(replaced(small, "  - {source: E, target: C",
                                     "  - {source: E, target: C, connectivity: {rule: all_to_all}, weight: 2 "
                                     "nS, delay: 0 ms, receptor: exc}\n  - {source: E, target: C"));
    check_error(s, "model.yaml", 12, 83, "projections[1].delay");
}

TEST_CASE("bad input: unknown model name lists the valid names", "[description][errors]") {
    const auto e = error_of(replaced(small, "iaf_psc_delta", "iaf_psc_dleta"));
    check_error(e, "model.yaml", 5, 12, "populations.E.model");
    CHECK(std::string(e.what()).rfind("model.yaml:5:12: populations.E.model: expected a model name (one of: ",
                                      0) == 0);
    CHECK(contains(e.expected(), "iaf_psc_delta"));
    CHECK(contains(e.expected(), "iaf_cond_exp"));
    CHECK(contains(e.expected(), "spike_source"));
    CHECK(e.found() == "\"iaf_psc_dleta\" (did you mean iaf_psc_delta?)");
}

TEST_CASE("bad input: missing file", "[description][errors]") {
    const fs::path dir = scratch("missing_file");
    const std::string path = (dir / "nope.yaml").string();
    try {
        load(path);
        FAIL("no error");
    } catch (const DescriptionError& e) {
        check_error(e, path, 0, 0, "");
        CHECK(std::string(e.what()) == path + ": expected a readable description file, found no such file");
    }
    try {
        load(dir.string());
        FAIL("no error");
    } catch (const DescriptionError& e) {
        CHECK(e.found() == "a directory");
    }
}

TEST_CASE("bad input: unknown population in a projection", "[description][errors]") {
    const auto e = error_of(replaced(small, "target: C", "target: X"));
    check_error(e, "model.yaml", 12, 25, "projections[1].target");
    CHECK(std::string(e.what()) ==
          "model.yaml:12:25: projections[1].target: expected a population name (one of: E, C), found \"X\"");
    check_error(error_of(small + "stimuli: [{model: dc_current, targets: [E, Q], amplitude: 1 pA}]\n"),
                "model.yaml", 13, 44, "stimuli[0].targets[1]");
    check_error(error_of(small + "recordings: {spikes: [E, e]}\n"), "model.yaml", 13, 26,
                "recordings.spikes[1]");
}

TEST_CASE("bad input: unknown receptor", "[description][errors]") {
    const auto e = error_of(replaced(small, "receptor: exc", "receptor: ampa"));
    check_error(e, "model.yaml", 12, 99, "projections[1].receptor");
    CHECK(std::string(e.what()) ==
          "model.yaml:12:99: projections[1].receptor: expected a receptor of iaf_cond_exp, "
          "the model of population C (one of: exc, inh), found \"ampa\"");
    // iaf_cond_exp does not route by sign: a receptor must be named.
    const auto m = error_of(replaced(small, ", receptor: exc}", "}"));
    check_error(m, "model.yaml", 12, 5, "projections[1]");
    CHECK(std::string(m.what()) ==
          "model.yaml:12:5: projections[1]: expected a \"receptor\" key (iaf_cond_exp, the "
          "model of population C, needs one named: exc or inh), found keys source, target, "
          "connectivity, weight, delay");
}

TEST_CASE("bad input: negative weight onto a conductance receptor", "[description][errors]") {
    const auto e = error_of(replaced(small, "weight: 2 nS", "weight: -2 nS"));
    check_error(e, "model.yaml", 12, 70, "projections[1].weight");
    CHECK(std::string(e.what()) ==
          "model.yaml:12:70: projections[1].weight: expected a non-negative weight (receptor exc of "
          "iaf_cond_exp "
          "takes only weights >= 0 nS), found -2 nS");
    const auto d =
        error_of(replaced(small, "weight: 2 nS", "weight: {distribution: normal, mean: 2 nS, std: 1 nS}"));
    check_error(d, "model.yaml", 12, 70, "projections[1].weight");
    CHECK(d.expected() ==
          "a weight distribution that never draws below 0 nS (receptor exc of iaf_cond_exp takes "
          "only weights >= 0 nS): add min: 0 nS");
    CHECK(d.found() == "a normal distribution (mean 2 nS, std 1 nS) without min");
    // Clipped at 0, or a uniform distribution above 0: fine.
    parse_description(
        replaced(small, "weight: 2 nS", "weight: {distribution: normal, mean: 2 nS, std: 1 nS, min: 0 nS}"),
        "m.yaml");
    parse_description(
        replaced(small, "weight: 2 nS", "weight: {distribution: uniform, low: 0 nS, high: 1 nS}"), "m.yaml");
    const auto u =
        error_of(replaced(small, "weight: 2 nS", "weight: {distribution: uniform, low: -1 nS, high: 1 nS}"));
    check_error(u, "model.yaml", 12, 70, "projections[1].weight");
}

TEST_CASE("bad input: bad --set path", "[description][errors][set]") {
    const auto e = error_of(small, {"projections.XX.weight=0.2 mV"});
    check_error(e, "--set", 0, 0, "projections.XX.weight");
    CHECK(std::string(e.what()) ==
          "--set: projections.XX.weight: expected the name of an entry of projections "
          "(one of: E->E, E->C) or an index [0] to [1], found \"XX\"");
    const auto p = error_of(small, {"populations.X.size=3"});
    check_error(p, "--set", 0, 0, "populations.X.size");
    CHECK(p.expected() == "the name of a population (one of: E, C)");
    check_error(error_of(small, {"projections[7].weight=1 mV"}), "--set", 0, 0, "projections[7].weight");
    check_error(error_of(small, {"simulation.dt.unit=ms"}), "--set", 0, 0, "simulation.dt.unit");
    check_error(error_of(small, {"populations..size=3"}), "--set", 0, 0, "populations..size");
    check_error(error_of(small, {"projections[x].weight=3"}), "--set", 0, 0, "projections[x].weight");
    const auto n = error_of(small, {"simulation.t_stop"});
    check_error(n, "--set", 0, 0, "");
    CHECK(std::string(n.what()) ==
          "--set: expected an override key.path=value (e.g. simulation.t_stop=200 ms), found "
          "\"simulation.t_stop\"");
}

// ---------------------------------------------------------------------------------------
// More bad input

TEST_CASE("bad input: parameters", "[description][errors]") {
    const auto u =
        error_of(replaced(small, "    size: 10\n", "    size: 10\n    parameters: {tau: 20 ms}\n"));
    check_error(u, "model.yaml", 7, 18, "populations.E.parameters.tau");
    CHECK(u.expected() ==
          "a parameter of iaf_psc_delta (one of: E_L, C_m, tau_m, t_ref, V_th, V_reset, I_e, V_min)");
    const auto z =
        error_of(replaced(small, "    size: 10\n", "    size: 10\n    parameters: {tau_m: 0 ms}\n"));
    check_error(z, "model.yaml", 7, 25, "populations.E.parameters.tau_m");
    CHECK(std::string(z.what()) ==
          "model.yaml:7:25: populations.E.parameters.tau_m: expected a time above 0 ms, found 0 ms");
    const auto r =
        error_of(replaced(small, "    size: 10\n", "    size: 10\n    parameters: {t_ref: -1 ms}\n"));
    check_error(r, "model.yaml", 7, 25, "populations.E.parameters.t_ref");
    CHECK(r.expected() == "a time of at least 0 ms");
    // The model's own cross-parameter check, on the full set with defaults.
    const auto c =
        error_of(replaced(small, "    size: 10\n", "    size: 10\n    parameters: {V_th: -80 mV}\n"));
    check_error(c, "model.yaml", 7, 17, "populations.E.parameters");
    CHECK(std::string(c.what()) ==
          "model.yaml:7:17: populations.E.parameters: expected V_reset below V_th, found "
          "V_th = -80 mV, V_reset = -70 mV");
    const auto i = error_of(replaced(small, "    size: 10\n", "    size: 10\n    initial: {U_m: 1 mV}\n"));
    check_error(i, "model.yaml", 7, 15, "populations.E.initial.U_m");
    CHECK(i.expected() == "a state variable of iaf_psc_delta (one of: V_m)");
    const auto o = error_of(replaced(small, "    size: 10\n", "    size: 10\n    options: {solver: rk45}\n"));
    check_error(o, "model.yaml", 7, 15, "populations.E.options.solver");
    CHECK(o.expected() == "an option of iaf_psc_delta (there are none)");
    const auto inf =
        error_of(replaced(small, "    size: 10\n", "    size: 10\n    parameters: {V_th: inf}\n"));
    check_error(inf, "model.yaml", 7, 24, "populations.E.parameters.V_th");
}

TEST_CASE("bad input: names, shapes and duplicates", "[description][errors]") {
    const auto n = error_of(replaced(small, "  C:\n", "  2C:\n"));
    check_error(n, "model.yaml", 7, 3, "populations.2C");
    CHECK(contains(n.expected(), "letters, digits and _"));
    const auto d = error_of(replaced(small, "  C:\n", "  E:\n"));
    check_error(d, "model.yaml", 7, 3, "populations.E");
    CHECK(d.found() == "\"E\" a second time (first at line 4)");
    check_error(error_of("populations: 3\n"), "model.yaml", 1, 14, "populations");
    const auto l = error_of("populations: {E: {model: iaf_psc_delta, size: 1}}\nprojections: {a: 1}\n");
    check_error(l, "model.yaml", 2, 14, "projections");
    CHECK(l.expected() == "a list of projections");
    const auto u = error_of(
        small +
        "  - {name: E->E, source: E, target: E, connectivity: {rule: all_to_all}, weight: 1, delay: 1}\n");
    check_error(u, "model.yaml", 13, 12, "projections[2].name");
    const auto b =
        error_of(replaced(small, "{rule: all_to_all}", "{rule: all_to_all, allow_autapses: yes please}"));
    check_error(b, "model.yaml", 12, 77, "projections[1].connectivity.allow_autapses");
    CHECK(b.expected() == "true or false");
    const auto t =
        error_of(replaced(small, "size: 5", "size: 5\n  S: {model: spike_source, size: 1}") +
                 "  - {source: E, target: S, connectivity: {rule: all_to_all}, weight: 1, delay: 1}\n");
    check_error(t, "model.yaml", 14, 25, "projections[2].target");
    CHECK(t.found() == "\"S\" (a spike_source population, which has no receptors)");
}

TEST_CASE("bad input: connectivity", "[description][errors]") {
    const auto r = error_of(replaced(small, "rule: all_to_all", "rule: all_to_one"));
    check_error(r, "model.yaml", 12, 49, "projections[1].connectivity.rule");
    CHECK(r.expected() ==
          "a connection rule (one of: all_to_all, one_to_one, pairwise_bernoulli, fixed_indegree, "
          "fixed_outdegree, fixed_total_number)");
    CHECK(r.found() == "\"all_to_one\" (did you mean all_to_all?)");
    const auto o = error_of(replaced(small, "rule: all_to_all", "rule: one_to_one"));
    check_error(o, "model.yaml", 12, 49, "projections[1].connectivity.rule");
    CHECK(o.found() == "E with 10 and C with 5 neurons");
    const std::string eleven =
        replaced(small, "{rule: all_to_all}", "{rule: fixed_indegree, indegree: 11, allow_multapses: false}");
    const auto k = error_of(eleven);
    check_error(k, "model.yaml", 12, 75, "projections[1].connectivity.indegree");
    CHECK(k.expected() == "an indegree of at most 10 (source E has 10 neurons; multapses are off)");
    CHECK(k.found() == "11");
    parse_description(eleven, "ok.yaml", {"projections[1].connectivity.indegree=10"});
    const auto a = error_of(
        replaced(small, "{rule: pairwise_bernoulli, p: 0.1}",
                 "{rule: fixed_indegree, indegree: 10, allow_autapses: false, allow_multapses: false}"));
    check_error(a, "model.yaml", 11, 75, "projections[0].connectivity.indegree");
    CHECK(a.expected() ==
          "an indegree of at most 9 (source E has 10 neurons, one of them excluded as an autapse; "
          "multapses are off)");
    const auto n = error_of(
        replaced(small, "{rule: all_to_all}", "{rule: fixed_total_number, N: 10, allow_multapses: false}"));
    check_error(n, "model.yaml", 12, 93, "projections[1].connectivity.allow_multapses");
    const auto m = error_of(replaced(small, "{rule: all_to_all}", "{rule: fixed_outdegree}"));
    check_error(m, "model.yaml", 12, 42, "projections[1].connectivity");
    CHECK(contains(m.expected(), "\"outdegree\" key"));
}

TEST_CASE("bad input: distributions", "[description][errors]") {
    auto with_initial = [](const std::string& v) {
        return replaced(small, "    size: 10\n", "    size: 10\n    initial: {V_m: " + v + "}\n");
    };
    const auto k = error_of(with_initial("{distribution: gamma, mean: 1 mV}"));
    check_error(k, "model.yaml", 7, 35, "populations.E.initial.V_m.distribution");
    CHECK(k.expected() == "a distribution (one of: constant, uniform, normal, lognormal)");
    const auto u = error_of(with_initial("{distribution: uniform, low: 1 mV, high: 1 mV}"));
    check_error(u, "model.yaml", 7, 61, "populations.E.initial.V_m.high");
    const auto s = error_of(with_initial("{distribution: normal, mean: 1 mV, std: -1 mV}"));
    check_error(s, "model.yaml", 7, 60, "populations.E.initial.V_m.std");
    const auto l = error_of(with_initial("{distribution: lognormal, mean: -1 mV, std: 1 mV}"));
    check_error(l, "model.yaml", 7, 52, "populations.E.initial.V_m.mean");
    const auto b =
        error_of(with_initial("{distribution: normal, mean: 1 mV, std: 1 mV, min: 2 mV, max: 1 mV}"));
    check_error(b, "model.yaml", 7, 82, "populations.E.initial.V_m.max");
    const auto x = error_of(with_initial("{distribution: normal, mean: 1 mV, sd: 1 mV}"));
    check_error(x, "model.yaml", 7, 55, "populations.E.initial.V_m.sd");
    const auto c = error_of(with_initial("{distribution: constant, value: 1 mV, min: 0 mV}"));
    check_error(c, "model.yaml", 7, 58, "populations.E.initial.V_m.min");
    const auto dim = error_of(with_initial("{distribution: normal, mean: 1 nS, std: 1 mV}"));
    check_error(dim, "model.yaml", 7, 49, "populations.E.initial.V_m.mean");
}

TEST_CASE("bad input: spike sources and stimuli", "[description][errors]") {
    const std::string src =
        "populations:\n  S: {model: spike_source, size: 2, spike_times: [[1 ms], [2 ms], [3 ms]]}\n";
    const auto n = error_of(src);
    check_error(n, "model.yaml", 2, 50, "populations.S.spike_times");
    CHECK(n.expected() == "one list of spike times per node (2 lists, the size of S)");
    const auto neg = error_of(replaced(src, ", [3 ms]", "").replace(src.find("[2 ms]"), 6, "[-2 ms]"));
    check_error(neg, "model.yaml", 2, 60, "populations.S.spike_times[1][0]");
    const auto p = error_of(replaced(src, "spike_times: [[1 ms], [2 ms], [3 ms]]", "parameters: {}"));
    check_error(p, "model.yaml", 2, 37, "populations.S.parameters");
    CHECK(p.found() == "\"parameters\" (spike_source neurons have no parameters and no state)");

    const auto st = error_of(
        small +
        "stimuli:\n  - {model: step_current, target: E, times: [2 ms, 1 ms], amplitudes: [1 pA, 2 pA]}\n");
    check_error(st, "model.yaml", 14, 52, "stimuli[0].times[1]");
    CHECK(st.expected() == "times in strictly increasing order (after 2 ms)");
    const auto len = error_of(
        small + "stimuli:\n  - {model: step_current, target: E, times: [1 ms], amplitudes: [1 pA, 2 pA]}\n");
    check_error(len, "model.yaml", 14, 65, "stimuli[0].amplitudes");
    const auto key =
        error_of(small + "stimuli:\n  - {model: dc_current, target: E, amplitude: 1 pA, rate: 3 Hz}\n");
    check_error(key, "model.yaml", 14, 53, "stimuli[0].rate");
    CHECK(key.expected() ==
          "a key of a dc_current stimulus (one of: name, model, target, targets, amplitude, compartment, "
          "start, stop)");
    const auto rate = error_of(small +
                               "stimuli:\n  - {model: poisson_generator, target: C, rate: 20 kHz, weight: -1 "
                               "nS, delay: 1 ms, receptor: exc}\n");
    check_error(rate, "model.yaml", 14, 65, "stimuli[0].weight");
    const auto mix = error_of(small +
                              "stimuli:\n  - {model: poisson_generator, targets: [E, C], rate: 20 kHz, "
                              "weight: 1 mV, delay: 1 ms, receptor: exc}\n");
    check_error(mix, "model.yaml", 14, 45, "stimuli[0].targets[1]");
    const auto stop = error_of(
        small + "stimuli:\n  - {model: dc_current, target: E, amplitude: 1 pA, start: 5 ms, stop: 1 ms}\n");
    check_error(stop, "model.yaml", 14, 72, "stimuli[0].stop");
    const auto comp = error_of(
        small + "stimuli:\n  - {model: dc_current, target: E, amplitude: 1 pA, compartment: apical}\n");
    check_error(comp, "model.yaml", 14, 66, "stimuli[0].compartment");
    CHECK(comp.expected() == "a compartment of iaf_psc_delta, the model of population E (one of: soma)");
    const auto model = error_of(small + "stimuli:\n  - {model: ac_current, target: E}\n");
    check_error(model, "model.yaml", 14, 13, "stimuli[0].model");
    CHECK(model.expected() ==
          "a stimulus model (one of: poisson_generator, dc_current, step_current, noise_current)");
}

// ---------------------------------------------------------------------------------------
// Spike exchange and classification, noise currents, state recordings, population rates

namespace {

// `small` with a recordings section (line 13 is "recordings:").
std::string with_recordings(const std::string& body) { return small + "recordings:\n" + body; }

// The nodes a {sample: n, seed: seed} selection picks from a population of `size`.
std::vector<std::uint32_t> sampled(const std::string& n, const std::string& seed, const std::string& size,
                                   const std::string& simulation_seed = "12345") {
    const std::string yaml = "simulation: {seed: " + simulation_seed + "}\n" +
                             "populations: {E: {model: iaf_psc_delta, size: " + size + "}}\n" +
                             "recordings:\n  state:\n    - {population: E, variables: [V_m], nodes: {sample: " +
                             n + ", seed: " + seed + "}}\n";
    return parse_description(yaml, "sample.yaml").state_recordings.at(0).nodes;
}

}  // namespace

TEST_CASE("spike exchange and spike classification", "[description]") {
    const NetworkSpec d = parse_description(small, "model.yaml");
    CHECK(d.simulation.spike_exchange == SpikeExchange::allgather);
    CHECK(d.simulation.spike_classification.rule == ClassificationRule::trace);
    CHECK(d.simulation.spike_classification.threshold_ms == 16.0);
    CHECK(contains(d.resolved_yaml, "spike_exchange: allgather\n"));
    CHECK(contains(d.resolved_yaml, "spike_classification: {rule: trace, threshold: 16 ms}\n"));
    const NetworkSpec s =
        parse_description(small, "model.yaml",
                          {"simulation.spike_classification={threshold: 0.02 s}", "simulation.spike_exchange=directed"});
    CHECK(s.simulation.spike_classification.rule == ClassificationRule::trace);
    CHECK(s.simulation.spike_classification.threshold_ms == 20.0);
    CHECK(s.simulation.spike_exchange == SpikeExchange::directed);
    check_same(s, parse_description(s.resolved_yaml, "resolved.yaml"));
}

TEST_CASE("noise_current stimuli", "[description]") {
    const NetworkSpec s = parse_description(
        small + "stimuli:\n  - {model: noise_current, target: C, std: 0.05 nA, tau: 2 ms, compartment: soma}\n",
        "model.yaml");
    const StimulusSpec& st = s.stimuli.at(0);
    CHECK(st.name == "noise_current_0");
    CHECK(st.kind == StimulusSpec::Kind::noise_current);
    CHECK(st.targets == std::vector<std::string>{"C"});
    CHECK(st.mean_pA == 0.0);  // default
    CHECK(st.std_pA == 50.0);
    CHECK(st.tau_ms == 2.0);
    CHECK(st.compartments == std::vector<int>{0});  // soma
    CHECK(st.start_ms == 0.0);
    CHECK(st.stop_ms == 1e300);
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "    mean: 0 pA\n    std: 50 pA\n    tau: 2 ms\n    compartment: soma\n"));
    check_same(s, parse_description(s.resolved_yaml, "resolved.yaml"));
    // std 0: a constant current of `mean`.
    CHECK(parse_description(small + "stimuli:\n  - {model: noise_current, target: E, mean: 5, std: 0, tau: 1}\n",
                            "model.yaml")
              .stimuli.at(0)
              .mean_pA == 5.0);
}

TEST_CASE("state recordings and population rates in the resolved description", "[description]") {
    const NetworkSpec s = parse_description(full, "models/full.yaml");
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "recordings:\n  spikes: [E, C]\n  state:\n    - name: C_state\n"
                                    "      population: C\n      variables: [V_m, g_ex]\n      nodes: [0, 2, 4]\n"
                                    "      interval: 0.05 ms\n      start: 0 ms\n      stop: 2000 ms\n"));
    CHECK(contains(s.resolved_yaml, "nodes: {range: [10, 20, 4]}\n"));
    CHECK(contains(s.resolved_yaml, "nodes: {sample: 5, seed: 42}\n"));
    CHECK(contains(s.resolved_yaml, "nodes: all\n      interval: 0.15 ms\n"));
    CHECK(contains(s.resolved_yaml, "  population_rates:\n    - name: E_rates\n      population: E\n"
                                    "      bin: 25 ms\n      start: 0 ms\n      stop: 2000 ms\n"));
    CHECK(contains(s.resolved_yaml, "    mean: 100 pA\n    std: 20 pA\n    tau: 5 ms\n"));
    // Without recordings the lists are written empty.
    const NetworkSpec d = parse_description(small, "model.yaml");
    CHECK(contains(d.resolved_yaml, "  state: []\n  population_rates: []\n"));
    CHECK(d.state_recordings.empty());
    CHECK(d.population_rates.empty());
}

TEST_CASE("node selections of state recordings", "[description]") {
    auto nodes = [](const std::string& n) {
        return parse_description(with_recordings("  state:\n    - {population: E, variables: [V_m], nodes: " + n +
                                                 "}\n"),
                                 "model.yaml")
            .state_recordings.at(0)
            .nodes;
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

TEST_CASE("a sampled node selection is reproducible", "[description]") {
    const auto a = sampled("8", "7", "1000");
    // This pins the algorithm: Floyd's sampling without replacement on the Philox stream
    // (seed 7, purpose (sampling, 0)), id 0, sub 0, drawing with RandomStream::uniform_int.
    // If it changes, descriptions that sample nodes record other nodes than before.
    CHECK(a == std::vector<std::uint32_t>{65, 94, 182, 292, 341, 376, 562, 930});
    CHECK(sampled("8", "7", "1000") == a);                  // same seed, same nodes
    CHECK(sampled("8", "7", "1000", "99") == a);            // whatever the simulation seed
    CHECK(sampled("8", "8", "1000") != a);                  // another seed, other nodes
    const auto b = sampled("300", "1", "400");
    CHECK(b.size() == 300);
    CHECK(std::adjacent_find(b.begin(), b.end(), [](auto x, auto y) { return x >= y; }) == b.end());
    CHECK(b.back() < 400);
    CHECK(sampled("3", "5", "4000000000").size() == 3);     // no cost in the population size

    // Every node is equally likely: 5 of 10 nodes with 400 seeds, each node expected 200 times
    // (standard deviation 10).
    std::vector<int> count(10, 0);
    for (int seed = 0; seed < 400; ++seed)
        for (auto n : sampled("5", std::to_string(seed), "10")) ++count[n];
    for (int c : count) CHECK((c > 150 && c < 250));
}

TEST_CASE("population rates: defaults", "[description]") {
    const NetworkSpec s =
        parse_description(with_recordings("  population_rates:\n    - {population: C, stop: 500 ms}\n"
                                          "    - {name: late, population: C, bin: 0.5 ms, start: 0.9 s}\n"),
                          "model.yaml");
    REQUIRE(s.population_rates.size() == 2);
    CHECK(s.population_rates[0].name == "C_rates");
    CHECK(s.population_rates[0].bin_ms == 25.0);
    CHECK(s.population_rates[0].start_ms == 0.0);
    CHECK(s.population_rates[0].stop_ms == 500.0);
    CHECK(s.population_rates[0].where.line == 15);
    CHECK(s.population_rates[1].name == "late");
    CHECK(s.population_rates[1].bin_ms == 0.5);
    CHECK(s.population_rates[1].start_ms == 900.0);
    CHECK(s.population_rates[1].stop_ms == 1000.0);  // t_stop
    check_same(s, parse_description(s.resolved_yaml, "resolved.yaml"));
}

TEST_CASE("bad input: spike exchange and spike classification", "[description][errors]") {
    auto sim = [](const std::string& line) { return replaced(small, "  dt: 0.1 ms\n", "  dt: 0.1 ms\n" + line); };
    const auto x = error_of(sim("  spike_exchange: alltoall\n"));
    check_error(x, "model.yaml", 3, 19, "simulation.spike_exchange");
    CHECK(std::string(x.what()) == "model.yaml:3:19: simulation.spike_exchange: expected a spike exchange "
                                   "(one of: allgather, directed), found \"alltoall\"");
    const auto r = error_of(sim("  spike_classification: {rule: bursts}\n"));
    check_error(r, "model.yaml", 3, 32, "simulation.spike_classification.rule");
    CHECK(r.expected() == "a spike classification rule (one of: trace, isi)");
    CHECK(r.found() == "\"bursts\"");
    const auto t = error_of(sim("  spike_classification: {rule: isi, threshold: 0 ms}\n"));
    check_error(t, "model.yaml", 3, 48, "simulation.spike_classification.threshold");
    CHECK(t.expected() == "a time above 0 ms");
    const auto d = error_of(sim("  spike_classification: {rule: isi, threshold: 2 mV}\n"));
    check_error(d, "model.yaml", 3, 48, "simulation.spike_classification.threshold");
    const auto k = error_of(sim("  spike_classification: {rule: isi, window: 2 ms}\n"));
    check_error(k, "model.yaml", 3, 37, "simulation.spike_classification.window");
    CHECK(k.expected() == "a key of spike_classification (one of: rule, threshold)");
    const auto m = error_of(sim("  spike_classification: isi\n"));
    check_error(m, "model.yaml", 3, 25, "simulation.spike_classification");
    const auto s = error_of(small, {"simulation.spike_exchange=direct"});
    check_error(s, "--set", 0, 0, "simulation.spike_exchange");
    CHECK(s.found() == "\"direct\" (did you mean directed?)");
}

TEST_CASE("bad input: noise_current", "[description][errors]") {
    auto noise = [](const std::string& keys) {
        return small + "stimuli:\n  - {model: noise_current, target: E, " + keys + "}\n";
    };
    const auto n = error_of(noise("std: -5 pA, tau: 2 ms"));
    check_error(n, "model.yaml", 14, 44, "stimuli[0].std");
    CHECK(std::string(n.what()) == "model.yaml:14:44: stimuli[0].std: expected a standard deviation of at least "
                                   "0 pA, found -5 pA");
    const auto m = error_of(noise("std: 5 pA"));
    check_error(m, "model.yaml", 14, 5, "stimuli[0]");
    CHECK(m.expected() == "a \"tau\" key (the correlation time of the current, e.g. 2 ms)");
    CHECK(m.found() == "keys model, target, std");
    const auto z = error_of(noise("std: 5 pA, tau: 0 ms"));
    check_error(z, "model.yaml", 14, 55, "stimuli[0].tau");
    CHECK(z.expected() == "a time above 0 ms");
    const auto s = error_of(noise("tau: 2 ms"));
    check_error(s, "model.yaml", 14, 5, "stimuli[0]");
    CHECK(contains(s.expected(), "\"std\" key"));
    const auto u = error_of(noise("std: 5 mV, tau: 2 ms"));
    check_error(u, "model.yaml", 14, 44, "stimuli[0].std");
    CHECK(u.expected() == "a current (e.g. \"100 pA\")");
    const auto k = error_of(noise("std: 5 pA, tau: 2 ms, amplitude: 1 pA"));
    check_error(k, "model.yaml", 14, 61, "stimuli[0].amplitude");
    CHECK(k.expected() == "a key of a noise_current stimulus (one of: name, model, target, targets, mean, std, tau, "
                          "compartment, start, stop)");
    const auto c = error_of(noise("std: 5 pA, tau: 2 ms, compartment: dendrite"));
    check_error(c, "model.yaml", 14, 74, "stimuli[0].compartment");
}

TEST_CASE("bad input: state recordings", "[description][errors]") {
    auto state = [](const std::string& item) { return with_recordings("  state:\n    - " + item + "\n"); };
    const auto v = error_of(state("{population: C, variables: [V_m, g_exc], nodes: all}"));
    check_error(v, "model.yaml", 15, 40, "recordings.state[0].variables[1]");
    CHECK(std::string(v.what()) ==
          "model.yaml:15:40: recordings.state[0].variables[1]: expected a state variable of iaf_cond_exp, the "
          "model of population C (one of: V_m, g_ex, g_in), found \"g_exc\" (did you mean g_ex?)");
    const auto src = error_of(replaced(state("{population: S, variables: [V_m], nodes: all}"), "size: 5\n",
                                       "size: 5\n  S: {model: spike_source, size: 3}\n"));
    check_error(src, "model.yaml", 16, 20, "recordings.state[0].population");
    CHECK(src.expected() == "a population whose neurons have state variables");
    CHECK(src.found() == "\"S\" (a spike_source population, which has none)");
    const auto twice = error_of(state("{population: C, variables: [g_in, g_in], nodes: all}"));
    check_error(twice, "model.yaml", 15, 41, "recordings.state[0].variables[1]");
    const auto none = error_of(state("{population: C, variables: [], nodes: all}"));
    check_error(none, "model.yaml", 15, 34, "recordings.state[0].variables");
    const auto missing = error_of(state("{population: C, variables: [V_m]}"));
    check_error(missing, "model.yaml", 15, 7, "recordings.state[0]");
    CHECK(contains(missing.expected(), "\"nodes\" key"));

    // Nodes.
    const auto range = error_of(state("{population: E, variables: [V_m], nodes: [3, 10]}"));
    check_error(range, "model.yaml", 15, 52, "recordings.state[0].nodes[1]");
    CHECK(range.expected() == "a node id below 10 (the size of E)");
    CHECK(range.found() == "10");
    const auto neg = error_of(state("{population: E, variables: [V_m], nodes: [-1]}"));
    check_error(neg, "model.yaml", 15, 49, "recordings.state[0].nodes[0]");
    const auto dup = error_of(state("{population: E, variables: [V_m], nodes: [3, 1, 3]}"));
    check_error(dup, "model.yaml", 15, 55, "recordings.state[0].nodes[2]");
    CHECK(dup.expected() == "each node once");
    CHECK(dup.found() == "3 again (first at recordings.state[0].nodes[0])");
    const auto big = error_of(state("{population: E, variables: [V_m], nodes: {sample: 11, seed: 1}}"));
    check_error(big, "model.yaml", 15, 57, "recordings.state[0].nodes.sample");
    CHECK(std::string(big.what()) == "model.yaml:15:57: recordings.state[0].nodes.sample: expected a number of "
                                     "nodes from 1 to 10 (the size of E), found 11");
    const auto seed = error_of(state("{population: E, variables: [V_m], nodes: {sample: 3}}"));
    check_error(seed, "model.yaml", 15, 48, "recordings.state[0].nodes");
    CHECK(contains(seed.expected(), "\"seed\" key"));
    const auto stop = error_of(state("{population: E, variables: [V_m], nodes: {range: [5, 11]}}"));
    check_error(stop, "model.yaml", 15, 60, "recordings.state[0].nodes.range[1]");
    CHECK(stop.expected() == "a stop from 1 to 10 (the size of E)");
    const auto empty = error_of(state("{population: E, variables: [V_m], nodes: {range: [5, 5]}}"));
    check_error(empty, "model.yaml", 15, 57, "recordings.state[0].nodes.range[0]");
    CHECK(empty.expected() == "a first node id below stop (5)");
    const auto step = error_of(state("{population: E, variables: [V_m], nodes: {range: [0, 5, 0]}}"));
    check_error(step, "model.yaml", 15, 63, "recordings.state[0].nodes.range[2]");
    const auto both = error_of(state("{population: E, variables: [V_m], nodes: {range: [0, 5], seed: 1}}"));
    check_error(both, "model.yaml", 15, 64, "recordings.state[0].nodes.seed");
    const auto word = error_of(state("{population: E, variables: [V_m], nodes: some}"));
    check_error(word, "model.yaml", 15, 48, "recordings.state[0].nodes");
    CHECK(word.expected() == "a list of node ids, {range: [first, stop]}, {sample: n, seed: s} or all");

    // Times.
    const auto off = error_of(state("{population: E, variables: [V_m], nodes: all, interval: 0.25 ms}"));
    check_error(off, "model.yaml", 15, 63, "recordings.state[0].interval");
    CHECK(std::string(off.what()) == "model.yaml:15:63: recordings.state[0].interval: expected an interval that "
                                     "is a positive multiple of dt (0.1 ms), found 0.25 ms (2.5 steps)");
    const auto zero = error_of(state("{population: E, variables: [V_m], nodes: all, interval: 0 ms}"));
    check_error(zero, "model.yaml", 15, 63, "recordings.state[0].interval");
    CHECK(zero.found() == "0 ms");
    const auto start = error_of(state("{population: E, variables: [V_m], nodes: all, start: 0.05 ms}"));
    check_error(start, "model.yaml", 15, 60, "recordings.state[0].start");
    CHECK(start.expected() == "a start time that is a non-negative multiple of dt (0.1 ms)");
    const auto before = error_of(state("{population: E, variables: [V_m], nodes: all, start: 5 ms, stop: 5 ms}"));
    check_error(before, "model.yaml", 15, 72, "recordings.state[0].stop");
    CHECK(before.expected() == "a stop time after start (5 ms)");
    const auto late = error_of(state("{population: E, variables: [V_m], nodes: all, start: 2 s}"));
    check_error(late, "model.yaml", 15, 60, "recordings.state[0].start");
    CHECK(late.expected() == "a start time before stop (t_stop, 1000 ms)");
}

TEST_CASE("bad input: recording names and population rates", "[description][errors]") {
    const std::string two_e = "  state:\n    - {population: E, variables: [V_m], nodes: all}\n"
                              "    - {population: E, variables: [V_m], nodes: [1]}\n";
    const auto d = error_of(with_recordings(two_e));
    check_error(d, "model.yaml", 16, 7, "recordings.state[1].name");
    CHECK(std::string(d.what()) ==
          "model.yaml:16:7: recordings.state[1].name: expected a recording name not used before "
          "(recordings.state[0] is \"E_state\"; give each recording a different name), found \"E_state\"");
    const auto across = error_of(with_recordings(
        "  state:\n    - {population: E, variables: [V_m], nodes: all}\n  population_rates:\n"
        "    - {name: E_state, population: C}\n"));
    check_error(across, "model.yaml", 17, 14, "recordings.population_rates[0].name");
    const auto file = error_of(with_recordings(
        "  state:\n    - {name: x, population: E, variables: [V_m], nodes: all}\n  population_rates:\n"
        "    - {name: x_V_m, population: C}\n"));
    check_error(file, "model.yaml", 17, 14, "recordings.population_rates[0].name");
    CHECK(file.expected() == "a recording name whose output files are its own (recordings.state[0] writes "
                             "\"x_V_m.h5\")");
    const auto spikes = error_of(with_recordings("  population_rates:\n    - {name: spikes, population: C}\n"));
    check_error(spikes, "model.yaml", 15, 14, "recordings.population_rates[0].name");
    CHECK(contains(spikes.expected(), "(recordings.spikes writes \"spikes.h5\")"));
    const auto slash = error_of(with_recordings("  population_rates:\n    - {name: a/b, population: C}\n"));
    check_error(slash, "model.yaml", 15, 14, "recordings.population_rates[0].name");
    const auto key = error_of(with_recordings("  rates: []\n"));
    check_error(key, "model.yaml", 14, 3, "recordings.rates");
    CHECK(key.expected() == "a key of recordings (one of: spikes, state, population_rates)");

    const auto bin = error_of(with_recordings("  population_rates:\n    - {population: C, bin: 2.55 ms}\n"));
    check_error(bin, "model.yaml", 15, 28, "recordings.population_rates[0].bin");
    CHECK(bin.expected() == "a bin width that is a positive multiple of dt (0.1 ms)");
    const auto grid = error_of(
        replaced(with_recordings("  population_rates:\n    - {population: C}\n"), "dt: 0.1 ms", "dt: 0.3 ms"));
    check_error(grid, "model.yaml", 15, 7, "recordings.population_rates[0]");
    CHECK(grid.expected() ==
          "a \"bin\" key (the bin width; the default, 25 ms, is not a positive multiple of dt (0.3 ms))");
    const auto pop = error_of(with_recordings("  population_rates:\n    - {population: X}\n"));
    check_error(pop, "model.yaml", 15, 20, "recordings.population_rates[0].population");
    CHECK(pop.expected() == "a population name (one of: E, C)");
}
