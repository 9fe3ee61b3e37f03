// Checkpoints through the command line: `apical run --checkpoint-on-signal` stopped by SIGTERM
// or SIGUSR1 at a random moment writes a complete checkpoint that `apical resume` continues
// with the spikes of an uninterrupted run; a checkpoint that is truncated, corrupt, incomplete,
// of another format or apical version, or whose description does not match its hash is
// refused with exit code 2 and one line saying which; options that are wrong are exit 2. A
// plastic run with a weight recording checkpoints and resumes through the command line too.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "checkpoint_runs.hpp"
#include "cli_runner.hpp"
#include "small_brunel.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

// The one checkpoint file below `dir`/checkpoints ("" if there is not exactly one).
fs::path only_checkpoint(const fs::path& dir) {
    std::vector<fs::path> found;
    if (fs::is_directory(dir / "checkpoints"))
        for (auto& e : fs::directory_iterator(dir / "checkpoints")) found.push_back(e.path());
    return found.size() == 1 ? found[0] : fs::path();
}

// A small Brunel run with checkpoints every 100 ms into `dir`; returns its first checkpoint.
fs::path brunel_checkpoint(const fs::path& dir) {
    const auto r = run_apical("run " + small_brunel_arguments() + " -o " + dir.string() +
                              " --t-stop 150 --checkpoint-every 100ms");
    REQUIRE(r.exit_code == 0);
    const fs::path c = only_checkpoint(dir);
    REQUIRE(!c.empty());
    return c;
}

// h5py on a copy of `from`: `python` edits the file `f` (opened read-write) at `to`.
void edit_copy(const fs::path& from, const fs::path& to, const std::string& python) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    const auto r = run_command("/usr/bin/python3 -c 'import h5py, numpy as np\nwith h5py.File(\"" + to.string() +
                               "\", \"r+\") as f:\n    " + python + "' 2>&1");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

