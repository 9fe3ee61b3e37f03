// The HDF5 output layer: SpikeWriter (SONATA spike file, SWMR streaming, run metadata).
// Reading spike files: tests/test_sonata_spikes.cpp.
//
// Files are checked here with the HDF5 C API only. Checked once by hand with h5py 3.7
// (/usr/bin/python3 -c 'import h5py; f = h5py.File(P, "r"); ...') on the file of the first
// test case: the per-population datasets, attrs['sorting'] == 2 with
// h5py.check_enum_dtype(...) == {'none': 0, 'by_id': 1, 'by_time': 2}, units 'ms', magic
// 2682, version [0, 1], every /apical attribute and the description all read as written;
// during a run (and after SIGKILL) h5py needs File(P, "r", swmr=True).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "io/sonata_spikes.hpp"
#include "io/spike_writer.hpp"
#include "scratch.hpp"
#include "hdf5_checks.hpp"


using namespace apical;
using h5::Handle;
using namespace apical::test;
using SpikeList = std::vector<std::pair<std::uint64_t, double>>;

namespace {

std::filesystem::path scratch_file(const std::string& name) { return test::scratch_file("spike_writer", name); }

// The time the writer must store for a spike: (step + offset) * dt in double.
double time_of(const Spike& s, double dt) {
    return (static_cast<double>(s.step) + static_cast<double>(s.offset)) * dt;
}

RunMetadata start_meta() {
    RunMetadata m;
    m.version = "0.1.0";
    m.seed = 4242;
    m.dt_ms = 0.1;
    m.t_stop_ms = 50.0;
    m.ranks = 1;
    m.threads = 3;
    m.n_neurons = 23;
    m.n_synapses = 1234;
    m.synapse_bytes = 9872;
    m.build_s = 0.25;
    m.resolved_description = "simulation:\n  dt: 0.1 ms\npopulations: [exc, inh]\n";
    return m;
}

// (node id, time) pairs of one population read straight from the datasets.
SpikeList read_population(hid_t file, const std::string& pop) {
    const auto ids = read_1d<std::uint64_t>(file, "/spikes/" + pop + "/node_ids");
    const auto times = read_1d<double>(file, "/spikes/" + pop + "/timestamps");
    REQUIRE(ids.size() == times.size());
    SpikeList out;
    for (std::size_t i = 0; i < ids.size(); ++i) out.emplace_back(ids[i], times[i]);
    return out;
}

// The first n (node id, time) pairs of a population whose datasets may differ in length.
SpikeList read_head(hid_t file, const std::string& pop, std::size_t n) {
    auto ids = read_1d<std::uint64_t>(file, "/spikes/" + pop + "/node_ids");
    auto times = read_1d<double>(file, "/spikes/" + pop + "/timestamps");
    REQUIRE(ids.size() >= n);
    REQUIRE(times.size() >= n);
    SpikeList out;
    for (std::size_t i = 0; i < n; ++i) out.emplace_back(ids[i], times[i]);
    return out;
}

// What the writer must produce for each recorded population from a list of spikes.
std::map<std::string, SpikeList> expected_by_population(
    const std::vector<Spike>& spikes, const std::vector<PopulationRange>& pops, double dt) {
    std::map<std::string, SpikeList> out;
    for (const auto& p : pops) out[p.name];
    for (const Spike& s : spikes)
        for (const auto& p : pops)
            if (s.gid >= p.first_gid && s.gid < p.first_gid + p.size)
                out[p.name].emplace_back(s.gid - p.first_gid, time_of(s, dt));
    return out;
}

// Spikes of `n_steps` steps from `first_step` on, `per_step` gids per step (sorted), gids
// spread over [0, gid_span).
std::vector<Spike> make_slice(step_t first_step, int n_steps, int per_step, gid_t gid_span) {
    std::vector<Spike> out;
    for (step_t k = first_step; k < first_step + n_steps; ++k)
        for (int j = 0; j < per_step; ++j)
            out.push_back({k, static_cast<gid_t>((j * gid_span) / per_step), 0.0f});
    return out;
}

}  // namespace

