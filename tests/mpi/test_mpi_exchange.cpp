// The spike exchange in isolation, under mpiexec with several ranks: random spike lists on
// each rank arrive complete and in canonical order (step, gid) on every rank, including when
// a rank overflows the agreed buffer capacity (then the capacity grows and the lists are
// still complete). Expected values: the union of all ranks' lists, regenerated on every rank
// from the same seeds. The directed exchange likewise, with a random need-set per rank (rank
// 0 needs everything, the last of three or more ranks nothing): every rank receives exactly
// the spikes it needs, in canonical order, through empty slices and overflows.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/mpi_context.hpp"
#include "core/random.hpp"

using namespace apical;

namespace {

// Rank r's spikes of slice `slice`: a sorted random list whose length varies with (r, slice).
std::vector<Spike> spikes_of(int r, int slice, std::size_t max_count) {
    RandomStream rng(42, purpose(Purpose::test, 0), std::uint32_t(r), std::uint32_t(slice));
    const std::size_t n = rng.uniform_int(max_count + 1);
    std::vector<Spike> s;
    for (std::size_t i = 0; i < n; ++i)
        s.push_back({step_t(slice * 10 + rng.uniform_int(10)), gid_t(r + 1000 * rng.uniform_int(100)), 0.0f});
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    return s;
}

}  // namespace

TEST_CASE("allgather exchange: complete and canonically ordered, with and without overflow", "[mpi][exchange]") {
    MpiContext ctx(MPI_COMM_WORLD, 16);
    REQUIRE(ctx.size() >= 2);  // run under mpiexec -n 2 or more
    std::vector<Spike> global;
    for (int slice = 0; slice < 50; ++slice) {
        // Early slices stay under the capacity of 16; later ones overflow it on some ranks.
        const std::size_t max_count = slice < 20 ? 16 : 200;
        const auto mine = spikes_of(ctx.rank(), slice, max_count);
        ctx.gather_spikes(mine, global);
        std::vector<Spike> expected;
        for (int r = 0; r < ctx.size(); ++r) {
            auto s = spikes_of(r, slice, max_count);
            expected.insert(expected.end(), s.begin(), s.end());
        }
        std::sort(expected.begin(), expected.end());
        REQUIRE(global.size() == expected.size());
        REQUIRE(global == expected);
    }
    REQUIRE(ctx.overflow_rounds() >= 1);   // the overflow path was taken
    REQUIRE(ctx.capacity() > 16);          // and the agreed capacity grew
}

TEST_CASE("allgather exchange: the capacity shrinks after a burst and lists stay complete", "[mpi][exchange]") {
    MpiContext ctx(MPI_COMM_WORLD, 16);
    std::vector<Spike> global;
    std::size_t after_burst = 0;
    // 10 slices of up to 400 spikes per rank, then 3 windows of up to 20: the capacity grows
    // past 400 and then, at a window's end, shrinks to 1.5 x the window's largest count (<= 30).
    for (int slice = 0; slice < 10 + 3 * MpiContext::shrink_window; ++slice) {
        const std::size_t max_count = slice < 10 ? 400 : 20;
        const auto mine = spikes_of(ctx.rank(), slice, max_count);
        ctx.gather_spikes(mine, global);
        std::vector<Spike> expected;
        for (int r = 0; r < ctx.size(); ++r) {
            auto s = spikes_of(r, slice, max_count);
            expected.insert(expected.end(), s.begin(), s.end());
        }
        std::sort(expected.begin(), expected.end());
        REQUIRE(global == expected);
        if (slice == 9) after_burst = ctx.capacity();
    }
    CHECK(after_burst > 200);
    CHECK(ctx.capacity() <= 30);
    CHECK(ctx.capacity() >= 16);  // never below the initial capacity
}

TEST_CASE("reductions agree on every rank", "[mpi]") {
    MpiContext ctx;
    REQUIRE(ctx.sum(std::uint64_t(ctx.rank() + 1)) == std::uint64_t(ctx.size() * (ctx.size() + 1) / 2));
    REQUIRE(ctx.max(double(ctx.rank())) == double(ctx.size() - 1));
    REQUIRE(ctx.any(ctx.rank() == ctx.size() - 1));
    REQUIRE_FALSE(ctx.any(false));
}

