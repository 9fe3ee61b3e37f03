// iaf_psc_delta: leaky integrate-and-fire neuron with delta-shaped synaptic input
// (voltage jumps), integrated exactly on the grid.
// Equations and update order: NEST's iaf_psc_delta (models/iaf_psc_delta.{h,cpp}), after
// Rotter & Diesmann (1999), Biol Cybern 81:381, exact integration:
//   dV/dt = -(V - E_L)/tau_m + (I_e + I_stim)/C_m,  V += w for every input spike.
// I_stim (common and per-neuron stimulus currents) is constant over a step.
// Per step: if not refractory, V <- E_L + P33 (V - E_L) + P30 (I_e + I_stim) + input and
// V <- max(V, V_min); else the input is discarded (NEST's default, refractory_input false)
// and the counter counts down. Then V >= V_th emits a spike, V <- V_reset and the neuron is
// clamped for t_ref (NEST's RefractoryCounts steps).
// P33 = exp(-dt/tau_m), P30 = tau_m/C_m (1 - exp(-dt/tau_m)).
#include <cmath>
#include <limits>

#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_m };

class IafPscDelta final : public NeuronGroup {
public:
    IafPscDelta(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double dt,
                const std::map<std::string, double>& p)
        : NeuronGroup(info, std::move(gids), n_slots, dt),
          E_L_(parameter(p, "E_L")), I_e_(parameter(p, "I_e")), V_th_(parameter(p, "V_th")),
          V_reset_(parameter(p, "V_reset")), V_min_(parameter(p, "V_min")),
          P33_(std::exp(-dt / parameter(p, "tau_m"))),
          P30_(-parameter(p, "tau_m") / parameter(p, "C_m") * std::expm1(-dt / parameter(p, "tau_m"))),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          refractory_(size(), 0) {}

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        with_neuron_current(in, [&](auto noise) { run<decltype(noise)::value>(in, spikes); });
    }

private:
    // Noise: per-neuron stimulus currents (SliceInput::neuron_current) are present.
    template <bool Noise>
    void run(const SliceInput& in, std::vector<Spike>& spikes) {
        double* v = state(V_m).data();
        int* r = refractory_.data();
        RingBuffer& buf = input(0);  // exc and inh both add to V: one buffer (see registry)
        const std::size_t n = size();
        const double* soma_current = in.stimulus_current(0);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = buf.slot_of(step);
            const double* x = buf.row(slot);
            const double I = I_e_ + soma_current[k];
            const double drive = P30_ * I;
            const double* noise = Noise ? in.neuron_current_row(0, k, n) : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                if (r[i] == 0) {
                    const double drive_i = Noise ? P30_ * (I + noise[i]) : drive;
                    double vi = E_L_ + P33_ * (v[i] - E_L_) + drive_i + x[i];
                    v[i] = vi < V_min_ ? V_min_ : vi;
                } else {
                    --r[i];
                }
                if (v[i] >= V_th_) {
                    r[i] = ref_steps_;
                    v[i] = V_reset_;
                    spikes.push_back({step, gids_[i], 0.0f});
                }
            }
            buf.clear_row(slot);
        }
    }

    double E_L_, I_e_, V_th_, V_reset_, V_min_, P33_, P30_;
    int ref_steps_;
    std::vector<int> refractory_;
};

}  // namespace

const ModelInfo& iaf_psc_delta_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "iaf_psc_delta";
        const double inf = std::numeric_limits<double>::infinity();
        m.parameters = {
            {"E_L", Dimension::voltage, -70.0},
            {"C_m", Dimension::capacitance, 250.0, -inf, inf, true},
            {"tau_m", Dimension::time, 10.0, -inf, inf, true},
            counted_in_steps({"t_ref", Dimension::time, 2.0, 0.0, inf}),
            {"V_th", Dimension::voltage, -55.0},
            {"V_reset", Dimension::voltage, -70.0},
            {"I_e", Dimension::current, 0.0},
            {"V_min", Dimension::voltage, -inf},
        };
        m.state = {{"V_m", Dimension::voltage, "E_L"}};
        // Both receptors act on the one input buffer (delta jumps of either sign).
        m.receptors = {{"exc", Dimension::voltage, true}, {"inh", Dimension::voltage, true, 0}};
        m.route_by_sign = true;
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!(p.at("V_reset") < p.at("V_th"))) return "V_reset below V_th";
            if (!(p.at("V_min") <= p.at("V_reset"))) return "V_min at most V_reset";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_iaf_psc_delta(std::vector<gid_t> gids, int n_slots, double dt,
                                                const std::map<std::string, double>& p,
                                                const ModelContext&) {
    return std::make_unique<IafPscDelta>(iaf_psc_delta_info(), std::move(gids), n_slots, dt, p);
}

}  // namespace apical
