// Bad input through the command line: every kind gives exit code 2, exactly one line on
// standard error with file:line:column and the key path, and writes nothing (the output
// directory is not created). Line and column numbers are those of the offending node in the
// YAML texts below (1-based).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "cli_runner.hpp"

using namespace apical::test;
namespace fs = std::filesystem;

namespace {

const char* valid = R"(simulation:
  dt: 0.1 ms
  t_stop: 20 ms
populations:
  E:
    model: iaf_psc_delta
    size: 10
projections:
  - {source: E, target: E, connectivity: {rule: pairwise_bernoulli, p: 0.1}, weight: 0.1 mV, delay: 1.5 ms}
)";

// Writes `yaml` to a fresh directory, runs `apical run` with output inside it, and checks the
// common contract; returns the error line.
std::string expect_bad(const std::string& name, const std::string& yaml, const std::string& extra = "") {
    auto dir = scratch("cli_errors_" + name);
    auto file = write_file(dir / "model.yaml", yaml);
    auto out = dir / "out";
    auto r = run_apical("run " + file.string() + " -o " + out.string() + " " + extra);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 2);
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    REQUIRE_FALSE(fs::exists(out));
    return r.err;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a valid description runs and writes spikes.h5", "[cli]") {
    auto dir = scratch("cli_valid");
    auto file = write_file(dir / "model.yaml", valid);
    auto r = run_apical("run " + file.string() + " -o " + (dir / "out").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(dir / "out" / "spikes.h5"));
    REQUIRE(run_apical("check " + file.string()).exit_code == 0);
    REQUIRE(run_apical("--version").exit_code == 0);
    REQUIRE(run_apical("run --help").exit_code == 0);
}

TEST_CASE("bad input: malformed YAML", "[cli][errors]") {
    auto e = expect_bad("malformed", "populations:\n  E: {model: iaf_psc_delta, size: 10\n");
    REQUIRE(contains(e, "model.yaml:"));
}

TEST_CASE("bad input: unknown key lists the valid ones", "[cli][errors]") {
    std::string y = valid;
    y.replace(y.find("    size: 10"), 12, "    size: 10\n    colour: red");
    auto e = expect_bad("unknown_key", y);
    REQUIRE(contains(e, "model.yaml:8:5: populations.E.colour"));
    REQUIRE(contains(e, "parameters"));
}

TEST_CASE("bad input: missing required key", "[cli][errors]") {
    auto e = expect_bad("missing_key", "populations:\n  E:\n    size: 10\n");
    REQUIRE(contains(e, "model.yaml:3:5: populations.E"));
    REQUIRE(contains(e, "model"));
}

TEST_CASE("bad input: wrong unit dimension", "[cli][errors]") {
    std::string y = valid;
    y.replace(y.find("dt: 0.1 ms"), 10, "dt: 0.1 mV");
    auto e = expect_bad("wrong_unit", y);
    REQUIRE(contains(e, "model.yaml:2:7: simulation.dt"));
}

TEST_CASE("bad input: negative or zero population size", "[cli][errors]") {
    for (const char* size : {"-5", "0"}) {
        std::string y = valid;
        y.replace(y.find("size: 10"), 8, std::string("size: ") + size);
        auto e = expect_bad(std::string("size") + size, y);
        REQUIRE(contains(e, "model.yaml:7:11: populations.E.size"));
    }
}

TEST_CASE("bad input: probability above 1", "[cli][errors]") {
    std::string y = valid;
    y.replace(y.find("p: 0.1"), 6, "p: 1.5");
    auto e = expect_bad("probability", y);
    REQUIRE(contains(e, "model.yaml:9:"));
    REQUIRE(contains(e, "projections[0].connectivity.p"));
}

TEST_CASE("bad input: delay below dt", "[cli][errors]") {
    std::string y = valid;
    y.replace(y.find("delay: 1.5 ms"), 13, "delay: 0.05 ms");
    auto e = expect_bad("delay", y);
    REQUIRE(contains(e, "model.yaml:9:"));
    REQUIRE(contains(e, "projections[0].delay"));
}

TEST_CASE("bad input: unknown model name lists the valid ones", "[cli][errors]") {
    std::string y = valid;
    y.replace(y.find("iaf_psc_delta"), 13, "iaf_psc_dleta");
    auto e = expect_bad("model", y);
    REQUIRE(contains(e, "model.yaml:6:12: populations.E.model"));
    REQUIRE(contains(e, "iaf_psc_delta"));
    REQUIRE(contains(e, "iaf_cond_exp"));
}

