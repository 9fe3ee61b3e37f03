// ReportWriter: the SONATA frame-oriented report (docs/sonata.md 2.1), streamed under SWMR.
//
// Files are checked here with the HDF5 C API only. Checked once by hand with h5py 3.7
// (HDF5 1.10.8) on the file of the first test case:
//   /usr/bin/python3 -c 'import h5py; f = h5py.File(P, "r"); g = f["report/cortex"]; ...'
// data float32 (10, 5) with chunks (10, 5), maxshape (None, 5), attrs units 'mV' and
// variable 'v' (str); mapping/node_ids uint64 [3 7 1 42 0]; index_pointers and
// index_pointer uint64 [0 1 2 3 4 5] with g["mapping/index_pointer"] == g["mapping/
// index_pointers"] (the same object); element_ids uint32 zeros; time float64 [0. 1. 0.1]
// with units 'ms'; root magic 2682, version [0 1]; every value of data equal to the
// float32 of the value appended. While the writer runs (and after SIGKILL) h5py needs
// File(P, "r", swmr=True).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "io/report_writer.hpp"
#include "scratch.hpp"
#include "hdf5_checks.hpp"


using namespace apical;
using h5::Handle;
using namespace apical::test;

namespace {

std::filesystem::path scratch_file(const std::string& name) { return test::scratch_file("report_writer", name); }

// The value appended for node column i in frame t (not exact in float32, so the checks
// see the writer's rounding, which must be static_cast<float>).
double value_of(std::size_t t, std::size_t i) {
    return -70.0 + 0.001 * static_cast<double>((t * 7919 + i * 104729) % 100003) + 1e-7 * i;
}
float stored_value(std::size_t t, std::size_t i) { return static_cast<float>(value_of(t, i)); }

// Frames [first, first + n) of an n_nodes-wide report, row-major.
std::vector<double> make_frames(std::size_t first, std::size_t n, std::size_t n_nodes) {
    std::vector<double> v;
    v.reserve(n * n_nodes);
    for (std::size_t t = first; t < first + n; ++t)
        for (std::size_t i = 0; i < n_nodes; ++i) v.push_back(value_of(t, i));
    return v;
}

void append_frames(ReportWriter& w, std::size_t first, std::size_t n) {
    const std::vector<double> v = make_frames(first, n, w.n_nodes());
    w.append(v, n);
}

// The number of hard links to an object (H5Oget_info's signature differs across versions).
unsigned link_count(hid_t obj) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    REQUIRE(H5Oget_info3(obj, &info, H5O_INFO_BASIC) >= 0);
#else
    H5O_info_t info;
    REQUIRE(H5Oget_info(obj, &info) >= 0);
#endif
    return info.rc;
}

// Rows [first, first + n) of a 2-D float dataset, as float.
std::vector<float> read_rows(hid_t d, hsize_t first, hsize_t n) {
    const auto dims = h5::shape(d);
    REQUIRE(dims.size() == 2);
    REQUIRE(first + n <= dims[0]);
    std::vector<float> out(n * dims[1]);
    if (out.empty()) return out;
    const hsize_t start[2] = {first, 0}, count[2] = {n, dims[1]};
    Handle fs(H5Dget_space(d));
    Handle ms(H5Screate_simple(2, count, nullptr));
    REQUIRE(H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) >= 0);
    REQUIRE(H5Dread(d, H5T_NATIVE_FLOAT, ms.get(), fs.get(), H5P_DEFAULT, out.data()) >= 0);
    return out;
}

// One node's whole trace (column `col`).
std::vector<float> read_column(hid_t d, hsize_t col) {
    const auto dims = h5::shape(d);
    REQUIRE(dims.size() == 2);
    std::vector<float> out(dims[0]);
    if (out.empty()) return out;
    const hsize_t start[2] = {0, col}, count[2] = {dims[0], 1};
    Handle fs(H5Dget_space(d));
    Handle ms(H5Screate_simple(1, &dims[0], nullptr));
    REQUIRE(H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) >= 0);
    REQUIRE(H5Dread(d, H5T_NATIVE_FLOAT, ms.get(), fs.get(), H5P_DEFAULT, out.data()) >= 0);
    return out;
}

