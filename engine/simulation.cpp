#include "engine/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string_view>
#include <unordered_map>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "engine/memory_estimate.hpp"
#include "engine/thread_team.hpp"

namespace apical {

std::atomic<int> stop_request{0};

namespace {

// A reading of the clock the slice phases are timed with: the CPU's time-stamp counter where
// there is one (x86: constant rate on every CPU of the last fifteen years), else the steady
// clock. Up to six readings per slice: through omp_get_wtime (clock_gettime) they cost 3.5 % of
// COBA's run at one thread (perf), rdtsc a fraction of that. run() converts the ticks to
// seconds with the steady clock measured over the same run.
std::uint64_t ticks() {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Runs body(v) once for every VP, one thread each (run_team with one round).
template <class Body>
void for_each_vp(std::vector<std::exception_ptr>& errors, Body&& body) {
    bool first = true;
    run_team(errors, [&] { return std::exchange(first, false); }, body);
}

SpikeClassifier::Rule classification_rule(const SpikeClassificationSpec& c) {
    return c.rule == ClassificationRule::isi ? SpikeClassifier::Rule::isi : SpikeClassifier::Rule::trace;
}

// Population names to indices: every population is recorded by default, and a scan per name
// made a description of 200,000 populations take 80 s to check.
std::unordered_map<std::string_view, std::size_t> population_indices(const Network& network) {
    const auto& pops = network.decomposition().populations();
    std::unordered_map<std::string_view, std::size_t> index;
    for (std::size_t p = 0; p < pops.size(); ++p) index.emplace(pops[p].name, p);
    return index;
}

// Per population: 1 if its spikes go to a writer or monitor (spike recordings, population
// rate monitors), which need them on their rank and with their classes. One answer for the
// classifier and for the directed exchange.
std::vector<std::uint8_t> recorded_or_monitored(const Network& network) {
    const NetworkSpec& spec = network.spec();
    const auto index = population_indices(network);
    std::vector<std::uint8_t> used(index.size(), 0);
    auto mark = [&](const std::string& name) {
        if (auto it = index.find(name); it != index.end()) used[it->second] = 1;
    };
    for (auto& name : spec.spike_recordings) mark(name);
    for (auto& r : spec.population_rates) mark(r.population);
    return used;
}

// Per population: 1 if it is the source of a projection that transmits one class of spikes
// or whose plasticity rule learns from classes (BDSP: presynaptic events).
std::vector<std::uint8_t> transmitted_by_class(const Network& network) {
    const auto index = population_indices(network);
    std::vector<std::uint8_t> used(index.size(), 0);
    for (const ProjectionSpec& proj : network.spec().projections)
        if (proj.transmit != Transmit::all || proj.plasticity.rule == PlasticityRule::bdsp)
            if (auto it = index.find(proj.source); it != index.end()) used[it->second] = 1;
    return used;
}

std::vector<std::uint8_t> either(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
    for (std::size_t p = 0; p < a.size(); ++p) a[p] = a[p] || b[p];
    return a;
}

// A classifier of the populations marked in `classified`, by the description's rule.
PopulationSpikeClassifier classifier_of(const Network& network, const std::vector<std::uint8_t>& classified) {
    const SpikeClassificationSpec& c = network.spec().simulation.spike_classification;
    std::vector<PopulationSpikeClassifier::Range> ranges;
    const auto& pops = network.decomposition().populations();
    for (std::size_t p = 0; p < pops.size(); ++p)
        ranges.push_back({pops[p].first_gid, gid_t(pops[p].size), classified[p] != 0});
    return PopulationSpikeClassifier(classification_rule(c), c.threshold_ms, network.dt(), ranges);
}

}  // namespace

Simulation::Owned Simulation::build(const NetworkSpec& spec, DistributedContext& context) {
    check_memory(spec, context);  // before anything large is allocated
    Owned owned;
    owned.spec = std::make_unique<const NetworkSpec>(spec);
    owned.network = std::make_unique<Network>(*owned.spec, context.size(), context.rank(), spec.simulation.threads,
                                              &context);
    return owned;
}

Simulation::Simulation(const NetworkSpec& spec, DistributedContext& context) : Simulation(build(spec, context), context) {}

// The network lives on the heap, so it stays where net_ refers to when owned moves in.
Simulation::Simulation(Owned owned, DistributedContext& context) : Simulation(*owned.network, context) {
    owned_ = std::move(owned);
}

// Each set is computed once: routing needs the recorded set (collective, the same decision on
// every rank), the classifier the recorded set and, when deliver walks previous_, the sources
// of class-transmitting projections; with routing those get their own classifier.
Simulation::Simulation(Network& network, DistributedContext& context)
    : net_(network), ctx_(context),
      directed_(network.spec().simulation.spike_exchange == SpikeExchange::directed),
      recorded_(recorded_or_monitored(network)), by_class_(transmitted_by_class(network)),
      routed_(directed_ && context.any(!network.sources_within(recorded_))),
      classifier_(classifier_of(network, routed_ ? recorded_ : either(recorded_, by_class_))) {
    bytes_base_ = ctx_.spike_bytes_sent();
    for (const ProjectionSpec& proj : network.spec().projections)
        plastic_ = plastic_ || proj.plasticity.rule != PlasticityRule::none;
    any_recorded_ = std::find(recorded_.begin(), recorded_.end(), 1) != recorded_.end();
    if (!routed_) return;
    routes_ = network.spike_routes(ctx_);
    to_deliver_ = &received_;
    if (std::find(by_class_.begin(), by_class_.end(), 1) != by_class_.end()) {
        deliver_classifier_.emplace(classifier_of(network, by_class_));
        to_deliver_classes_ = &received_classes_;
    }
}

void Simulation::add_state_recorder(StateRecorder* r) {
    state_recorder_ = r;
    if (!sampling_ && !net_.spec().state_recordings.empty())
        sampling_ = std::make_unique<StateSampling>(net_, net_.min_delay());
}

// Rank 0 receives the slice's frames of every recording, complete, and hands them on; a
// collective recorder instead gets every rank's own columns on that rank.
void Simulation::emit_frames() {
    const bool collective = state_recorder_ && state_recorder_->collective();
    for (std::size_t ri = 0; ri < sampling_->recordings().size(); ++ri) {
        SampledRecording& r = sampling_->recordings()[ri];
        if (r.slice_frames == 0) continue;
        for (std::size_t v = 0; v < r.state_index.size(); ++v) {
            std::span<double> frames(r.frames_of(v), r.slice_frames * r.n_columns);
            if (!collective) ctx_.sum_to_root(frames);
            if (state_recorder_ && (collective || ctx_.rank() == 0))
                state_recorder_->append(int(ri), int(v), frames, r.slice_frames);
        }
    }
}

step_t Simulation::run(step_t until) {
    auto& vps = net_.vps();
    const int M = net_.min_delay();
    const step_t flush_every =
        std::max<step_t>(1, to_steps(net_.spec().simulation.flush_interval_ms, net_.dt()));
    std::vector<std::exception_ptr> errors(vps.size());
    vp_times_.assign(vps.size(), VpTimes{});
    if (sampling_ && now_ == 0) {  // the initial state is the sample at step 0
        sampling_->begin_slice(0, 1);
        for (std::size_t v = 0; v < vps.size(); ++v)
            for (std::size_t p = 0; p < vps[v].n_groups(); ++p) sampling_->sample(vps[v], int(v), int(p), 0);
        emit_frames();
    }
    // One round of the team: the serial part closes the slice just computed (exchange, write)
    // and opens the next; the parallel part is each VP's deliver and update.
    step_t first = 0;
    int n = 0;
    bool deliver = false, started = false;
    struct {
        std::uint64_t deliver = 0, update = 0, exchange = 0, write = 0;
    } spent;
    const auto close_slice = [&] {
        if (deliver) delivered_through_ = first - 1;
        const std::uint64_t t1 = ticks();
        std::uint64_t slowest_deliver = 0, slowest_update = 0;
        for (const VpTimes& t : vp_times_) {
            slowest_deliver = std::max(slowest_deliver, t.deliver);
            slowest_update = std::max(slowest_update, t.update);
        }
        spent.deliver += slowest_deliver;
        spent.update += slowest_update;

        exchange();
        const std::uint64_t t2 = ticks();

        now_ += n;
        classifier_.classify(previous_, classes_);
        if (deliver_classifier_) deliver_classifier_->classify(received_, received_classes_);
        for (auto* r : recorders_) r->append(previous_, classes_);
        if (sampling_) emit_frames();
        if (now_ - last_flush_ >= flush_every) {
            for (auto* r : recorders_) r->flush();
            if (state_recorder_) state_recorder_->flush();
            last_flush_ = now_;
        }
        const std::uint64_t t3 = ticks();
        spent.exchange += t2 - t1;
        spent.write += t3 - t2;
        for (auto& f : observers_) f(now_);
        if (on_slice_) on_slice_(now_);
    };
    const auto open_slice = [&]() -> bool {
        if (now_ >= until) return false;
        // Every rank stops together, and learns the signal a peer received (the largest
        // signal number if several), so all report the same reason and exit code.
        if (const int sig = int(ctx_.max(double(stop_request.load()))); sig != 0) {
            stop_request.store(sig);
            return false;
        }
        first = now_ + 1;
        n = int(std::min<step_t>(M, until - now_));
        if (sampling_) sampling_->begin_slice(first, n);
        deliver = !delivered_ahead_;
        delivered_ahead_ = false;
        return true;
    };
    const auto clock_start = std::chrono::steady_clock::now();
    const std::uint64_t tick_start = ticks();
    // The ticks in seconds (also when the run throws: its phases up to there).
    const auto add_spent = [&] {
        const std::uint64_t tick_span = ticks() - tick_start;
        if (tick_span == 0) return;
        const double seconds_per_tick =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count() / double(tick_span);
        times_.deliver += double(spent.deliver) * seconds_per_tick;
        times_.update += double(spent.update) * seconds_per_tick;
        times_.exchange += double(spent.exchange) * seconds_per_tick;
        times_.write += double(spent.write) * seconds_per_tick;
    };
    try {
        run_team(
            errors,
            [&] {
                if (started) close_slice();
                started = true;
                return open_slice();
            },
            [&](std::size_t v) {
                const std::uint64_t a = ticks();
                if (deliver)
                    vps[v].deliver(*to_deliver_, *to_deliver_classes_, net_.decomposition().populations(), now_);
                const std::uint64_t b = ticks();
                vps[v].add_poisson_input(net_.spec().simulation.seed, first, n);
                update(vps[v], v, first, n);
                // Sorted here, in parallel: exchange() then only merges the VPs' lists.
                std::sort(vps[v].spikes().begin(), vps[v].spikes().end());
                vp_times_[v] = {b - a, ticks() - b};
            });
    } catch (...) {
        add_spent();
        throw;
    }
    add_spent();
    if (plastic_ && !delivered_ahead_) deliver_ahead();
    for (auto* r : recorders_) r->flush();
    if (state_recorder_) state_recorder_->flush();
    last_flush_ = now_;
    return now_;
}

// Plastic weights hold every pairing up to the last computed step only once its spikes are
// delivered; deliver them now (the next run's first slice then skips its deliver), so the
// weights read after run() are those at now_.
void Simulation::deliver_ahead() {
    auto& vps = net_.vps();
    std::vector<std::exception_ptr> errors(vps.size());
    for_each_vp(errors, [&](std::size_t v) {
        vps[v].deliver(*to_deliver_, *to_deliver_classes_, net_.decomposition().populations(), now_);
    });
    delivered_ahead_ = true;
    delivered_through_ = now_;
}

void Simulation::settle() {
    if (!delivered_ahead_) deliver_ahead();
    for (auto* r : recorders_) r->flush();
    if (state_recorder_) state_recorder_->flush();
    last_flush_ = now_;
}

void Simulation::resume_at(step_t step) {
    now_ = step;
    last_flush_ = step;
    delivered_through_ = step;
    delivered_ahead_ = true;  // the state holds the last slice's deliveries
}

void Simulation::exchange() {
    // The VPs' lists, each sorted, merged pairwise in rounds (n log(VPs) in this serial part,
    // against n log n for a sort of all of them): the canonical order, as the keys are unique.
    local_.clear();
    run_ends_.clear();
    for (auto& vp : net_.vps()) {
        local_.insert(local_.end(), vp.spikes().begin(), vp.spikes().end());
        run_ends_.push_back(local_.size());
    }
    while (run_ends_.size() > 1) {
        merge_buffer_.resize(local_.size());
        merged_ends_.clear();
        for (std::size_t r = 0, begin = 0; r < run_ends_.size(); r += 2) {
            const std::size_t mid = run_ends_[r], end = r + 1 < run_ends_.size() ? run_ends_[r + 1] : mid;
            std::merge(local_.begin() + std::ptrdiff_t(begin), local_.begin() + std::ptrdiff_t(mid),
                       local_.begin() + std::ptrdiff_t(mid), local_.begin() + std::ptrdiff_t(end),
                       merge_buffer_.begin() + std::ptrdiff_t(begin));
            merged_ends_.push_back(end);
            begin = end;
        }
        std::swap(local_, merge_buffer_);
        std::swap(run_ends_, merged_ends_);
    }
    ++exchanges_;
    if (!directed_) {
        ctx_.gather_spikes(local_, previous_);
        return;
    }
    const Decomposition& d = net_.decomposition();
    if (any_recorded_) {
        recorded_local_.clear();
        for (const Spike& s : local_)
            if (recorded_[std::size_t(d.population_of(s.gid))]) recorded_local_.push_back(s);
        ctx_.gather_spikes(recorded_local_, previous_);
    } else {
        previous_.clear();
    }
    if (!routed_) return;
    // Group the spikes by destination rank, each group in (step, gid) order.
    const std::size_t R = std::size_t(ctx_.size());
    send_counts_.assign(R, 0);
    std::size_t total = 0;
    for (const Spike& s : local_)
        for (std::uint32_t r : routes_.of(s.gid)) {
            ++send_counts_[r];
            ++total;
        }
    send_at_.assign(R, 0);
    for (std::size_t r = 1; r < R; ++r) send_at_[r] = send_at_[r - 1] + send_counts_[r - 1];
    send_.resize(total);
    for (const Spike& s : local_)
        for (std::uint32_t r : routes_.of(s.gid)) send_[send_at_[r]++] = s;
    ctx_.exchange_spikes(send_, send_counts_, received_);
}

void Simulation::update(VirtualProcess& vp, std::size_t vp_index, step_t first, int n) {
    for (std::size_t p = 0; p < vp.n_groups(); ++p) {
        NeuronGroup& g = vp.group(p);
        if (g.size() == 0) continue;
        const double* const* common_rows = vp.common_currents(int(p), first, n);
        const double* const* neuron_rows = vp.neuron_currents(int(p), first, n);  // noise_current
        if (!sampling_) {
            g.update(SliceInput{first, n, common_rows, neuron_rows}, vp.spikes());
            continue;
        }
        // Split the update at sample steps (engine/state_sampling.hpp); the current rows are
        // shifted to the first step of each piece.
        const std::size_t n_comp = g.info().compartments.size();
        const double* shifted[16];
        const double* neuron_shifted[16];
        for (step_t s = first; s < first + n;) {
            const step_t end = std::min<step_t>(first + n - 1, sampling_->next_sample(int(p), s));
            for (std::size_t c = 0; c < n_comp && c < 16; ++c) shifted[c] = common_rows[c] + (s - first);
            for (std::size_t c = 0; neuron_rows && c < n_comp && c < 16; ++c)
                neuron_shifted[c] = neuron_rows[c] + std::size_t(s - first) * g.size();
            g.update(SliceInput{s, int(end - s + 1), shifted, neuron_rows ? neuron_shifted : nullptr}, vp.spikes());
            sampling_->sample(vp, int(vp_index), int(p), end);
            s = end + 1;
        }
    }
}

}  // namespace apical
