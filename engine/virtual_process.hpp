// A virtual process (VP): one thread's share of a rank's network (docs/architecture.md,
// "Decomposition"). It owns the neuron groups of its neurons (one per population, possibly
// empty), their incoming synapses, their ring buffers and the stimuli acting on them; only
// its own thread touches any of it during a slice, so no locks are needed.
//
// Invariants kept here: a table is reachable from its source population; every stimulus
// targets an existing group and compartment; the scratch arrays for stimulus currents are
// sized once, when building ends (finish_building), for the longest slice and the largest
// group with per-neuron currents, so the slice work allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/spike.hpp"
#include "engine/decomposition.hpp"
#include "engine/spike_classifier.hpp"
#include "engine/stimuli.hpp"
#include "neurons/neuron_group.hpp"
#include "plasticity/plastic_synapses.hpp"
#include "synapses/static_synapse_table.hpp"
#include "synapses/tsodyks_markram.hpp"

namespace apical {

// Aligned to two cache lines (the adjacent-line prefetcher pairs them): VPs sit side by side in
// a vector, and one thread's push_back into spikes_ would otherwise invalidate the line holding
// the next VP's members, which another thread reads at every spike.
class alignas(128) VirtualProcess {
public:
    explicit VirtualProcess(int id) : id_(id) {}

    int id() const { return id_; }  // rank * threads + thread

    // Building (engine/network.cpp), in this order: tables, groups (population order),
    // stimuli, then finish_building.
    void add_table(int source_population, StaticSynapseTable table);
    // The per-source state of one projection with short-term plasticity; its tables on this
    // VP name the returned index in StaticSynapseTable::short_term.
    int add_short_term(TsodyksMarkramSources sources);
    // The per-synapse state of one table whose short-term parameters are drawn per synapse;
    // the table names the returned index (StaticSynapseTable::short_term_per_synapse).
    int add_short_term_synapses(TsodyksMarkramSynapses synapses);
    // The plasticity of the table added next (add_table), whose targets are population
    // `target_population` (`layout`, spread over `n_vp` VPs); with
    // `classifier` when the rule uses spike classes (its own spikes' classes, from this VP's
    // spikes of that population alone). Returns the index the table names in
    // StaticSynapseTable::plastic.
    int add_plastic(PlasticSynapses synapses, int target_population, const PopulationLayout& layout, int n_vp,
                    std::optional<SpikeClassifier> classifier);
    void add_group(std::unique_ptr<NeuronGroup> group) { groups_.push_back(std::move(group)); }
    void add_poisson(PoissonInput in);
    void add_receptor_input(ReceptorInput in) { receptor_inputs_.push_back(in); }
    void add_current(CurrentInput in);
    void add_noise(NoiseInput in);
    // A teaching_current on this VP's share of population `population` (`layout`, spread over
    // `n_vp` VPs): it sees that share's own spikes in deliver.
    void add_teaching(TeachingInput in, const PopulationLayout& layout, int n_vp);
    void finish_building(int max_slice_steps);

    std::size_t n_groups() const { return groups_.size(); }
    NeuronGroup& group(std::size_t population) { return *groups_[population]; }
    const NeuronGroup& group(std::size_t population) const { return *groups_[population]; }
    const std::vector<StaticSynapseTable>& tables() const { return tables_; }
    const std::vector<TsodyksMarkramSources>& short_term() const { return short_term_; }
    const std::vector<TsodyksMarkramSynapses>& short_term_synapses() const { return short_term_synapses_; }
    std::size_t n_plastic() const { return plastic_.size(); }
    const PlasticSynapses& plastic(std::size_t i) const { return plastic_[i].synapses; }
    // The state of the stimuli and synapses, for checkpoints (engine/checkpoint.hpp).
    std::vector<NoiseInput>& noise_inputs() { return noise_; }
    std::size_t n_teaching() const { return teaching_.size(); }
    TeachingInput& teaching(std::size_t i) { return teaching_[i].input; }
    PlasticSynapses& plastic(std::size_t i) { return plastic_[i].synapses; }
    // The classifier of plastic table i's targets' own spikes (null: the rule uses no classes).
    SpikeClassifier* plastic_classifier(std::size_t i) {
        return plastic_[i].classifier ? &*plastic_[i].classifier : nullptr;
    }
    std::vector<TsodyksMarkramSources>& short_term() { return short_term_; }
    std::vector<TsodyksMarkramSynapses>& short_term_synapses() { return short_term_synapses_; }
    std::vector<StaticSynapseTable>& tables() { return tables_; }  // plastic weights

