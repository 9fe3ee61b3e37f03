#include "neurons/spike_source.hpp"

#include <algorithm>
#include <cmath>

#include "neurons/models.hpp"

namespace apical {

namespace {

class SpikeSource final : public NeuronGroup {
public:
    SpikeSource(std::vector<gid_t> gids, int n_slots, double dt,
                const std::vector<std::vector<double>>& times_ms, bool exact)
        : NeuronGroup(spike_source_info(), std::move(gids), n_slots, dt) {
        for (std::size_t i = 0; i < times_ms.size(); ++i)
            for (double t : times_ms[i]) {
                const ExactTime x = exact ? exact_time(t, dt) : ExactTime{to_steps(t, dt), 0.0f};
                if (grid_step(x.step, x.offset) > 0) queue_.push_back({x.step, gids_[i], x.offset});
            }
        std::sort(queue_.begin(), queue_.end());  // canonical: by grid step first
        // A neuron spikes at most once per time: duplicate times (on the grid: on one step) are
        // one spike.
        queue_.erase(std::unique(queue_.begin(), queue_.end()), queue_.end());
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const step_t end = in.first_step + in.n_steps;
        while (next_ < queue_.size() && grid_step(queue_[next_]) < in.first_step) ++next_;
        while (next_ < queue_.size() && grid_step(queue_[next_]) < end) spikes.push_back(queue_[next_++]);
    }

private:
    std::vector<Spike> queue_;  // in canonical order (core/spike.hpp)
    std::size_t next_ = 0;
};

}  // namespace

const ModelInfo& spike_source_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "spike_source";
        m.is_spike_source = true;
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_spike_source(std::vector<gid_t> gids, int n_slots, double dt,
                                               const std::vector<std::vector<double>>& times_ms, bool exact) {
    return std::make_unique<SpikeSource>(std::move(gids), n_slots, dt, times_ms, exact);
}

}  // namespace apical
