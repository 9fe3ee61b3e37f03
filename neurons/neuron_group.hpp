// The contract between the engine and a neuron model.
//
// A NeuronGroup holds the neurons of one population owned by one virtual process, as
// structure-of-arrays state (one PaddedVector<double> per state variable, in the units of
// neurons/model_info.hpp; padded to the SIMD width, core/padded_array.hpp). The engine allocates and owns everything (state, input ring
// buffers, stimulus currents); a model's update() only reads and writes these arrays in
// plain loops over neurons: no virtual call, allocation, lock or I/O per neuron or per step.
// The one virtual call is update(), once per group per slice.
//
// Time convention: the state at step s is the state at time s*dt. update(first, n, ...)
// advances from step first-1 to step first+n-1; in the step that ends at s the model reads
// input row s of its ring buffers (spikes that arrive at s: emitted at s - delay) and the
// stimulus current over ((s-1) dt, s dt], constant over the step; a threshold crossing in
// that step is a spike at s.
// Exact event-driven models (ModelInfo::event_driven) have no ring buffers: their input
// arrives as events with exact times (events(), core/event_queue.hpp); the update of step s
// processes the events whose grid step is s (times in ((s-1) dt, s dt]) in time order, and
// a spike at time t is emitted as (step, offset) with (step + offset) dt = t.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "core/event_queue.hpp"
#include "core/padded_array.hpp"
#include "core/ring_buffer.hpp"
#include "core/spike.hpp"
#include "core/time.hpp"
#include "neurons/dendritic_archive.hpp"
#include "neurons/model_info.hpp"

namespace apical {

// Per-slice view the engine hands to update().
struct SliceInput {
    step_t first_step;               // first step computed in this slice
    int n_steps;                     // steps in this slice (min_delay, or fewer at the end)
    // Stimulus currents (pA) common to all neurons of the group, one value per step of the
    // slice, per compartment (index as in ModelInfo::compartments; 0 is the soma).
    const double* const* compartment_current;
    // Stimulus currents (pA) that differ between neurons (noise_current), added to the common
    // ones: nullptr when no such stimulus targets the group; otherwise, for every compartment
    // of the model, an array laid out [step][neuron] (n_steps rows of size() values, zero where
    // nothing targets that compartment). Models branch on nullptr once per slice, not per neuron.
    const double* const* neuron_current = nullptr;
    const double* stimulus_current(int compartment = 0) const { return compartment_current[compartment]; }
    // Row of step first_step + k of a compartment's per-neuron current (neuron_current != nullptr).
    const double* neuron_current_row(int compartment, int k, std::size_t n_neurons) const {
        return neuron_current[compartment] + std::size_t(k) * n_neurons;
    }
};

// Calls f(std::true_type{}) when the slice has per-neuron stimulus currents, else
// f(std::false_type{}): a model branches once per slice into one of two compiled loops, e.g.
//   with_neuron_current(in, [&](auto noise) { run<decltype(noise)::value>(in, spikes); });
template <class F>
void with_neuron_current(const SliceInput& in, F&& f) {
    if (in.neuron_current)
        f(std::true_type{});
    else
        f(std::false_type{});
}

// A per-neuron array of a model's own state besides state() (refractory counters, the
// derivative of an alpha current, ...): `width` values per neuron, laid out [neuron][width],
// of one of four types. Checkpoints (engine/checkpoint.hpp) save and restore these by name,
// so a model that keeps such an array must list it in own_state().
struct OwnStateArray {
    enum class Type { f64, i64, i32, u8 };
    const char* name;
    Type type;
    void* data;  // may be null for a group without neurons
    std::size_t width = 1;
    OwnStateArray(const char* n, double* d, std::size_t w = 1) : name(n), type(Type::f64), data(d), width(w) {}
    OwnStateArray(const char* n, std::int64_t* d, std::size_t w = 1) : name(n), type(Type::i64), data(d), width(w) {}
    OwnStateArray(const char* n, std::int32_t* d, std::size_t w = 1) : name(n), type(Type::i32), data(d), width(w) {}
    OwnStateArray(const char* n, std::uint8_t* d, std::size_t w = 1) : name(n), type(Type::u8), data(d), width(w) {}
};

// Aligned like VirtualProcess: groups of different VPs are allocated one after another.
class alignas(128) NeuronGroup {
public:
    NeuronGroup(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double dt_ms)
        : info_(&info), gids_(std::move(gids)), dt_(dt_ms) {
        // Rows padded like the state, so that vectorised updates read and clear whole vectors.
        // Event-driven models take events instead: their buffers stay empty.
        for (auto& rec : info.receptors)
            input_.emplace_back(rec.shares_buffer_of < 0 && !info.event_driven ? padded_size(gids_.size()) : 0, n_slots);
        state_.resize(info.state.size(), PaddedVector<double>(gids_.size(), 0.0));
    }
    virtual ~NeuronGroup() = default;
    NeuronGroup(const NeuronGroup&) = delete;
    NeuronGroup& operator=(const NeuronGroup&) = delete;

