#include "engine/virtual_process.hpp"

#include <algorithm>

#include "core/philox_batch.hpp"
#include "core/random.hpp"

namespace apical {

void VirtualProcess::add_table(int source_population, StaticSynapseTable table) {
    if (tables_of_source_.size() <= std::size_t(source_population))
        tables_of_source_.resize(std::size_t(source_population) + 1);
    tables_of_source_[std::size_t(source_population)].push_back(int(tables_.size()));
    if (table.plastic >= 0) plastic_[std::size_t(table.plastic)].table = int(tables_.size());
    tables_.push_back(std::move(table));
}

int VirtualProcess::add_plastic(PlasticSynapses synapses, int target_population, const PopulationLayout& layout,
                                int n_vp, std::optional<SpikeClassifier> classifier) {
    plastic_.push_back({std::move(synapses), -1, target_population, layout, n_vp, std::move(classifier)});
    return int(plastic_.size()) - 1;
}

void VirtualProcess::add_poisson(PoissonInput in) {
    APICAL_ASSERT(in.group >= 0 && std::size_t(in.group) < groups_.size());
    poisson_.push_back(std::move(in));
}

void VirtualProcess::add_current(CurrentInput in) {
    APICAL_ASSERT(in.group >= 0 && std::size_t(in.group) < groups_.size());
    APICAL_ASSERT(in.compartment >= 0 && std::size_t(in.compartment) < groups_[std::size_t(in.group)]->info().compartments.size());
    currents_.push_back(std::move(in));
}

void VirtualProcess::add_noise(NoiseInput in) {
    APICAL_ASSERT(in.group >= 0 && std::size_t(in.group) < groups_.size());
    APICAL_ASSERT(in.compartment >= 0 && std::size_t(in.compartment) < groups_[std::size_t(in.group)]->info().compartments.size());
    noise_.push_back(std::move(in));
}

void VirtualProcess::add_teaching(TeachingInput in, const PopulationLayout& layout, int n_vp) {
    APICAL_ASSERT(in.group >= 0 && std::size_t(in.group) < groups_.size());
    APICAL_ASSERT(in.compartment >= 0 && std::size_t(in.compartment) < groups_[std::size_t(in.group)]->info().compartments.size());
    APICAL_ASSERT(in.current.size() == groups_[std::size_t(in.group)]->size());
    teaching_.push_back({std::move(in), layout, n_vp});
}

void VirtualProcess::finish_building(int max_slice_steps) {
    // The Urbanczik-Senn rule reads its target group's archive, which records from now on.
    for (Plastic& pl : plastic_) {
        if (!pl.synapses.reads_archive()) continue;
        NeuronGroup& g = *groups_[std::size_t(pl.target_population)];
        DendriticArchive* archive = g.dendritic_archive();
        APICAL_ASSERT(archive != nullptr);  // the description checks the target model
        if (!archive->enabled()) archive->enable(g.size());
        pl.synapses.set_archive(archive);
    }
    // Every population has its (possibly empty) list of tables, so deliver can index it.
    tables_of_source_.resize(std::max(tables_of_source_.size(), groups_.size()));
    build_routes();
    std::size_t n_compartments = 1;
    for (auto& g : groups_) n_compartments = std::max(n_compartments, g->info().compartments.size());
    stimulus_scratch_.assign(n_compartments, std::vector<double>(std::size_t(max_slice_steps), 0.0));
    stimulus_rows_.clear();
    for (auto& row : stimulus_scratch_) stimulus_rows_.push_back(row.data());
    // Per-neuron currents: one slice of the largest group with noise, per compartment.
    std::size_t largest = 0;
    for (auto& in : noise_) largest = std::max(largest, groups_[std::size_t(in.group)]->size());
    for (auto& t : teaching_) largest = std::max(largest, groups_[std::size_t(t.input.group)]->size());
    neuron_scratch_.clear();
    neuron_rows_.clear();
    if (largest > 0) {
        neuron_scratch_.assign(n_compartments, std::vector<double>(std::size_t(max_slice_steps) * largest, 0.0));
        for (auto& rows : neuron_scratch_) neuron_rows_.push_back(rows.data());
    }
}

// After the tables and groups are complete: no table or ring buffer is reallocated later (initial
// weights and checkpoints write the weights in place), so the pointers stay valid.
void VirtualProcess::build_routes() {
    routes_.clear();
    routes_begin_.assign(1, 0);
    for (const std::vector<int>& tables : tables_of_source_) {
        for (int ti : tables) {
            StaticSynapseTable& t = tables_[std::size_t(ti)];
            Route r{};
            r.offsets = t.offsets.data();
            r.target = t.target.data();
            r.weight = t.weight.empty() ? nullptr : t.weight.data();
            r.weight_constant = t.weight_constant;
            r.source_first_gid = t.source_first_gid;
            r.delay = t.delay_constant;
            r.table = ti;
            r.simple = t.plastic < 0 && t.transmit == Transmit::all && t.short_term < 0 && !t.event_target &&
                       t.delay.empty();
            if (r.simple) r.buffer = &groups_[std::size_t(t.target_group)]->input(t.receptor);
            routes_.push_back(r);
        }
        routes_begin_.push_back(std::uint32_t(routes_.size()));
    }
}

namespace {

// Synapses begin .. end, one delay, into ring-buffer row `row`: each weight (weight[k], or
// w_constant if weight is null), times efficacy(k) if Scaled; the static instantiation is the
// plain loop. The constant is in a local: through a struct it would be reloaded after every
// store to the row (a double* may point at it).
template <bool Scaled, class Efficacy>
void add_to_row(double* row, const std::uint32_t* target, const float* weight, double w_constant,
                std::uint32_t begin, std::uint32_t end, Efficacy efficacy) {
    const auto scaled = [&efficacy](double w, std::uint32_t k) { return Scaled ? w * efficacy(k) : w; };
    if (weight == nullptr) {
        for (std::uint32_t k = begin; k < end; ++k) row[target[k]] += scaled(w_constant, k);
    } else {
        for (std::uint32_t k = begin; k < end; ++k) row[target[k]] += scaled(double(weight[k]), k);
    }
}

// The synapses begin .. end of one spike's source in table t. Scaled: synapse k's weight times
// efficacy(k) (short-term plasticity: one value per spike, or each synapse's own).
template <bool Scaled, class Efficacy>
void add_synapses(const StaticSynapseTable& t, RingBuffer& buf, step_t step, std::uint32_t begin,
                  std::uint32_t end, Efficacy efficacy) {
    const auto scaled = [&efficacy](double w, std::uint32_t k) { return Scaled ? w * efficacy(k) : w; };
    const std::uint32_t* target = t.target.data();
    if (t.delay.empty()) {
        add_to_row<Scaled>(buf.row_of_step(step + t.delay_constant), target,
                           t.weight.empty() ? nullptr : t.weight.data(), t.weight_constant, begin, end, efficacy);
    } else {
        const int slots = buf.n_slots();
        const int base = buf.slot_of(step);
        double* data = buf.row(0);
        const std::size_t stride = buf.n_neurons();
        const double w_constant = t.weight_constant;
        for (std::uint32_t k = begin; k < end; ++k) {
            int slot = base + t.delay[k];
            while (slot >= slots) slot -= slots;
            const double w = t.weight.empty() ? w_constant : double(t.weight[k]);
            data[std::size_t(slot) * stride + target[k]] += scaled(w, k);
        }
    }
}

// The same synapses onto an exact event-driven group: one event per synapse at the spike's
// exact time plus the synapse's delay (whole steps, then the fraction, carried into the step
// when the offset reaches 1).
template <bool Scaled, class Efficacy>
void add_events(const StaticSynapseTable& t, EventQueue& queue, const Spike& s, std::uint32_t begin,
                std::uint32_t end, Efficacy efficacy) {
    const std::uint32_t* target = t.target.data();
    for (std::uint32_t k = begin; k < end; ++k) {
        step_t step = s.step + (t.delay.empty() ? t.delay_constant : t.delay[k]);
        float offset = s.offset;
        if (!t.delay_fraction.empty()) {
            offset += t.delay_fraction[k];
            if (offset >= 1.0f) {
                offset -= 1.0f;
                ++step;
            }
        }
        const double w = t.weight.empty() ? t.weight_constant : double(t.weight[k]);
        queue.push(step, offset, target[k], Scaled ? w * efficacy(k) : w);
    }
}

}  // namespace

int VirtualProcess::add_short_term(TsodyksMarkramSources sources) {
    short_term_.push_back(std::move(sources));
    return int(short_term_.size()) - 1;
}

int VirtualProcess::add_short_term_synapses(TsodyksMarkramSynapses synapses) {
    short_term_synapses_.push_back(std::move(synapses));
    return int(short_term_synapses_.size()) - 1;
}

void VirtualProcess::deliver(std::span<const Spike> spikes, std::span<const std::uint8_t> classes,
                             const std::vector<PopulationLayout>& pops, step_t through) {
    // Own spikes of the slice just computed: postsynaptic spikes of the plastic tables (in step
    // order per population, as the groups appended them).
    // f(local index, step) for each own spike of population `layout`.
    const auto each_own_spike = [&](const PopulationLayout& layout, int n_vp, auto&& f) {
        for (const Spike& s : spikes_)
            if (s.gid >= layout.first_gid && s.gid - layout.first_gid < layout.size)
                f((s.gid - layout.first_gid) / std::uint32_t(n_vp), s.step);
    };
    for (Plastic& pl : plastic_)
        each_own_spike(pl.layout, pl.n_vp, [&](std::uint32_t local, step_t step) {
            const std::uint8_t c = pl.classifier ? pl.classifier->classify(local, step) : SpikeClass::unclassified;
            pl.synapses.add_post(step, local, c);
        });
    for (Teaching& t : teaching_)
        each_own_spike(t.layout, t.n_vp, [&](std::uint32_t local, step_t step) { t.input.spike(local, step); });
    spikes_.clear();
    const auto population_of = [&pops](gid_t gid) {
        int p = int(pops.size()) - 1;
        while (gid < pops[std::size_t(p)].first_gid) --p;
        return p;
    };
    // The synapse rows of the slice's spikes are scattered over tables larger than the cache:
    // fetch them all first, so that their misses overlap instead of stalling one row at a time.
    for (const Spike& s : spikes) {
        const std::size_t p = std::size_t(population_of(s.gid));
        for (std::uint32_t r = routes_begin_[p]; r < routes_begin_[p + 1]; ++r) {
            const Route& route = routes_[r];
            const std::uint32_t node = s.gid - route.source_first_gid;
            const std::uint32_t begin = route.offsets[node], end = route.offsets[node + 1];
            for (std::uint32_t j = begin; j < end; j += 16) __builtin_prefetch(route.target + j);
        }
    }
    for (std::size_t k = 0; k < spikes.size(); ++k) {
        const Spike& s = spikes[k];
        const std::size_t p = std::size_t(population_of(s.gid));
        for (std::uint32_t r = routes_begin_[p]; r < routes_begin_[p + 1]; ++r) {
            const Route& route = routes_[r];
            if (route.simple) {
                const std::uint32_t node = s.gid - route.source_first_gid;
                const std::uint32_t begin = route.offsets[node], end = route.offsets[node + 1];
                if (begin == end) continue;
                add_to_row<false>(route.buffer->row_of_step(grid_step(s) + route.delay), route.target, route.weight,
                                  route.weight_constant, begin, end, [](std::uint32_t) { return 1.0; });
                continue;
            }
            StaticSynapseTable& t = tables_[std::size_t(route.table)];
            const bool passes = t.transmit == Transmit::all || transmits(t.transmit, classes[k]);
            const std::uint32_t node = s.gid - t.source_first_gid;
            if (t.plastic >= 0) {
                APICAL_ASSERT(!t.event_target);  // the description refuses plasticity onto them
                // Every spike reaches the rule (BDSP learns from events whatever is transmitted).
                PlasticSynapses& ps = plastic_[std::size_t(t.plastic)].synapses;
                ps.posts_before(t, s.step);
                if (t.offsets[node] == t.offsets[node + 1]) continue;
                RingBuffer& buf = groups_[std::size_t(t.target_group)]->input(t.receptor);
                double e = 1.0;
                const double* per_synapse = nullptr;
                if (passes && t.short_term_per_synapse) {
                    TsodyksMarkramSynapses& stp = short_term_synapses_[std::size_t(t.short_term)];
                    const step_t last = stp.spike(node, s.step);
                    efficacy_scratch_.resize(t.offsets[node + 1] - t.offsets[node]);
                    for (std::uint32_t j = t.offsets[node]; j < t.offsets[node + 1]; ++j)
                        efficacy_scratch_[j - t.offsets[node]] = stp.efficacy(j, last, s.step);
                    per_synapse = efficacy_scratch_.data();
                } else if (passes && t.short_term >= 0) {
                    e = short_term_[std::size_t(t.short_term)].efficacy(node, s.step);
                }
                ps.pre(t, buf, s.step, node, classes.empty() ? SpikeClass::unclassified : classes[k], passes, e,
                       per_synapse);
                continue;
            }
            if (!passes) continue;
            const std::uint32_t begin = t.offsets[node], end = t.offsets[node + 1];
            if (begin == end) continue;
            // add(scaled, efficacy) with the spike's efficacy per synapse (short-term plasticity).
            const auto with_efficacy = [&](auto&& add) {
                if (t.short_term < 0) {
                    add(std::false_type{}, [](std::uint32_t) { return 1.0; });
                } else if (t.short_term_per_synapse) {
                    TsodyksMarkramSynapses& stp = short_term_synapses_[std::size_t(t.short_term)];
                    const step_t last = stp.spike(node, grid_step(s));
                    add(std::true_type{}, [&](std::uint32_t k) { return stp.efficacy(k, last, grid_step(s)); });
                } else {
                    // Once per spike and projection, even with two tables (receptors by sign).
                    const double e = short_term_[std::size_t(t.short_term)].efficacy(node, grid_step(s));
                    add(std::true_type{}, [e](std::uint32_t) { return e; });
                }
            };
            NeuronGroup& target = *groups_[std::size_t(t.target_group)];
            if (t.event_target) {
                with_efficacy([&](auto scaled, auto efficacy) {
                    add_events<decltype(scaled)::value>(t, target.events(), s, begin, end, efficacy);
                });
            } else {
                // Grid-based targets take an off-grid spike at the end of its step (its grid step).
                RingBuffer& buf = target.input(t.receptor);
                with_efficacy([&](auto scaled, auto efficacy) {
                    add_synapses<decltype(scaled)::value>(t, buf, grid_step(s), begin, end, efficacy);
                });
            }
        }
    }
    for (Plastic& pl : plastic_) pl.synapses.posts_through(tables_[std::size_t(pl.table)], through);
    trim_archives();
}

// Drops the archived steps no incoming synapse can read any more (now and then: the needs are
// gathered over every synapse of the tables that read the archive).
void VirtualProcess::trim_archives() {
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
        DendriticArchive* archive = groups_[gi]->dendritic_archive();
        if (!archive || !archive->trim_due()) continue;
        archive->start_trim();
        for (const Plastic& pl : plastic_)
            if (pl.synapses.reads_archive() && std::size_t(pl.target_population) == gi)
                pl.synapses.report_needs(tables_[std::size_t(pl.table)], *archive);
        archive->trim();
    }
}

