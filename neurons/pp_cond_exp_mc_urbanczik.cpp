// pp_cond_exp_mc_urbanczik: the two-compartment point-process neuron of Urbanczik R, Senn W
// (2014) Learning by the dendritic prediction of somatic spiking. Neuron 81:521-528, with
// NEST's parameter names, defaults and update order (NEST model documentation of
// pp_cond_exp_mc_urbanczik; docs/models.md 15.1). Soma U (conductance synapses), dendrite V
// (current synapses):
//   C_s dU/dt = -g_L_s (U - E_L_s) - g_ex (U - E_ex) - g_in (U - E_in) + g_sp (V - U) + I_e + I_stim
//   C_d dV/dt = -g_L_d (V - E_L_d) + I_ex + I_in + g_ps (U - V)
//   dg_x/dt = -g_x / tau_syn_x_s,  dI_x/dt = -I_x / tau_syn_x_d,
// a spike adds w (nS) to g_ex or g_in (soma.exc, soma.inh), +w (pA) to I_ex (dendrite.exc) and
// -w to I_in (dendrite.inh). Spiking is a point process of rate
//   phi(U) = phi_max / (1 + rate_slope exp(beta (theta - U))),
// with no reset: outside the dead time, a step spikes with probability 1 - exp(-phi(U) h);
// a spike starts a dead time of t_ref (rounded to steps) without draws.
// For the Urbanczik-Senn rule the neuron records per step (NEST's write_urbanczik_history)
//   V*_w = (g_L_s E_L_s + g_sp V) / (g_L_s + g_sp)      (the dendritic prediction),
//   dPI = (n_spikes - phi(V*_w) h) * 15 beta / (1 + exp(-beta (theta - V*_w)) / rate_slope)
// (the factor 15 mV is NEST's: the paper's voltage unit) into its DendriticArchive, once a
// plastic projection reads it.
// Integration (ours; NEST uses GSL's adaptive RKF45 inside each step): within a step the four
// synaptic variables are known exactly (exponential decays), so only (U, V) need a scheme:
// classical RK4 over two half steps, with the exact inputs at the start, middle and end of
// each. The fastest mode is the somatic one, C_s / (g_L_s + g_sp + g_ex + g_in): 0.48 ms at the
// defaults, 0.2 ms with the strong nudging conductances of NEST's example, so h lambda <= 0.25
// per half step at h = 0.1 ms, far inside RK4's stability region (|h lambda| < 2.78), with a
// local error near (h lambda)^5 / 120 of that mode's deviation (one RK4 step per 0.1 ms was
// 16 times less accurate: 2.2e-3 mV after a 540 nS inhibitory input in the test). Validated
// against an independent RK4 of the full six-variable system at a 100 times finer step
// (tests/test_pp_cond_exp_mc_urbanczik.cpp).
// Order within a step (NEST's update): RK4 over the step; then the synaptic variables decay
// and the spikes arriving in this step are added (they act from the next step); then, if not
// in dead time, the spike draw with U at the end of the step (else the dead-time counter
// counts down); then V*_w and dPI with V at the end of the step.
// Random numbers: one Philox call per neuron and step outside the dead time, keyed (seed,
// neuron_noise purpose of the population, gid, step), so the spikes do not depend on the
// decomposition. NEST compares drand() <= p; here u < p for u uniform in [0, 1): the same
// probability up to 2^-53.
// Differences from NEST: t_ref must be > 0 (NEST's t_ref = 0 draws Poisson counts, several
// spikes per step, which apical's spike records do not carry); NEST's dendritic I_e and
// current input are accepted there but never enter the equations, so here the dendrite is
// no target for current stimuli and has no I_e; a stimulus current of step s acts in step s
// (apical's convention, NEST's acts one step later).
// A plain scalar loop over neurons (not vectorised with Highway, unlike the other models): it
// draws a random number per neuron and step and evaluates three exponentials.
#include <cmath>
#include <limits>

#include "core/random.hpp"
#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_s, V_d, g_ex_s, g_in_s, I_ex_d, I_in_d, V_w_star, refractory_count };
enum Receptor { soma_exc, soma_inh, dendrite_exc, dendrite_inh };

