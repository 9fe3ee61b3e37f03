// What a checkpoint holds and how it is gathered from, and handed back to, a simulation
// (docs/architecture.md, "Checkpoints"). The file itself is io/checkpoint_file.hpp.
//
// A checkpoint is taken at a slice boundary, after the slice's spikes have been delivered
// (Simulation::settle), so its state is that of the step `step` with nothing in flight but
// the ring-buffer rows of later steps. Every array is keyed by global identity, never by a
// rank's or thread's local index, so a run written under one decomposition (ranks x threads)
// resumes under any other:
//
//   neurons/<pop>/state/<variable>  float64 [size]        ModelInfo::state, in gid order
//   neurons/<pop>/own/<name>        float64|int64 [size x width]  NeuronGroup::own_state
//   neurons/<pop>/input/<buffer>    float64 [size x slots] ring-buffer row of step + 1 + k at
//                                   [node][k] (buffers of receptors that do not share one)
//   neurons/<pop>/events            float64 [n x 4]       pending input events of exact
//                                   event-driven groups: (step, offset, node, weight), each
//                                   node's events in delivery order
//   noise/<pop>/<purpose>           float64 [size]        noise_current: the current of `step`
//   classifier/{last,in_burst,trace} the run's spike classifier (the same on every rank); trace
//                                   with the trace rule only
//   deliver_classifier/...          the classifier of the spikes a rank receives (directed
//                                   exchange with `transmit`): per neuron, from a rank that
//                                   receives its spikes
//   stp/<projection>/{state,last}   per source node of a projection with short-term plasticity
//   stp_synapses/<projection>/state float64 [n x (4 + values)]: parameters drawn per synapse,
//                                   one row per synapse (receptor, source node, target node,
//                                   occurrence of the pair, state), sorted; .../last per source
//   plastic/<projection>/<receptor>/...  weights and the rule's state per synapse (keyed as above),
//                                   traces per source node and per target node, the queued
//                                   postsynaptic spikes, BDSP's classifier per target node
//   archive/<pop>/{clock,values}    the Urbanczik-Senn dendritic archive: (node, step, value) rows
//   teaching/<stimulus>/<pop>/...   teaching_current: per node its event trace, last event,
//                                   current and classifier; the open window's cycle
// (engine/checkpoint.cpp, save_plasticity and save_teaching, details the arrays.)
//
// Gathering: every rank sends its entries (global index, values) to rank 0 (one all_to_all
// per array), which hands each whole array to a StateSink. Restoring: every rank asks a
// StateSource for the arrays and takes the entries of its own neurons.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "engine/distributed_context.hpp"
#include "engine/simulation.hpp"

namespace apical {

// Receives the arrays of a checkpoint on rank 0 (io/checkpoint_file.cpp writes them).
// `columns` > 1: a [values.size() / columns][columns] array.
class StateSink {
public:
    virtual ~StateSink() = default;
    virtual void reals(const std::string& name, std::span<const double> values, std::size_t columns) = 0;
    virtual void integers(const std::string& name, std::span<const std::int64_t> values, std::size_t columns) = 0;
};

// Hands the arrays of a checkpoint to every rank (io/checkpoint_file.cpp reads them). Throws
// UserError when an array is missing or has another size than `expected` (a checkpoint that
// does not fit the network).
class StateSource {
public:
    virtual ~StateSource() = default;
    virtual std::vector<double> reals(const std::string& name, std::size_t expected) = 0;
    virtual std::vector<std::int64_t> integers(const std::string& name, std::size_t expected) = 0;
    // The row count of a [n x columns] array (event lists, whose length is not known before).
    virtual std::size_t rows(const std::string& name) = 0;
};

// Collective. Settles `sim` at its current step (Simulation::settle) and hands its state to
// `sink` on rank 0 (`sink` may be null on the other ranks).
void save_state(Simulation& sim, DistributedContext& ctx, StateSink* sink);

// Every rank: restores its share of the state saved at `step` into a simulation just built
// from the same description, and moves it to that step (Simulation::resume_at).
void restore_state(Simulation& sim, step_t step, StateSource& source);

}  // namespace apical