    // The slice's work, called by the VP's own thread (engine/simulation.cpp).
    // Adds every synapse's weight of the spikes (canonical order) into ring-buffer row
    // spike step + delay of its target's receptor; for a table with short-term plasticity,
    // weight x the efficacy of the spike, its source's state advanced once per spike (or each
    // synapse's own efficacy, with per-synapse state). A table
    // that transmits one class (StaticSynapseTable::transmit) takes only the spikes whose
    // class (classes[k] of spikes[k]) is that one.
    // Plastic tables: first this VP's own spikes of the slice just computed (spikes()) join
    // their postsynaptic queues, then the rule's updates run in synapse-time order between the
    // presynaptic spikes, and at the end up to `through`, the last step of `spikes`' slice
    // (plasticity/plastic_synapses.hpp). Clears spikes().
    void deliver(std::span<const Spike> spikes, std::span<const std::uint8_t> classes,
                 const std::vector<PopulationLayout>& populations, step_t through);
    // Adds the Poisson generator counts, then the sine_input weights, that arrive in steps
    // first .. first + n - 1.
    void add_poisson_input(std::uint32_t seed, step_t first, int n);
    // The stimulus currents common to all neurons of group `group` for steps first ..
    // first + n - 1, one row per compartment (SliceInput::compartment_current).
    const double* const* common_currents(int group, step_t first, int n);
    // The per-neuron stimulus currents (noise_current, teaching_current) of group `group` for
    // the same steps: one [step][neuron] array per compartment, or nullptr if none acts on the
    // group in these steps. Advances the noise state: call once per group and slice, slices in
    // order, after deliver (which hands the teaching currents the previous slice's spikes).
    const double* const* neuron_currents(int group, step_t first, int n);
    // Spikes emitted by this VP's neurons in the current slice.
    std::vector<Spike>& spikes() { return spikes_; }

private:
    void trim_archives();
    void build_routes();

    // What delivering a spike into one table needs, one cache line per (source population,
    // table), in tables_of_source_ order. Through the table, its group and the group's ring
    // buffer that was a chain of about 20 loads per spike and table, which the neuron update
    // evicts from L1 between slices (COBA at two threads: half of deliver, perf annotate).
    // `simple`: a static table without short-term plasticity or class filter, onto a grid
    // group, one delay: delivered from here and its ring buffer (add_to_row, as add_synapses
    // does); the others through tables_[table].
    struct alignas(64) Route {
        const std::uint32_t* offsets;
        const std::uint32_t* target;
        const float* weight;  // null: every synapse has weight_constant
        RingBuffer* buffer;   // the target receptor's (simple routes)
        double weight_constant;
        std::uint32_t source_first_gid;
        int delay, table;
        bool simple;
    };

    int id_;
    std::vector<std::unique_ptr<NeuronGroup>> groups_;  // one per population
    std::vector<StaticSynapseTable> tables_;
    std::vector<TsodyksMarkramSources> short_term_;     // per projection with STP on this VP
    std::vector<TsodyksMarkramSynapses> short_term_synapses_;  // per table with per-synapse STP
    std::vector<std::vector<int>> tables_of_source_;    // per source population: table indices
    std::vector<Route> routes_;                         // tables_of_source_, flattened
    std::vector<std::uint32_t> routes_begin_;           // per source population, and the end
    struct Plastic {
        PlasticSynapses synapses;
        int table = -1;  // index in tables_
        int target_population;
        PopulationLayout layout;
        int n_vp;
        std::optional<SpikeClassifier> classifier;  // of the local targets' spikes
    };
    std::vector<Plastic> plastic_;
    std::vector<PoissonInput> poisson_;
    std::vector<ReceptorInput> receptor_inputs_;
    std::vector<CurrentInput> currents_;
    std::vector<NoiseInput> noise_;                     // per (noise_current, target group)
    struct Teaching {
        TeachingInput input;
        PopulationLayout layout;
        int n_vp;
    };
    std::vector<Teaching> teaching_;                    // per (teaching_current, target group)
    std::vector<double> efficacy_scratch_;              // a plastic spike's per-synapse efficacies
    std::vector<std::vector<double>> stimulus_scratch_; // per compartment: one slice of current
    std::vector<const double*> stimulus_rows_;          // pointers into stimulus_scratch_
    std::vector<std::vector<double>> neuron_scratch_;   // per compartment: [step][neuron] of a slice
    std::vector<const double*> neuron_rows_;            // pointers into neuron_scratch_
    std::vector<Spike> spikes_;
};

}  // namespace apical
