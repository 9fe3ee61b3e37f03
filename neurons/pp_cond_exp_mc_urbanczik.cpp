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
// Random numbers: one Philox block per neuron and step, keyed (seed, neuron_noise purpose of
// the population, gid, step), so the spikes do not depend on the decomposition; drawn for all
// neurons of a step at once (core/philox_batch.hpp), used outside the dead time. NEST compares drand() <= p; here u < p for u uniform in [0, 1): the same
// probability up to 2^-53.
// Differences from NEST: t_ref must be > 0 (NEST's t_ref = 0 draws Poisson counts, several
// spikes per step, which apical's spike records do not carry); NEST's dendritic I_e and
// current input are accepted there but never enter the equations, so here the dendrite is
// no target for current stimuli and has no I_e; a stimulus current of step s acts in step s
// (apical's convention, NEST's acts one step later).
// Not written with Highway as the other models: per step, the integration is one branch-free
// loop that GCC vectorises (an AVX2 clone, core/dispatch.hpp), then a scalar loop of spike draws
// (the exponentials only for the few uniforms below the largest possible p), then V*_w and dPI.
#include <cmath>
#include <limits>

#include "core/dispatch.hpp"
#include "core/philox_batch.hpp"
#include "core/random.hpp"
#include "neurons/models.hpp"

namespace apical {

namespace {

enum State { V_s, V_d, g_ex_s, g_in_s, I_ex_d, I_in_d, V_w_star, refractory_count };
enum Receptor { soma_exc, soma_inh, dendrite_exc, dendrite_inh };

// The subthreshold dynamics: constants and one RK4 half step.
struct Dynamics {
    double g_L_s, E_L_s, inv_C_s, E_ex, E_in, g_sp, I_e, g_L_d, E_L_d, inv_C_d, g_ps, h;
    double decay_quarter[4], decay_half[4], decay[4];  // per receptor, over h/4, h/2, h