void expect_refused(const fs::path& checkpoint, const std::string& says) {
    const auto r = run_apical("resume " + checkpoint.string() + " -o " + (checkpoint.parent_path() / "out").string());
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(says) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("a checkpoint truncated at random bytes is refused with exit code 2", "[checkpoint][cli][errors]") {
    const fs::path dir = scratch("checkpoint_truncated");
    const fs::path good = brunel_checkpoint(dir / "run");
    const auto size = fs::file_size(good);
    std::mt19937_64 random(20261207);
    for (int k = 0; k < 6; ++k) {
        const std::uintmax_t at = k == 0 ? 0 : std::uniform_int_distribution<std::uintmax_t>(1, size - 1)(random);
        INFO("truncated at " << at << " of " << size << " bytes");
        const fs::path bad = dir / ("truncated_" + std::to_string(k) + ".h5");
        fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
        fs::resize_file(bad, at);
        expect_refused(bad, "is corrupt or truncated");
    }
}

TEST_CASE("a corrupt, incomplete, other-version or other-description checkpoint is refused with exit code 2",
          "[checkpoint][cli][errors]") {
    const fs::path dir = scratch("checkpoint_refused");
    const fs::path good = brunel_checkpoint(dir / "run");
    // A flipped byte in the values of V_m (their chunk's Fletcher-32 checksum fails).
    edit_copy(good, dir / "corrupt.h5",
              "d = f[\"state/neurons/E/state/V_m\"]; o = d.id.get_chunk_info(0).byte_offset\n"
              "with open(\"" + (dir / "corrupt.h5").string() + "\", \"r+b\") as g:\n"
              "    g.seek(o + 100); b = g.read(1); g.seek(o + 100); g.write(bytes([b[0] ^ 0xff]))");
    expect_refused(dir / "corrupt.h5", "is corrupt or truncated");
    edit_copy(good, dir / "incomplete.h5", "del f.attrs[\"complete\"]");
    expect_refused(dir / "incomplete.h5", "is incomplete");
    edit_copy(good, dir / "format.h5", "f.attrs[\"format\"] = np.uint32(99)");
    expect_refused(dir / "format.h5", "has format version 99");
    // Format 1 (before plastic state was saved) is refused too.
    edit_copy(good, dir / "format1.h5", "f.attrs[\"format\"] = np.uint32(1)");
    expect_refused(dir / "format1.h5", "has format version 1; this apical reads version 2");
    edit_copy(good, dir / "version.h5", "f.attrs[\"apical_version\"] = \"0.0.1\"");
    expect_refused(dir / "version.h5", "was written by apical 0.0.1");
    edit_copy(good, dir / "description.h5",
              "t = f[\"description\"][()].decode().replace(\"seed: 12345\", \"seed: 12346\"); del f[\"description\"]; "
              "f[\"description\"] = t");
    expect_refused(dir / "description.h5", "does not match its hash");
    // The good one still resumes.
    const auto r = run_apical("resume " + good.string() + " -o " + (dir / "resumed").string());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    expect_refused(dir / "missing.h5", "no checkpoint file");
}

TEST_CASE("checkpoint options: bad values are exit code 2, before any file", "[checkpoint][cli][errors]") {
    const fs::path dir = scratch("checkpoint_options") / "out";
    auto r = run_apical("run " + small_brunel_arguments() + " -o " + dir.string() + " --checkpoint-every 0ms");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--checkpoint-every") != std::string::npos);
    CHECK_FALSE(fs::exists(dir));
    r = run_apical("run " + small_brunel_arguments() + " -o " + dir.string() + " --checkpoint-every 5mV");
    CHECK(r.exit_code == 2);
    CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("apical run --checkpoint-every with a plastic projection and a weight recording; apical resume ends with "
          "the files of the uninterrupted run",
          "[checkpoint][cli][plasticity]") {
    const fs::path dir = scratch("checkpoint_cli_plastic");
    const std::string plastic = " --t-stop 150 --set 'projections.EE.plasticity={rule: stdp_pair, lambda: 0.05, Wmax: 2 mV}'"
                                " --set 'recordings.weights=[{name: ee, projection: EE, interval: 10 ms, sources: [0, 1, 2]}]'";
    auto r = run_apical("run " + small_brunel_arguments() + " -o " + (dir / "reference").string() + plastic);
    REQUIRE(r.exit_code == 0);
    r = run_apical("run " + small_brunel_arguments() + " -o " + (dir / "run").string() + plastic +
                   " --checkpoint-every 100ms");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const fs::path checkpoint = only_checkpoint(dir / "run");
    REQUIRE(!checkpoint.empty());
    r = run_apical("resume " + checkpoint.string() + " -o " + (dir / "resumed").string() + " --threads 2");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* file : {"spikes.h5", "weights.h5", "ee.h5"}) {
        INFO(file);
        CHECK(output_differences(dir / "reference" / file, dir / "run" / file).empty());
        CHECK(output_differences(dir / "reference" / file, dir / "resumed" / file).empty());
    }
}

TEST_CASE("SIGTERM or SIGUSR1 at a random moment with --checkpoint-on-signal: a complete checkpoint that resumes "
          "with the spikes of the uninterrupted run",
          "[checkpoint][cli][signals]") {
    std::mt19937 random(7);
    for (int sig : {SIGTERM, SIGUSR1}) {
        const fs::path dir = scratch("checkpoint_signal_" + std::to_string(sig));
        const std::string cmd = std::string(APICAL_EXE) + " run " + small_brunel_arguments() + " -o " +
                                (dir / "run").string() + " --t-stop 1000000 --checkpoint-on-signal 2>" +
                                (dir / "stderr.txt").string();
        const pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 300 && !fs::exists(dir / "run" / "spikes.h5"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 900)(random)));
        kill(pid, sig);
        int status = 0;
        waitpid(pid, &status, 0);
        std::ifstream err_file(dir / "stderr.txt");
        const std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
        INFO(err);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + sig);
        const fs::path checkpoint = only_checkpoint(dir / "run");  // no .tmp beside it
        REQUIRE(!checkpoint.empty());
        CHECK(err.find(checkpoint.string()) != std::string::npos);
        // Resumed 200 ms further, against a run of that length from the start.
        const CheckpointFileReader reader(checkpoint);
        const std::string t_stop = std::to_string(reader.info().t_ms + 200.0);
        auto r = run_apical("resume " + checkpoint.string() + " -o " + (dir / "resumed").string() + " --threads 2 --t-stop " +
                            t_stop);
        REQUIRE(r.exit_code == 0);
        r = run_apical("run " + small_brunel_arguments() + " -o " + (dir / "reference").string() + " --t-stop " + t_stop);
        REQUIRE(r.exit_code == 0);
        CHECK(output_differences(dir / "reference" / "spikes.h5", dir / "resumed" / "spikes.h5").empty());
    }
}
