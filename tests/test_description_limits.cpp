// Limits of what a description may hold (docs/description.md, "Limits"): times the kernel
// counts in steps, threads, keys that would break the one-line message, output file names,
// and what the loader reads (regular files of at most 16 MiB, nesting, alias expansion,
// large mappings). Each bad input is one located error, never a wrapped step, a crash, a
// hang or a raw library message; positions come from the "@@" markers
// (tests/description_cases.hpp).
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "description_cases.hpp"

using namespace apical;
using namespace apical::test;

namespace {

// 2^53 steps of dt 0.1 ms, as the messages write it: "…" stands for the digits.
const std::string at_most_2_53 = " of at most 2^53 steps of dt (… ms)";

std::vector<error_case> step_errors() {
    return {
        // A start of 1e30 ms rounded to a negative step made the stimulus act from t = 0.
        {"stimulus start beyond 2^53 steps",
         with_stimulus("{model: dc_current, target: E, amplitude: 10 pA, start: @@1e30 ms}"), "stimuli[0].start",
         "a start time" + at_most_2_53, "1e+30 ms"},
        // A stop of 1e18 ms (1e19 steps) overflowed the step type: the stimulus never started.
        {"stimulus stop beyond 2^53 steps",
         with_stimulus("{model: dc_current, target: E, amplitude: 10 pA, stop: @@1e18 ms}"), "stimuli[0].stop",
         "a stop time" + at_most_2_53, "1e+18 ms"},
        {"step_current time beyond 2^53 steps",
         with_stimulus("{model: step_current, target: E, times: [0 ms, @@1e30 ms], amplitudes: [1 pA, 2 pA]}"),
         "stimuli[0].times[1]", "a time" + at_most_2_53, "1e+30 ms"},
        // Stimulus delays are ring-buffer rows, as synaptic delays: 65535 steps.
        {"poisson_generator delay beyond 65535 steps",
         with_stimulus("{model: poisson_generator, target: E, rate: 1 Hz, weight: 0.1 mV, delay: @@1e30 ms}"),
         "stimuli[0].delay", "a delay of at most 65535 steps (6553.5 ms)", "1e+30 ms"},
        // t_ref of 1.8e19 ms is 1.8e20 steps: converting it to an int was undefined behaviour.
        {"t_ref beyond 2^30 steps",
         replaced(small_description, "    size: 10\n", "    size: 10\n    parameters: {t_ref: @@1.8e19 ms}\n"),
         "populations.E.parameters.t_ref",
         "a t_ref of at most 1073741824 steps of dt (… ms; iaf_psc_delta counts it in steps)", "1.8e+19 ms"},
        // The default t_ref (2 ms) is 2e300 steps of dt 1e-300 ms: named at the population.
        {"default t_ref beyond 2^30 steps of a tiny dt",
         replaced(replaced(small_description, "  dt: 0.1 ms\n",
                           "  dt: 1e-300 ms\n  t_stop: 1e-299 ms\n  flush_interval: 1e-299 ms\n"
                           "  spike_classification: {threshold: 1e-299 ms}\n"),
                  "    model: iaf_psc_delta", "    @@model: iaf_psc_delta"),
         "populations.E", "a t_ref of at most 1073741824 steps of dt (…; iaf_psc_delta counts it in steps)",
         "2 ms (the default)"},
        // burst_pyramidal keeps bAP_delay + bAP_duration steps per neuron (bAP_summation: sum).
        {"bAP_delay beyond 65535 steps",
         "populations:\n  P: {model: burst_pyramidal, size: 1, parameters: {bAP_delay: @@10 s}}\n",
         "populations.P.parameters.bAP_delay",
         "a bAP_delay of at most 65535 steps of dt (6553.5 ms; burst_pyramidal counts it in steps)", "10000 ms"},
        {"spike time beyond 2^53 steps",
         "populations:\n  S: {model: spike_source, size: 1, spike_times: [[1 ms, @@1e30 ms]]}\n",
         "populations.S.spike_times[0][1]", "a spike time" + at_most_2_53, "1e+30 ms"},
        {"recording stop beyond 2^53 steps",
         with_recordings("  population_rates:\n    - {population: E, bin: 1 ms, stop: @@1e30 ms}\n"),
         "recordings.population_rates[0].stop", "a stop time" + at_most_2_53, "1e+30 ms"},
        {"recording interval beyond 2^53 steps",
         with_recordings("  state:\n    - {population: E, variables: [V_m], nodes: [0], interval: @@1e30 ms}\n"),
         "recordings.state[0].interval", "an interval" + at_most_2_53, "1e+30 ms"},
        {"flush_interval beyond 2^53 steps", with_simulation_line("  flush_interval: @@1e30 ms\n"),
         "simulation.flush_interval", "a time" + at_most_2_53, "1e+30 ms"},
        {"classification threshold beyond 2^53 steps",
         with_simulation_line("  spike_classification: {threshold: @@1e30 ms}\n"),
         "simulation.spike_classification.threshold", "a threshold" + at_most_2_53, "1e+30 ms"},
        // dt 1e-300 ms passed `apical check` and failed in the classifier after spikes.h5 existed.
        {"a dt that puts the default classification threshold beyond 2^53 steps",
         replaced(small_description, "  dt: 0.1 ms\n", "  dt: @@1e-300 ms\n  t_stop: 1e-299 ms\n"), "simulation.dt",
         "a dt of at least 2^-53 of the default spike classification threshold (16 ms)", "1e-300 ms"},
        {"a dt that puts the default flush_interval beyond 2^53 steps",
         replaced(small_description, "  dt: 0.1 ms\n",
                  "  dt: @@1e-300 ms\n  t_stop: 1e-299 ms\n  spike_classification: {threshold: 1e-299 ms}\n"),
         "simulation.dt", "a dt of at least 2^-53 of the default flush_interval (1000 ms)", "1e-300 ms"},
    };
}

std::vector<error_case> other_errors() {
    const std::string long_name(300, 'r');
    return {
        // 100000 threads segfaulted in `apical check`.
        {"threads above 1024", with_simulation_line("  threads: @@100000\n"), "simulation.threads",
         "a number of threads from 1 to 1024", "100000"},
        {"threads above 1024 from --set", small_description, "simulation.threads",
         "a number of threads from 1 to 1024", "1025", {"simulation.threads=1025"}},
        // A newline in a key would split the message: the key is quoted and escaped.
        {"a key with a newline", small_description + "@@\"bad\\nkey\": 1\n", "\"bad\\nkey\"",
         "a top-level key (one of: simulation, populations, projections, stimuli, recordings)", "\"bad\\nkey\""},
        {"a population parameter with a control character",
         replaced(small_description, "    size: 10\n", "    size: 10\n    parameters: {@@\"t\\x1bref\": 1 ms}\n"),
         "populations.E.parameters.\"t?ref\"", "a parameter of iaf_psc_delta (one of: …)",
         "\"t?ref\" (did you mean t_ref?)"},
        // A 300-character name failed inside HDF5 after spikes.h5 existed.
        {"a recording name too long for a file name",
         with_recordings("  population_rates:\n    - {name: @@" + long_name + ", population: E, bin: 1 ms}\n"),
         "recordings.population_rates[0].name",
         "a recording name whose output file names have at most 255 bytes (\"rrr…\" has 303)", "\"rrr…...\""},
        {"nesting deeper than 64 levels",
         small_description + "stimuli: " + std::string(64, '[') + "@@[1" + std::string(65, ']') + "\n",
         "stimuli[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
         "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
         "a description nested at most 64 levels deep", "deeper nesting"},
    };
}

}  // namespace

