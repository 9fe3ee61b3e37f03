// The spike exchange in isolation, under mpiexec with several ranks: random spike lists on
// each rank arrive complete and in canonical order (step, gid) on every rank, including when
// a rank overflows the agreed buffer capacity (then the capacity grows and the lists are
// still complete). Expected values: the union of all ranks' lists, regenerated on every rank
// from the same seeds.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/mpi_context.hpp"
#include "engine/random.hpp"

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

TEST_CASE("reductions agree on every rank", "[mpi]") {
    MpiContext ctx;
    REQUIRE(ctx.sum(std::uint64_t(ctx.rank() + 1)) == std::uint64_t(ctx.size() * (ctx.size() + 1) / 2));
    REQUIRE(ctx.max(double(ctx.rank())) == double(ctx.size() - 1));
    REQUIRE(ctx.any(ctx.rank() == ctx.size() - 1));
    REQUIRE_FALSE(ctx.any(false));
}
