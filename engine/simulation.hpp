// The slice loop of the hybrid kernel (docs/architecture.md, "How a slice runs"):
//
//   for each slice of min_delay steps:
//     1. deliver   each VP walks the spikes of the previous slice (sorted by step, gid) and
//                  adds each synapse's weight (projections with `transmit`: of the
//                  spikes of the transmitted class) into its target's ring-buffer row
//                  step + delay; since every delay >= min_delay, those rows all lie in this
//                  slice or later, and no spike of this slice can arrive within it;
//                  plastic tables also apply their rule in synapse time, between the
//                  presynaptic spikes, to the VP's own spikes of the previous slice
//                  (plasticity/plastic_synapses.hpp); run() ends with this phase for the
//                  last slice, so weights read after it are current;
//     2. update    each VP adds its Poisson inputs for the slice's rows, then advances its
//                  groups min_delay steps, appending spikes to its own buffer;
//     3. exchange  the VP buffers are merged and sorted; ranks exchange spikes
//                  (simulation.spike_exchange, below);
//     4. write     the recorders receive the slice's spikes; flushed every flush interval.
// Phases 1 and 2 run in one parallel region with one thread per VP and no barrier between
// them: a VP only ever writes its own ring buffers and state. Phases 3 and 4 are serial.
// The input of every neuron is summed in a canonical order (spikes by step then gid; for one
// spike, tables in projection order; synapses of one source in construction order; then the
// Poisson input), so results do not depend on the number of threads or ranks.
//
// Spike exchange (simulation.spike_exchange):
// * allgather: every rank receives every spike of the slice (DistributedContext::
//   gather_spikes); deliver walks that list, and the classifier and the recorders get it.
// * directed: each spike goes only to the ranks holding one of its targets
//   (DistributedContext::exchange_spikes, routes from Network::spike_routes at construction),
//   and deliver walks what this rank received: the spikes of the slice with a target here, in
//   (step, gid) order, so every target sums the same inputs in the same order as with
//   allgather. The classifier and the recorders need the spikes of the populations that are
//   recorded (spike_recordings) or monitored (population_rates) on whichever rank writes
//   them: those alone are allgathered besides (a spike's class depends only on its own
//   neuron's earlier spikes, so the classes are those of allgather mode, and so are the
//   files). Recorders therefore see only those populations' spikes in directed mode. The
//   trade-off: directed saves traffic when targets are local (few ranks need each source)
//   and few populations are recorded; with random connectivity over all ranks every rank
//   needs nearly every source and directed only adds a second collective. When every source
//   that any rank needs belongs to a recorded population, the directed exchange is skipped
//   and deliver walks the recorded list (then directed moves the same bytes as allgather).
//
// Projections that transmit only events or only bursts (`transmit`) need the classes of
// their source's spikes where they deliver. The classifier classifies the list deliver
// walks: previous_ (allgather, or directed without routing), where the sources of such
// projections are classified beside the recorded populations; or received_ (directed with
// routing), which a second classifier classifies for those sources alone. Either way every
// rank that delivers a source's spikes receives all of them in order and so computes the
// same classes, without extra traffic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/distributed_context.hpp"
#include "engine/network.hpp"
#include "engine/recorder.hpp"
#include "engine/spike_classifier.hpp"
#include "engine/state_sampling.hpp"

namespace apical {

// Set by a signal handler (or anyone) to stop the run at the next slice boundary.
extern std::atomic<int> stop_request;

// Seconds per phase, summed over slices. deliver and update: the slowest VP of the slice on
// this rank (the others wait for it at the end of the parallel region).
struct PhaseTimes {
    double deliver = 0, update = 0, exchange = 0, write = 0;
};

class Simulation {
public:
    // Builds this rank's share of the network of `spec` (context.size() ranks,
    // spec.simulation.threads threads) and owns it, with a copy of `spec`. Collective under
    // MPI. Throws DescriptionError for what the description check cannot see (a drawn delay
    // beyond 65,535 steps, engine/network.hpp), and, before building, a UserError when the
    // memory estimate exceeds the memory available to the process, unless
    // spec.simulation.force_memory (engine/memory_estimate.hpp).
    Simulation(const NetworkSpec& spec, DistributedContext& context);
    // Runs a network built by the caller, which must outlive the simulation (kernel tests).
    Simulation(Network& network, DistributedContext& context);

    const Network& network() const { return net_; }
    Network& network() { return net_; }
    const NetworkSpec& spec() const { return net_.spec(); }

    void add_recorder(SpikeRecorder* r) { recorders_.push_back(r); }
    // Samples the description's state recordings and hands the frames to `r` (on rank 0;
    // other ranks pass nullptr but must call this too, as sampling is collective).
    void add_state_recorder(StateRecorder* r);
    // Called after every slice with the last computed step (for progress lines).
    void on_slice(std::function<void(step_t)> f) { on_slice_ = std::move(f); }
    // Also called after every slice, on every rank, before on_slice (collective recorders:
    // weight recordings). Any number.
    void add_slice_observer(std::function<void(step_t)> f) { observers_.push_back(std::move(f)); }
    // The last step whose presynaptic spikes have been delivered: plastic weights hold every
    // pairing up to it (current_step() after run() returns).
    step_t delivered_through() const { return delivered_through_; }

