// read_sonata_spikes: every input layout of SONATA spike files (flat /spikes/gids or
// node_ids, per-population groups with node_ids or gids, any integer and float widths and
// byte orders), malformed files as UserErrors, and the published reference files of
// tests/data/sonata (expected values read with h5py 3.7: counts, first and last entries,
// sums of ids).
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "io/sonata_spikes.hpp"
#include "scratch.hpp"

// The SONATA reference examples (tests/data/sonata, with their origin and licences).
#ifndef APICAL_SONATA_REFERENCE_DIR
#define APICAL_SONATA_REFERENCE_DIR "tests/data/sonata"
#endif

using namespace apical;
using h5::Handle;
using SpikeList = std::vector<std::pair<std::uint64_t, double>>;

namespace {

std::filesystem::path scratch_file(const std::string& name) { return test::scratch_file("sonata_spikes", name); }

// Writes a small spike file with the given layout and dataset types.
template <class Id, class Time>
void write_variant(const std::filesystem::path& path, const std::string& group_path,
                   const std::string& ids_name, const std::vector<Id>& ids,
                   const std::vector<Time>& times, hid_t id_type, hid_t time_type) {
    Handle file = h5::create_file(path);
    Handle spikes = h5::create_group(file.get(), "spikes");
    Handle g = group_path.empty() ? Handle(H5Gopen2(file.get(), "spikes", H5P_DEFAULT))
                                  : h5::create_group(spikes.get(), group_path);
    Handle i = h5::create_chunked_1d(g.get(), ids_name, id_type, 16);
    h5::append(i.get(), std::span<const Id>(ids));
    Handle t = h5::create_chunked_1d(g.get(), "timestamps", time_type, 16);
    h5::append(t.get(), std::span<const Time>(times));
}

}  // namespace

TEST_CASE("read_sonata_spikes accepts every layout and type variant", "[io][sonata]") {
    const SpikeList want = {{3, 0.5}, {0, 1.25}, {7, 2.0}};
    const std::vector<double> t64 = {0.5, 1.25, 2.0};
    const std::vector<float> t32 = {0.5f, 1.25f, 2.0f};  // exact in float32

    SECTION("flat /spikes/gids, int16 ids, float32 times; population ignored") {
        const auto p = scratch_file("flat_gids.h5");
        write_variant<std::int16_t, float>(p, "", "gids", {3, 0, 7}, t32, H5T_STD_I16LE,
                                           H5T_IEEE_F32LE);
        CHECK(read_sonata_spikes(p, "") == want);
        CHECK(read_sonata_spikes(p, "whatever") == want);
    }
    SECTION("flat /spikes/node_ids, uint32 ids") {
        const auto p = scratch_file("flat_node_ids.h5");
        write_variant<std::uint32_t, double>(p, "", "node_ids", {3, 0, 7}, t64, H5T_STD_U32BE,
                                             H5T_IEEE_F64BE);
        CHECK(read_sonata_spikes(p, "") == want);
    }
    SECTION("per-population, uint8 ids, and the only population chosen by an empty name") {
        const auto p = scratch_file("pop_u8.h5");
        write_variant<std::uint8_t, double>(p, "lgn", "node_ids", {3, 0, 7}, t64, H5T_STD_U8LE,
                                            H5T_IEEE_F64LE);
        CHECK(read_sonata_spikes(p, "lgn") == want);
        CHECK(read_sonata_spikes(p, "") == want);
        CHECK_THROWS_WITH(read_sonata_spikes(p, "v1"),
                          Catch::Contains("'v1'") && Catch::Contains("populations present: lgn"));
    }
    SECTION("per-population with gids instead of node_ids") {
        const auto p = scratch_file("pop_gids.h5");
        write_variant<std::int64_t, float>(p, "tw", "gids", {3, 0, 7}, t32, H5T_STD_I64LE,
                                           H5T_IEEE_F32LE);
        CHECK(read_sonata_spikes(p, "tw") == want);
    }
    SECTION("malformed files are UserErrors with a clear message") {
        const auto neg = scratch_file("negative.h5");
        write_variant<std::int32_t, double>(neg, "a", "node_ids", {3, -1, 7}, t64, H5T_STD_I32LE,
                                            H5T_IEEE_F64LE);
        CHECK_THROWS_WITH(read_sonata_spikes(neg, "a"), Catch::Contains("negative"));

        const auto mismatch = scratch_file("mismatch.h5");
        write_variant<std::uint64_t, double>(mismatch, "a", "node_ids", {3, 0}, t64,
                                             H5T_STD_U64LE, H5T_IEEE_F64LE);
        CHECK_THROWS_AS(read_sonata_spikes(mismatch, "a"), UserError);
        CHECK_THROWS_WITH(read_sonata_spikes(mismatch, "a"), Catch::Contains("2 entries"));

        const auto int_times = scratch_file("int_times.h5");
        write_variant<std::uint64_t, std::int32_t>(int_times, "a", "node_ids", {3, 0, 7},
                                                   {1, 2, 3}, H5T_STD_U64LE, H5T_STD_I32LE);
        CHECK_THROWS_WITH(read_sonata_spikes(int_times, "a"), Catch::Contains("floating-point"));

        const auto no_ids = scratch_file("no_ids.h5");
        write_variant<std::uint64_t, double>(no_ids, "a", "ids", {3, 0, 7}, t64, H5T_STD_U64LE,
                                             H5T_IEEE_F64LE);
        CHECK_THROWS_WITH(read_sonata_spikes(no_ids, "a"), Catch::Contains("node_ids"));

        const auto text = scratch_file("not_hdf5.h5");
        { FILE* fp = std::fopen(text.c_str(), "w"); std::fputs("not hdf5\n", fp); std::fclose(fp); }
        CHECK_THROWS_AS(read_sonata_spikes(text, "a"), UserError);
        CHECK_THROWS_WITH(read_sonata_spikes(text, "a"), Catch::Contains("not_hdf5.h5"));

        CHECK_THROWS_AS(read_sonata_spikes(scratch_file("missing.h5"), "a"), UserError);

        const auto no_spikes = scratch_file("no_spikes.h5");
        { Handle f = h5::create_file(no_spikes); }
        CHECK_THROWS_WITH(read_sonata_spikes(no_spikes, "a"), Catch::Contains("/spikes"));
    }
}