// Whether rows [0, n) of `data` hold the frames 0..n-1 of value_of; counts mismatches
// instead of checking each value (millions of them).
std::size_t mismatches(hid_t d, std::size_t n_frames, std::size_t n_nodes) {
    std::size_t bad = 0;
    const std::size_t block = 64;
    for (std::size_t first = 0; first < n_frames; first += block) {
        const std::size_t n = std::min(block, n_frames - first);
        const std::vector<float> rows = read_rows(d, first, n);
        for (std::size_t t = 0; t < n; ++t)
            for (std::size_t i = 0; i < n_nodes; ++i)
                bad += rows[t * n_nodes + i] != stored_value(first + t, i);
    }
    return bad;
}

std::vector<double> time_of(double start, double stop, double step) { return {start, stop, step}; }

}  // namespace

TEST_CASE("ReportWriter chunk shape and planned frames", "[io][report_writer]") {
    using S = ReportWriter::ChunkShape;
    auto same = [](S a, S b) { return a.frames == b.frames && a.columns == b.columns; };
    CHECK(same(ReportWriter::chunk_shape(5, 10), S{10, 5}));       // capped by the plan
    CHECK(same(ReportWriter::chunk_shape(1, 1000000), S{65536, 1}));
    CHECK(same(ReportWriter::chunk_shape(256, 1000000), S{256, 256}));
    CHECK(same(ReportWriter::chunk_shape(300, 1000000), S{436, 150}));  // 2 even columns
    CHECK(same(ReportWriter::chunk_shape(1000, 5000), S{262, 250}));    // 256 KiB
    CHECK(same(ReportWriter::chunk_shape(10000, 10000), S{104, 250}));  // 4 MiB buffer
    CHECK(same(ReportWriter::chunk_shape(1000000, 10), S{1, 256}));     // 1 frame: 3.8 MiB
    CHECK(same(ReportWriter::chunk_shape(2000000, 10), S{1, 256}));     // 1 frame: 7.6 MiB
    CHECK(same(ReportWriter::chunk_shape(7, 0), S{1, 7}));
    CHECK(ReportWriter::planned_frames(0, 1.0, 0.1) == 10);
    CHECK(ReportWriter::planned_frames(0, 0.7, 0.1) == 7);   // 6.999999999999999
    CHECK(ReportWriter::planned_frames(0, 1.1, 0.1) == 11);  // 11.000000000000002
    CHECK(ReportWriter::planned_frames(0, 1.05, 0.1) == 11); // last frame at 1.0
    CHECK(ReportWriter::planned_frames(2.0, 22.0, 0.1) == 200);
    CHECK(ReportWriter::planned_frames(5.0, 5.0, 0.1) == 0);
}