class PpCondExpMcUrbanczik final : public NeuronGroup {
public:
    PpCondExpMcUrbanczik(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                         const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          g_L_s_(parameter(p, "g_L_s")), E_L_s_(parameter(p, "E_L_s")), inv_C_s_(1.0 / parameter(p, "C_m_s")),
          E_ex_(parameter(p, "E_ex_s")), E_in_(parameter(p, "E_in_s")), g_sp_(parameter(p, "g_sp")),
          I_e_(parameter(p, "I_e_s")), g_L_d_(parameter(p, "g_L_d")), E_L_d_(parameter(p, "E_L_d")),
          inv_C_d_(1.0 / parameter(p, "C_m_d")), g_ps_(parameter(p, "g_ps")),
          phi_max_(parameter(p, "phi_max") * 1e-3), rate_slope_(parameter(p, "rate_slope")),
          beta_(parameter(p, "beta")), theta_(parameter(p, "theta")), h_(h),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          seed_(ctx.seed), purpose_(purpose(Purpose::neuron_noise, ctx.population)) {
        const char* taus[4] = {"tau_syn_ex_s", "tau_syn_in_s", "tau_syn_ex_d", "tau_syn_in_d"};
        for (int r = 0; r < 4; ++r) {
            decay_quarter_[r] = std::exp(-0.25 * h / parameter(p, taus[r]));
            decay_half_[r] = std::exp(-0.5 * h / parameter(p, taus[r]));
            decay_[r] = std::exp(-h / parameter(p, taus[r]));
        }
        archive_ = &archive_storage_;
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const std::size_t n = size();
        const bool archiving = archive_storage_.enabled();
        if (archiving) dpi_.resize(std::size_t(in.n_steps) * n);
        double *U = state(V_s).data(), *V = state(V_d).data(), *ge = state(g_ex_s).data(),
               *gi = state(g_in_s).data(), *Ie = state(I_ex_d).data(), *Ii = state(I_in_d).data(),
               *Vw = state(V_w_star).data(), *r = state(refractory_count).data();
        const double* soma_current = in.stimulus_current(0);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            double* x[4];
            for (int q = 0; q < 4; ++q) x[q] = input(q).row_of_step(step);
            const double I_common = I_e_ + soma_current[k];
            const double* noise = in.neuron_current ? in.neuron_current_row(0, k, n) : nullptr;
            for (std::size_t i = 0; i < n; ++i) {
                const double I = noise ? I_common + noise[i] : I_common;
                rk4(U[i], V[i], ge[i], gi[i], Ie[i], Ii[i], I);
                const double* c = decay_half_;
                rk4(U[i], V[i], ge[i] * c[0], gi[i] * c[1], Ie[i] * c[2], Ii[i] * c[3], I);
                ge[i] = ge[i] * decay_[soma_exc] + x[soma_exc][i];
                gi[i] = gi[i] * decay_[soma_inh] + x[soma_inh][i];
                Ie[i] = Ie[i] * decay_[dendrite_exc] + x[dendrite_exc][i];
                Ii[i] = Ii[i] * decay_[dendrite_inh] - x[dendrite_inh][i];
                double n_spikes = 0.0;
                if (r[i] == 0.0) {
                    const double p = -std::expm1(-phi(U[i]) * h_);
                    if (philox_uniform(seed_, purpose_, gids_[i], std::uint32_t(step)) < p) {
                        n_spikes = 1.0;
                        r[i] = double(ref_steps_);
                        spikes.push_back({step, gids_[i], 0.0f});
                    }
                } else {
                    r[i] -= 1.0;
                }
                const double v_star = (g_L_s_ * E_L_s_ + g_sp_ * V[i]) / (g_L_s_ + g_sp_);
                Vw[i] = v_star;
                if (archiving) dpi_[std::size_t(k) * n + i] = (n_spikes - phi(v_star) * h_) * dpi_factor(v_star);
            }
            for (int q = 0; q < 4; ++q) input(q).clear_row(input(q).slot_of(step));
        }
        if (archiving) archive_storage_.append(in.first_step, in.n_steps, dpi_.data(), n);
    }

private:
    // phi(u) in 1/ms.
    double phi(double u) const { return phi_max_ / (1.0 + rate_slope_ * std::exp(beta_ * (theta_ - u))); }
    // NEST's h(u) = 15 d ln(phi)/du (1/mV times the 15 mV of the paper's voltage unit).
    double dpi_factor(double u) const { return 15.0 * beta_ / (1.0 + std::exp(-beta_ * (theta_ - u)) / rate_slope_); }

