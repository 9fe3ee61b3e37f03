// Sampling state variables for state recordings (SONATA frame reports).
//
// A recording samples the state of some nodes of one population every `every` steps from
// step `first` (the state at step s is the state at time s dt; step 0 is the initial state)
// while s <= last. Sampling needs no support from the models: the engine splits a group's
// update at sample steps (update to s, read the state arrays, continue), which costs one more
// update() call per group and sample, never a call per neuron.
// Frames of one slice are collected in a rank-wide buffer [variable][frame][column]; each VP
// writes only the columns of its own neurons, so VPs never write the same element. For a
// recorder that writes collectively (StateRecorder::collective(): the parallel HDF5 report
// writer) every rank hands its own frames, in which only its own columns are set, to its
// recorder; otherwise ranks sum their buffers to rank 0 (other ranks' columns are zero
// there, so the sum is exact), which hands complete frames to its StateRecorder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/network.hpp"

namespace apical {

class StateRecorder {
public:
    virtual ~StateRecorder() = default;
    // `frames`: n_frames x n_columns values of `variable` (index into the recording's list).
    virtual void append(int recording, int variable, std::span<const double> frames, std::size_t n_frames) = 0;
    virtual void flush() {}
    // True: every rank has a recorder (all of them collective) and each receives only its
    // own columns, unsummed; false: frames are summed to rank 0, which alone receives them.
    virtual bool collective() const { return false; }
};

struct SampledRecording {
    int population = 0;
    std::vector<int> state_index;             // per variable: index in the model's state list
    std::size_t n_columns = 0;
    step_t first = 0, last = 0, every = 1;    // sample steps first, first + every, ... <= last
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> per_vp;  // (local index, column)
    // Frames of the current slice: [variable][frame][column], max_frames frames per variable;
    // frame 0 is the slice's first sample.
    std::vector<double> frames;
    std::size_t max_frames = 0;
    double* frames_of(std::size_t variable) { return frames.data() + variable * max_frames * n_columns; }
    step_t slice_first_sample = 0;
    std::size_t slice_frames = 0;
    // The first sample step >= s (or > last when none is left).
    step_t next_sample(step_t s) const {
        if (s <= first) return first;
        return first + (s - first + every - 1) / every * every;
    }
};

class StateSampling {
public:
    StateSampling(Network& net, int max_slice_steps);
    bool empty() const { return recordings_.empty(); }
    std::vector<SampledRecording>& recordings() { return recordings_; }
    // Prepares the buffers for a slice computing steps [first, first + n).
    void begin_slice(step_t first, int n);
    // Stores the state of VP `vp`'s group `population` at step s, for every recording that
    // samples at s.
    void sample(VirtualProcess& vp, int vp_index, int population, step_t s);
    // The next step >= s at which some recording of `population` samples (a huge value if none).
    step_t next_sample(int population, step_t s) const;

private:
    std::vector<SampledRecording> recordings_;
};

}  // namespace apical