TEST_CASE("SpikeWriter writes the SONATA layout, every value and the run metadata",
          "[io][spike_writer]") {
    const auto path = scratch_file("layout.h5");
    const double dt = 0.1;
    // gids 12..15 belong to a population that is not recorded; 16..19 to none at all.
    const std::vector<PopulationRange> pops = {
        {"inh", 8, 4}, {"exc", 0, 8}, {"silent", 20, 3}};
    // Slices sorted by (step, gid). Step 12 carries exact-time offsets out of gid order:
    // the writer must store gid 9 (12.25) before gid 3 (12.5) to keep sorting = by_time.
    const std::vector<std::vector<Spike>> slices = {
        {{1, 0, 0.f}, {1, 9, 0.f}, {1, 13, 0.f}, {3, 2, 0.f}, {3, 8, 0.f}, {4, 17, 0.f}},
        {},
        {{10, 7, 0.f}, {10, 11, 0.f}, {12, 3, 0.5f}, {12, 9, 0.25f}, {12, 14, 0.f}},
        {{20, 0, 0.f}, {20, 1, 0.f}, {20, 2, 0.f}, {21, 8, 0.f}, {499, 11, 0.f}},
    };
    std::vector<Spike> all;
    for (const auto& s : slices) all.insert(all.end(), s.begin(), s.end());
    std::stable_sort(all.begin(), all.end(), [](const Spike& a, const Spike& b) {
        return time_of(a, 0.1) < time_of(b, 0.1);
    });
    auto expected = expected_by_population(all, pops, dt);
    REQUIRE(expected["exc"].size() == 7);
    REQUIRE(expected["inh"].size() == 6);

    RunMetadata final_meta = start_meta();
    final_meta.simulate_s = 1.5;
    final_meta.peak_rss_bytes = 123456789;
    final_meta.simulated_ms = 50.0;
    final_meta.completed = true;
    double clock_ms = 0;  // what the simulation's clock would say at each flush
    {
        SpikeWriter w(path, pops, dt, start_meta());
        w.set_clock([&clock_ms] { return clock_ms; });
        w.append(slices[0]);
        w.append(slices[1]);
        clock_ms = 1.0;
        w.flush();
        CHECK(w.buffered() == 0);
        clock_ms = 50.0;  // finish() flushes: the end of the run
        w.append(slices[2]);
        w.append(slices[3]);
        CHECK(w.buffered() == 9);  // only recorded spikes are kept
        w.finish(final_meta);
        RunMetadata ignored = final_meta;
        ignored.completed = false;
        ignored.seed = 1;
        w.finish(ignored);  // idempotent: changes nothing
    }

    // After finish() the file is an ordinary HDF5 file: plain read-only open works.
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    REQUIRE(file.valid());
    const hid_t f = file.get();

    SECTION("root attributes magic and version") {
        CHECK(attr_type_is(f, "magic", H5T_STD_U32LE));
        CHECK(read_attr<std::uint32_t>(f, "magic") == 0x0A7A);
        CHECK(attr_type_is(f, "version", H5T_STD_U32LE));
        Handle a = open_attr(f, "version");
        Handle space(H5Aget_space(a.get()));
        hsize_t n = 0;
        REQUIRE(H5Sget_simple_extent_ndims(space.get()) == 1);
        H5Sget_simple_extent_dims(space.get(), &n, nullptr);
        REQUIRE(n == 2);
        std::uint32_t v[2] = {9, 9};
        REQUIRE(H5Aread(a.get(), H5T_NATIVE_UINT32, v) >= 0);
        CHECK((v[0] == 0 && v[1] == 1));
    }

    SECTION("per-population datasets, types, values and attributes") {
        for (const std::string pop : {"exc", "inh", "silent"}) {
            INFO("population " << pop);
            const std::string g = "/spikes/" + pop;
            CHECK(dataset_type_is(h5::open_dataset(f, g + "/timestamps").get(), H5T_IEEE_F64LE));
            CHECK(dataset_type_is(h5::open_dataset(f, g + "/node_ids").get(), H5T_STD_U64LE));
            CHECK(read_population(f, pop) == expected[pop]);  // exact doubles

            Handle ts(H5Dopen2(f, (g + "/timestamps").c_str(), H5P_DEFAULT));
            CHECK(read_string_attr(ts.get(), "units") == "ms");
            // Chunked and unlimited.
            Handle dcpl(H5Dget_create_plist(ts.get()));
            hsize_t chunk = 0;
            CHECK(H5Pget_layout(dcpl.get()) == H5D_CHUNKED);
            CHECK(H5Pget_chunk(dcpl.get(), 1, &chunk) == 1);
            CHECK(chunk == SpikeWriter::chunk_elements);
            Handle space(H5Dget_space(ts.get()));
            hsize_t cur = 0, max = 0;
            H5Sget_simple_extent_dims(space.get(), &cur, &max);
            CHECK(max == H5S_UNLIMITED);

            // sorting: an enum over uint8 {none=0, by_id=1, by_time=2} holding by_time.
            Handle group(H5Gopen2(f, g.c_str(), H5P_DEFAULT));
            Handle a = open_attr(group.get(), "sorting");
            Handle t(H5Aget_type(a.get()));
            REQUIRE(H5Tget_class(t.get()) == H5T_ENUM);
            Handle base(H5Tget_super(t.get()));
            CHECK(H5Tequal(base.get(), H5T_STD_U8LE) > 0);
            CHECK(H5Tget_nmembers(t.get()) == 3);
            const std::pair<const char*, std::uint8_t> members[] = {
                {"none", 0}, {"by_id", 1}, {"by_time", 2}};
            for (const auto& [name, value] : members) {
                std::uint8_t v = 255;
                CHECK(H5Tenum_valueof(t.get(), name, &v) >= 0);
                CHECK(v == value);
            }
            std::uint8_t stored = 255;
            REQUIRE(H5Aread(a.get(), H5T_NATIVE_UINT8, &stored) >= 0);
            CHECK(stored == 2);
            char name[16] = {};
            REQUIRE(H5Tenum_nameof(t.get(), &stored, name, sizeof name) >= 0);
            CHECK(std::string(name) == "by_time");
            // The population's size, from `pops` above.
            CHECK(attr_type_is(group.get(), "n_neurons", H5T_STD_U64LE));
            const std::uint64_t size = pop == "exc" ? 8 : pop == "inh" ? 4 : 3;
            CHECK(read_attr<std::uint64_t>(group.get(), "n_neurons") == size);
        }
        CHECK(expected["silent"].empty());
        CHECK(H5Lexists(f, "/spikes/unrecorded", H5P_DEFAULT) == 0);
        CHECK(h5::child_names(h5::open_group(f, "spikes").get()) ==
              std::vector<std::string>{"exc", "inh", "silent"});
        // The exact-time reordering inside step 12.
        const SpikeList inh = read_population(f, "inh");
        const SpikeList exc = read_population(f, "exc");
        CHECK(inh[3] == std::pair<std::uint64_t, double>{1, (12.0 + 0.25) * 0.1});
        CHECK(exc[3] == std::pair<std::uint64_t, double>{3, (12.0 + 0.5) * 0.1});
    }

    SECTION("the /apical metadata holds the final values with their types") {
        Handle g(H5Gopen2(f, "apical", H5P_DEFAULT));
        const hid_t a = g.get();
        CHECK(read_string_attr(a, "version") == "0.1.0");
        CHECK(attr_type_is(a, "seed", H5T_STD_U32LE));
        CHECK(read_attr<std::uint32_t>(a, "seed") == 4242);
        CHECK(attr_type_is(a, "dt_ms", H5T_IEEE_F64LE));
        CHECK(read_attr<double>(a, "dt_ms") == 0.1);
        CHECK(read_attr<double>(a, "t_stop_ms") == 50.0);
        CHECK(attr_type_is(a, "ranks", H5T_STD_I32LE));
        CHECK(read_attr<std::int32_t>(a, "ranks") == 1);
        CHECK(read_attr<std::int32_t>(a, "threads") == 3);
        CHECK(attr_type_is(a, "n_neurons", H5T_STD_U64LE));
        CHECK(read_attr<std::uint64_t>(a, "n_neurons") == 23);
        CHECK(read_attr<std::uint64_t>(a, "n_synapses") == 1234);
        CHECK(read_attr<std::uint64_t>(a, "synapse_bytes") == 9872);
        CHECK(read_attr<double>(a, "build_s") == 0.25);
        CHECK(read_attr<double>(a, "simulate_s") == 1.5);
        CHECK(read_attr<std::uint64_t>(a, "peak_rss_bytes") == 123456789);
        CHECK(read_attr<double>(a, "simulated_ms") == 50.0);
        CHECK(attr_type_is(a, "completed", H5T_STD_U8LE));
        CHECK(read_attr<std::uint8_t>(a, "completed") == 1);
        CHECK(h5::read_string_dataset(a, "description") == start_meta().resolved_description);
        // The clock's time at the last flush (finish()).
        CHECK(read_1d<double>(a, "flushed_ms") == std::vector<double>{50.0});
    }

    SECTION("read_sonata_spikes reads the writer's output") {
        file.close();
        CHECK(read_sonata_spikes(path, "exc") == expected["exc"]);
        CHECK(read_sonata_spikes(path, "inh") == expected["inh"]);
        CHECK(read_sonata_spikes(path, "silent").empty());
    }
}