TEST_CASE("ReportWriter writes the SONATA report layout and every value",
          "[io][report_writer]") {
    const auto path = scratch_file("layout.h5");
    const std::vector<std::uint64_t> ids = {3, 7, 1, 42, 0};
    const std::size_t n = ids.size();
    {
        ReportWriter w(path, "cortex", ids, "v", "mV", 0.0, 1.0, 0.1);
        CHECK(w.n_nodes() == 5);
        CHECK(w.chunk().frames == 10);
        CHECK(w.chunk().columns == 5);
        CHECK(w.buffer_frames() == 209710);  // chunk rows of 10 frames in 4 MiB
        append_frames(w, 0, 1);
        append_frames(w, 1, 2);
        CHECK(w.frames_written() == 3);
        CHECK(w.buffered_frames() == 3);
        w.flush();
        CHECK(w.buffered_frames() == 0);
        CHECK(w.frames_written() == 3);
        append_frames(w, 3, 7);
        CHECK(w.frames_written() == 10);
        w.finish();
        w.finish();  // idempotent
        CHECK(w.frames_written() == 10);
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
        REQUIRE(H5Sget_simple_extent_ndims(space.get()) == 1);
        hsize_t len = 0;
        H5Sget_simple_extent_dims(space.get(), &len, nullptr);
        REQUIRE(len == 2);
        std::uint32_t v[2] = {9, 9};
        REQUIRE(H5Aread(a.get(), H5T_NATIVE_UINT32, v) >= 0);
        CHECK((v[0] == 0 && v[1] == 1));
    }

    SECTION("groups") {
        CHECK(h5::child_names(f) == std::vector<std::string>{"report"});
        CHECK(h5::child_names(h5::open_group(f, "report").get()) ==
              std::vector<std::string>{"cortex"});
        CHECK(h5::child_names(h5::open_group(f, "report/cortex").get()) ==
              std::vector<std::string>{"data", "mapping"});
        CHECK(h5::child_names(h5::open_group(f, "report/cortex/mapping").get()) ==
              std::vector<std::string>{"element_ids", "index_pointer", "index_pointers",
                                       "node_ids", "time"});
    }

    SECTION("data: float32 [T, N], chunked, unlimited T, units and variable, every value") {
        Handle d = h5::open_dataset(f, "report/cortex/data");
        CHECK(dataset_type_is(d.get(), H5T_IEEE_F32LE));
        Handle space(H5Dget_space(d.get()));
        REQUIRE(H5Sget_simple_extent_ndims(space.get()) == 2);
        hsize_t dims[2] = {}, max[2] = {};
        H5Sget_simple_extent_dims(space.get(), dims, max);
        CHECK(dims[0] == 10);
        CHECK(dims[1] == n);
        CHECK(max[0] == H5S_UNLIMITED);
        CHECK(max[1] == n);
        Handle dcpl(H5Dget_create_plist(d.get()));
        REQUIRE(H5Pget_layout(dcpl.get()) == H5D_CHUNKED);
        hsize_t chunk[2] = {};
        REQUIRE(H5Pget_chunk(dcpl.get(), 2, chunk) == 2);
        const auto expected_chunk = ReportWriter::chunk_shape(n, 10);
        CHECK(chunk[0] == expected_chunk.frames);
        CHECK(chunk[1] == expected_chunk.columns);
        CHECK(H5Pget_nfilters(dcpl.get()) == 0);
        CHECK(read_string_attr(d.get(), "units") == "mV");
        CHECK(read_string_attr(d.get(), "variable") == "v");
        const std::vector<float> all = read_rows(d.get(), 0, 10);
        for (std::size_t t = 0; t < 10; ++t)
            for (std::size_t i = 0; i < n; ++i) {
                INFO("frame " << t << " node column " << i);
                CHECK(all[t * n + i] == stored_value(t, i));
            }
    }

    SECTION("mapping: node_ids, index_pointers (+ hard link), element_ids, time") {
        const std::string m = "report/cortex/mapping/";
        Handle node_ids = h5::open_dataset(f, m + "node_ids");
        CHECK(dataset_type_is(node_ids.get(), H5T_STD_U64LE));
        CHECK(h5::read_all<std::uint64_t>(node_ids.get()) == ids);

        Handle ptrs = h5::open_dataset(f, m + "index_pointers");
        CHECK(dataset_type_is(ptrs.get(), H5T_STD_U64LE));
        CHECK(h5::read_all<std::uint64_t>(ptrs.get()) ==
              std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5});
        // index_pointer is a second hard link to the same dataset (two links to it).
        for (const char* name : {"index_pointers", "index_pointer"}) {
            H5L_info_t link;
            REQUIRE(H5Lget_info(f, (m + name).c_str(), &link, H5P_DEFAULT) >= 0);
            CHECK(link.type == H5L_TYPE_HARD);
        }
        CHECK(link_count(ptrs.get()) == 2);
        CHECK(read_1d<std::uint64_t>(f, m + "index_pointer") ==
              std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5});

        Handle elements = h5::open_dataset(f, m + "element_ids");
        CHECK(dataset_type_is(elements.get(), H5T_STD_U32LE));
        CHECK(h5::read_all<std::uint32_t>(elements.get()) == std::vector<std::uint32_t>(5, 0));

        Handle time = h5::open_dataset(f, m + "time");
        CHECK(dataset_type_is(time.get(), H5T_IEEE_F64LE));
        CHECK(h5::read_all<double>(time.get()) == time_of(0.0, 1.0, 0.1));  // all frames
        CHECK(read_string_attr(time.get(), "units") == "ms");
    }
}

