#pragma once
// The VPs' threads for a run of many slices: one OpenMP region for the whole loop, in which the
// threads meet at a barrier that spins, then yields, then sleeps, instead of a parallel region
// per slice.
//
// Why: a slice can be a single step (COBA's delay is one step), so a run of 10 s at 0.1 ms has
// 100,000 of them, each a few microseconds of work per thread. libgomp's fork and join of a
// region cost 0.7 us on this kind of machine and its barrier 0.25-0.3 us, because each wakes
// the team with a futex system call whether or not a thread sleeps; the spinning barrier here
// costs about 0.03 us when the threads arrive together and makes no system call unless a
// thread has waited long enough to sleep (a long serial phase: a flush, a checkpoint, MPI).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include <omp.h>

namespace apical {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// A reusable barrier of n threads. Waiters spin (with the CPU's pause hint), then yield, then
// sleep on the generation counter (C++20 atomic wait: a futex on Linux); the last arrival wakes
// sleepers only if there are any, so the usual case makes no system call.
class SpinBarrier {
public:
    explicit SpinBarrier(unsigned n) : n_(n) {}
    void resize(unsigned n) { n_ = n; }  // only while no thread waits

    void wait() {
        const std::uint32_t gen = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
            arrived_.store(0, std::memory_order_relaxed);  // before the release below
            generation_.fetch_add(1, std::memory_order_seq_cst);
            if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
            return;
        }
        for (int i = 0; i < spins; ++i) {
            if (generation_.load(std::memory_order_acquire) != gen) return;
            cpu_relax();
        }
        // Then offer the core to another thread between checks: on an oversubscribed machine
        // (more threads than cores: MPI ranks, tests run side by side) the thread waited for
        // may need it; on an idle one sched_yield returns at once and this is a slower spin.
        for (int i = 0; i < yields; ++i) {
            if (generation_.load(std::memory_order_acquire) != gen) return;
            std::this_thread::yield();
        }
        // Announce the sleep before the last check: the last arrival either sees the count
        // (and notifies) or has already advanced the generation this load then sees.
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        while (generation_.load(std::memory_order_seq_cst) == gen) generation_.wait(gen, std::memory_order_acquire);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }

private:
    // About 6 us of pause instructions (25 ns each on this VM's EPYC; a slice of one step: both
    // threads arrive within that), then about 200 us of yields (0.5 us each; the imbalance of
    // longer slices, tens of microseconds in Brunel's), then sleep. A pure spin of 100 us made
    // the test suite, two tests side by side on two cores, take 248 s instead of 187 s;
    // sleeping at once made Brunel at two threads 15 % slower (a wake costs tens of us).
    static constexpr int spins = 256;
    static constexpr int yields = 400;
    unsigned n_;
    alignas(64) std::atomic<std::uint32_t> arrived_{0};
    alignas(64) std::atomic<std::uint32_t> generation_{0};
    alignas(64) std::atomic<std::uint32_t> sleepers_{0};
};

// Runs, on n threads, serial() on the calling thread, then parallel(v) on every thread v (one
// per VP), then serial() again, and so on until serial() returns false. Two barriers per round.
// An exception from serial() ends the loop; one from parallel(v) is kept in errors[v] (one slot
// per VP, empty, kept by the caller) and ends the loop after that round. Either is rethrown
// here, after the threads have left the region (an exception must not leave an OpenMP region).
// One thread runs everything on the calling thread without a region: libgomp's region of one
// thread still makes a futex call at every join.
template <class Serial, class Parallel>
void run_team(std::vector<std::exception_ptr>& errors, Serial&& serial, Parallel&& parallel) {
    const std::size_t n = errors.size();
    std::exception_ptr serial_error;
    const auto serial_guarded = [&]() -> bool {
        for (const auto& e : errors)
            if (e) return false;
        try {
            return serial();
        } catch (...) {
            serial_error = std::current_exception();
            return false;
        }
    };
    const auto parallel_guarded = [&](std::size_t v) {
        try {
            parallel(v);
        } catch (...) {
            errors[v] = std::current_exception();
        }
    };
    if (n == 1) {
        while (serial_guarded()) parallel_guarded(0);
    } else {
        SpinBarrier barrier{unsigned(n)};
        bool go = false;  // written by thread 0 before a barrier, read by all after it
#pragma omp parallel num_threads(int(n))
        {
            // The runtime may grant fewer threads than asked (OMP_THREAD_LIMIT, nesting): each
            // thread then takes every T-th VP, as a parallel for would.
            const std::size_t T = std::size_t(omp_get_num_threads()), t = std::size_t(omp_get_thread_num());
#pragma omp single
            barrier.resize(unsigned(T));  // the single's implied barrier publishes it
            for (;;) {
                if (t == 0) go = serial_guarded();
                barrier.wait();
                if (!go) break;
                for (std::size_t v = t; v < n; v += T) parallel_guarded(v);
                barrier.wait();
            }
        }
    }
    if (serial_error) std::rethrow_exception(serial_error);
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace apical
