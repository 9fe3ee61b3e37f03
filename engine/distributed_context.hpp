// The one interface to inter-process communication, so that the kernel and its tests
// build and run without MPI. The kernel calls
// only these functions; MPI lives behind its own implementation (engine/mpi_context.hpp),
// and the local implementation below serves single-process runs and tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/spike.hpp"

namespace apical {

class DistributedContext {
public:
    virtual ~DistributedContext() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // The ranks on this rank's node (they share its memory). Collective the first time.
    virtual int ranks_on_node() { return 1; }
    // Spike exchange, once per slice (simulation.spike_exchange: allgather): every rank
    // passes its spikes of the slice and receives all ranks' spikes, both in canonical order
    // (core/spike.hpp; (step, gid) on the grid).
    virtual void gather_spikes(std::span<const Spike> local, std::vector<Spike>& global) = 0;
    // Directed spike exchange, once per slice (simulation.spike_exchange: directed): `send`
    // holds this rank's spikes grouped by destination rank, send_counts[r] of them for rank
    // r, groups in rank order, each in canonical order (core/spike.hpp); a spike may be in
    // several groups (this rank's own group is a local copy). Every rank receives the groups
    // addressed to it, merged in canonical order. Collective: every rank calls it every slice, also with
    // nothing to send.
    virtual void exchange_spikes(std::span<const Spike> send, std::span<const std::size_t> send_counts,
                                 std::vector<Spike>& received) = 0;
    // Personalised all-to-all of bytes (construction, and once per report buffer write; not per slice): send_counts[r] bytes
    // of `send` (groups in rank order) go to rank r; `received` gets the groups from every
    // rank in rank order, received_counts[r] bytes from rank r.
    virtual void all_to_all(std::span<const std::uint8_t> send, std::span<const std::size_t> send_counts,
                            std::vector<std::uint8_t>& received, std::vector<std::size_t>& received_counts) = 0;
    // Bytes of spike exchange traffic this rank has sent to other ranks so far (both
    // exchanges; headers and padding included; its own data to itself excluded; data that
    // an allgather delivers to R - 1 ranks counts R - 1 times).
    virtual std::uint64_t spike_bytes_sent() const { return 0; }
    // True on every rank if `flag` is true on any rank (stop requests, errors).
    virtual bool any(bool flag) = 0;
    virtual std::uint64_t sum(std::uint64_t x) = 0;
    virtual double max(double x) = 0;
    // Element-wise sum over ranks into rank 0's `values` (others' are left unspecified).
    virtual void sum_to_root(std::span<double> values) = 0;
    // The implementation's communicator for the one other place that must hand it to a
    // library: parallel HDF5 (io/parallel_hdf5.cpp, which casts it back to MPI_Comm*).
    // nullptr when there is none (one process without MPI).
    virtual void* native_communicator() { return nullptr; }
};

// One process: both exchanges are a copy.
class LocalContext final : public DistributedContext {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    void gather_spikes(std::span<const Spike> local, std::vector<Spike>& global) override {
        global.assign(local.begin(), local.end());
    }
    void exchange_spikes(std::span<const Spike> send, std::span<const std::size_t> send_counts,
                         std::vector<Spike>& received) override {
        const std::size_t n = send_counts.empty() ? 0 : std::min(send_counts[0], send.size());
        received.assign(send.begin(), send.begin() + std::ptrdiff_t(n));
    }
    void all_to_all(std::span<const std::uint8_t> send, std::span<const std::size_t> send_counts,
                    std::vector<std::uint8_t>& received, std::vector<std::size_t>& received_counts) override {
        const std::size_t n = send_counts.empty() ? 0 : std::min(send_counts[0], send.size());
        received.assign(send.begin(), send.begin() + std::ptrdiff_t(n));
        received_counts.assign(1, n);
    }
    bool any(bool flag) override { return flag; }
    std::uint64_t sum(std::uint64_t x) override { return x; }
    double max(double x) override { return x; }
    void sum_to_root(std::span<double>) override {}
};

}  // namespace apical
