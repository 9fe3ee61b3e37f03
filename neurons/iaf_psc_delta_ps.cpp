// iaf_psc_delta_ps: leaky integrate-and-fire neuron with delta-shaped synaptic input and exact
// spike times off the grid (precise spiking).
// Equations and semantics: NEST's iaf_psc_delta_ps (models/iaf_psc_delta_ps.{h,cpp}), after
// Morrison, Straube, Plesser & Diesmann (2007), Neural Comput 19:47, "Exact subthreshold
// integration with continuous spike times in discrete-time neural network simulations", and
// Hanuschkin, Kunkel, Helias, Morrison & Diesmann (2010), Front Neuroinform 4:113:
//   dV/dt = -(V - E_L)/tau_m + (I_e + I_stim)/C_m,  V += w at every input spike (exact time).
// I_stim (stimulus currents) is constant over a step. Between events V is propagated exactly:
//   V(t + s) = E_L + exp(-s/tau_m) (V(t) - E_L) - tau_m/C_m expm1(-s/tau_m) (I_e + I_stim).
// A threshold crossing by this drift is located exactly (the solution is monotone):
//   t* = t + tau_m ln((V(t) - V_inf) / (V_th - V_inf)),  V_inf = E_L + tau_m/C_m (I_e + I_stim).
// An input spike at time t adds w (then V <- max(V, V_min)); V >= V_th spikes at exactly t.
// Inputs at the same time are one, the sum of their weights (NEST's accumulation of
// simultaneous spikes, core/event_queue.hpp).
// After a spike at t*, V = V_reset and the neuron is refractory in [t*, t* + t_ref): its input
// is discarded (NEST) and V clamped; an input at exactly t* + t_ref is taken.
// Exact event-driven (ModelInfo::event_driven): per step, per neuron, the events of the step
// (times in ((s-1) dt, s dt]) in time order (core/event_queue.hpp); a neuron without events and
// without a crossing in the step takes the whole-step propagator, as iaf_psc_delta does.
#include <algorithm>
#include <cmath>
#include <limits>

#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_m };

class IafPscDeltaPs final : public NeuronGroup {
public:
    IafPscDeltaPs(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double dt,
                  const std::map<std::string, double>& p)
        : NeuronGroup(info, std::move(gids), n_slots, dt), E_L_(parameter(p, "E_L")), I_e_(parameter(p, "I_e")),
          V_th_(parameter(p, "V_th")), V_reset_(parameter(p, "V_reset")), V_min_(parameter(p, "V_min")),
          tau_(parameter(p, "tau_m")), R_(parameter(p, "tau_m") / parameter(p, "C_m")),
          P33_(std::exp(-dt / tau_)), P30_(-R_ * std::expm1(-dt / tau_)),
          // On the grid when a whole number of steps: refractoriness then ends where it began
          // in its step.
          ref_steps_(snap_to_grid(parameter(p, "t_ref") / dt)), refractory_until_(size(), 0.0),
          refractory_(size(), 0) {}

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        with_neuron_current(in, [&](auto noise) { run<decltype(noise)::value>(in, spikes); });
    }

    std::vector<OwnStateArray> own_state() override {
        return {{"refractory_until", refractory_until_.data()},
                {"refractory", refractory_.data()}};
    }

