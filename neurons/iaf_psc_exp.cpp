// iaf_psc_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic
// currents, integrated exactly on the grid.
// Equations and update order: NEST's iaf_psc_exp (models/iaf_psc_exp.{h,cpp}), after
// Rotter & Diesmann (1999), Biol Cybern 81:381:
//   dV/dt = -(V - E_L)/tau_m + (I_syn_ex + I_syn_in + I_e + I_stim)/C_m
//   dI_syn_x/dt = -I_syn_x / tau_syn_x,  I_syn_x += w for every input spike (w in pA).
// I_stim (common and per-neuron stimulus currents) is constant over a step.
// Per step: V advances with the currents of the previous step (exact propagators), or
// counts down its refractory period; then the currents decay and the spikes arriving in this
// step are added (they act on V from the next step); then V >= V_th emits a spike and resets.
//   P22 = exp(-h/tau_m), P20 = tau_m/C_m (1 - P22), P11x = exp(-h/tau_syn_x),
//   P21x = tau_x tau_m / (C_m (tau_m - tau_x)) (exp(-h/tau_m) - exp(-h/tau_x)),
// written with expm1 so that tau_x -> tau_m stays accurate (limit h/C_m exp(-h/tau_m)).
#include <cmath>
#include <limits>

#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_m, I_syn_ex, I_syn_in };

// Propagator from a synaptic current to V over one step h (mV per pA).
double propagator_21(double tau_syn, double tau_m, double C_m, double h) {
    const double beta = 1.0 / tau_m - 1.0 / tau_syn;  // 0 when the time constants are equal
    if (std::abs(beta) * h < 1e-12) return h / C_m * std::exp(-h / tau_m);
    // tau_s tau_m/(tau_m - tau_s) = 1/(1/tau_s - 1/tau_m) = -1/beta
    return std::exp(-h / tau_m) * std::expm1(h * beta) / (beta * C_m);
}

class IafPscExp final : public NeuronGroup {
public:
    IafPscExp(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
              const std::map<std::string, double>& p)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          E_L_(parameter(p, "E_L")), I_e_(parameter(p, "I_e")), V_th_(parameter(p, "V_th")),
          V_reset_(parameter(p, "V_reset")),
          P22_(std::exp(-h / parameter(p, "tau_m"))),
          P20_(-parameter(p, "tau_m") / parameter(p, "C_m") * std::expm1(-h / parameter(p, "tau_m"))),
          P11ex_(std::exp(-h / parameter(p, "tau_syn_ex"))),
          P11in_(std::exp(-h / parameter(p, "tau_syn_in"))),
          P21ex_(propagator_21(parameter(p, "tau_syn_ex"), parameter(p, "tau_m"), parameter(p, "C_m"), h)),
          P21in_(propagator_21(parameter(p, "tau_syn_in"), parameter(p, "tau_m"), parameter(p, "C_m"), h)),
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
        double* i_ex = state(I_syn_ex).data();
        double* i_in = state(I_syn_in).data();
        int* r = refractory_.data();
        RingBuffer& buf_ex = input(0);
        RingBuffer& buf_in = input(1);
        const std::size_t n = size();
        const double* soma_current = in.stimulus_current(0);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = buf_ex.slot_of(step);
            const double* x_ex = buf_ex.row(slot);
            const double* x_in = buf_in.row(slot);
            const double I = I_e_ + soma_current[k];
            const double drive = P20_ * I;
            const double* noise = Noise ? in.neuron_current_row(0, k, n) : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                const double drive_i = Noise ? P20_ * (I + noise[i]) : drive;
                if (r[i] == 0)
                    v[i] = E_L_ + P22_ * (v[i] - E_L_) + P21ex_ * i_ex[i] + P21in_ * i_in[i] + drive_i;
                else
                    --r[i];
                i_ex[i] = P11ex_ * i_ex[i] + x_ex[i];
                i_in[i] = P11in_ * i_in[i] + x_in[i];
                if (v[i] >= V_th_) {
                    r[i] = ref_steps_;
                    v[i] = V_reset_;
                    spikes.push_back({step, gids_[i], 0.0f});
                }
            }
            buf_ex.clear_row(slot);
            buf_in.clear_row(slot);
        }
    }

    double E_L_, I_e_, V_th_, V_reset_, P22_, P20_, P11ex_, P11in_, P21ex_, P21in_;
    int ref_steps_;
    std::vector<int> refractory_;
};

}  // namespace

const ModelInfo& iaf_psc_exp_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "iaf_psc_exp";
        const double inf = std::numeric_limits<double>::infinity();
        m.parameters = {
            {"E_L", Dimension::voltage, -70.0},
            {"C_m", Dimension::capacitance, 250.0, -inf, inf, true},
            {"tau_m", Dimension::time, 10.0, -inf, inf, true},
            {"tau_syn_ex", Dimension::time, 2.0, -inf, inf, true},
            {"tau_syn_in", Dimension::time, 2.0, -inf, inf, true},
            counted_in_steps({"t_ref", Dimension::time, 2.0, 0.0, inf}),
            {"V_th", Dimension::voltage, -55.0},
            {"V_reset", Dimension::voltage, -70.0},
            {"I_e", Dimension::current, 0.0},
        };
        m.state = {{"V_m", Dimension::voltage, "E_L"},
                   {"I_syn_ex", Dimension::current, ""},
                   {"I_syn_in", Dimension::current, ""}};
        m.receptors = {{"exc", Dimension::current, true}, {"inh", Dimension::current, true}};
        m.route_by_sign = true;
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!(p.at("V_reset") < p.at("V_th"))) return "V_reset below V_th";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_iaf_psc_exp(std::vector<gid_t> gids, int n_slots, double dt,
                                              const std::map<std::string, double>& p,
                                                const ModelContext&) {
    return std::make_unique<IafPscExp>(iaf_psc_exp_info(), std::move(gids), n_slots, dt, p);
}

}  // namespace apical