    void derivatives(double u, double v, double ge, double gi, double ie, double ii, double I, double& du,
                     double& dv) const {
        du = (-g_L_s * (u - E_L_s) - ge * (u - E_ex) - gi * (u - E_in) + g_sp * (v - u) + I) * inv_C_s;
        dv = (-g_L_d * (v - E_L_d) + ie + ii + g_ps * (u - v)) * inv_C_d;
    }
    // One classical RK4 step of h/2 for (U, V), the synaptic variables given at its start and
    // exact at its middle and end.
    void rk4(double& u, double& v, double ge, double gi, double ie, double ii, double I) const {
        const double* c = decay_quarter;
        const double ge1 = ge * c[0], gi1 = gi * c[1], ie1 = ie * c[2], ii1 = ii * c[3];
        const double* e = decay_half;
        const double ge2 = ge * e[0], gi2 = gi * e[1], ie2 = ie * e[2], ii2 = ii * e[3];
        const double hs = 0.5 * h;
        double ku1, kv1, ku2, kv2, ku3, kv3, ku4, kv4;
        derivatives(u, v, ge, gi, ie, ii, I, ku1, kv1);
        derivatives(u + 0.5 * hs * ku1, v + 0.5 * hs * kv1, ge1, gi1, ie1, ii1, I, ku2, kv2);
        derivatives(u + 0.5 * hs * ku2, v + 0.5 * hs * kv2, ge1, gi1, ie1, ii1, I, ku3, kv3);
        derivatives(u + hs * ku3, v + hs * kv3, ge2, gi2, ie2, ii2, I, ku4, kv4);
        u += hs / 6.0 * (ku1 + 2.0 * ku2 + 2.0 * ku3 + ku4);
        v += hs / 6.0 * (kv1 + 2.0 * kv2 + 2.0 * kv3 + kv4);
    }
};

// One step of the subthreshold dynamics for n neurons: two RK4 half steps, then the synaptic
// variables decay and take the step's input rows x (which it clears). Branch-free, so GCC
// vectorises it (AVX2 clone where available).
APICAL_TARGET_CLONES("avx2", "default")
void integrate(const Dynamics& dyn, std::size_t n, double I_common, const double* __restrict noise,
               double* __restrict U, double* __restrict V, double* __restrict ge, double* __restrict gi,
               double* __restrict Ie, double* __restrict Ii, double* __restrict x0, double* __restrict x1,
               double* __restrict x2, double* __restrict x3) {
    const Dynamics d = dyn;
    for (std::size_t i = 0; i < n; ++i) {
        const double I = I_common + noise[i];  // noise: zeros without per-neuron currents
        d.rk4(U[i], V[i], ge[i], gi[i], Ie[i], Ii[i], I);
        d.rk4(U[i], V[i], ge[i] * d.decay_half[0], gi[i] * d.decay_half[1], Ie[i] * d.decay_half[2],
              Ii[i] * d.decay_half[3], I);
        ge[i] = ge[i] * d.decay[soma_exc] + x0[i];
        gi[i] = gi[i] * d.decay[soma_inh] + x1[i];
        Ie[i] = Ie[i] * d.decay[dendrite_exc] + x2[i];
        Ii[i] = Ii[i] * d.decay[dendrite_inh] - x3[i];
        x0[i] = x1[i] = x2[i] = x3[i] = 0.0;
    }
}

class PpCondExpMcUrbanczik final : public NeuronGroup {
public:
    PpCondExpMcUrbanczik(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                         const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          dyn_{parameter(p, "g_L_s"), parameter(p, "E_L_s"), 1.0 / parameter(p, "C_m_s"), parameter(p, "E_ex_s"),
               parameter(p, "E_in_s"), parameter(p, "g_sp"), parameter(p, "I_e_s"), parameter(p, "g_L_d"),
               parameter(p, "E_L_d"), 1.0 / parameter(p, "C_m_d"), parameter(p, "g_ps"), h, {}, {}, {}},
          phi_max_(parameter(p, "phi_max") * 1e-3), rate_slope_(parameter(p, "rate_slope")),
          beta_(parameter(p, "beta")), theta_(parameter(p, "theta")), h_(h),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          seed_(ctx.seed), purpose_(purpose(Purpose::neuron_noise, ctx.population)) {
        const char* taus[4] = {"tau_syn_ex_s", "tau_syn_in_s", "tau_syn_ex_d", "tau_syn_in_d"};
        for (int r = 0; r < 4; ++r) {
            dyn_.decay_quarter[r] = std::exp(-0.25 * h / parameter(p, taus[r]));
            dyn_.decay_half[r] = std::exp(-0.5 * h / parameter(p, taus[r]));
            dyn_.decay[r] = std::exp(-h / parameter(p, taus[r]));
        }
        archive_ = &archive_storage_;
        // Above every computed p = -expm1(-phi h) (phi <= phi_max; the margin covers rounding).
        p_bound_ = -std::expm1(-phi_max_ * h_) * (1.0 + 1e-9);
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const std::size_t n = size();
        const bool archiving = archive_storage_.enabled();
        if (archiving) dpi_.resize(std::size_t(in.n_steps) * n);
        uniform_.resize(n);
        spare_.resize(n);
        zeros_.resize(n, 0.0);
        double *U = state(V_s).data(), *V = state(V_d).data(), *ge = state(g_ex_s).data(),
               *gi = state(g_in_s).data(), *Ie = state(I_ex_d).data(), *Ii = state(I_in_d).data(),
               *Vw = state(V_w_star).data(), *r = state(refractory_count).data();
        const double* soma_current = in.stimulus_current(0);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const double* noise = in.neuron_current ? in.neuron_current_row(0, k, n) : zeros_.data();
            // Every neuron's uniform of this step at once (vectorised Philox; the same values as
            // philox_uniform per neuron); those in dead time go unused.
            philox_uniform_pairs(seed_, purpose_, gids_.data(), std::uint32_t(step), n, uniform_.data(), spare_.data());
            // Three passes over the neurons: the integration, the spike draws, the prediction
            // and its archive.
            integrate(dyn_, n, dyn_.I_e + soma_current[k], noise, U, V, ge, gi, Ie, Ii, input(0).row_of_step(step),
                      input(1).row_of_step(step), input(2).row_of_step(step), input(3).row_of_step(step));
            double* spiked = spare_.data();  // n_spikes per neuron (the spare uniforms are not needed)
            for (std::size_t i = 0; i < n; ++i) {
                spiked[i] = 0.0;
                if (r[i] != 0.0) {
                    r[i] -= 1.0;
                    continue;
                }
                // p <= p_max for every U: a uniform above p_max's bound cannot spike, and most
                // are (the exponentials are computed only below it; the outcome is the same).
                if (!(uniform_[i] < p_bound_)) continue;
                if (uniform_[i] < -std::expm1(-phi(U[i]) * h_)) {
                    spiked[i] = 1.0;
                    r[i] = double(ref_steps_);
                    spikes.push_back({step, gids_[i], 0.0f});
                }
            }
            for (std::size_t i = 0; i < n; ++i) Vw[i] = (dyn_.g_L_s * dyn_.E_L_s + dyn_.g_sp * V[i]) / (dyn_.g_L_s + dyn_.g_sp);
            if (archiving) {
                double* dpi = dpi_.data() + std::size_t(k) * n;
                for (std::size_t i = 0; i < n; ++i) {
                    // phi and h share exp(beta (theta - V*)).
                    const double e = std::exp(beta_ * (theta_ - Vw[i]));
                    const double phi_star = phi_max_ / (1.0 + rate_slope_ * e);
                    const double h_star = 15.0 * beta_ / (1.0 + 1.0 / (e * rate_slope_));
                    dpi[i] = (spiked[i] - phi_star * h_) * h_star;
                }
            }
        }
        if (archiving) archive_storage_.append(in.first_step, in.n_steps, dpi_.data(), n);
    }

private:
    // phi(u) in 1/ms.
    double phi(double u) const { return phi_max_ / (1.0 + rate_slope_ * std::exp(beta_ * (theta_ - u))); }

    Dynamics dyn_;
    double phi_max_, rate_slope_, beta_, theta_, h_;
    int ref_steps_;
    std::uint32_t seed_, purpose_;
    double p_bound_;
    DendriticArchive archive_storage_;
    std::vector<double> dpi_;  // one slice of dPI, [step][neuron]
    std::vector<double> uniform_, spare_;  // one step's uniforms per neuron (spare_: unused)
    std::vector<double> zeros_;            // the per-neuron current when there is none
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