TEST_CASE("ReportWriter keeps memory bounded across many buffers and chunks",
          "[io][report_writer]") {
    const auto path = scratch_file("wide.h5");
    const std::size_t n = 10000, planned = 1000, frames = 613;  // stops early
    std::vector<std::uint64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = 3 * i + 1;
    std::size_t max_buffered = 0, writes_seen = 0;
    {
        ReportWriter w(path, "wide", ids, "v", "mV", 0.0, 100.0, 0.1);
        REQUIRE(ReportWriter::planned_frames(0.0, 100.0, 0.1) == planned);
        const std::size_t cap = w.buffer_frames();
        CHECK(cap == 104);  // one chunk row
        CHECK(w.chunk().frames == 104);
        CHECK(w.chunk().columns == 250);
        CHECK(cap * n * sizeof(float) <= ReportWriter::buffer_bytes);
        // Uneven appends, including several frames at once across buffer boundaries.
        const std::size_t sizes[] = {1, 3, 17, 1, 40, 2, 9};
        std::size_t t = 0, k = 0, last_in_file = 0;
        while (t < frames) {
            const std::size_t m = std::min(sizes[k++ % std::size(sizes)], frames - t);
            append_frames(w, t, m);
            t += m;
            CHECK(w.frames_written() == t);
            max_buffered = std::max(max_buffered, w.buffered_frames());
            const std::size_t in_file = w.frames_written() - w.buffered_frames();
            if (in_file != last_in_file) ++writes_seen;
            last_in_file = in_file;
            REQUIRE(w.buffered_frames() < cap);
        }
        CHECK(writes_seen == frames / cap);  // one write per full buffer
        w.finish();
    }
    INFO("max buffered frames " << max_buffered);
    Handle file = h5::open_file(path, H5F_ACC_RDONLY);
    Handle d = h5::open_dataset(file.get(), "report/wide/data");
    CHECK(h5::shape(d.get()) == std::vector<hsize_t>{frames, n});
    // 613 frames in chunks of 104 x 250: 6 chunk rows x 40 chunk columns.
    CHECK(mismatches(d.get(), frames, n) == 0);
    // One node's whole trace and one whole frame, as a reader would take them.
    for (const std::size_t col : {std::size_t{0}, std::size_t{4321}, n - 1}) {
        const std::vector<float> trace = read_column(d.get(), col);
        std::size_t bad = 0;
        for (std::size_t t = 0; t < frames; ++t) bad += trace[t] != stored_value(t, col);
        CHECK(bad == 0);
    }
    const std::vector<float> frame = read_rows(d.get(), 500, 1);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) bad += frame[i] != stored_value(500, i);
    CHECK(bad == 0);
    CHECK(read_1d<std::uint64_t>(file.get(), "report/wide/mapping/node_ids") == ids);
    // Stopped early: time describes the 613 frames present.
    CHECK(read_1d<double>(file.get(), "report/wide/mapping/time") ==
          time_of(0.0, 0.0 + static_cast<double>(frames) * 0.1, 0.1));
    // The file holds little more than the data's allocated chunks (6 chunk rows of 104
    // frames, each written once).
    CHECK(std::filesystem::file_size(path) < 6 * 104 * n * 4 + 1024 * 1024);
}

