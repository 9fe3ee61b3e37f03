// The lowered network description: plain data in internal units (ms, mV, pA, nS, pF, Hz),
// produced by io/description/ from a YAML file and consumed by the network builder.
// Nothing here knows about YAML; every entry keeps where it came from for later errors.
// Names the description resolved (models, options, receptors, compartments, state
// variables, rules) are held resolved: handles, indices and enums, never looked up again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/distribution.hpp"
#include "plasticity/plasticity_spec.hpp"
#include "synapses/connection_rules.hpp"
#include "synapses/static_synapse_table.hpp"
#include "synapses/tsodyks_markram.hpp"

namespace apical {

struct ModelInfo;   // neurons/model_info.hpp
struct ModelEntry;  // neurons/models.hpp

// Where a value came from in the description file, for errors raised after parsing.
struct SourceLocation {
    int line = 0;    // 1-based; 0 = unknown
    int column = 0;  // 1-based
    std::string key_path;  // e.g. "projections[2].delay"
};

struct PopulationSpec {
    std::string name;
    std::string model;  // a name from the model registry (neurons/model_registry.cpp), for output
    const ModelInfo* info = nullptr;    // that model, resolved
    const ModelEntry* entry = nullptr;  // its registry entry (factory; nullptr make: spike_source)
    std::uint64_t size = 0;
    std::map<std::string, double> parameters;       // all parameters, defaults filled in
    std::map<std::string, Distribution> initial;    // state variables given by the user
    // Per ModelInfo::options entry, the index of the chosen value (0, the default, if absent).
    std::vector<int> options;
    // spike_source only: spike times (ms) per node, from the description or a SONATA file.
    std::vector<std::vector<double>> spike_times_ms;
    // spike_source only: whether those times are kept off the grid (SONATA inputs,
    // neurons/spike_source.hpp) rather than rounded to the nearest step (descriptions).
    bool exact_spike_times = false;
    // Neurons with differing parameters (SONATA node types; models with
    // ModelInfo::per_neuron_parameters only): parameter set k, defaults filled in, and the set
    // of each node. Empty: every neuron has `parameters` (which then hold set 0).
    std::vector<std::map<std::string, double>> parameter_sets;
    std::vector<std::uint32_t> parameter_set_of_node;
    SourceLocation where;
};

// Presets of the synapse key (docs/models.md 4.2): Payeur et al. 2021's depressing and
// facilitating sets.
enum class SynapsePreset { none, depressing, facilitating };

// How a projection's synapses transmit: static (weight alone) or with short-term plasticity
// (docs/models.md 4). Each parameter is a constant or drawn per synapse (times in ms).
struct SynapseSpec {
    SynapseModel model = SynapseModel::static_synapse;
    SynapsePreset preset = SynapsePreset::none;  // for the resolved description
    Distribution U, f, tau_F, tau_D, u0, x0, tau_psc;
    // tsodyks_markram: f and u0 not given are each synapse's own U (not a second draw); f and
    // u0 then hold a copy of U's distribution, so they are drawn exactly when U is.
    bool f_is_U = false, u0_is_U = false;
    // Keep the state per synapse although every value is a constant (the storage the engine
    // chooses for drawn values; tests compare the two storages).
    bool state_per_synapse = false;
    SourceLocation where;

    // The parameters as constants: each constant's value (a drawn one's is not meaningful).
    TsodyksMarkramParameters constants() const {
        TsodyksMarkramParameters p;
        p.U = U.value, p.f = f.value, p.tau_F_ms = tau_F.value, p.tau_D_ms = tau_D.value;
        p.u0 = u0.value, p.x0 = x0.value, p.tau_psc_ms = tau_psc.value;
        return p;
    }
    // Sets every parameter to a constant.
    void set(const TsodyksMarkramParameters& p) {
        U = constant(p.U), f = constant(p.f), tau_F = constant(p.tau_F_ms), tau_D = constant(p.tau_D_ms);
        u0 = constant(p.u0), x0 = constant(p.x0), tau_psc = constant(p.tau_psc_ms);
    }
    // Whether some parameter or initial value is drawn per synapse.
    bool drawn() const {
        for (const Distribution* d : {&U, &f, &tau_F, &tau_D, &u0, &x0, &tau_psc})
            if (!d->is_constant()) return true;
        return false;
    }
    bool per_synapse() const { return state_per_synapse || drawn(); }

