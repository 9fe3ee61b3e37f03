#include "engine/state_sampling.hpp"

#include <algorithm>
#include <limits>

#include "engine/stimuli.hpp"

namespace apical {

StateSampling::StateSampling(Network& net, int max_slice_steps) {
    const NetworkSpec& spec = net.spec();
    const auto& d = net.decomposition();
    const double dt = net.dt();
    for (const StateRecordingSpec& r : spec.state_recordings) {
        SampledRecording s;
        for (std::size_t p = 0; p < spec.populations.size(); ++p)
            if (spec.populations[p].name == r.population) s.population = int(p);
        s.state_index = r.variables;
        s.n_columns = r.nodes.size();
        s.every = std::max<step_t>(1, to_steps(r.interval_ms, dt));
        s.first = to_steps(r.start_ms, dt);
        s.last = r.stop_ms >= 1e299 ? std::numeric_limits<step_t>::max() / 4
                                    : std::max<step_t>(s.first - 1, to_steps(r.stop_ms, dt) - 1);
        s.per_vp.resize(net.vps().size());
        for (std::size_t v = 0; v < net.vps().size(); ++v) {
            const int vp = net.vps()[v].id();
            for (std::uint32_t c = 0; c < r.nodes.size(); ++c) {
                const gid_t gid = d.populations()[std::size_t(s.population)].first_gid + r.nodes[c];
                if (d.vp_of(gid) == vp) s.per_vp[v].emplace_back(d.local_index(r.nodes[c]), c);
            }
        }
        // At most ceil(slice / every) + 1 frames per slice.
        s.max_frames = std::size_t(max_slice_steps / s.every + 2);
        s.frames.assign(s.max_frames * s.state_index.size() * s.n_columns, 0.0);
        recordings_.push_back(std::move(s));
    }
}

void StateSampling::begin_slice(step_t first, int n) {
    for (auto& r : recordings_) {
        const step_t s0 = r.next_sample(first);
        r.slice_first_sample = s0;
        const step_t end = std::min<step_t>(first + n - 1, r.last);
        r.slice_frames = s0 <= end ? std::size_t((end - s0) / r.every + 1) : 0;
        for (std::size_t v = 0; v < r.state_index.size(); ++v)
            std::fill(r.frames_of(v), r.frames_of(v) + r.slice_frames * r.n_columns, 0.0);
    }
}

void StateSampling::sample(VirtualProcess& vp, int vp_index, int population, step_t s) {
    for (auto& r : recordings_) {
        if (r.population != population || s < r.first || s > r.last || (s - r.first) % r.every != 0) continue;
        const std::size_t frame = std::size_t((s - r.slice_first_sample) / r.every);
        NeuronGroup& g = vp.group(std::size_t(population));
        for (std::size_t v = 0; v < r.state_index.size(); ++v) {
            const double* x = g.state(r.state_index[v]).data();
            double* out = r.frames_of(v) + frame * r.n_columns;
            for (auto [local, column] : r.per_vp[std::size_t(vp_index)]) out[column] = x[local];
        }
    }
}

step_t StateSampling::next_sample(int population, step_t s) const {
    step_t next = std::numeric_limits<step_t>::max();
    for (auto& r : recordings_)
        if (r.population == population) {
            const step_t n = r.next_sample(s);
            if (n <= r.last) next = std::min(next, n);
        }
    return next;
}

}  // namespace apical