TEST_CASE("bad input: times beyond what the kernel counts in steps", "[description][errors][limits]") {
    check_error_case(GENERATE(from_range(step_errors())));
}

TEST_CASE("bad input: threads, keys, names and nesting", "[description][errors][limits]") {
    check_error_case(GENERATE(from_range(other_errors())));
}

// The largest values that fit are accepted: the bounds are not off by one.
TEST_CASE("limits: values at the bounds are accepted", "[description][limits]") {
    const std::string yaml =
        replaced(small_description, "  dt: 0.1 ms\n", "  dt: 0.1 ms\n  threads: 1024\n  flush_interval: 900719925474099.2 ms\n");
    const NetworkSpec s =
        parse_description(yaml + "stimuli:\n  - {model: dc_current, target: E, amplitude: 1 pA, stop: 900719925474099.2 ms}\n",
                          "model.yaml");
    CHECK(s.simulation.threads == 1024);
    CHECK(s.stimuli[0].stop_ms == 900719925474099.2);
}

// Ten nested anchors of ten aliases each stand for 10^10 values ("billion laughs"): it took
// 12 s and 3 GB; now the copy stops at 1,000,000 values, within a second.
TEST_CASE("bad input: an alias bomb stops at the node limit", "[description][errors][limits]") {
    std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int k = 1; k <= 9; ++k) {
        const std::string prev = "*a" + std::to_string(k - 1);
        yaml += "a" + std::to_string(k) + ": &a" + std::to_string(k) + " [" + prev;
        for (int r = 1; r < 10; ++r) yaml += ", " + prev;
        yaml += "]\n";
    }
    const auto start = std::chrono::steady_clock::now();
    const DescriptionError e = error_of(yaml);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(e.what());
    CHECK(e.expected() ==
          "a description of at most 1000000 values after alias expansion (every alias is a copy of its anchor)");
    CHECK(e.line() > 0);
    CHECK(seconds < 10.0);  // about 1 s in a Release build
}