namespace {

// Whether rank `r` needs the spikes of `gid` (a random need-set per rank; the last rank of
// three or more needs nothing, rank 0 needs everything).
bool needs(int r, int size, gid_t gid) {
    if (size >= 3 && r == size - 1) return false;
    if (r == 0) return true;
    return RandomStream(7, purpose(Purpose::test, 1), gid, std::uint32_t(r)).uniform() < 0.4;
}

// This rank's spikes of a slice grouped by destination, as Simulation packs them.
void pack(const std::vector<Spike>& mine, int size, std::vector<Spike>& send, std::vector<std::size_t>& counts) {
    send.clear();
    counts.assign(std::size_t(size), 0);
    for (int r = 0; r < size; ++r)
        for (const Spike& s : mine)
            if (needs(r, size, s.gid)) {
                send.push_back(s);
                ++counts[std::size_t(r)];
            }
}

}  // namespace

TEST_CASE("directed exchange: every rank receives exactly the spikes it needs, in canonical order",
          "[mpi][exchange][directed]") {
    MpiContext ctx(MPI_COMM_WORLD, 16);
    REQUIRE(ctx.size() >= 2);
    std::vector<Spike> send, received;
    std::vector<std::size_t> counts;
    std::size_t got = 0;
    for (int slice = 0; slice < 60; ++slice) {
        // Slices 10-14 are empty everywhere; 15-19 empty on rank 1 only; later ones overflow
        // the capacity of 16 on some ranks.
        std::size_t max_count = slice < 10 ? 16 : slice < 15 ? 0 : slice < 40 ? 16 : 300;
        if (slice >= 15 && slice < 20 && ctx.rank() == 1) max_count = 0;
        const auto mine = spikes_of(ctx.rank(), slice, max_count);
        pack(mine, ctx.size(), send, counts);
        const std::uint64_t bytes_before = ctx.spike_bytes_sent();
        ctx.exchange_spikes(send, counts, received);
        // At least one fixed-size block (header + capacity) per other rank, also when empty.
        REQUIRE(ctx.spike_bytes_sent() - bytes_before >= 17 * sizeof(Spike) * std::uint64_t(ctx.size() - 1));
        std::vector<Spike> expected;
        for (int r = 0; r < ctx.size(); ++r) {
            std::size_t mc = max_count;
            if (slice >= 15 && slice < 20) mc = r == 1 ? 0 : 16;
            for (const Spike& s : spikes_of(r, slice, mc))
                if (needs(ctx.rank(), ctx.size(), s.gid)) expected.push_back(s);
        }
        std::sort(expected.begin(), expected.end());
        INFO("rank " << ctx.rank() << ", slice " << slice);
        REQUIRE(received.size() == expected.size());
        REQUIRE(received == expected);
        if (slice >= 10 && slice < 15) REQUIRE(received.empty());
        if (ctx.size() >= 3 && ctx.rank() == ctx.size() - 1) REQUIRE(received.empty());
        got += received.size();
    }
    if (ctx.rank() == 0) REQUIRE(got > 0);
    REQUIRE(ctx.directed_overflow_rounds() >= 1);  // the overflow path was taken
    REQUIRE(ctx.directed_capacity() > 16);         // and the capacity grew alike on every rank
}

TEST_CASE("all_to_all: groups of different sizes, some empty, arrive from every rank", "[mpi][exchange]") {
    MpiContext ctx;
    const int R = ctx.size(), me = ctx.rank();
    // Rank s sends rank r (s + 2 r) % 5 bytes, each s * 16 + r.
    std::vector<std::uint8_t> send, received;
    std::vector<std::size_t> counts, received_counts;
    for (int r = 0; r < R; ++r) {
        counts.push_back(std::size_t((me + 2 * r) % 5));
        send.insert(send.end(), counts.back(), std::uint8_t(me * 16 + r));
    }
    ctx.all_to_all(send, counts, received, received_counts);
    std::vector<std::uint8_t> expected;
    for (int s = 0; s < R; ++s) {
        REQUIRE(received_counts[std::size_t(s)] == std::size_t((s + 2 * me) % 5));
        expected.insert(expected.end(), std::size_t((s + 2 * me) % 5), std::uint8_t(s * 16 + me));
    }
    REQUIRE(received == expected);
}

TEST_CASE("LocalContext: both exchanges are a copy", "[exchange]") {
    LocalContext ctx;
    const std::vector<Spike> spikes = {{1, 3, 0.0f}, {1, 5, 0.0f}, {2, 0, 0.0f}};
    std::vector<Spike> out;
    const std::vector<std::size_t> counts = {spikes.size()};
    ctx.exchange_spikes(spikes, counts, out);
    REQUIRE(out == spikes);
    ctx.exchange_spikes({}, std::vector<std::size_t>{0}, out);
    REQUIRE(out.empty());
    ctx.gather_spikes(spikes, out);
    REQUIRE(out == spikes);
    REQUIRE(ctx.spike_bytes_sent() == 0);
}
