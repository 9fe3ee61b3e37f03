// What the description layer writes back: the resolved description (docs/description.md,
// "The resolved description"), which must re-parse to the same spec; warnings for values it
// changed; the quantities and units every value goes through (io/units.hpp); and the test
// helpers of tests/description_cases.hpp themselves.
#include "description_cases.hpp"

#include <limits>

#include "io/units.hpp"

using namespace apical;
using namespace apical::test;

// The units and exact decimal scaling of docs/description.md, "Quantities and units"; the
// messages are those of io/units.hpp, which description errors embed.
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

// Defaults and units written out, and a second resolution identical to the first but for
// its header comment (which names the file).
TEST_CASE("the resolved description re-parses to the same spec", "[description]") {
    const NetworkSpec s = parse_description(full_description().text, "models/full.yaml");
    INFO(s.resolved_yaml);
    CHECK(contains(s.resolved_yaml, "tau_m: 20 ms"));
    CHECK(contains(s.resolved_yaml, "E_L: -70 mV"));  // defaults written out
    CHECK(contains(s.resolved_yaml, "V_min: -inf mV"));
    CHECK(contains(s.resolved_yaml, "rate: 20000 Hz"));
    CHECK(contains(s.resolved_yaml, "flush_interval: 1 ms"));
    check_round_trip(s);
    const NetworkSpec again = parse_description(s.resolved_yaml, "resolved.yaml");
    CHECK(again.resolved_yaml.substr(again.resolved_yaml.find('\n')) ==
          s.resolved_yaml.substr(s.resolved_yaml.find('\n')));
}

// Recordings are written with every default filled in and node selections as given
// (docs/description.md, "The resolved description").
TEST_CASE("state recordings and population rates in the resolved description", "[description]") {
    const NetworkSpec s = parse_description(full_description().text, "models/full.yaml");
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
    const NetworkSpec d = parse_description(small_description, "model.yaml");
    CHECK(contains(d.resolved_yaml, "  state: []\n  population_rates: []\n"));
    CHECK(d.state_recordings.empty());
    CHECK(d.population_rates.empty());
}

// docs/description.md, "Delays": a constant delay off the step grid is rounded to the
// nearest step, with a warning at its position.
TEST_CASE("a constant delay off the step grid is rounded with a warning", "[description]") {
    const marked_text m = strip_markers(replaced(small_description, "delay: 1.5 ms", "delay: @@1.52 ms"));
    const NetworkSpec s = parse_description(m.text, "model.yaml");
    CHECK(s.projections[0].delay.value == 1.5);
    REQUIRE(s.warnings.size() == 1);
    const text_position at = m.at();
    CHECK(s.warnings[0] == "model.yaml:" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                               ": projections[0].delay: 1.52 ms is not a multiple of dt (0.1 ms); rounded to 1.5 ms");
    CHECK(parse_description(small_description, "model.yaml").warnings.empty());
}

// The helpers every description test relies on: a marker's position is where the node after
// it starts, and "…" in a pattern stands for any text, nothing else.
TEST_CASE("test helpers: markers and patterns", "[description]") {
    const marked_text m = strip_markers("@@a: 1\nb: {c: @x@2}\n@end@");
    CHECK(m.text == "a: 1\nb: {c: 2}\n");
    CHECK((m.at().line == 1 && m.at().column == 1));
    CHECK((m.at("x").line == 2 && m.at("x").column == 8));
    CHECK((m.at("end").line == 3 && m.at("end").column == 1));
    CHECK(line_of(m.text, "b:") == 2);
    CHECK(matches("a (one of: x, y)", "a (one of: x, y)"));
    CHECK_FALSE(matches("a (one of: x, y)", "a (one of: x, y, z)"));
    CHECK(matches("a (one of: x, …z)", "a (one of: x, y, z)"));
    CHECK(matches("…", ""));
    CHECK(matches("…b…", "abc"));
    CHECK_FALSE(matches("…b…", "ac"));
    CHECK_FALSE(matches("ab…ba", "aba"));  // head and tail may not overlap
}