    void derivatives(double u, double v, double ge, double gi, double ie, double ii, double I, double& du,
                     double& dv) const {
        du = (-g_L_s_ * (u - E_L_s_) - ge * (u - E_ex_) - gi * (u - E_in_) + g_sp_ * (v - u) + I) * inv_C_s_;
        dv = (-g_L_d_ * (v - E_L_d_) + ie + ii + g_ps_ * (u - v)) * inv_C_d_;
    }
    // One classical RK4 step of h/2 for (U, V), the synaptic variables given at its start and
    // exact at its middle and end.
    void rk4(double& u, double& v, double ge, double gi, double ie, double ii, double I) const {
        const double* c = decay_quarter_;
        const double ge1 = ge * c[0], gi1 = gi * c[1], ie1 = ie * c[2], ii1 = ii * c[3];
        const double* e = decay_half_;
        const double ge2 = ge * e[0], gi2 = gi * e[1], ie2 = ie * e[2], ii2 = ii * e[3];
        const double hs = 0.5 * h_;
        double ku1, kv1, ku2, kv2, ku3, kv3, ku4, kv4;
        derivatives(u, v, ge, gi, ie, ii, I, ku1, kv1);
        derivatives(u + 0.5 * hs * ku1, v + 0.5 * hs * kv1, ge1, gi1, ie1, ii1, I, ku2, kv2);
        derivatives(u + 0.5 * hs * ku2, v + 0.5 * hs * kv2, ge1, gi1, ie1, ii1, I, ku3, kv3);
        derivatives(u + hs * ku3, v + hs * kv3, ge2, gi2, ie2, ii2, I, ku4, kv4);
        u += hs / 6.0 * (ku1 + 2.0 * ku2 + 2.0 * ku3 + ku4);
        v += hs / 6.0 * (kv1 + 2.0 * kv2 + 2.0 * kv3 + kv4);
    }

    double g_L_s_, E_L_s_, inv_C_s_, E_ex_, E_in_, g_sp_, I_e_;
    double g_L_d_, E_L_d_, inv_C_d_, g_ps_;
    double phi_max_, rate_slope_, beta_, theta_, h_;
    int ref_steps_;
    std::uint32_t seed_, purpose_;
    double decay_quarter_[4], decay_half_[4], decay_[4];  // per receptor, over h/4, h/2, h
    DendriticArchive archive_storage_;
    std::vector<double> dpi_;  // one slice of dPI, [step][neuron]
};

}  // namespace

const ModelInfo& pp_cond_exp_mc_urbanczik_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "pp_cond_exp_mc_urbanczik";
        const double inf = std::numeric_limits<double>::infinity();
        m.parameters = {
            {"C_m_s", Dimension::capacitance, 300.0, -inf, inf, true},
            {"g_L_s", Dimension::conductance, 30.0, -inf, inf, true},
            {"E_L_s", Dimension::voltage, -70.0},
            {"E_ex_s", Dimension::voltage, 0.0},
            {"E_in_s", Dimension::voltage, -75.0},
            {"tau_syn_ex_s", Dimension::time, 3.0, -inf, inf, true},
            {"tau_syn_in_s", Dimension::time, 3.0, -inf, inf, true},
            {"g_sp", Dimension::conductance, 600.0, 0.0, inf},
            {"I_e_s", Dimension::current, 0.0},
            {"C_m_d", Dimension::capacitance, 300.0, -inf, inf, true},
            {"g_L_d", Dimension::conductance, 30.0, -inf, inf, true},
            {"E_L_d", Dimension::voltage, -70.0},
            {"tau_syn_ex_d", Dimension::time, 3.0, -inf, inf, true},
            {"tau_syn_in_d", Dimension::time, 3.0, -inf, inf, true},
            {"g_ps", Dimension::conductance, 0.0, 0.0, inf},
            counted_in_steps({"t_ref", Dimension::time, 3.0, 0.0, inf, true}),
            {"phi_max", Dimension::frequency, 150.0, 0.0, inf},
            {"rate_slope", Dimension::dimensionless, 0.5, -inf, inf, true},
            {"beta", Dimension::dimensionless, 1.0 / 3.0, -inf, inf, true},
            {"theta", Dimension::voltage, -55.0},
        };
        m.state = {{"V_s", Dimension::voltage, "E_L_s"},
                   {"V_d", Dimension::voltage, "E_L_d"},
                   {"g_ex_s", Dimension::conductance, ""},
                   {"g_in_s", Dimension::conductance, ""},
                   {"I_ex_d", Dimension::current, ""},
                   {"I_in_d", Dimension::current, ""},
                   {"V_w_star", Dimension::voltage, "E_L_s"},
                   {"refractory_count", Dimension::dimensionless, ""}};
        m.receptors = {{"soma.exc", Dimension::conductance, false},
                       {"soma.inh", Dimension::conductance, false},
                       {"dendrite.exc", Dimension::current, false},
                       {"dendrite.inh", Dimension::current, false}};
        m.dendritic_prediction = true;
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_pp_cond_exp_mc_urbanczik(std::vector<gid_t> gids, int n_slots, double dt,
                                                           const std::map<std::string, double>& p,
                                                           const ModelContext& ctx) {
    return std::make_unique<PpCondExpMcUrbanczik>(pp_cond_exp_mc_urbanczik_info(), std::move(gids), n_slots, dt,
                                                  p, ctx);
}

}  // namespace apical
