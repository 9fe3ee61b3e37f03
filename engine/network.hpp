// A network built from its description for the virtual processes of this rank: the neuron
// groups, incoming synapses and stimuli that each VP owns (DESIGN.md "Decomposition").
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/decomposition.hpp"
#include "engine/distributed_context.hpp"
#include "engine/network_spec.hpp"
#include "neurons/neuron_group.hpp"
#include "neurons/stimuli.hpp"
#include "synapses/static_synapse_table.hpp"

namespace apical {

// Everything one virtual process owns; only its own thread writes to it.
struct VirtualProcess {
    int vp = 0;
    std::vector<std::unique_ptr<NeuronGroup>> groups;  // one per population (possibly empty)
    std::vector<StaticSynapseTable> tables;
    std::vector<std::vector<int>> tables_of_source;    // per source population: table indices
    std::vector<PoissonInput> poisson;
    std::vector<CurrentInput> currents;
    std::vector<std::vector<double>> stimulus_scratch;  // per compartment: one slice of current
    std::vector<const double*> stimulus_rows;           // pointers into stimulus_scratch
    std::vector<NoiseInput> noise;                      // per (noise_current, target group)
    std::vector<std::vector<double>> neuron_scratch;    // per compartment: [step][neuron] of a slice
    std::vector<const double*> neuron_rows;             // pointers into neuron_scratch
    std::vector<Spike> spikes;                          // emitted in the current slice
    std::vector<double> poisson_scratch[2];             // uniforms of two steps, per neuron

    // The per-neuron stimulus currents (noise_current) of group `group` for steps first ..
    // first + n - 1, for SliceInput::neuron_current: every compartment of the group's model
    // gets an array [step][neuron] in neuron_scratch; nullptr if no such stimulus targets the
    // group. Advances the noise state: call once per group and slice, slices in order.
    const double* const* neuron_currents(int group, step_t first, int n);
};

class Network {
public:
    // Builds the VPs of `rank` (threads in parallel). Throws UserError for descriptions
    // that turn out impossible while building (e.g. an in-degree larger than the sources).
    // `context` (optional) agrees on the delays across ranks.
    Network(const NetworkSpec& spec, int ranks, int rank, int threads, DistributedContext* context = nullptr);

    const NetworkSpec& spec() const { return spec_; }
    const Decomposition& decomposition() const { return decomposition_; }
    std::vector<VirtualProcess>& vps() { return vps_; }
    double dt() const { return spec_.simulation.dt_ms; }
    int min_delay() const { return min_delay_; }   // steps
    int max_delay() const { return max_delay_; }   // steps
    std::uint64_t n_neurons() const { return n_neurons_; }
    std::uint64_t n_synapses() const { return n_synapses_; }  // on this rank
    std::uint64_t synapse_bytes() const { return synapse_bytes_; }
    std::uint64_t neuron_bytes() const;
    std::vector<std::uint64_t> synapses_per_projection() const;  // on this rank

private:
    void build_synapses(VirtualProcess& vp);
    void build_groups(VirtualProcess& vp);
    void build_stimuli(VirtualProcess& vp);
    void add_noise(VirtualProcess& vp, const StimulusSpec& st, std::size_t si, int p, int compartment);

    const NetworkSpec& spec_;
    Decomposition decomposition_;
    std::vector<VirtualProcess> vps_;
    int min_delay_ = 1, max_delay_ = 1;
    std::uint64_t n_neurons_ = 0, n_synapses_ = 0, synapse_bytes_ = 0;
};

}  // namespace apical