TEST_CASE("bad input: missing file", "[cli][errors]") {
    auto dir = scratch("cli_errors_missing_file");
    auto r = run_apical("run " + (dir / "nope.yaml").string() + " -o " + (dir / "out").string());
    REQUIRE(r.exit_code == 2);
    REQUIRE(contains(r.err, "nope.yaml"));
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    REQUIRE_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("bad input: unwritable output directory", "[cli][errors]") {
    auto dir = scratch("cli_errors_output");
    auto file = write_file(dir / "model.yaml", std::string(valid) + "\n");
    write_file(dir / "a_file", "not a directory");
    // The output path lies under a regular file: it can never be created (even as root).
    auto r = run_apical("run " + file.string() + " -o " + (dir / "a_file" / "out").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 2);
    REQUIRE(contains(r.err, "simulation.output"));
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    // The same from the description file, with its position.
    auto y = std::string(valid);
    y.replace(y.find("  t_stop: 20 ms"), 15, "  t_stop: 20 ms\n  output: " + (dir / "a_file" / "out").string());
    auto file2 = write_file(dir / "model2.yaml", y);
    auto r2 = run_apical("run " + file2.string());
    INFO(r2.err);
    REQUIRE(r2.exit_code == 2);
    REQUIRE(contains(r2.err, "model2.yaml:4:11: simulation.output"));
}

TEST_CASE("bad arguments: unknown option and unknown command exit with 2", "[cli][errors]") {
    REQUIRE(run_apical("run --frobnicate").exit_code == 2);
    REQUIRE(run_apical("fly").exit_code == 2);
    REQUIRE(run_apical("run").exit_code == 2);
}

TEST_CASE("bad input: --seed, --threads and --t-stop are checked as the description's keys", "[cli][errors]") {
    // The options' texts are handed to the description layer unchanged (docs/description.md,
    // "simulation"): a seed of -1 is refused, not wrapped to 4294967295.
    CHECK(contains(expect_bad("seed", valid, "--seed -1"),
                   "--set: simulation.seed: expected an integer in [0, 4294967295], found -1"));
    CHECK(contains(expect_bad("threads", valid, "--threads 0"),
                   "simulation.threads: expected a number of threads from 1 to 1024, found 0"));
    // 100000 threads segfaulted while the network was built (docs/description.md, "Limits").
    CHECK(contains(expect_bad("threads_many", valid, "--threads 100000"),
                   "--set: simulation.threads: expected a number of threads from 1 to 1024, found 100000"));
    CHECK(contains(expect_bad("t_stop", valid, "--t-stop abc"), "simulation.t_stop: expected a time"));
}

TEST_CASE("bad input: an output directory that cannot be created", "[cli][errors]") {
    // /proc passes the checks of an existing, writable parent (for root), but nothing can be
    // created below it: exit 2 with the directory and the reason, nothing written.
    auto dir = scratch("cli_errors_proc");
    auto file = write_file(dir / "model.yaml", valid);
    auto r = run_apical("run " + file.string() + " -o /proc/apical_cannot_exist");
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(contains(r.err, "simulation.output: expected an output directory that can be created, found "
                          "\"/proc/apical_cannot_exist\""));
    CHECK_FALSE(fs::exists("/proc/apical_cannot_exist"));
}

namespace {

// `apical ARGS` under a time limit (a hang is exit code 124), standard error captured.
CommandResult run_apical_within(const std::string& args, int seconds) {
    return run_command("timeout " + std::to_string(seconds) + " " + APICAL_EXE + " " + args + " 2>&1 >/dev/null");
}

// `apical run` with output into `out`, which holds `name` as something other than a file:
// exit 2, one line at simulation.output naming it, and no file written into `out`.
void expect_output_refused(const fs::path& dir, const fs::path& out, const std::string& yaml,
                           const std::string& found) {
    auto file = write_file(dir / "model.yaml", yaml);
    const auto before = std::distance(fs::directory_iterator(out), fs::directory_iterator());
    auto r = run_apical("run " + file.string() + " -o " + out.string());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(contains(r.err, "simulation.output: expected a writable output directory, found " + found));
    CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == before);
}

}  // namespace

// Output files that HDF5 could not create failed after spikes.h5 existed: every file the run
// will write is checked before the first one is created (docs/description.md, "Limits").
TEST_CASE("bad input: output files that are directories or links to nothing", "[cli][errors]") {
    auto dir = scratch("cli_errors_output_files");
    auto out = dir / "out";
    fs::create_directories(out / "spikes.h5");
    expect_output_refused(dir, out, valid, "\"" + (out / "spikes.h5").string() + "\", a directory");
    fs::remove(out / "spikes.h5");
    fs::create_symlink(dir / "nowhere" / "spikes.h5", out / "spikes.h5");
    expect_output_refused(dir, out, valid, "\"" + (out / "spikes.h5").string() + "\", a symbolic link to nothing");
    fs::remove(out / "spikes.h5");
    // A population rate file, the last file a run creates.
    fs::create_directories(out / "E_rates.h5");
    expect_output_refused(dir, out, std::string(valid) + "recordings: {population_rates: [{population: E, bin: 1 ms}]}\n",
                          "\"" + (out / "E_rates.h5").string() + "\", a directory");
    // A path longer than the system takes (PATH_MAX, 4096 bytes), said before anything exists.
    std::string deep = out.string();
    while (deep.size() < 4200) deep += "/" + std::string(200, 'd');
    auto r = run_apical("run " + (dir / "model.yaml").string() + " -o " + deep);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(contains(r.err, "simulation.output: expected a writable output directory, found \""));
    CHECK(contains(r.err, "/spikes.h5\", a path too long for this system"));
    CHECK_FALSE(fs::exists(out / std::string(200, 'd')));
}

// Only regular files are read: a FIFO blocked for ever, /dev/zero ended in std::bad_alloc.
TEST_CASE("bad input: a description that is a FIFO or a device", "[cli][errors]") {
    auto dir = scratch("cli_errors_fifo");
    const std::string fifo = (dir / "model.yaml").string();
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    for (const std::string& path : {fifo, std::string("/dev/zero")}) {
        auto r = run_apical_within("check " + path, 20);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err == path + ": expected a readable description file, found a FIFO, device or socket (not a regular "
                              "file)\n");
    }
}
