// Shared pieces of the description tests (tests/test_description_*.cpp): markers that give
// the expected source positions, the table row of one bad input and its check, the valid
// descriptions the cases start from, and comparisons of parsed specs.
//
// Positions are never written as numbers: a marker in the YAML text of a case stands right
// before the node it names, and the helpers strip it and take its 1-based line and column.
// "@@" marks the node an error must point at; "@name@" marks a node a success check names.
// Editing a fixture therefore moves the expected positions with it.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "scratch.hpp"
#include "core/error.hpp"
#include "io/description.hpp"
#include "neurons/model_info.hpp"

#ifndef APICAL_TEST_TMP
#define APICAL_TEST_TMP "/tmp/apical_test"
#endif

namespace apical::test {

// ---------------------------------------------------------------------------------------
// Markers

struct text_position {
    int line = 0;  // 1-based; 0 = no position (a default, or a value given with --set)
    int column = 0;
};

struct marked_text {
    std::string text;                            // the YAML without its markers
    std::map<std::string, text_position> marks;  // marker name ("" for "@@") -> position

    // The position of a marker that must be there.
    text_position at(const std::string& name = "") const {
        INFO("marker @" << name << "@");
        REQUIRE(marks.count(name) == 1);
        return marks.at(name);
    }
};

// Strips every "@name@" (name: letters, digits, _; may be empty) from `yaml` and records
// where each stood. YAML descriptions have no other use for '@', so every '@' must open one.
inline marked_text strip_markers(const std::string& yaml) {
    marked_text m;
    int line = 1, column = 1;
    for (std::size_t i = 0; i < yaml.size(); ++i) {
        if (yaml[i] == '@') {
            const auto close = yaml.find('@', i + 1);
            INFO("an unclosed marker in:\n" << yaml);
            REQUIRE(close != std::string::npos);
            const std::string name = yaml.substr(i + 1, close - i - 1);
            REQUIRE(std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; }));
            REQUIRE(m.marks.count(name) == 0);  // each marker once
            m.marks[name] = {line, column};
            i = close;
            continue;
        }
        m.text += yaml[i];
        if (yaml[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return m;
}

// The 1-based line of the first `part` of `text` (for messages that name a line themselves).
inline int line_of(const std::string& text, const std::string& part) {
    const auto at = text.find(part);
    REQUIRE(at != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

inline void check_where(const SourceLocation& where, text_position expected, const std::string& key_path) {
    CHECK(where.line == expected.line);
    CHECK(where.column == expected.column);
    CHECK(where.key_path == key_path);
}

// ---------------------------------------------------------------------------------------
// Texts

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// `text` with its first `from` replaced by `to` (which may carry a marker).
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    INFO("\"" << from << "\" in:\n" << text);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// Whether `text` is `pattern`, where each "…" of the pattern stands for any text. Used where
// a message lists what a registry holds (the list grows with every model).
inline bool matches(const std::string& pattern, const std::string& text) {
    static const std::string any = "…";
    std::vector<std::string> pieces;
    for (std::size_t from = 0;;) {
        const auto at = pattern.find(any, from);
        pieces.push_back(pattern.substr(from, at == std::string::npos ? std::string::npos : at - from));
        if (at == std::string::npos) break;
        from = at + any.size();
    }
    if (pieces.size() == 1) return text == pattern;
    const std::string &head = pieces.front(), &tail = pieces.back();
    if (text.size() < head.size() + tail.size() || text.compare(0, head.size(), head) != 0 ||
        text.compare(text.size() - tail.size(), tail.size(), tail) != 0)
        return false;
    std::size_t t = head.size();
    const std::size_t end = text.size() - tail.size();
    for (std::size_t i = 1; i + 1 < pieces.size(); ++i) {
        const auto at = text.find(pieces[i], t);
        if (at == std::string::npos || at + pieces[i].size() > end) return false;
        t = at + pieces[i].size();
    }
    return true;
}

class matches_pattern : public Catch::MatcherBase<std::string> {
public:
    explicit matches_pattern(std::string pattern) : pattern_(std::move(pattern)) {}
    bool match(const std::string& text) const override { return matches(pattern_, text); }
    std::string describe() const override { return "matches \"" + pattern_ + "\""; }

private:
    std::string pattern_;
};

// ---------------------------------------------------------------------------------------
// Fixtures

// A small valid description that the error cases modify (the populations E and C; two
// projections, the second onto a conductance receptor).
inline const std::string small_description = R"(simulation:
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

// small_description with `line` added to its simulation section.
inline std::string with_simulation_line(const std::string& line) {
    return replaced(small_description, "  dt: 0.1 ms\n", "  dt: 0.1 ms\n" + line);
}

// small_description with a recordings section made of `body`.
inline std::string with_recordings(const std::string& body) { return small_description + "recordings:\n" + body; }

// small_description with one stimulus, `item` (a flow mapping).
inline std::string with_stimulus(const std::string& item) { return small_description + "stimuli:\n  - " + item + "\n"; }

// Every field of the format once: populations, projections, stimuli, recordings. The section
// tests check the values it lands as; the resolved tests re-parse what it resolves to.
inline const marked_text& full_description() {
    static const marked_text full = strip_markers(R"(# every feature of the format
simulation:
  dt: 0.05 ms
  t_stop: 2 s
  seed: 4294967295
  threads: 4
  output: @output@results/run1
  flush_interval: 1e-3 s
  spike_exchange: directed
  spike_classification: @classification@{rule: isi, threshold: 10 ms}
populations:
  E:
    @population_E@model: iaf_psc_delta
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
  - @EE@name: EE
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
  - {name: cycle, model: step_current, target: E, start: 6 ms, period: 32 ms, times: [0 ms, 8 ms], amplitudes: [-3 pA, 1 pA]}
  - {name: teach, model: teaching_current, target: C, amplitude: 1 nA, period: 8 ms, window: [7.2 ms, 8 ms],
     pattern: [0, 1, 1, 0], tau_avg: 2 ms, e_min: 1 Hz, e_max: 20 Hz, tolerance: 2 Hz, start: 38 ms, stop: 1 s}
recordings:
  spikes: [E, C]
  state:
    - @C_state@{population: C, variables: [V_m, g_ex], nodes: [4, 0, 2]}
    - {name: range, population: E, variables: [V_m], nodes: {range: [10, 20, 4]}, interval: 1 ms,
       start: 100 ms, stop: 500 ms}
    - {name: sample, population: E, variables: [V_m], nodes: {sample: 5, seed: 42}}
    - {name: every, population: I, variables: [V_m], nodes: all, interval: 0.15 ms}
  population_rates:
    - {population: E}
    - {name: input_rates, population: input, bin: 10 ms, start: 1 s, stop: 1.5 s}
)");
    return full;
}

// The least a description needs: every other value is a default (docs/description.md lists
// them in the table of each section).
inline const std::string minimal_description = R"(
populations:
  E: {model: iaf_psc_delta, size: 3}
projections:
  - {source: E, target: E, connectivity: {rule: all_to_all}, weight: -0.2, delay: 1}
stimuli:
  - {model: dc_current, target: E, amplitude: 20}
)";

// ---------------------------------------------------------------------------------------
// Bad input

// The DescriptionError that parsing `yaml` (as "model.yaml") with `overrides` raises.
inline DescriptionError error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
    try {
        parse_description(yaml, "model.yaml", overrides);
    } catch (const DescriptionError& e) {
        return e;
    }
    FAIL("no DescriptionError for:\n" << yaml);
    throw std::logic_error("not reached");
}

// Every part of a located error and the whole message the user reads:
// "file:line:column: key.path: expected ..., found ..." (docs/description.md, "Errors"), with
// neither position nor key path where there is none.
inline void check_error(const DescriptionError& e, const std::string& file, text_position where,
                        const std::string& key_path, const std::string& expected, const std::string& found) {
    INFO(e.what());
    CHECK(e.file() == file);
    CHECK(e.line() == where.line);
    CHECK(e.column() == where.column);
    CHECK(e.key_path() == key_path);
    CHECK_THAT(e.expected(), matches_pattern(expected));
    CHECK_THAT(e.found(), matches_pattern(found));
    std::string message = file;
    if (where.line > 0) {
        message += ':';
        message += std::to_string(where.line);
        message += ':';
        message += std::to_string(where.column);
    }
    message += ": ";
    if (!key_path.empty()) message += key_path + ": ";
    message += "expected " + expected + ", found " + found;
    CHECK_THAT(std::string(e.what()), matches_pattern(message));
}

// One bad input, a row of a table: the YAML with "@@" right before the offending node (no
// marker: an error without a position), the key path, the texts after "expected" and after
// "found" ("…" stands for any text), and --set overrides applied to the YAML.
struct error_case {
    std::string name;
    std::string yaml;
    std::string key_path;
    std::string expected;
    std::string found;
    std::vector<std::string> overrides = {};
};

// Parses the case as "model.yaml". An error without a marker is in the --set values when the
// case has overrides, otherwise in the document as a whole; both have no position.
inline void check_error_case(const error_case& c) {
    INFO("case: " << c.name);
    const marked_text m = strip_markers(c.yaml);
    INFO("YAML:\n" << m.text);
    REQUIRE(m.marks.size() <= 1);
    const bool positioned = m.marks.count("") == 1;
    const std::string file = positioned || c.overrides.empty() ? "model.yaml" : "--set";
    check_error(error_of(m.text, c.overrides), file, positioned ? m.at() : text_position{}, c.key_path,
                c.expected, c.found);
}

// ---------------------------------------------------------------------------------------
// Specs

// Resolved fields as the names a description gives them, each read here only.
inline std::string spike_exchange_name(const SimulationSpec& s) { return apical::spike_exchange_name(s.spike_exchange); }
inline std::string classification_rule_name(const SpikeClassificationSpec& c) {
    return apical::classification_rule_name(c.rule);
}
// The model name, which must agree with the resolved model.
inline std::string model_name(const PopulationSpec& p) {
    CHECK(p.info != nullptr);
    CHECK((p.info ? p.info->name : std::string()) == p.model);
    return p.model;
}

inline const PopulationSpec& population_of(const NetworkSpec& s, const std::string& name) {
    for (auto& p : s.populations)
        if (p.name == name) return p;
    FAIL("no population " << name);
    throw std::logic_error("not reached");
}

inline void check_same(const Distribution& a, const Distribution& b) {
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
inline void check_same(const NetworkSpec& a, const NetworkSpec& b) {
    CHECK(a.simulation.dt_ms == b.simulation.dt_ms);
    CHECK(a.simulation.t_stop_ms == b.simulation.t_stop_ms);
    CHECK(a.simulation.seed == b.simulation.seed);
    CHECK(a.simulation.threads == b.simulation.threads);
    CHECK(a.simulation.output_dir == b.simulation.output_dir);
    CHECK(a.simulation.flush_interval_ms == b.simulation.flush_interval_ms);
    CHECK(spike_exchange_name(a.simulation) == spike_exchange_name(b.simulation));
    CHECK(classification_rule_name(a.simulation.spike_classification) ==
          classification_rule_name(b.simulation.spike_classification));
    CHECK(a.simulation.spike_classification.threshold_ms == b.simulation.spike_classification.threshold_ms);
    REQUIRE(a.populations.size() == b.populations.size());
    for (std::size_t i = 0; i < a.populations.size(); ++i) {
        const auto &p = a.populations[i], &r = b.populations[i];
        INFO("population " << p.name);
        CHECK(p.name == r.name);
        CHECK(model_name(p) == model_name(r));
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

// A spec and the spec its resolved description parses to must be the same
// (docs/description.md, "The resolved description": it reproduces the run).
inline void check_round_trip(const NetworkSpec& s, const std::string& file = "resolved.yaml") {
    INFO(s.resolved_yaml);
    check_same(s, parse_description(s.resolved_yaml, file));
}

}  // namespace apical::test