    // Advance all neurons through one slice; append spikes (step, gid) to `spikes`.
    virtual void update(const SliceInput& in, std::vector<Spike>& spikes) = 0;

    const ModelInfo& info() const { return *info_; }
    std::size_t size() const { return gids_.size(); }
    const std::vector<gid_t>& gids() const { return gids_; }
    // The input buffer a receptor's synapses add into.
    RingBuffer& input(int receptor) {
        const int shared = info_->receptors[std::size_t(receptor)].shares_buffer_of;
        return input_[std::size_t(shared < 0 ? receptor : shared)];
    }
    int n_receptors() const { return int(input_.size()); }
    // The input events of an event-driven model (every receptor: weights carry their sign).
    EventQueue& events() { return events_; }
    // State variable by its index in info().state (for initialisation and recording); size()
    // elements, padded_size(size()) allocated.
    PaddedVector<double>& state(int index) { return state_[std::size_t(index)]; }
    // The model's own per-neuron state arrays (OwnStateArray); empty for models whose whole
    // state is state(). Scratch arrays and values derived from parameters are not listed.
    virtual std::vector<OwnStateArray> own_state() { return {}; }
    // Called once a checkpoint has restored state() and own_state(), before the next update
    // (a model that derives its own arrays from state() at its first update must not).
    virtual void after_restore() {}
    // The per-step record of the dendritic prediction (neurons/dendritic_archive.hpp) that the
    // Urbanczik-Senn rule reads; nullptr for models without one.
    DendriticArchive* dendritic_archive() { return archive_; }
    const DendriticArchive* dendritic_archive() const { return archive_; }
    std::size_t bytes() const {
        std::size_t b = gids_.size() * sizeof(gid_t) + state_.size() * padded_size(gids_.size()) * sizeof(double);
        for (auto& r : input_) b += r.bytes();
        if (archive_) b += archive_->bytes();
        return b + events_.bytes();
    }

protected:
    // Parameter by name: the description layer has filled in every default.
    static double parameter(const std::map<std::string, double>& p, const char* name) {
        return p.at(name);
    }
    // Steps of an absolute refractory period: NEST's RefractoryCounts, t_ref rounded to the grid.
    // For parameters declared counted_in_steps, which the description layer has bounded.
    int refractory_steps(double t_ref_ms) const {
        APICAL_ASSERT(fits_steps(t_ref_ms, dt_, max_counter_steps));
        return int(to_steps(t_ref_ms, dt_));
    }

    const ModelInfo* info_;
    std::vector<gid_t> gids_;
    std::vector<RingBuffer> input_;
    EventQueue events_;
    std::vector<PaddedVector<double>> state_;  // [state variable][neuron]
    double dt_;
    DendriticArchive* archive_ = nullptr;  // set by a model that keeps one
};

}  // namespace apical
