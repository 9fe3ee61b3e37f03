#include "io/weight_writer.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <span>
#include <tuple>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "neurons/model_info.hpp"

namespace apical {

namespace {

using SynapseWeight = Network::SynapseWeight;

// The unit of a projection's weights: its receptor's (a plastic projection's weights are >= 0,
// so with no receptor named they go to the first).
std::string weight_unit(const NetworkSpec& spec, const ProjectionSpec& p) {
    for (const PopulationSpec& pop : spec.populations)
        if (pop.name == p.target) return internal_unit(pop.info->receptors[std::size_t(std::max(p.receptor, 0))].weight_dim);
    return "";
}

// (sum, count) of every plastic projection's weights over all ranks, on rank 0.
std::vector<double> means(const Simulation& sim, DistributedContext& ctx, const std::vector<int>& projections) {
    std::vector<double> sums(2 * projections.size(), 0.0);
    std::vector<SynapseWeight> local;
    for (std::size_t i = 0; i < projections.size(); ++i) {
        local.clear();
        sim.network().plastic_weights(projections[i], local);
        for (const SynapseWeight& s : local) sums[2 * i] += double(s.weight);
        sums[2 * i + 1] = double(local.size());
    }
    ctx.sum_to_root(sums);
    std::vector<double> mean(projections.size(), 0.0);
    for (std::size_t i = 0; i < projections.size(); ++i)
        mean[i] = sums[2 * i + 1] > 0 ? sums[2 * i] / sums[2 * i + 1] : 0.0;
    return mean;
}

// Every rank's synapses on rank 0, sorted by (source, target) and, for a repeated pair, in
// construction order: a pair lives on one VP, in construction order, so a stable sort gives
// one order for every decomposition. Collective; empty on the other ranks.
std::vector<SynapseWeight> gather_sorted(DistributedContext& ctx, const std::vector<SynapseWeight>& local) {
    std::vector<std::size_t> send_counts(std::size_t(ctx.size()), 0), received_counts;
    std::vector<std::uint8_t> received;
    send_counts[0] = local.size() * sizeof(SynapseWeight);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(local.data());
    ctx.all_to_all(std::span<const std::uint8_t>(bytes, send_counts[0]), send_counts, received, received_counts);
    std::vector<SynapseWeight> all(ctx.rank() == 0 ? received.size() / sizeof(SynapseWeight) : 0);
    if (!all.empty()) std::memcpy(all.data(), received.data(), all.size() * sizeof(SynapseWeight));
    std::stable_sort(all.begin(), all.end(), [](const SynapseWeight& a, const SynapseWeight& b) {
        return std::tie(a.source, a.target) < std::tie(b.source, b.target);
    });
    return all;
}

}  // namespace

bool has_plastic_projections(const NetworkSpec& spec) {
    for (const ProjectionSpec& p : spec.projections)
        if (p.plasticity.rule != PlasticityRule::none) return true;
    return false;
}

WeightWriter::WeightWriter(const Simulation& sim, DistributedContext& ctx, std::filesystem::path file,
                           const std::map<std::string, double>* mean_start)
    : file_(std::move(file)) {
    const auto& projections = sim.spec().projections;
    for (std::size_t i = 0; i < projections.size(); ++i)
        if (projections[i].plasticity.rule != PlasticityRule::none) projections_.push_back(int(i));
    if (!mean_start) {
        mean_start_ = means(sim, ctx, projections_);
        return;
    }
    for (int i : projections_) {
        const auto it = mean_start->find(projections[std::size_t(i)].name);
        if (it == mean_start->end())
            throw UserError("cannot resume: the checkpoint has no start weight of the projection '" +
                            projections[std::size_t(i)].name + "'");
        mean_start_.push_back(it->second);
    }
}

std::map<std::string, double> WeightWriter::mean_start(const NetworkSpec& spec) const {
    std::map<std::string, double> out;
    for (std::size_t i = 0; i < projections_.size(); ++i)
        out[spec.projections[std::size_t(projections_[i])].name] = mean_start_[i];
    return out;
}

void WeightWriter::finish(const Simulation& sim, DistributedContext& ctx) {
    const std::vector<double> mean_end = means(sim, ctx, projections_);
    const bool root = ctx.rank() == 0;
    h5::Handle file;
    if (root) file = h5::create_output_file(file_, "weight file");
    h5::Handle top;
    if (root) top = h5::create_group(file.get(), "weights");
    std::vector<SynapseWeight> local;
    for (std::size_t i = 0; i < projections_.size(); ++i) {
        local.clear();
        sim.network().plastic_weights(projections_[i], local);
        const std::vector<SynapseWeight> all = gather_sorted(ctx, local);
        if (!root) continue;
        std::vector<std::uint32_t> source, target;
        std::vector<float> weight;
        for (const SynapseWeight& s : all) {
            source.push_back(s.source);
            target.push_back(s.target);
            weight.push_back(s.weight);
        }
        const ProjectionSpec& p = sim.spec().projections[std::size_t(projections_[i])];
        const h5::Handle g = h5::create_group(top.get(), p.name);
        h5::write_dataset<std::uint32_t>(g.get(), "source_node_id", H5T_STD_U32LE, source);
        h5::write_dataset<std::uint32_t>(g.get(), "target_node_id", H5T_STD_U32LE, target);
        h5::write_dataset<float>(g.get(), "weight", H5T_IEEE_F32LE, weight);
        h5::write_attribute(g.get(), "source", p.source);
        h5::write_attribute(g.get(), "target", p.target);
        h5::write_attribute(g.get(), "rule", plasticity_rule_name(p.plasticity.rule));
        h5::write_attribute(g.get(), "unit", weight_unit(sim.spec(), p));
        h5::write_attribute(g.get(), "time_ms", double(sim.current_step()) * sim.network().dt());
        h5::write_attribute(g.get(), "mean_start", mean_start_[i]);
        h5::write_attribute(g.get(), "mean_end", mean_end[i]);
        h5::write_attribute(g.get(), "n_synapses", std::uint64_t(all.size()));
    }
    if (root) file.close();
}

WeightRecordings::WeightRecordings(Simulation& sim, DistributedContext& ctx, std::filesystem::path dir,
                                   const std::map<std::string, WeightRecordingPosition>* continued)
    : sim_(sim), ctx_(ctx), dir_(std::move(dir)) {
    const NetworkSpec& spec = sim.spec();
    const double dt = spec.simulation.dt_ms;
    for (const WeightRecordingSpec& r : spec.weight_recordings) {
        int projection = 0;
        while (spec.projections[std::size_t(projection)].name != r.projection) ++projection;
        const step_t stop = r.stop_ms >= 1e300 ? std::numeric_limits<step_t>::max() : to_steps(r.stop_ms, dt);
        WeightRecordingPosition at;
        at.next = to_steps(r.start_ms, dt);
        if (continued) {
            const auto it = continued->find(r.name);
            if (it == continued->end())
                throw UserError("cannot resume: the checkpoint has no position of the weight recording '" + r.name + "'");
            at = it->second;
        }
        recordings_.push_back({&r, projection, stop, to_steps(r.interval_ms, dt), std::move(at)});
    }
    sim.add_slice_observer([this](step_t) { sample(); });
}

std::map<std::string, WeightRecordingPosition> WeightRecordings::positions() const {
    std::map<std::string, WeightRecordingPosition> out;
    for (const Recording& r : recordings_) out[r.spec->name] = r.at;
    return out;
}

void WeightRecordings::sample() {
    const step_t through = sim_.delivered_through();
    std::vector<SynapseWeight> local;
    for (Recording& r : recordings_) {
        if (through < r.at.next || through >= r.stop) continue;
        local.clear();
        sim_.network().plastic_weights(r.projection, local);
        double sum_count[2] = {0.0, double(local.size())};
        for (const SynapseWeight& w : local) sum_count[0] += double(w.weight);
        ctx_.sum_to_root(sum_count);
        r.at.time.push_back(double(through) * sim_.network().dt());
        r.at.sum.push_back(sum_count[0]);
        r.at.mean.push_back(sum_count[1] > 0 ? sum_count[0] / sum_count[1] : 0.0);
        r.at.n_synapses = std::uint64_t(sum_count[1]);
        if (r.spec->per_synapse) {
            const auto chosen = [](const std::vector<std::uint32_t>& ids, std::uint32_t node) {
                return ids.empty() || std::binary_search(ids.begin(), ids.end(), node);
            };
            std::erase_if(local, [&](const SynapseWeight& w) {
                return !chosen(r.spec->sources, w.source) || !chosen(r.spec->targets, w.target);
            });
            const std::vector<SynapseWeight> all = gather_sorted(ctx_, local);
            if (r.at.time.size() == 1)
                for (const SynapseWeight& w : all) {
                    r.at.source.push_back(w.source);
                    r.at.target.push_back(w.target);
                }
            for (const SynapseWeight& w : all) r.at.weights.push_back(w.weight);
        }
        while (r.at.next <= through) r.at.next += r.interval;
    }
}

void WeightRecordings::finish() {
    sample();  // run() has delivered the last slice: the weights at the last step
    if (ctx_.rank() != 0) return;
    for (const Recording& r : recordings_) {
        const ProjectionSpec& p = sim_.spec().projections[std::size_t(r.projection)];
        h5::Handle file = h5::create_output_file(dir_ / (r.spec->name + ".h5"), "weight recording");
        h5::Handle top = h5::create_group(file.get(), "weights");
        h5::Handle g = h5::create_group(top.get(), p.name);
        h5::write_dataset<double>(g.get(), "time", H5T_IEEE_F64LE, r.at.time);
        h5::write_dataset<double>(g.get(), "mean", H5T_IEEE_F64LE, r.at.mean);
        h5::write_dataset<double>(g.get(), "sum", H5T_IEEE_F64LE, r.at.sum);
        h5::write_attribute(g.get(), "unit", weight_unit(sim_.spec(), p));
        h5::write_attribute(g.get(), "n_synapses", r.at.n_synapses);
        h5::write_attribute(g.get(), "interval_ms", r.spec->interval_ms);
        if (r.spec->per_synapse) {
            h5::write_dataset<std::uint32_t>(g.get(), "source_node_id", H5T_STD_U32LE, r.at.source);
            h5::write_dataset<std::uint32_t>(g.get(), "target_node_id", H5T_STD_U32LE, r.at.target);
            // samples x synapses; without a recorded synapse there is no row to write.
            if (!r.at.source.empty() && !r.at.time.empty()) {
                const hsize_t n = r.at.source.size();
                const h5::Handle w = h5::create_chunked_2d(g.get(), "weight", H5T_IEEE_F32LE, n,
                                                           std::min<hsize_t>(r.at.time.size(), 64), std::min<hsize_t>(n, 4096));
                h5::append_rows_2d(w.get(), H5T_NATIVE_FLOAT, r.at.weights.data(), r.at.time.size());
            }
        }
        file.close();
    }
}

}  // namespace apical