// A duplicate key at the end of a mapping of 200,000 entries: the scan per key took 57 s.
TEST_CASE("bad input: a duplicate key in a mapping of 200,000 entries is found in linear time",
          "[description][errors][limits][no_sanitize]") {
    std::string yaml = "populations:\n";
    for (int i = 0; i < 200000; ++i) yaml += "  P" + std::to_string(i) + ": 1\n";
    yaml += "  P7: 2\n";
    const auto start = std::chrono::steady_clock::now();
    const DescriptionError e = error_of(yaml);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(e.what());
    CHECK(e.line() == 200002);
    CHECK(e.key_path() == "populations.P7");
    CHECK(e.found() == "\"P7\" a second time (first at line 9)");
    CHECK(seconds < 10.0);  // about 1 s in a Release build
}

namespace {

std::string loading_error(const std::string& path) {
    try {
        load(path);
    } catch (const DescriptionError& e) {
        return e.what();
    }
    FAIL("no DescriptionError for " << path);
    return "";
}

}  // namespace

// Only regular files are read: a FIFO blocked for ever, /dev/zero ended in std::bad_alloc.
TEST_CASE("bad input: description files that are not regular files or too large", "[description][errors][limits]") {
    const auto dir = scratch("description_limits_files");
    const std::string fifo = (dir / "fifo.yaml").string();
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(loading_error(fifo) ==
          fifo + ": expected a readable description file, found a FIFO, device or socket (not a regular file)");
    CHECK(loading_error("/dev/zero") ==
          "/dev/zero: expected a readable description file, found a FIFO, device or socket (not a regular file)");
    const std::string big = (dir / "big.yaml").string();
    {
        std::ofstream out(big);
        const std::string line = "# " + std::string(1021, 'x') + "\n";  // 1 KiB
        for (int k = 0; k < 16 * 1024; ++k) out << line;
        out << "populations: {}\n";
    }
    CHECK(loading_error(big) ==
          big + ": expected a description file of at most 16 MiB, found " + std::to_string(16 * 1024 * 1024 + 16) +
              " bytes");
}