TEST_CASE("read_sonata_spikes reads the SONATA reference files", "[io][sonata]") {
    const std::filesystem::path ref = APICAL_SONATA_REFERENCE_DIR;
    REQUIRE(std::filesystem::is_directory(ref));  // a missing data folder fails, it does not skip
    // Expected values checked with h5py 3.7 (count, first and last entries, sum of ids).
    auto sum_ids = [](const SpikeList& s) {
        std::uint64_t n = 0;
        for (const auto& [id, t] : s) n += id;
        return n;
    };
    SECTION("300_intfire input: flat /spikes/{gids,timestamps}, uint64/float64") {
        const auto s = read_sonata_spikes(ref / "300_intfire/inputs/lgn_spikes.h5", "");
        REQUIRE(s.size() == 2738);
        CHECK(s.front() == std::pair<std::uint64_t, double>{0, 445.539});
        CHECK(s.back() == std::pair<std::uint64_t, double>{89, 2991.893});
        CHECK(sum_ids(s) == 124893);
        CHECK(read_sonata_spikes(ref / "300_intfire/inputs/lgn_spikes.h5", "lgn") == s);
        CHECK(read_sonata_spikes(ref / "300_intfire/inputs/tw_spikes.h5", "").size() == 295);
    }
    SECTION("300_intfire output: /spikes/v1 with a string sorting attribute (BMTK)") {
        const auto s = read_sonata_spikes(ref / "300_intfire/output/spikes.h5", "v1");
        REQUIRE(s.size() == 4322);
        CHECK(s[0] == std::pair<std::uint64_t, double>{0, 566.942});
        CHECK(s[1] == std::pair<std::uint64_t, double>{174, 566.942});
        CHECK(s.back() == std::pair<std::uint64_t, double>{299, 2989.119});
        CHECK(sum_ids(s) == 679771);
        CHECK(read_sonata_spikes(ref / "300_intfire/output/spikes.h5", "") == s);
        CHECK_THROWS_WITH(read_sonata_spikes(ref / "300_intfire/output/spikes.h5", "lgn"),
                          Catch::Contains("populations present: v1"));
    }
    SECTION("point_120cells input: uint32 node ids, sorting none") {
        const auto s = read_sonata_spikes(ref / "point_120cells/inputs/thalamus_spikes.h5",
                                          "thalamus");
        REQUIRE(s.size() == 3024);
        CHECK(s.back().first == 99);
        CHECK(sum_ids(s) == 147311);
    }
    SECTION("300_pointneurons input (flat, no units) and NEST reference output") {
        const auto s =
            read_sonata_spikes(ref / "300_pointneurons/inputs/external_spike_trains.h5", "");
        REQUIRE(s.size() == 4334);
        CHECK(sum_ids(s) == 214584);
        CHECK(read_sonata_spikes(ref / "300_pointneurons/reference_nest-3.9/spikes.h5",
                                 "internal").size() == 18828);
    }
    SECTION("libsonata sample: several populations, enum sorting, an empty population") {
        const auto p = ref / "format-samples/libsonata/spikes.h5";
        const auto s = read_sonata_spikes(p, "spikes1");
        REQUIRE(s.size() == 5);
        CHECK(s[0] == std::pair<std::uint64_t, double>{2, 0.2});
        CHECK(read_sonata_spikes(p, "empty").empty());
        CHECK_THROWS_WITH(read_sonata_spikes(p, ""),
                          Catch::Contains("4 populations: All, empty, spikes1, spikes2"));
    }
}
