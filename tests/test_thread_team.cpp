// engine/thread_team.hpp: the barrier and the slice loop the simulation's threads run in. What
// each test expects follows from run_team's contract (serial, then parallel(v) for every VP,
// alternately, until serial returns false; the first exception ends the loop and is rethrown)
// and SpinBarrier's (no thread leaves round r before every thread has arrived at it).
#include <atomic>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <omp.h>

#include "engine/thread_team.hpp"

using namespace apical;

namespace {

// One round of `rounds` serial/parallel rounds over `n_vp` VPs; returns the number of rounds
// whose serial part found every VP's counter at the round count (the parallel part's writes
// visible to thread 0 after the barrier). Expected: every round.
int checked_rounds(std::size_t n_vp, int rounds) {
    std::vector<std::exception_ptr> errors(n_vp);
    std::vector<int> done(n_vp * 16, 0);  // 16 ints apart: no two VPs share a cache line
    int round = 0, consistent = 0;
    run_team(
        errors,
        [&] {
            bool all = true;
            for (std::size_t v = 0; v < n_vp; ++v) all = all && done[v * 16] == round;
            consistent += all ? 1 : 0;
            return round++ < rounds;
        },
        [&](std::size_t v) { ++done[v * 16]; });
    return consistent;
}

}  // namespace

TEST_CASE("run_team: every VP's work of a round is seen by the next serial part", "[thread_team]") {
    // rounds + 1 serial calls (the last returns false), each finding all VPs at its round.
    for (std::size_t n_vp : {1u, 2u, 3u}) {
        INFO("VPs " << n_vp);
        CHECK(checked_rounds(n_vp, 20000) == 20001);
    }
}

TEST_CASE("run_team: fewer threads than VPs (nested in a region) still runs every VP", "[thread_team]") {
    // Nested regions are inactive by default (max active levels 1), so the inner region has
    // one thread, which must take all three VPs.
    int consistent = 0;
    omp_set_max_active_levels(1);
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        consistent = checked_rounds(3, 1000);
    }
    CHECK(consistent == 1001);
}

TEST_CASE("run_team: an exception ends the loop and is rethrown after it", "[thread_team]") {
    for (std::size_t n_vp : {1u, 2u, 3u}) {
        INFO("VPs " << n_vp);
        std::vector<std::exception_ptr> errors(n_vp);
        // From a VP: VP n_vp - 1 throws in round 5; that round completes, no serial part runs
        // after it.
        int serial_calls = 0, round = 0;
        std::atomic<int> parallel_calls{0};
        CHECK_THROWS_WITH(run_team(
                              errors,
                              [&] {
                                  ++serial_calls;
                                  return ++round <= 100;
                              },
                              [&](std::size_t v) {
                                  ++parallel_calls;
                                  if (v == n_vp - 1 && round == 5) throw std::runtime_error("vp failed");
                              }),
                          "vp failed");
        CHECK(serial_calls == 5);
        CHECK(parallel_calls.load() == int(5 * n_vp));

        // From the serial part: its 4th call throws, after 3 parallel rounds.
        std::vector<std::exception_ptr> fresh(n_vp);
        serial_calls = 0;
        parallel_calls = 0;
        CHECK_THROWS_WITH(run_team(
                              fresh,
                              [&] {
                                  if (++serial_calls == 4) throw std::invalid_argument("serial failed");
                                  return true;
                              },
                              [&](std::size_t) { ++parallel_calls; }),
                          "serial failed");
        CHECK(serial_calls == 4);
        CHECK(parallel_calls.load() == int(3 * n_vp));
    }
}

TEST_CASE("SpinBarrier: no thread passes a round early, also when a waiter has gone to sleep",
          "[thread_team]") {
    // Two threads, 3,000 rounds; every 500th round one thread arrives 2 ms late, longer than
    // the spinning and yielding (about 200 us), so the other sleeps and must be woken. After the
    // barrier of round r each thread must see the other's counter at r + 1.
    SpinBarrier barrier(2);
    std::atomic<int> arrived[2] = {0, 0};
    std::atomic<int> early{0};
    const int rounds = 3000;
    auto body = [&](int me) {
        for (int r = 0; r < rounds; ++r) {
            if (me == 1 && r % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
            arrived[me].store(r + 1, std::memory_order_relaxed);
            barrier.wait();
            if (arrived[1 - me].load(std::memory_order_relaxed) < r + 1) ++early;
            barrier.wait();  // nobody starts round r + 1 before both have checked round r
        }
    };
    std::thread other(body, 1);
    body(0);
    other.join();
    CHECK(early.load() == 0);
}