TEST_CASE("SpikeWriter keeps memory bounded across many buffers and chunks",
          "[io][spike_writer]") {
    const auto path = scratch_file("chunks.h5");
    const std::vector<PopulationRange> pops = {{"a", 0, 1000}, {"b", 1000, 1000}};
    const std::size_t buffer = SpikeWriter::buffer_spikes;  // = 4 HDF5 chunks
    std::vector<Spike> all;
    std::size_t max_buffered = 0;
    {
        SpikeWriter w(path, pops, 0.1, start_meta());
        // 4.5 buffers (18 chunks) of population a (500 spikes a step) and 1.2 buffers of b
        // (300 a step, then none), in slices of 10 steps.
        step_t step = 0;
        std::size_t n_a = 0, n_b = 0;
        while (n_a < buffer * 9 / 2) {
            std::vector<Spike> slice = make_slice(step, 10, 500, 1000);
            if (n_b < buffer * 6 / 5)
                for (step_t k = step; k < step + 10; ++k)
                    for (gid_t j = 0; j < 300; ++j) slice.push_back({k, 1000 + 3 * j, 0.f});
            std::sort(slice.begin(), slice.end());
            for (const Spike& s : slice) (s.gid < 1000 ? n_a : n_b)++;
            w.append(slice);
            all.insert(all.end(), slice.begin(), slice.end());
            max_buffered = std::max(max_buffered, w.buffered());
            step += 10;
        }
        // Each population holds less than one buffer at any time.
        CHECK(max_buffered < 2 * buffer);
        CHECK(w.buffered() < 2 * buffer);
        RunMetadata m = start_meta();
        m.completed = true;
        w.finish(m);
    }
    INFO("max buffered " << max_buffered);
    auto expected = expected_by_population(all, pops, 0.1);
    REQUIRE(expected["a"].size() > 4 * buffer);
    REQUIRE(expected["b"].size() > buffer);
    Handle file = h5::open_file(path, H5F_ACC_RDONLY);
    CHECK(read_population(file.get(), "a") == expected["a"]);
    CHECK(read_population(file.get(), "b") == expected["b"]);
}

