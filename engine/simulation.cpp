#include "engine/simulation.hpp"

#include <algorithm>
#include <exception>

#include <omp.h>

#include "core/philox_batch.hpp"
#include "core/random.hpp"

namespace apical {

std::atomic<int> stop_request{0};

namespace {

SpikeClassifier::Rule classification_rule(const SpikeClassificationSpec& c) {
    return c.rule == ClassificationRule::isi ? SpikeClassifier::Rule::isi : SpikeClassifier::Rule::trace;
}

}  // namespace

Simulation::Simulation(Network& network, DistributedContext& context)
    : net_(network), ctx_(context),
      classifier_(classification_rule(network.spec().simulation.spike_classification),
                  network.spec().simulation.spike_classification.threshold_ms, network.dt(),
                  std::size_t(network.n_neurons())) {
    const NetworkSpec& spec = network.spec();
    directed_ = spec.simulation.spike_exchange == SpikeExchange::directed;
    bytes_base_ = ctx_.spike_bytes_sent();
    if (!directed_) return;
    const auto& pops = network.decomposition().populations();
    recorded_.assign(pops.size(), 0);
    auto mark = [&](const std::string& name) {
        for (std::size_t p = 0; p < pops.size(); ++p)
            if (pops[p].name == name) recorded_[p] = 1;
    };
    for (auto& name : spec.spike_recordings) mark(name);
    for (auto& r : spec.population_rates) mark(r.population);
    any_recorded_ = std::find(recorded_.begin(), recorded_.end(), 1) != recorded_.end();
    // Collective, and the same decision on every rank.
    routed_ = ctx_.any(!network.sources_within(recorded_));
    if (routed_) {
        routes_ = network.spike_routes(ctx_);
        to_deliver_ = &received_;
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
    vp_times_.assign(vps.size(), {0.0, 0.0});
    if (sampling_ && now_ == 0) {  // the initial state is the sample at step 0
        sampling_->begin_slice(0, 1);
        for (std::size_t v = 0; v < vps.size(); ++v)
            for (std::size_t p = 0; p < vps[v].groups.size(); ++p) sampling_->sample(vps[v], int(v), int(p), 0);
        emit_frames();
    }
    while (now_ < until) {
        // Every rank stops together, and learns the signal a peer received (the largest
        // signal number if several), so all report the same reason and exit code.
        if (const int sig = int(ctx_.max(double(stop_request.load()))); sig != 0) {
            stop_request.store(sig);
            break;
        }
        const step_t first = now_ + 1;
        const int n = int(std::min<step_t>(M, until - now_));
        if (sampling_) sampling_->begin_slice(first, n);

#pragma omp parallel for schedule(static, 1) num_threads(int(vps.size()))
        for (std::size_t v = 0; v < vps.size(); ++v) {
            try {
                const double a = omp_get_wtime();
                vps[v].spikes.clear();
                deliver(vps[v]);
                const double b = omp_get_wtime();
                add_poisson_input(vps[v], first, n);
                update(vps[v], v, first, n);
                vp_times_[v] = {b - a, omp_get_wtime() - b};
            } catch (...) {
                errors[v] = std::current_exception();
            }
        }
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
        double t1 = omp_get_wtime();
        double slowest_deliver = 0, slowest_update = 0;
        for (auto [d, u] : vp_times_) {
            slowest_deliver = std::max(slowest_deliver, d);
            slowest_update = std::max(slowest_update, u);
        }
        times_.deliver += slowest_deliver;
        times_.update += slowest_update;

        exchange();
        double t2 = omp_get_wtime();

        now_ += n;
        classes_.resize(previous_.size());
        for (std::size_t k = 0; k < previous_.size(); ++k)
            classes_[k] = classifier_.classify(previous_[k].gid, previous_[k].step);
        for (auto* r : recorders_) r->append(previous_, classes_);
        if (sampling_) emit_frames();
        if (now_ - last_flush_ >= flush_every) {
            for (auto* r : recorders_) r->flush();
            if (state_recorder_) state_recorder_->flush();
            last_flush_ = now_;
        }
        double t3 = omp_get_wtime();
        times_.exchange += t2 - t1;
        times_.write += t3 - t2;
        if (on_slice_) on_slice_(now_);
    }
    for (auto* r : recorders_) r->flush();
    if (state_recorder_) state_recorder_->flush();
    last_flush_ = now_;
    return now_;
}

void Simulation::exchange() {
    local_.clear();
    for (auto& vp : net_.vps()) local_.insert(local_.end(), vp.spikes.begin(), vp.spikes.end());
    std::sort(local_.begin(), local_.end());
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

void Simulation::deliver(VirtualProcess& vp) {
    const auto& pops = net_.decomposition().populations();
    for (const Spike& s : *to_deliver_) {
        int p = int(pops.size()) - 1;
        while (s.gid < pops[std::size_t(p)].first_gid) --p;
        for (int ti : vp.tables_of_source[std::size_t(p)]) {
            const StaticSynapseTable& t = vp.tables[std::size_t(ti)];
            const std::uint32_t node = s.gid - t.source_first_gid;
            const std::uint32_t begin = t.offsets[node], end = t.offsets[node + 1];
            if (begin == end) continue;
            RingBuffer& buf = vp.groups[std::size_t(t.target_group)]->input(t.receptor);
            const std::uint32_t* target = t.target.data();
            if (t.delay.empty()) {
                double* row = buf.row_of_step(s.step + t.delay_constant);
                if (t.weight.empty()) {
                    const double w = t.weight_constant;
                    for (std::uint32_t k = begin; k < end; ++k) row[target[k]] += w;
                } else {
                    const float* w = t.weight.data();
                    for (std::uint32_t k = begin; k < end; ++k) row[target[k]] += double(w[k]);
                }
            } else {
                const int slots = buf.n_slots();
                const int base = buf.slot_of(s.step);
                double* data = buf.row(0);
                const std::size_t stride = buf.n_neurons();
                for (std::uint32_t k = begin; k < end; ++k) {
                    int slot = base + t.delay[k];
                    while (slot >= slots) slot -= slots;
                    const double w = t.weight.empty() ? t.weight_constant : double(t.weight[k]);
                    data[std::size_t(slot) * stride + target[k]] += w;
                }
            }
        }
    }
}

void Simulation::add_poisson_input(VirtualProcess& vp, step_t first, int n) {
    const std::uint32_t seed = net_.spec().simulation.seed;
    double* rows[64];
    for (PoissonInput& in : vp.poisson) {
        NeuronGroup& g = *vp.groups[std::size_t(in.group)];
        RingBuffer& buf = g.input(in.receptor);
        const gid_t* gids = g.gids().data();
        const std::size_t size = g.size();
        // Emission steps whose arrivals fall into this slice, clipped to the active window.
        const step_t e_begin = std::max(first - in.delay, in.first_emission);
        const step_t e_end = std::min(first + n - in.delay, in.last_emission + 1);
        for (step_t e0 = e_begin; e0 < e_end; e0 += 64) {
            const int m = int(std::min<step_t>(64, e_end - e0));
            for (int k = 0; k < m; ++k) rows[k] = buf.row_of_step(e0 + k + in.delay);
            if (in.cdf.empty()) {  // lambda >= 10: exact PTRS, one stream per neuron and step
                for (std::size_t i = 0; i < size; ++i)
                    for (int k = 0; k < m; ++k)
                        rows[k][i] += double(RandomStream(seed, in.purpose, gids[i], std::uint32_t(e0 + k))
                                                 .poisson(in.lambda)) * in.weight;
                continue;
            }
            // Steps 4j .. 4j + 3 share one Philox block (word r for step 4j + r), computed for
            // all neurons at once and kept for the next slice.
            if (in.words.size() != 4 * size) {
                in.words.assign(4 * size, 0);
                in.words_group = -1;
            }
            std::uint32_t* words = in.words.data();
            for (int k = 0; k < m; ++k) {
                const step_t e = e0 + k;
                if ((e >> 2) != in.words_group) {
                    in.words_group = e >> 2;
                    philox_word_quads(seed, in.purpose, gids, std::uint32_t(e >> 2), size, words, words + size,
                                      words + 2 * size, words + 3 * size);
                }
                add_poisson_counts(in, words + std::size_t(e & 3) * size, size, rows[k]);
            }
        }
    }
}

void Simulation::update(VirtualProcess& vp, std::size_t vp_index, step_t first, int n) {
    for (std::size_t p = 0; p < vp.groups.size(); ++p) {
        NeuronGroup& g = *vp.groups[p];
        if (g.size() == 0) continue;
        for (auto& row : vp.stimulus_scratch) std::fill(row.begin(), row.begin() + n, 0.0);
        for (const CurrentInput& c : vp.currents)
            if (c.group == int(p)) {
                double* current = vp.stimulus_scratch[std::size_t(c.compartment)].data();
                for (int k = 0; k < n; ++k) current[k] += c.at_step(first + k);
            }
        const double* const* neuron_rows = vp.neuron_currents(int(p), first, n);  // noise_current
        if (!sampling_) {
            g.update(SliceInput{first, n, vp.stimulus_rows.data(), neuron_rows}, vp.spikes);
            continue;
        }
        // Split the update at sample steps (state/sampling.hpp); the current rows are shifted
        // to the first step of each piece.
        const std::size_t n_comp = vp.stimulus_rows.size();
        const double* shifted[16];
        const double* neuron_shifted[16];
        for (step_t s = first; s < first + n;) {
            const step_t end = std::min<step_t>(first + n - 1, sampling_->next_sample(int(p), s));
            for (std::size_t c = 0; c < n_comp && c < 16; ++c) shifted[c] = vp.stimulus_rows[c] + (s - first);
            for (std::size_t c = 0; neuron_rows && c < n_comp && c < 16; ++c)
                neuron_shifted[c] = neuron_rows[c] + std::size_t(s - first) * g.size();
            g.update(SliceInput{s, int(end - s + 1), shifted, neuron_rows ? neuron_shifted : nullptr}, vp.spikes);
            sampling_->sample(vp, int(vp_index), int(p), end);
            s = end + 1;
        }
    }
}

}  // namespace apical
