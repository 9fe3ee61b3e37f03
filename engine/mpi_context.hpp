// DistributedContext over MPI (MPI_COMM_WORLD or a given communicator). The only file with
// MPI calls besides io/parallel_hdf5.cpp, which gets the communicator through
// native_communicator() to open output files with parallel HDF5 (MPI-IO) and agree on
// their creation.
//
// Spike exchange: an allgather of fixed-size blocks, each starting with a header (this
// rank's spike count) followed by up to `capacity` spikes. The capacity is agreed by all
// ranks (it only ever changes by the same rule on every rank), so the common case needs one
// collective per slice. When a rank has more spikes than fit, every rank sees it in the
// headers and a second round (MPI_Allgatherv with the exact counts) carries the full lists;
// the capacity then grows to 1.5 x the largest count for later slices. The gathered lists
// (each sorted by step, gid) are merged into one sorted list.
//
// Directed exchange: the same scheme with MPI_Alltoall, one fixed-size block per destination
// rank: a header (the spike count for that destination, and the largest count this rank
// sends to any other rank in this slice) and up to `directed_capacity` spikes. Every rank
// receives every sender's largest count, so all ranks agree whether anyone overflowed: then
// one MPI_Alltoallv carries the rest of the overflowing groups (both sides know the exact
// counts from the headers) and the capacity grows to 1.5 x the largest count, on every rank
// alike. One collective per slice in the common case; a rank's group for itself is copied.
//
// Both capacities also shrink, so a burst at the start (e.g. Brunel's first slices) does not
// leave every later exchange padded: every rank sees the same largest count per slice, and
// at the end of each window of `shrink_window` slices, if 1.5 x the window's largest count
// (at least the initial capacity) is at most half the capacity, the capacity becomes that
// (the factor 2 is hysteresis against oscillating between growing and shrinking).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "engine/distributed_context.hpp"

namespace apical {

// MPI_Init_thread / MPI_Finalize for the lifetime of the program (funneled: only the main
// thread calls MPI; OpenMP threads never do). Started without a launcher (no mpirun, srun or
// other PMI environment), apical does not initialise MPI at all: a singleton MPI_Init would
// start an Open MPI daemon that costs time and CPU for nothing.
class MpiSession {
public:
    MpiSession(int& argc, char**& argv);
    ~MpiSession();
    bool active() const { return active_; }
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    // Ends every rank of the job with `code` (for a failure on one rank while others may be
    // inside a collective).
    [[noreturn]] static void abort_all(int code);

private:
    bool active_ = false;
};

class MpiContext final : public DistributedContext {
public:
    // initial_capacity: spikes per rank per round of both exchanges until the first overflow.
    explicit MpiContext(MPI_Comm comm = MPI_COMM_WORLD, std::size_t initial_capacity = 64);
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    int ranks_on_node() override;
    void gather_spikes(std::span<const Spike> local, std::vector<Spike>& global) override;
    void exchange_spikes(std::span<const Spike> send, std::span<const std::size_t> send_counts,
                         std::vector<Spike>& received) override;
    void all_to_all(std::span<const std::uint8_t> send, std::span<const std::size_t> send_counts,
                    std::vector<std::uint8_t>& received, std::vector<std::size_t>& received_counts) override;
    std::uint64_t spike_bytes_sent() const override { return bytes_sent_; }
    bool any(bool flag) override;
    std::uint64_t sum(std::uint64_t x) override;
    double max(double x) override;
    void sum_to_root(std::span<double> values) override;
    void* native_communicator() override { return &comm_; }  // an MPI_Comm*

    std::size_t capacity() const { return capacity_; }           // spikes per rank per round
    std::uint64_t overflow_rounds() const { return overflows_; }  // second rounds needed so far
    std::size_t directed_capacity() const { return directed_capacity_; }  // spikes per destination
    std::uint64_t directed_overflow_rounds() const { return directed_overflows_; }

    static constexpr int shrink_window = 64;  // slices

private:
    // The largest count of the current window of slices, per exchange.
    struct LoadWindow {
        std::size_t largest = 0;
        int slices = 0;
    };
    void adapt_capacity(std::size_t largest, std::size_t& capacity, LoadWindow& window) const;

    MPI_Comm comm_;
    int rank_ = 0, size_ = 1;
    int ranks_on_node_ = 0;  // 0: not asked yet
    std::size_t initial_capacity_, capacity_, directed_capacity_;
    LoadWindow window_, directed_window_;
    std::uint64_t overflows_ = 0, directed_overflows_ = 0, bytes_sent_ = 0;
    std::vector<Spike> send_, recv_;
};

}  // namespace apical