TEST_CASE("a running writer's file is readable by another process after each flush",
          "[io][spike_writer][swmr]") {
    const auto path = scratch_file("live.h5");
    const std::vector<PopulationRange> pops = {{"exc", 0, 100}};
    const std::vector<Spike> first = make_slice(0, 50, 40, 100);     // 2000 spikes
    const std::vector<Spike> second = make_slice(50, 30, 40, 100);   // 1200 spikes
    const std::vector<Spike> third = make_slice(80, 1700, 40, 100);  // 68000: > 1 buffer

    int to_parent[2], to_child[2];
    REQUIRE(pipe(to_parent) == 0);
    REQUIRE(pipe(to_child) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The writer. No Catch2 in here: any failure is the exit code.
        int code = 0;
        try {
            SpikeWriter w(path, pops, 0.1, start_meta());
            w.append(first);
            w.flush();
            w.append(second);  // buffered only
            send_byte(to_parent[1]);
            if (!receive_byte(to_child[0])) _exit(2);
            w.flush();
            w.append(third);   // fills a buffer: partly written, not flushed
            send_byte(to_parent[1]);
            if (!receive_byte(to_child[0])) _exit(2);
            RunMetadata m = start_meta();
            m.completed = true;
            w.finish(m);
        } catch (...) {
            code = 1;
        }
        _exit(code);
    }
    close(to_parent[1]);
    close(to_child[0]);
    const auto expected_first = expected_by_population(first, pops, 0.1)["exc"];
    std::vector<Spike> both = first;
    both.insert(both.end(), second.begin(), second.end());
    const auto expected_both = expected_by_population(both, pops, 0.1)["exc"];

    REQUIRE(receive_byte(to_parent[0]));
    // HDF5 1.10: a plain reader is refused while a SWMR writer has the file open...
    CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT) < 0);
    // ...a SWMR reader sees exactly the flushed spikes.
    Handle reader(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
    REQUIRE(reader.valid());
    CHECK(read_population(reader.get(), "exc") == expected_first);
    CHECK(read_sonata_spikes(path, "exc") == expected_first);  // falls back to SWMR read
    Handle ts = h5::open_dataset(reader.get(), "/spikes/exc/timestamps");
    CHECK(h5::extent_1d(ts.get()) == first.size());

    send_byte(to_child[1]);
    REQUIRE(receive_byte(to_parent[0]));
    // The reader stays open; H5Drefresh shows what the writer flushed since.
    Handle ids = h5::open_dataset(reader.get(), "/spikes/exc/node_ids");
    REQUIRE(H5Drefresh(ts.get()) >= 0);
    REQUIRE(H5Drefresh(ids.get()) >= 0);
    const std::size_t seen = h5::extent_1d(ts.get());
    CHECK(seen >= both.size());  // plus perhaps the buffer of `third` written on the way
    CHECK(seen <= both.size() + SpikeWriter::buffer_spikes);
    // Datasets may be seen at different lengths (the writer is between flushes), so
    // compare what was flushed.
    CHECK(read_head(reader.get(), "exc", expected_both.size()) == expected_both);
    ts.close();
    ids.close();
    reader.close();

    send_byte(to_child[1]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    close(to_parent[0]);
    close(to_child[1]);

    // Finished: an ordinary file with everything.
    std::vector<Spike> all = both;
    all.insert(all.end(), third.begin(), third.end());
    Handle file = h5::open_file(path, H5F_ACC_RDONLY);
    CHECK(read_population(file.get(), "exc") == expected_by_population(all, pops, 0.1)["exc"]);
    Handle apical = h5::open_group(file.get(), "apical");
    CHECK(read_attr<std::uint8_t>(apical.get(), "completed") == 1);
}

TEST_CASE("a killed writer leaves a file with every flushed spike", "[io][spike_writer][swmr]") {
    const std::vector<PopulationRange> pops = {{"exc", 0, 100}, {"inh", 100, 50}};
    // exc 68000 spikes (> 1 buffer), inh 32000.
    const std::vector<Spike> flushed = make_slice(0, 2000, 50, 150);
    const std::vector<Spike> unflushed = make_slice(2000, 20, 50, 150);  // buffered only
    const auto expected = expected_by_population(flushed, pops, 0.1);

    for (const bool sigkill : {true, false}) {
        DYNAMIC_SECTION((sigkill ? "raise(SIGKILL)" : "_exit without closing")) {
            const auto path = scratch_file(sigkill ? "killed.h5" : "exited.h5");
            const pid_t child = fork();
            REQUIRE(child >= 0);
            if (child == 0) {
                try {
                    SpikeWriter w(path, pops, 0.1, start_meta());
                    w.append(flushed);
                    w.flush();
                    w.append(unflushed);
                    if (sigkill) raise(SIGKILL);
                    _exit(7);  // no destructors, no HDF5 close
                } catch (...) {
                    _exit(1);
                }
            }
            int status = 0;
            REQUIRE(waitpid(child, &status, 0) == child);
            if (sigkill) {
                REQUIRE(WIFSIGNALED(status));
                REQUIRE(WTERMSIG(status) == SIGKILL);
            } else {
                REQUIRE(WIFEXITED(status));
                REQUIRE(WEXITSTATUS(status) == 7);
            }
            // The superblock still says "open by a SWMR writer": plain readers are refused
            // (`h5clear -s` would reset that), SWMR readers see every flushed spike.
            CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT) < 0);
            CHECK(read_sonata_spikes(path, "exc") == expected.at("exc"));
            CHECK(read_sonata_spikes(path, "inh") == expected.at("inh"));
            Handle file = h5::open_file_for_reading(path);
            Handle apical = h5::open_group(file.get(), "apical");
            CHECK(read_attr<std::uint8_t>(apical.get(), "completed") == 0);
            CHECK(read_attr<std::uint64_t>(apical.get(), "n_synapses") == 1234);
            CHECK(h5::read_string_dataset(apical.get(), "description") ==
                  start_meta().resolved_description);
        }
    }
}