TEST_CASE("ReportWriter writes whole chunk rows, also after a flush inside one",
          "[io][report_writer]") {
    const auto path = scratch_file("aligned.h5");
    const std::size_t n = 1000;  // chunks of 262 frames, buffer of 4 chunk rows
    std::vector<std::uint64_t> ids(n, 0);
    ReportWriter w(path, "p", ids, "v", "mV", 0.0, 500.0, 0.1);
    REQUIRE(w.chunk().frames == 262);
    REQUIRE(w.buffer_frames() == 4 * 262);
    // Frames in the file after each write, appending one frame at a time.
    std::vector<std::size_t> writes;
    std::size_t t = 0;
    auto run_to = [&](std::size_t end) {
        for (; t < end; ++t) {
            const std::size_t before = w.frames_written() - w.buffered_frames();
            append_frames(w, t, 1);
            const std::size_t after = w.frames_written() - w.buffered_frames();
            if (after != before) writes.push_back(after);
            REQUIRE(w.buffered_frames() < w.buffer_frames());
        }
    };
    run_to(1100);
    CHECK(writes == std::vector<std::size_t>{1048});
    w.flush();  // 1100 frames: 52 into the fifth chunk row
    writes.clear();
    run_to(3300);
    // The first write ends at the next chunk-row boundary, 4 chunk rows from the last
    // aligned write; later writes are full buffers.
    CHECK(writes == std::vector<std::size_t>{2096, 3144});  // 8 and 12 chunk rows
    w.finish();
    Handle file = h5::open_file(path, H5F_ACC_RDONLY);
    Handle d = h5::open_dataset(file.get(), "report/p/data");
    CHECK(h5::shape(d.get()) == std::vector<hsize_t>{3300, n});
    CHECK(mismatches(d.get(), 3300, n) == 0);
}

TEST_CASE("ReportWriter rewrites time when a run stops early or goes on",
          "[io][report_writer]") {
    const std::vector<std::uint64_t> ids = {0, 1, 2};
    auto time_in = [](const std::filesystem::path& p) {
        Handle file = h5::open_file(p, H5F_ACC_RDONLY);
        return read_1d<double>(file.get(), "report/p/mapping/time");
    };
    auto rows_in = [](const std::filesystem::path& p) {
        Handle file = h5::open_file(p, H5F_ACC_RDONLY);
        return h5::shape(h5::open_dataset(file.get(), "report/p/data").get())[0];
    };
    SECTION("finish() after 37 of 100 frames") {
        const auto p = scratch_file("early.h5");
        ReportWriter w(p, "p", ids, "v", "mV", 10.0, 20.0, 0.1);
        append_frames(w, 0, 20);
        w.flush();
        append_frames(w, 20, 17);
        w.finish();
        CHECK(rows_in(p) == 37);
        CHECK(time_in(p) == time_of(10.0, 10.0 + 37 * 0.1, 0.1));
    }
    SECTION("the destructor without finish() (no flush before)") {
        const auto p = scratch_file("destructor.h5");
        { ReportWriter(p, "p", ids, "v", "mV", 10.0, 20.0, 0.1).append(make_frames(0, 5, 3), 5); }
        CHECK(rows_in(p) == 5);
        CHECK(time_in(p) == time_of(10.0, 10.0 + 5 * 0.1, 0.1));
    }
    SECTION("no frame at all") {
        const auto p = scratch_file("empty.h5");
        ReportWriter(p, "p", ids, "v", "mV", 10.0, 20.0, 0.1).finish();
        CHECK(rows_in(p) == 0);
        CHECK(time_in(p) == time_of(10.0, 10.0, 0.1));
    }
    SECTION("every planned frame keeps stop exactly as given") {
        const auto p = scratch_file("complete.h5");
        ReportWriter w(p, "p", ids, "v", "mV", 0.0, 0.7, 0.1);  // 7 frames
        append_frames(w, 0, 7);
        w.finish();
        CHECK(rows_in(p) == 7);
        CHECK(time_in(p) == time_of(0.0, 0.7, 0.1));  // not 7 * 0.1 = 0.7000000000000001
    }
    SECTION("more frames than planned") {
        const auto p = scratch_file("longer.h5");
        ReportWriter w(p, "p", ids, "v", "mV", 0.0, 1.0, 0.1);
        append_frames(w, 0, 12);
        w.finish();
        CHECK(rows_in(p) == 12);
        CHECK(time_in(p) == time_of(0.0, 12 * 0.1, 0.1));
    }
}