void VirtualProcess::add_poisson_input(std::uint32_t seed, step_t first, int n) {
    double* rows[64];
    for (PoissonInput& in : poisson_) {
        NeuronGroup& g = *groups_[std::size_t(in.group)];
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
    for (const ReceptorInput& in : receptor_inputs_) {
        NeuronGroup& g = *groups_[std::size_t(in.group)];
        RingBuffer& buf = g.input(in.receptor);
        const std::size_t size = g.size();
        const step_t e_begin = std::max(first - in.delay, in.first_emission);
        const step_t e_end = std::min(first + n - in.delay, in.last_emission + 1);
        for (step_t e = e_begin; e < e_end; ++e) {
            const double w = in.at_emission(e);
            double* row = buf.row_of_step(e + in.delay);
            for (std::size_t i = 0; i < size; ++i) row[i] += w;
        }
    }
}

const double* const* VirtualProcess::common_currents(int group, step_t first, int n) {
    for (auto& row : stimulus_scratch_) std::fill(row.begin(), row.begin() + n, 0.0);
    for (const CurrentInput& c : currents_)
        if (c.group == group) {
            double* current = stimulus_scratch_[std::size_t(c.compartment)].data();
            for (int k = 0; k < n; ++k) current[k] += c.at_step(first + k);
        }
    return stimulus_rows_.data();
}

const double* const* VirtualProcess::neuron_currents(int group, step_t first, int n) {
    const NeuronGroup& g = *groups_[std::size_t(group)];
    bool any = false;
    for (auto& in : noise_) any = any || in.group == group;
    for (auto& t : teaching_) any = any || (t.input.group == group && t.input.active_in(first, n));
    if (!any) return nullptr;
    const std::size_t size = g.size(), values = std::size_t(n) * size;
    for (std::size_t c = 0; c < g.info().compartments.size(); ++c)
        std::fill(neuron_scratch_[c].begin(), neuron_scratch_[c].begin() + std::ptrdiff_t(values), 0.0);
    for (auto& in : noise_)
        if (in.group == group) in.add(g.gids().data(), size, first, n, neuron_scratch_[std::size_t(in.compartment)].data());
    for (auto& t : teaching_)
        if (t.input.group == group) t.input.add(first, n, neuron_scratch_[std::size_t(t.input.compartment)].data());
    return neuron_rows_.data();
}

}  // namespace apical
