// A barrier for the threads of one OpenMP team that meet once or twice per slice
// (engine/simulation.cpp): arrive, then spin on a generation counter for a while; a thread
// that has spun that long sleeps (std::atomic::wait, a futex), so a long serial phase (MPI,
// file output) is not spun away. Only for teams with a core per thread: with more threads than
// cores a waiting thread waits for one that is not running, and libgomp's barrier, which
// throttles its spinning then, took a third to half the time of this one in the thread tests.
//
// Why not the library ones (measured on 2 cores, two barriers per round, as a slice has):
// libgomp's `omp barrier` with `omp single` costs 0.50 us per round and a parallel region's
// fork and join 0.55-0.85 us; C++20's std::barrier (libstdc++ 12) 3.3-8 us, as it sleeps in
// the kernel at once; this one 0.12-0.16 us. COBA at min_delay = 1 step has 100,000 slices in
// 10 s of simulated time, so the difference is a tenth of its two-thread run time.
#pragma once

#include <atomic>

namespace apical {

class SpinBarrier {
public:
    explicit SpinBarrier(int n_threads) : n_(n_threads) {}
    SpinBarrier(const SpinBarrier&) = delete;
    SpinBarrier& operator=(const SpinBarrier&) = delete;

    // Returns once all n_threads threads have called it; everything each thread wrote before
    // its call is visible to all of them after it.
    void arrive_and_wait() {
        const unsigned g = generation_.load(std::memory_order_acquire);
        if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
            count_.store(0, std::memory_order_relaxed);
            // seq_cst here and at the sleepers' increment: either the last arriver sees a
            // sleeper and wakes it, or the sleeper sees the new generation and never sleeps.
            generation_.store(g + 1, std::memory_order_seq_cst);
            if (sleepers_.load(std::memory_order_seq_cst) != 0) generation_.notify_all();
            return;
        }
        for (int k = 0; generation_.load(std::memory_order_acquire) == g; ++k) {
            if (k < spins) {
                pause();
            } else {
                sleepers_.fetch_add(1, std::memory_order_seq_cst);
                generation_.wait(g, std::memory_order_seq_cst);
                sleepers_.fetch_sub(1, std::memory_order_relaxed);
            }
        }
    }

private:
    // Pauses before sleeping: some tens of microseconds (a slice's serial phase takes a few).
    static constexpr int spins = 2000;
    static void pause() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    alignas(64) std::atomic<int> count_{0};
    alignas(64) std::atomic<unsigned> generation_{0};
    alignas(64) std::atomic<int> sleepers_{0};
    int n_;
};

}  // namespace apical
