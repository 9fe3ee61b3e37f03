// iaf_cond_exp: leaky integrate-and-fire neuron with exponentially decaying synaptic
// conductances (the neuron of the Vogels-Abbott COBA benchmark, Brette et al. 2007,
// J Comput Neurosci 23:349, benchmark 1). Parameter names, defaults and update order as
// NEST's iaf_cond_exp (models/iaf_cond_exp.{h,cpp}):
//   C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_stim
//   dg_x/dt = -g_x / tau_syn_x,   g_x += w (nS) for every input spike.
// I_stim (common and per-neuron stimulus currents) is constant over a step.
// Integration scheme (ours; NEST uses an adaptive RKF45 from GSL): within a step the
// conductances are known exactly, g(t) = g(t0) exp(-(t - t0)/tau), so only V needs a
// numerical scheme: classical fourth-order Runge-Kutta with the exact g at t0, t0 + h/2 and
// t0 + h. Local error O(h^5); the fastest time constant, C_m/(g_L + g_ex + g_in), is 0.8 ms
// for the COBA initial state, so h/tau = 0.125 at h = 0.1 ms, far inside RK4's stability
// region (|h lambda| < 2.78). Validated against an independent RK4 of the full system at a
// 100 times finer step (tests/test_iaf_cond_exp.cpp).
// Per step: if refractory, V is held at V_reset and the counter counts down; otherwise V
// advances by RK4. Then the conductances decay and the spikes arriving in this step are added
// (they act from the next step); then V >= V_th emits a spike and resets.
#include <cmath>
#include <limits>

#include "core/dispatch.hpp"
#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_m, g_ex, g_in };

class IafCondExp final : public NeuronGroup {
public:
    IafCondExp(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
               const std::map<std::string, double>& p)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          E_L_(parameter(p, "E_L")), g_L_(parameter(p, "g_L")), inv_C_(1.0 / parameter(p, "C_m")),
          E_ex_(parameter(p, "E_ex")), E_in_(parameter(p, "E_in")), I_e_(parameter(p, "I_e")),
          V_th_(parameter(p, "V_th")), V_reset_(parameter(p, "V_reset")), h_(h),
          decay_ex_half_(std::exp(-0.5 * h / parameter(p, "tau_syn_ex"))),
          decay_in_half_(std::exp(-0.5 * h / parameter(p, "tau_syn_in"))),
          decay_ex_(std::exp(-h / parameter(p, "tau_syn_ex"))),
          decay_in_(std::exp(-h / parameter(p, "tau_syn_in"))),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          refractory_(size(), 0), v_next_(size(), 0.0) {}

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        double* v = state(V_m).data();
        double* ge = state(g_ex).data();
        double* gi = state(g_in).data();
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
            // Two passes: the RK4 step of every neuron in a branch-free loop the compiler
            // vectorises, then refractoriness, input and threshold.
            if (in.neuron_current)  // per-neuron stimulus currents (noise_current)
                rk4_all_noise(v, ge, gi, I, in.neuron_current_row(0, k, n), v_next_.data(), n);
            else
                rk4_all(v, ge, gi, I, v_next_.data(), n);
            for (std::size_t i = 0; i < n; ++i) {
                if (r[i] == 0) {
                    v[i] = v_next_[i];
                } else {
                    --r[i];
                    v[i] = V_reset_;
                }
                ge[i] = decay_ex_ * ge[i] + x_ex[i];
                gi[i] = decay_in_ * gi[i] + x_in[i];
                if (r[i] == 0 && v[i] >= V_th_) {
                    r[i] = ref_steps_;
                    v[i] = V_reset_;
                    spikes.push_back({step, gids_[i], 0.0f});
                }
            }
            buf_ex.clear_row(slot);
            buf_in.clear_row(slot);
        }
    }

private:
    double dvdt(double V, double ge, double gi, double I) const {
        return (-g_L_ * (V - E_L_) - ge * (V - E_ex_) - gi * (V - E_in_) + I) * inv_C_;
    }
    // The vectorised loop is compiled for AVX2 as well and chosen at run time; without
    // contraction (-ffp-contract=off) both versions round identically.
    APICAL_TARGET_CLONES("avx2", "default")
    void rk4_all(const double* __restrict v, const double* __restrict ge, const double* __restrict gi,
                 double I, double* __restrict out, std::size_t n) const {
        for (std::size_t i = 0; i < n; ++i) out[i] = rk4_step(v[i], ge[i], gi[i], I);
    }
    // The same with a per-neuron stimulus current added to I.
    APICAL_TARGET_CLONES("avx2", "default")
    void rk4_all_noise(const double* __restrict v, const double* __restrict ge, const double* __restrict gi,
                       double I, const double* __restrict noise, double* __restrict out, std::size_t n) const {
        for (std::size_t i = 0; i < n; ++i) out[i] = rk4_step(v[i], ge[i], gi[i], I + noise[i]);
    }
    double rk4_step(double V, double ge0, double gi0, double I) const {
        const double ge1 = ge0 * decay_ex_half_, gi1 = gi0 * decay_in_half_;
        const double ge2 = ge0 * decay_ex_, gi2 = gi0 * decay_in_;
        const double k1 = dvdt(V, ge0, gi0, I);
        const double k2 = dvdt(V + 0.5 * h_ * k1, ge1, gi1, I);
        const double k3 = dvdt(V + 0.5 * h_ * k2, ge1, gi1, I);
        const double k4 = dvdt(V + h_ * k3, ge2, gi2, I);
        return V + h_ / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }

    double E_L_, g_L_, inv_C_, E_ex_, E_in_, I_e_, V_th_, V_reset_, h_;
    double decay_ex_half_, decay_in_half_, decay_ex_, decay_in_;
    int ref_steps_;
    std::vector<int> refractory_;
    std::vector<double> v_next_;  // scratch of the vectorised RK4 pass
};

}  // namespace

const ModelInfo& iaf_cond_exp_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "iaf_cond_exp";
        const double inf = std::numeric_limits<double>::infinity();
        m.parameters = {
            {"E_L", Dimension::voltage, -70.0},
            {"C_m", Dimension::capacitance, 250.0, -inf, inf, true},
            {"g_L", Dimension::conductance, 16.6667, -inf, inf, true},
            counted_in_steps({"t_ref", Dimension::time, 2.0, 0.0, inf}),
            {"V_th", Dimension::voltage, -55.0},
            {"V_reset", Dimension::voltage, -60.0},
            {"E_ex", Dimension::voltage, 0.0},
            {"E_in", Dimension::voltage, -85.0},
            {"tau_syn_ex", Dimension::time, 0.2, -inf, inf, true},
            {"tau_syn_in", Dimension::time, 2.0, -inf, inf, true},
            {"I_e", Dimension::current, 0.0},
        };
        m.state = {{"V_m", Dimension::voltage, "E_L"},
                   {"g_ex", Dimension::conductance, ""},
                   {"g_in", Dimension::conductance, ""}};
        m.receptors = {{"exc", Dimension::conductance, false}, {"inh", Dimension::conductance, false}};
        m.route_by_sign = false;
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!(p.at("V_reset") < p.at("V_th"))) return "V_reset below V_th";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_iaf_cond_exp(std::vector<gid_t> gids, int n_slots, double dt,
                                               const std::map<std::string, double>& p,
                                                const ModelContext&) {
    return std::make_unique<IafCondExp>(iaf_cond_exp_info(), std::move(gids), n_slots, dt, p);
}

}  // namespace apical