    // Advances to step `until` (exclusive of nothing: the last computed step is `until`),
    // or until stop_request is set. Returns the last computed step.
    step_t run(step_t until);
    step_t current_step() const { return now_; }
    const PhaseTimes& times() const { return times_; }
    // Bytes of spike exchange traffic this rank sent to other ranks since construction (both
    // exchanges, headers and padding included; DistributedContext::spike_bytes_sent), and
    // the exchanges (slices) run so far: bytes per exchange = the ratio.
    std::uint64_t exchange_bytes_sent() const { return ctx_.spike_bytes_sent() - bytes_base_; }
    std::uint64_t exchanges() const { return exchanges_; }
    // Neurons whose spikes are classified (those of recorded or monitored populations and
    // the sources of projections that transmit one class).
    std::size_t classified_neurons() const {
        return classifier_.classified_neurons() + (deliver_classifier_ ? deliver_classifier_->classified_neurons() : 0);
    }
    // Checkpoints (engine/checkpoint.hpp). settle(): delivers the last slice's spikes now if
    // that has not happened yet (the next slice then skips its deliver; the sums are the same)
    // and flushes the recorders, so that the state is that of current_step() with nothing in
    // flight but ring-buffer rows. Collective (recorders). resume_at(step): a simulation just
    // built and restored to the state saved at `step` continues from there.
    void settle();
    void resume_at(step_t step);
    // The run's spike classifier (the same on every rank), and whether a second one
    // classifies what this rank receives (directed exchange; its state is per rank).
    PopulationSpikeClassifier& classifier() { return classifier_; }
    bool has_deliver_classifier() const { return deliver_classifier_.has_value(); }
    PopulationSpikeClassifier* deliver_classifier() { return deliver_classifier_ ? &*deliver_classifier_ : nullptr; }
    // simulation.spike_exchange == SpikeExchange::directed.
    bool directed() const { return directed_; }

private:
    struct Owned {  // what the spec constructor built
        std::unique_ptr<const NetworkSpec> spec;
        std::unique_ptr<Network> network;
    };
    static Owned build(const NetworkSpec& spec, DistributedContext& context);
    Simulation(Owned owned, DistributedContext& context);

    void update(VirtualProcess& vp, std::size_t vp_index, step_t first, int n);
    void deliver_ahead();
    void emit_frames();
    void exchange();

    Owned owned_;  // first: destroyed after everything that refers to the network
    Network& net_;
    DistributedContext& ctx_;
    std::vector<SpikeRecorder*> recorders_;
    std::unique_ptr<StateSampling> sampling_;
    StateRecorder* state_recorder_ = nullptr;
    std::function<void(step_t)> on_slice_;
    std::vector<std::function<void(step_t)>> observers_;
    step_t delivered_through_ = 0;
    // allgather: the global spikes of the previous slice; directed: those of the recorded
    // populations. Recorders and the classifier get this list.
    std::vector<Spike> previous_;
    const std::vector<Spike>* to_deliver_ = &previous_;  // what deliver walks
    // Directed exchange.
    bool directed_ = false;
    std::vector<std::uint8_t> recorded_;  // per population: recorded or monitored
    std::vector<std::uint8_t> by_class_;  // per population: source of a projection with `transmit`
    bool routed_ = false;  // false: every needed source is recorded, deliver walks previous_
    bool any_recorded_ = false;
    SpikeRoutes routes_;
    std::vector<Spike> send_, recorded_local_, received_;
    std::vector<std::size_t> send_counts_, send_at_;
    std::uint64_t bytes_base_ = 0, exchanges_ = 0;
    // The spikes of populations whose classes are used (recorded, monitored) are classified
    // (event, burst, other) from the global, canonically ordered list, identically on every
    // rank, by the description's simulation.spike_classification (default: trace rule of
    // docs/models.md 3.2, 16 ms); the others are not.
    PopulationSpikeClassifier classifier_;
    std::vector<std::uint8_t> classes_;  // of previous_
    // Directed with routing and projections with `transmit`: the classes of received_.
    std::optional<PopulationSpikeClassifier> deliver_classifier_;
    std::vector<std::uint8_t> received_classes_;
    const std::vector<std::uint8_t>* to_deliver_classes_ = &classes_;  // of *to_deliver_
    std::vector<Spike> local_;     // this rank's spikes of the current slice
    // Merging the VPs' sorted spike lists into local_ (exchange): the second buffer and the
    // ends of the runs still to merge.
    std::vector<Spike> merge_buffer_;
    std::vector<std::size_t> run_ends_, merged_ends_;
    // Some projection is plastic: run() ends by delivering the last slice's spikes
    // (deliver_ahead), and the next slice then skips its deliver (delivered_ahead_).
    bool plastic_ = false;
    bool delivered_ahead_ = false;
    step_t now_ = 0;               // last computed step
    step_t last_flush_ = 0;
    PhaseTimes times_;
    // (deliver, update) of the current slice in ticks (engine/simulation.cpp `ticks`), a
    // cache-line pair per VP: each thread writes its own.
    struct alignas(128) VpTimes {
        std::uint64_t deliver = 0, update = 0;
    };
    std::vector<VpTimes> vp_times_;
};

}  // namespace apical
