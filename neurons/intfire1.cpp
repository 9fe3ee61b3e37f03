// intfire1: NEURON's IntFire1 artificial cell, simulated event by event with exact times.
// Source: NEURON's built-in IntFire1 (its documentation, "IntFire1", in the NEURON reference;
// Hines & Carnevale 2002, "Discrete event simulation in the NEURON environment",
// Neurocomputing 58-60:1117). A state m relaxes to 0 with time constant tau between events:
//   m(t) = m(t0) exp(-(t - t0)/tau).
// An input event of weight w at time t, when the cell is not refractory: m <- m(t) + w (w may be
// negative, m may go below 0); if m > 1 the cell spikes at exactly t and is refractory for
// `refrac`: events arriving in [t, t + refrac) are discarded, and at t + refrac m is set to 0.
// An event at exactly t + refrac finds the cell ready again (m = 0). Events at the same time onto
// one cell are one event with the sum of their weights (core/event_queue.hpp): the threshold is
// tested after all of them, so no order among simultaneous inputs matters.
// Exact event-driven (ModelInfo::event_driven, neurons/neuron_group.hpp): the update takes the
// events of its steps from the group's event queue in time order (core/event_queue.hpp) and
// emits spikes with their exact time as (step, offset). Times inside the model are in steps of
// dt (step + offset, as doubles); decays use exp(-(t - t0) dt / tau).
// The recordable state m is the value at the end of the last computed step (2 while
// refractory, as NEURON's M() shows it).
#include <cmath>
#include <limits>

#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { m_state };

class IntFire1 final : public NeuronGroup {
public:
    IntFire1(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double dt,
             const std::map<std::string, double>& p, const ModelContext& context)
        : NeuronGroup(info, std::move(gids), n_slots, dt), m_(size(), 0.0), t0_(size(), 0.0),
          refractory_until_(size(), -std::numeric_limits<double>::infinity()), refractory_(size(), 0),
          dt_over_tau_(size(), 0.0), refrac_steps_(size(), 0.0) {
        for (std::size_t i = 0; i < size(); ++i) {
            const auto& q = context.parameter_sets ? (*context.parameter_sets)[(*context.set_of_node)[gids_[i] - context.first_gid]] : p;
            dt_over_tau_[i] = dt / q.at("tau");
            // On the grid when it is a whole number of steps, so that an event arriving refrac after a
            // spike from the same position in its step is not lost to rounding.
            refrac_steps_[i] = snap_to_grid(q.at("refrac") / dt);
        }
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        double* shown = state(m_state).data();
        if (!started_) {  // the engine sets the initial m before the first update
            for (std::size_t i = 0; i < size(); ++i) m_[i] = shown[i];
            started_ = true;
        }
        const step_t end = in.first_step + in.n_steps;
        const std::span<const InputEvent> due = events().due(end);
        for (std::size_t k = 0; k < due.size();) {
            const InputEvent& ev = due[k];
            double w;  // simultaneous events onto one cell are one (core/event_queue.hpp)
            k = simultaneous(due, k, w);
            const std::uint32_t i = ev.target;
            const double t = double(ev.step) + double(ev.offset);
            if (refractory_[i]) {
                if (t < refractory_until_[i]) continue;  // discarded while refractory
                refractory_[i] = 0;                       // ready again at refractory_until_
                m_[i] = 0.0;
                t0_[i] = refractory_until_[i];
            }
            m_[i] = m_[i] * std::exp(-(t - t0_[i]) * dt_over_tau_[i]) + w;
            t0_[i] = t;
            if (m_[i] > 1.0) {
                spikes.push_back({ev.step, gids_[i], ev.offset});
                refractory_[i] = 1;
                refractory_until_[i] = t + refrac_steps_[i];
            }
        }
        events().pop_due();
        // What a recording sees: m decayed to the end of the last step computed.
        const double t_end = double(end - 1);
        for (std::size_t i = 0; i < size(); ++i) {
            if (refractory_[i] && t_end < refractory_until_[i])
                shown[i] = 2.0;
            else if (refractory_[i])
                shown[i] = 0.0;
            else
                shown[i] = m_[i] * std::exp(-(t_end - t0_[i]) * dt_over_tau_[i]);
        }
    }

    std::vector<OwnStateArray> own_state() override {
        return {{"m", m_.data()},
                {"t0", t0_.data()},
                {"refractory_until", refractory_until_.data()},
                {"refractory", refractory_.data()}};
    }
    void after_restore() override { started_ = true; }  // m is restored, not taken from the state shown

private:
    std::vector<double> m_, t0_;             // m at the time t0 of the neuron's last event (steps)
    std::vector<double> refractory_until_;   // steps
    std::vector<std::uint8_t> refractory_;
    std::vector<double> dt_over_tau_, refrac_steps_;
    bool started_ = false;
};

}  // namespace

const ModelInfo& intfire1_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "intfire1";
        m.event_driven = true;
        const double inf = std::numeric_limits<double>::infinity();
        m.parameters = {
            {"tau", Dimension::time, 10.0, -inf, inf, true},  // NEURON's defaults
            {"refrac", Dimension::time, 5.0, 0.0, inf},
        };
        m.state = {{"m", Dimension::dimensionless, ""}};
        // Both receptors carry signed jumps of m into the one event queue.
        m.receptors = {{"exc", Dimension::dimensionless, true}, {"inh", Dimension::dimensionless, true, 0}};
        m.route_by_sign = true;
        m.compartments = {};  // no current input: only events move m
        m.per_neuron_parameters = true;
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_intfire1(std::vector<gid_t> gids, int n_slots, double dt,
                                           const std::map<std::string, double>& p, const ModelContext& context) {
    return std::make_unique<IntFire1>(intfire1_info(), std::move(gids), n_slots, dt, p, context);
}

}  // namespace apical