private:
    template <bool Noise>
    void run(const SliceInput& in, std::vector<Spike>& spikes) {
        double* v = state(V_m).data();
        const std::span<const InputEvent> due = events().due(in.first_step + in.n_steps);
        std::size_t e = 0;
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t s = in.first_step + k;
            const double I_common = I_e_ + in.stimulus_current(0)[k];
            const double* noise = Noise ? in.neuron_current_row(0, k, size()) : nullptr;
            for (std::uint32_t i = 0; i < size(); ++i) {
                const double I = Noise ? I_common + noise[i] : I_common;
                const bool has_events = e < due.size() && grid_step(due[e].step, due[e].offset) == s && due[e].target == i;
                if (!has_events) {  // the whole step at once, unless it ends refractoriness or crosses
                    if (refractory_[i] && refractory_until_[i] > double(s)) continue;
                    if (!refractory_[i]) {
                        const double vi = std::max(E_L_ + P33_ * (v[i] - E_L_) + P30_ * I, V_min_);
                        if (vi < V_th_) {
                            v[i] = vi;
                            continue;
                        }
                    }
                }
                double t = double(s - 1);
                while (e < due.size() && grid_step(due[e].step, due[e].offset) == s && due[e].target == i) {
                    const double t_event = double(due[e].step) + double(due[e].offset);
                    double w;  // simultaneous inputs are one (core/event_queue.hpp)
                    e = simultaneous(due, e, w);
                    advance(i, v[i], t, t_event, I, s, spikes);
                    if (refractory_[i]) continue;  // discarded
                    v[i] = std::max(v[i] + w, V_min_);
                    if (v[i] >= V_th_) spike(i, v[i], t_event, s, spikes);
                }
                advance(i, v[i], t, double(s), I, s, spikes);
            }
        }
        APICAL_ASSERT(e == due.size());  // every event is of a step of this update (deliver's bound)
        events().pop_due();
    }

    // Propagates neuron i from time t to t_to (steps, inside step s) under current I, ending
    // refractoriness and emitting spikes at exact threshold crossings on the way.
    void advance(std::uint32_t i, double& v, double& t, double t_to, double I, step_t s, std::vector<Spike>& spikes) {
        for (;;) {
            if (refractory_[i]) {
                if (refractory_until_[i] > t_to) {
                    t = t_to;
                    return;
                }
                t = std::max(t, refractory_until_[i]);
                refractory_[i] = 0;
            }
            if (t >= t_to) return;
            const double span = (t_to - t) * dt_;
            const double vi = std::max(E_L_ + std::exp(-span / tau_) * (v - E_L_) - R_ * std::expm1(-span / tau_) * I, V_min_);
            if (vi < V_th_) {
                v = vi;
                t = t_to;
                return;
            }
            const double V_inf = E_L_ + R_ * I;
            double t_cross = v >= V_th_ ? t : t + tau_ / dt_ * std::log((v - V_inf) / (V_th_ - V_inf));
            t_cross = std::clamp(t_cross, t, t_to);
            spike(i, v, t_cross, s, spikes);
            t = t_cross;
        }
    }

    // A spike of neuron i at time t (steps, in ((s-1), s]): reset and refractoriness.
    void spike(std::uint32_t i, double& v, double t, step_t s, std::vector<Spike>& spikes) {
        float offset = float(t - double(s - 1));
        // The spike belongs to step s: at its end (offset 0 of step s) or inside it.
        if (offset >= 1.0f) spikes.push_back({s, gids_[i], 0.0f});
        else spikes.push_back({s - 1, gids_[i], std::max(offset, std::numeric_limits<float>::denorm_min())});
        v = V_reset_;
        refractory_[i] = 1;
        refractory_until_[i] = t + ref_steps_;
    }

    double E_L_, I_e_, V_th_, V_reset_, V_min_, tau_, R_, P33_, P30_, ref_steps_;
    std::vector<double> refractory_until_;  // steps
    std::vector<std::uint8_t> refractory_;
};

}  // namespace

const ModelInfo& iaf_psc_delta_ps_info() {
    static const ModelInfo info = [] {
        // iaf_psc_delta's parameters (NEST's, the same defaults for both models), state,
        // receptors (both into the one event queue) and checks; t_ref is not counted in steps.
        ModelInfo m = iaf_psc_delta_info();
        m.name = "iaf_psc_delta_ps";
        m.event_driven = true;
        for (auto& p : m.parameters) p.max_steps = 0;
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_iaf_psc_delta_ps(std::vector<gid_t> gids, int n_slots, double dt,
                                                   const std::map<std::string, double>& p, const ModelContext&) {
    return std::make_unique<IafPscDeltaPs>(iaf_psc_delta_ps_info(), std::move(gids), n_slots, dt, p);
}

}  // namespace apical