    SynapseSpec() { set(TsodyksMarkramParameters{}); }

private:
    static Distribution constant(double v) {
        Distribution d;
        d.value = v;
        return d;
    }
};

// A plastic projection's initial weights, read from a previous run's weights.h5 (docs/sonata.md
// 3): for target node t, entries [first[t], first[t + 1]) of `source` and `weight`, sorted by
// source and, for repeated pairs, in construction order. The build gives each synapse the
// entry of its (source, target) pair; the file must hold exactly the synapses it builds.
struct InitialWeights {
    std::string file;        // as resolved (absolute)
    std::string projection;  // its group in the file
    std::vector<std::uint64_t> first;
    std::vector<std::uint32_t> source;
    std::vector<float> weight;
};

// The connectivity fields (rule, p, degree, allow_autapses, allow_multapses) are those of
// synapses/connection_rules.hpp. With rule explicit_edges (SONATA edge populations) every
// synapse has its own weight and delay from `edges`; `weight` and `delay` then hold the range
// of those values as uniform distributions, for the memory estimate and messages only.
struct ProjectionSpec : Connectivity {
    std::string name;    // default "source->target"
    std::string source;  // population names
    std::string target;
    Distribution weight;   // in the receptor's weight unit (mV, pA or nS)
    Distribution delay;    // ms
    // Index into the target model's receptors; -1 = none named, the model's default
    // (current-based models route by the sign of each weight: positive to receptors[0],
    // negative to receptors[1]).
    int receptor = -1;
    SynapseSpec synapse;
    Transmit transmit = Transmit::all;  // which classes of the source's spikes pass
    // Plastic weights (rule none: fixed). A plastic projection has one delay (all of it
    // dendritic) and weights within the rule's bounds (the description layer checks both).
    PlasticitySpec plasticity;
    SourceLocation plasticity_where;
    std::shared_ptr<const InitialWeights> initial_weights;  // null: drawn from `weight`
    SourceLocation initial_weights_where;
    SourceLocation where;
};

struct StimulusSpec {
    enum class Kind { poisson_generator, dc_current, step_current, noise_current, sine_current, teaching_current, sine_input };
    std::string name;
    Kind kind = Kind::poisson_generator;
    std::vector<std::string> targets;  // population names
    double start_ms = 0.0;
    double stop_ms = 1e300;            // active on [start, stop)
    // poisson_generator: an independent Poisson train of `rate_hz` into every target neuron,
    // each spike acting with `weight` on `receptor` after `delay_ms`.
    double rate_hz = 0.0;
    double weight = 0.0;
    double delay_ms = 0.0;
    // Per target (as `targets`): the index of the named receptor in the target's model;
    // empty = none named (each target's default, as ProjectionSpec::receptor = -1).
    std::vector<int> receptors;
    // dc_current: amplitude_pA; step_current: amplitude_pA[k] from times_ms[k] on. With
    // period_ms > 0 the times are offsets inside one period counted from start, and the
    // sequence repeats every period (before the first time of a period: the last amplitude of
    // the previous one; zero in the first period).
    double amplitude_pA = 0.0;
    std::vector<double> times_ms;
    std::vector<double> amplitudes_pA;
    double period_ms = 0.0;
    // teaching_current (also period_ms; amplitude_pA is the base amplitude A): in every period
    // from start, during the window [window_ms.first, window_ms.second) of offsets, each target
    // neuron gets a current set at the window's start from its own running event rate Ebar
    // (events averaged with tau_avg_ms) and the period's target pattern[k mod size]:
    //   target 1: A if Ebar <= e_min + tol; A tol / (Ebar - e_min) below e_max - tol; else 0;
    //   target 0: -A if Ebar >= e_max - tol; -A tol / (e_max - Ebar) above e_min + tol; else 0.
    std::pair<double, double> window_ms{0.0, 0.0};
    std::vector<int> pattern;
    double e_min_hz = 2.0, e_max_hz = 10.0, tolerance_hz = 1.0;
    double tau_avg_ms = 0.0;
    // noise_current: an Ornstein-Uhlenbeck current, independent per target neuron, with
    // stationary mean mean_pA, stationary standard deviation std_pA and correlation time
    // tau_ms (tau dI/dt = mean - I + std sqrt(2 tau) xi(t)), started from its stationary
    // distribution at `start`.
    double mean_pA = 0.0;
    double std_pA = 0.0;
    double tau_ms = 0.0;
    // sine_current (NEST's ac_generator): offset_pA + amplitude_pA sin(2 pi frequency_hz t +
    // phase_deg pi/180), t the absolute simulation time; each step takes the current's mean
    // over the step.
    double offset_pA = 0.0;
    double frequency_hz = 0.0;
    double phase_deg = 0.0;
    // sine_input (NEST: a spike_generator with a spike in every step whose spike_weights follow
    // a sine): while active, emission step e sends every target one input of weight
    // input_offset + input_amplitude sin(2 pi frequency_hz e dt + phase_deg pi/180), in the
    // receptor's weight unit, into `receptors` after `delay_ms`.
    double input_offset = 0.0;
    double input_amplitude = 0.0;
    // Per target (as `targets`): the index of the named compartment in the target's model;
    // empty = none named (the first compartment, the soma, of every target).
    std::vector<int> compartments;
    SourceLocation where;
};

// Sampling state variables of some neurons of one population into SONATA reports.
struct StateRecordingSpec {
    std::string name;                    // report files: <output>/<name>_<variable>.h5
    std::string population;
    std::vector<int> variables;          // indices into the population model's state variables
    std::vector<std::uint32_t> nodes;    // population node ids, ascending, no duplicates
    double interval_ms = 0.1;            // a multiple of dt
    double start_ms = 0.0;               // first sample: the state at this time
    double stop_ms = 1e300;              // samples at start + k interval < stop
    // The report file inside the output directory: "" = <name>_<variable>.h5; a SONATA
    // report's file_name (one variable only).
    std::string file_name;
    SourceLocation where;
};

// Binned event rate, burst rate and burst probability of one population (docs/models.md 3.3,
// the authors' BurstRateMonitor): counts of event- and burst-class spikes per bin, divided by
// bin width and population size. Written to <output>/<name>.h5.
struct PopulationRateSpec {
    std::string name;
    std::string population;
    double bin_ms = 25.0;   // a multiple of dt
    double start_ms = 0.0;  // bins [start + k bin, start + (k+1) bin) up to stop
    double stop_ms = 1e300;
    SourceLocation where;
};

// The mean and summed weight of one plastic projection over time (the authors'
// WeightSumMonitor), written to <output>/<name>.h5 (io/weight_writer.hpp).
struct WeightRecordingSpec {
    std::string name;
    std::string projection;  // a plastic projection's name
    double interval_ms = 100.0;  // a multiple of dt
    double start_ms = 0.0;       // samples at start + k interval < stop
    double stop_ms = 1e300;
    // Per synapse: the weights of the synapses from `sources` to `targets` (node ids of the
    // projection's populations, ascending; empty: all) at every sample. Off: mean and sum only.
    bool per_synapse = false;
    std::vector<std::uint32_t> sources, targets;
    SourceLocation where;
};
// How every spike is classified as event / burst / other (engine/spike_classifier.hpp):
// by a spike trace (docs/models.md 3.2) or by inter-spike intervals (3.1).
enum class ClassificationRule { trace, isi };

inline const char* classification_rule_name(ClassificationRule r) { return r == ClassificationRule::isi ? "isi" : "trace"; }

struct SpikeClassificationSpec {
    ClassificationRule rule = ClassificationRule::trace;
    double threshold_ms = 16.0;   // trace time constant or maximal intra-burst interval
    SourceLocation where;
};

// How spikes travel between ranks: allgather (every rank receives every spike) or directed
// (each spike goes only to the ranks that hold one of its targets).
enum class SpikeExchange { allgather, directed };

inline const char* spike_exchange_name(SpikeExchange e) { return e == SpikeExchange::directed ? "directed" : "allgather"; }

struct SimulationSpec {
    double dt_ms = 0.1;
    double t_stop_ms = 1000.0;
    std::uint32_t seed = 12345;
    int threads = 1;
    std::string output_dir = "out";
    double flush_interval_ms = 1000.0;  // spikes reach the file at least this often
    SpikeExchange spike_exchange = SpikeExchange::allgather;
    SpikeClassificationSpec spike_classification;
    SourceLocation output_where;
    // Not a description key: build the network even when its memory estimate exceeds the
    // memory available to the process (engine/memory_estimate.hpp); `--force`.
    bool force_memory = false;
};

struct NetworkSpec {
    std::string file;  // the description file, for messages
    SimulationSpec simulation;
    std::vector<PopulationSpec> populations;  // gids are assigned in this order
    std::vector<ProjectionSpec> projections;
    std::vector<StimulusSpec> stimuli;
    std::vector<std::string> spike_recordings;  // population names whose spikes are written
    std::vector<StateRecordingSpec> state_recordings;
    std::vector<PopulationRateSpec> population_rates;
    std::vector<WeightRecordingSpec> weight_recordings;
    std::string resolved_yaml;  // the whole resolved description as YAML text
    // Things the description layer changed or doubts, one line each:
    // "file:line:col: key.path: what happened" (e.g. a delay rounded to the step grid).
    std::vector<std::string> warnings;
    // How the input was read, one line each, shown at start-up (a SONATA network's weight and
    // delay rules).
    std::vector<std::string> notes;
};

}  // namespace apical
