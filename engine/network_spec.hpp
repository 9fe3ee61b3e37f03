// The lowered network description: plain data in internal units (ms, mV, pA, nS, pF, Hz),
// produced by io/description.cpp from a YAML file and consumed by the network builder.
// Nothing here knows about YAML; every entry keeps where it came from for later errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/distribution.hpp"
#include "synapses/connection_rules.hpp"

namespace apical {

// Where a value came from in the description file, for errors raised after parsing.
struct SourceLocation {
    int line = 0;    // 1-based; 0 = unknown
    int column = 0;  // 1-based
    std::string key_path;  // e.g. "projections[2].delay"
};

struct PopulationSpec {
    std::string name;
    std::string model;  // a name from the model registry (neurons/model_registry.hpp)
    std::uint64_t size = 0;
    std::map<std::string, double> parameters;       // all parameters, defaults filled in
    std::map<std::string, Distribution> initial;    // state variables given by the user
    std::map<std::string, std::string> options;     // model options (ModelInfo::options), defaults filled in
    // spike_source only: spike times (ms) per node, from the description or a SONATA file.
    std::vector<std::vector<double>> spike_times_ms;
    SourceLocation where;
};

// The connectivity fields (rule, p, degree, allow_autapses, allow_multapses) are those of
// synapses/connection_rules.hpp.
struct ProjectionSpec : Connectivity {
    std::string name;    // default "source->target"
    std::string source;  // population names
    std::string target;
    Distribution weight;   // in the receptor's weight unit (mV, pA or nS)
    Distribution delay;    // ms
    // Receptor of the target model; empty = the model's default (current-based models route
    // by the sign of each weight: positive to receptors[0], negative to receptors[1]).
    std::string receptor;
    SourceLocation where;
};

struct StimulusSpec {
    enum class Kind { poisson_generator, dc_current, step_current, noise_current };
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
    std::string receptor;
    // dc_current: amplitude_pA; step_current: amplitude_pA[k] from times_ms[k] on.
    double amplitude_pA = 0.0;
    std::vector<double> times_ms;
    std::vector<double> amplitudes_pA;
    // noise_current: an Ornstein-Uhlenbeck current, independent per target neuron, with
    // stationary mean mean_pA, stationary standard deviation std_pA and correlation time
    // tau_ms (tau dI/dt = mean - I + std sqrt(2 tau) xi(t)), started from its stationary
    // distribution at `start`.
    double mean_pA = 0.0;
    double std_pA = 0.0;
    double tau_ms = 0.0;
    std::string compartment;  // compartment of the target model; "" = its first (soma)
    SourceLocation where;
};

// Sampling state variables of some neurons of one population into SONATA reports.
struct StateRecordingSpec {
    std::string name;                    // report files: <output>/<name>_<variable>.h5
    std::string population;
    std::vector<std::string> variables;  // declared state variables of the population's model
    std::vector<std::uint32_t> nodes;    // population node ids, ascending, no duplicates
    double interval_ms = 0.1;            // a multiple of dt
    double start_ms = 0.0;               // first sample: the state at this time
    double stop_ms = 1e300;              // samples at start + k interval < stop
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

// How every spike is classified as event / burst / other (engine/spike_classifier.hpp).
struct SpikeClassificationSpec {
    std::string rule = "trace";   // "trace" (docs/models.md 3.2) or "isi" (3.1)
    double threshold_ms = 16.0;   // trace time constant or maximal intra-burst interval
    SourceLocation where;
};

struct SimulationSpec {
    double dt_ms = 0.1;
    double t_stop_ms = 1000.0;
    std::uint32_t seed = 12345;
    int threads = 1;
    std::string output_dir = "out";
    double flush_interval_ms = 1000.0;  // spikes reach the file at least this often
    // How spikes travel between ranks: "allgather" (every rank receives every spike) or
    // "directed" (each spike goes only to the ranks that hold one of its targets).
    std::string spike_exchange = "allgather";
    SpikeClassificationSpec spike_classification;
    SourceLocation output_where;
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
    std::string resolved_yaml;  // the whole resolved description as YAML text
    // Things the description layer changed or doubts, one line each:
    // "file:line:col: key.path: what happened" (e.g. a delay rounded to the step grid).
    std::vector<std::string> warnings;
};

}  // namespace apical
