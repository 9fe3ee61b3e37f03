// What the kernel hands its spikes to, at slice boundaries, so that I/O stays outside the kernel: HDF5 writers,
// in-memory recorders for tests. The kernel knows nothing of files.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/spike.hpp"

namespace apical {

class SpikeRecorder {
public:
    virtual ~SpikeRecorder() = default;
    // All spikes of one slice, in canonical order (core/spike.hpp; (step, gid) on the grid),
    // and their classes (SpikeClass: event, burst, other; engine/spike_classifier.hpp), aligned
    // with them.
    virtual void append(std::span<const Spike> spikes, std::span<const std::uint8_t> classes) = 0;
    // Make everything appended so far durable (called at least every flush interval).
    virtual void flush() {}
};

// Keeps every spike in memory (tests, small runs).
class MemorySpikeRecorder final : public SpikeRecorder {
public:
    void append(std::span<const Spike> s, std::span<const std::uint8_t> c) override {
        spikes.insert(spikes.end(), s.begin(), s.end());
        classes.insert(classes.end(), c.begin(), c.end());
    }
    std::vector<Spike> spikes;
    std::vector<std::uint8_t> classes;
};

}  // namespace apical
