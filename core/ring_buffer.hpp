// Input ring buffer of one receptor of one neuron group (the neurons of one population
// owned by one virtual process).
//
// Layout [slot][neuron]: the update of step s reads one contiguous row, slot s % n_slots,
// and clears it. Size: a spike emitted in slice k (steps up to the slice end e) is delivered
// at the start of slice k+1 into steps s + d with d in [min_delay, max_delay]; the rows that
// may be pending at that moment are e+1 .. e + max_delay + min_delay - 1, so
// max_delay + min_delay slots suffice (docs/architecture.md, "Time" and "How a slice runs").
#pragma once

#include <cstddef>
#include <vector>

#include "core/spike.hpp"

namespace apical {

class RingBuffer {
public:
    RingBuffer() = default;
    RingBuffer(std::size_t n_neurons, int n_slots)
        : n_neurons_(n_neurons), n_slots_(n_slots), data_(n_neurons * std::size_t(n_slots), 0.0) {}

    int n_slots() const { return n_slots_; }
    std::size_t n_neurons() const { return n_neurons_; }
    int slot_of(step_t step) const { return int(step % n_slots_); }
    // The row of the given slot (slot = step % n_slots).
    double* row(int slot) { return data_.data() + std::size_t(slot) * n_neurons_; }
    double* row_of_step(step_t step) { return row(slot_of(step)); }
    void clear_row(int slot) {
        double* r = row(slot);
        for (std::size_t i = 0; i < n_neurons_; ++i) r[i] = 0.0;
    }
    std::size_t bytes() const { return data_.size() * sizeof(double); }

private:
    std::size_t n_neurons_ = 0;
    int n_slots_ = 1;
    std::vector<double> data_;
};

}  // namespace apical
