// The one interface to inter-process communication (STYLE.md item 10). The kernel calls
// only these functions; MPI lives behind an implementation of its own (next issue), and the
// local implementation below serves single-process runs and tests.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/spike.hpp"

namespace apical {

class DistributedContext {
public:
    virtual ~DistributedContext() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Spike exchange, once per slice: every rank passes its spikes of the slice (sorted by
    // (step, gid)) and receives all ranks' spikes, sorted by (step, gid).
    virtual void gather_spikes(std::span<const Spike> local, std::vector<Spike>& global) = 0;
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

// One process: the exchange is a copy.
class LocalContext final : public DistributedContext {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    void gather_spikes(std::span<const Spike> local, std::vector<Spike>& global) override {
        global.assign(local.begin(), local.end());
    }
    bool any(bool flag) override { return flag; }
    std::uint64_t sum(std::uint64_t x) override { return x; }
    double max(double x) override { return x; }
    void sum_to_root(std::span<double>) override {}
};

}  // namespace apical