TEST_CASE("SpikeWriter without finish() closes the file with start metadata",
          "[io][spike_writer]") {
    const auto path = scratch_file("unfinished.h5");
    const std::vector<PopulationRange> pops = {{"exc", 0, 10}};
    const std::vector<Spike> spikes = make_slice(0, 5, 3, 10);
    { SpikeWriter(path, pops, 0.1, start_meta()).append(spikes); }  // destructor flushes
    Handle file = h5::open_file(path, H5F_ACC_RDONLY);  // closed cleanly: plain open works
    CHECK(read_population(file.get(), "exc") == expected_by_population(spikes, pops, 0.1)["exc"]);
    CHECK(read_attr<std::uint8_t>(h5::open_group(file.get(), "apical").get(), "completed") == 0);
}

TEST_CASE("SpikeWriter reports an unusable output path or population name as UserError",
          "[io][spike_writer]") {
    const std::vector<PopulationRange> pops = {{"exc", 0, 10}};
    CHECK_THROWS_AS(SpikeWriter("/nonexistent-dir/x/spikes.h5", pops, 0.1, start_meta()),
                    UserError);
    CHECK_THROWS_WITH(SpikeWriter("/nonexistent-dir/x/spikes.h5", pops, 0.1, start_meta()),
                      Catch::Contains("/nonexistent-dir/x/spikes.h5"));
    const auto path = scratch_file("badname.h5");
    CHECK_THROWS_AS((SpikeWriter(path, {{"a/b", 0, 10}}, 0.1, start_meta())), UserError);
    CHECK_THROWS_AS((SpikeWriter(path, {{"a", 0, 10}, {"a", 10, 5}}, 0.1, start_meta())),
                    UserError);
}