TEST_CASE("a running report writer's file is readable by another process after each flush",
          "[io][report_writer][swmr]") {
    const auto path = scratch_file("live.h5");
    const std::size_t n = 300;
    const double start = 2.0, stop = 22.0, step = 0.1;  // 200 frames planned
    std::vector<std::uint64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = n - i;

    int to_parent[2], to_child[2];
    REQUIRE(pipe(to_parent) == 0);
    REQUIRE(pipe(to_child) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The writer. No Catch2 in here: any failure is the exit code.
        int code = 0;
        try {
            ReportWriter w(path, "v1", ids, "v", "mV", start, stop, step);
            append_frames(w, 0, 50);
            w.flush();
            append_frames(w, 50, 30);  // buffered only
            send_byte(to_parent[1]);
            if (!receive_byte(to_child[0])) _exit(2);
            w.flush();
            send_byte(to_parent[1]);
            if (!receive_byte(to_child[0])) _exit(2);
            append_frames(w, 80, 120);
            w.finish();
        } catch (...) {
            code = 1;
        }
        _exit(code);
    }
    close(to_parent[1]);
    close(to_child[0]);

    REQUIRE(receive_byte(to_parent[0]));
    // A plain reader is refused while a SWMR writer has the file open...
    CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT) < 0);
    // ...a SWMR reader sees exactly the flushed frames, and time describes them.
    Handle reader(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
    REQUIRE(reader.valid());
    Handle data = h5::open_dataset(reader.get(), "report/v1/data");
    Handle time = h5::open_dataset(reader.get(), "report/v1/mapping/time");
    CHECK(h5::shape(data.get()) == std::vector<hsize_t>{50, n});
    CHECK(mismatches(data.get(), 50, n) == 0);
    CHECK(h5::read_all<double>(time.get()) == time_of(start, start + 50 * step, step));
    CHECK(read_1d<std::uint64_t>(reader.get(), "report/v1/mapping/node_ids") == ids);
    CHECK(read_string_attr(data.get(), "units") == "mV");

    send_byte(to_child[1]);
    REQUIRE(receive_byte(to_parent[0]));
    // The reader stays open; H5Drefresh shows the new frames and the rewritten time.
    REQUIRE(H5Drefresh(data.get()) >= 0);
    REQUIRE(H5Drefresh(time.get()) >= 0);
    CHECK(h5::shape(data.get()) == std::vector<hsize_t>{80, n});
    CHECK(mismatches(data.get(), 80, n) == 0);
    CHECK(h5::read_all<double>(time.get()) == time_of(start, start + 80 * step, step));
    data.close();
    time.close();
    reader.close();

    send_byte(to_child[1]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    close(to_parent[0]);
    close(to_child[1]);

    // Finished: an ordinary file with every frame and the planned interval.
    Handle file = h5::open_file(path, H5F_ACC_RDONLY);
    Handle d = h5::open_dataset(file.get(), "report/v1/data");
    CHECK(h5::shape(d.get()) == std::vector<hsize_t>{200, n});
    CHECK(mismatches(d.get(), 200, n) == 0);
    CHECK(read_1d<double>(file.get(), "report/v1/mapping/time") == time_of(start, stop, step));
}

TEST_CASE("a killed report writer leaves every flushed frame readable",
          "[io][report_writer][swmr]") {
    const std::size_t n = 1000;  // buffer of 1048 frames
    const std::size_t flushed = 2500, unflushed = 100;
    const double start = 0.0, stop = 500.0, step = 0.1;  // 5000 frames planned
    std::vector<std::uint64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = i;

    for (const bool sigkill : {true, false}) {
        DYNAMIC_SECTION((sigkill ? "raise(SIGKILL)" : "_exit without closing")) {
            const auto path = scratch_file(sigkill ? "killed.h5" : "exited.h5");
            const pid_t child = fork();
            REQUIRE(child >= 0);
            if (child == 0) {
                try {
                    ReportWriter w(path, "exc", ids, "v", "mV", start, stop, step);
                    for (std::size_t t = 0; t < flushed; t += 250) append_frames(w, t, 250);
                    w.flush();
                    append_frames(w, flushed, unflushed);  // below one buffer: memory only
                    if (w.buffered_frames() != unflushed) _exit(3);
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
            // Still marked as open by a SWMR writer: plain readers are refused, SWMR
            // readers see every flushed frame, and time describes exactly those.
            CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT) < 0);
            Handle file = h5::open_file_for_reading(path);
            Handle d = h5::open_dataset(file.get(), "report/exc/data");
            CHECK(h5::shape(d.get()) == std::vector<hsize_t>{flushed, n});
            CHECK(mismatches(d.get(), flushed, n) == 0);
            CHECK(read_1d<double>(file.get(), "report/exc/mapping/time") ==
                  time_of(start, start + static_cast<double>(flushed) * step, step));
            CHECK(read_1d<std::uint64_t>(file.get(), "report/exc/mapping/index_pointers").size() ==
                  n + 1);
        }
    }
}

TEST_CASE("ReportWriter reports bad paths and arguments as UserError",
          "[io][report_writer]") {
    const std::vector<std::uint64_t> ids = {0, 1};
    CHECK_THROWS_AS(ReportWriter("/nonexistent-dir/x/v.h5", "p", ids, "v", "mV", 0, 1, 0.1),
                    UserError);
    CHECK_THROWS_WITH(ReportWriter("/nonexistent-dir/x/v.h5", "p", ids, "v", "mV", 0, 1, 0.1),
                      Catch::Contains("/nonexistent-dir/x/v.h5"));
    // An existing directory as the file: HDF5 cannot create it.
    const auto dir = scratch_file("a_directory");
    std::filesystem::create_directories(dir);
    CHECK_THROWS_AS(ReportWriter(dir, "p", ids, "v", "mV", 0, 1, 0.1), UserError);
    CHECK_THROWS_WITH(ReportWriter(dir, "p", ids, "v", "mV", 0, 1, 0.1),
                      Catch::Contains(dir.string()));

    const auto path = scratch_file("bad.h5");
    CHECK_THROWS_WITH(ReportWriter(path, "a/b", ids, "v", "mV", 0, 1, 0.1),
                      Catch::Contains("'a/b'") && Catch::Contains("bad.h5"));
    CHECK_THROWS_AS(ReportWriter(path, "", ids, "v", "mV", 0, 1, 0.1), UserError);
    CHECK_THROWS_WITH(ReportWriter(path, "p", {}, "v", "mV", 0, 1, 0.1),
                      Catch::Contains("no nodes"));
    CHECK_THROWS_AS(ReportWriter(path, "p", ids, "v", "mV", 0, 1, 0.0), UserError);
    CHECK_THROWS_AS(ReportWriter(path, "p", ids, "v", "mV", 0, 1, -0.1), UserError);
    CHECK_THROWS_AS(ReportWriter(path, "p", ids, "v", "mV", 2, 1, 0.1), UserError);
    CHECK_THROWS_AS(ReportWriter(path, "p", ids, "v", "mV", 0, 1.0 / 0.0, 0.1), UserError);
}
