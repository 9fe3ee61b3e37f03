// Input events of an exact event-driven neuron group (docs/architecture.md, "How a slice
// runs"): instead of ring-buffer rows, delivery appends each synapse's input with its exact
// arrival time, (step + offset) * dt, its local target and its weight. The group's update
// takes the events due in its steps, sorted, and processes them in time order.
//
// Order: by grid step (the step whose update processes the event, core/spike.hpp), then
// target, then exact time, then delivery order: a counter that grows with every event pushed,
// so events at equal times keep the order in which deliver walked them (the slice of emission,
// then the canonical spike order (core/spike.hpp), then projection, then synapse). That order
// is the same for every decomposition, and sorting on a total key needs no stable sort (no
// allocation). Events at the same time onto the same neuron are one input, the sum of their
// weights in that order (simultaneous(), as NEST's precise models accumulate simultaneous
// spikes): the models never depend on an order among equal times, only the last bits of the
// sum do, and those are the same for every decomposition.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "core/spike.hpp"

namespace apical {

struct InputEvent {
    step_t step;           // arrival at (step + offset) * dt
    float offset;          // in [0, 1)
    std::uint32_t target;  // local index in the group
    double weight;
    std::uint64_t order;   // delivery order
};

// The events of `due` from position k on that have the time and target of due[k]: returns the
// position after them and adds their weights into `weight` (in queue order).
inline std::size_t simultaneous(std::span<const InputEvent> due, std::size_t k, double& weight) {
    const InputEvent& first = due[k];
    weight = first.weight;
    for (++k; k < due.size() && due[k].target == first.target && due[k].step == first.step &&
              due[k].offset == first.offset;
         ++k)
        weight += due[k].weight;
    return k;
}

class EventQueue {
public:
    void push(step_t step, float offset, std::uint32_t target, double weight) {
        events_.push_back({step, offset, target, weight, next_++});
    }
    // The events whose grid step is before `end`, in the order above; valid until pop_due.
    std::span<const InputEvent> due(step_t end) {
        std::sort(events_.begin(), events_.end(), [](const InputEvent& a, const InputEvent& b) {
            const step_t ga = grid_step(a.step, a.offset), gb = grid_step(b.step, b.offset);
            if (ga != gb) return ga < gb;
            if (a.target != b.target) return a.target < b.target;
            if (a.step != b.step) return a.step < b.step;
            if (a.offset != b.offset) return a.offset < b.offset;
            return a.order < b.order;
        });
        std::size_t n = 0;
        while (n < events_.size() && grid_step(events_[n].step, events_[n].offset) < end) ++n;
        due_ = n;
        return {events_.data(), n};
    }
    // Drops the events handed out by the last due().
    void pop_due() {
        events_.erase(events_.begin(), events_.begin() + std::ptrdiff_t(due_));
        due_ = 0;
    }
    std::size_t size() const { return events_.size(); }
    // The pending events, each target's in delivery order (checkpoints: pushed again in this
    // order, they keep it).
    std::span<const InputEvent> pending() const { return events_; }
    std::size_t bytes() const { return events_.capacity() * sizeof(InputEvent); }

private:
    std::vector<InputEvent> events_;
    std::size_t due_ = 0;
    std::uint64_t next_ = 0;
};

}  // namespace apical
