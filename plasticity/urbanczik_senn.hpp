// The dendritic prediction rule of Urbanczik R, Senn W (2014) Learning by the dendritic
// prediction of somatic spiking. Neuron 81:521-528, with the semantics of NEST's
// urbanczik_synapse (NEST model documentation; docs/models.md 15.2), on synapses onto the
// dendrite of pp_cond_exp_mc_urbanczik (neurons/pp_cond_exp_mc_urbanczik.cpp).
//
// The target archives per step s dPI(s) = (S(s) - phi(V*_w) h) h(V*_w) (DendriticArchive). At a
// presynaptic spike at step t whose previous spike was at t_last (synapse time; the delay d is
// dendritic), for every archived step s with s + d in (t_last, t]:
//   PI(s) = [a_L exp(-(s + d - t_last) h / tau_L) - a_s exp(-(s + d - t_last) h / tau_s)] dPI(s),
// a_L, a_s the presynaptic traces just after t_last (+1 per presynaptic spike, decaying with
// tau_L = C_m_d / g_L_d and tau_s = tau_syn_ex_d): PI is the dendritic PSP kernel of the
// presynaptic train times the dPI. Then
//   I <- I + sum_s PI(s),
//   J <- exp(-(t - t_last) h / tau_Delta) J + sum_s exp(-(t - s - d) h / tau_Delta) PI(s),
//   w = clip(w_init + (I - J) * 15 C_m_d tau_s eta / (g_L_d (tau_L - tau_s)), Wmin, Wmax),
// and the new w is transmitted (NEST's send order). I - J is I low-passed with tau_Delta, so
// dw/dt = c Delta-bar with tau_Delta dDelta-bar/dt = -Delta-bar + (S - phi(V*_w)) h(V*_w) PSP.
// The first spike of a source reads nothing (its traces are 0: every PI vanishes) and sets
// w = clip(w_init).
// Everything depending on the source alone (the kernel values per step of the interval) is
// computed once per presynaptic spike; per synapse the update is two dot products of those
// kernels with the target's archive, which is exact relative to the archive (the sums differ
// from NEST's entry-by-entry accumulation in rounding only).
// Difference from NEST: tau_s is tau_syn_ex_d for every synapse; NEST takes tau_syn_in_d for a
// synapse whose current weight is not positive (Wmin = 0 reached), the same at NEST's defaults.
#pragma once

#include <algorithm>
#include <vector>

#include "core/time.hpp"
#include "plasticity/traces.hpp"

namespace apical {

// Defaults: NEST's urbanczik_synapse. Weights in pA (the dendrite's current receptor).
struct UrbanczikSennParameters {
    double eta = 0.07;
    double tau_Delta_ms = 100.0;
    double Wmin = 0.0, Wmax = 100.0;
    // From the target population's dendrite (pp_cond_exp_mc_urbanczik), not from the key.
    double C_m_d = 300.0, g_L_d = 30.0, tau_s_ms = 3.0;
    double tau_L_ms() const { return C_m_d / g_L_d; }
};

// What the rule keeps per synapse besides the weight.
struct UrbanczikSennSynapse {
    double I = 0.0, J = 0.0;
    float w_init = 0.0f;
};

class UrbanczikSenn {
public:
    UrbanczikSenn(const UrbanczikSennParameters& p, double dt_ms)
        : p_(p), a_L_({dt_ms, p.tau_L_ms()}), a_s_({dt_ms, p.tau_s_ms}), delta_({dt_ms, p.tau_Delta_ms}),
          scale_(15.0 * p.C_m_d * p.tau_s_ms * p.eta / (p.g_L_d * (p.tau_L_ms() - p.tau_s_ms))) {}

    const UrbanczikSennParameters& parameters() const { return p_; }
    const TraceDecayCache& a_L_decay() const { return a_L_; }
    const TraceDecayCache& a_s_decay() const { return a_s_; }

    // The kernels of an interval of n steps after a presynaptic spike with traces a_L, a_s:
    // for j = 0 .. n - 1 (synapse time t_last + j + 1), psp[j] = PSP kernel, low[j] = psp[j]
    // times the decay with tau_Delta to the end of the interval.
    void kernels(step_t n, double a_L, double a_s, std::vector<double>& psp, std::vector<double>& low) const {
        psp.resize(std::size_t(n));
        low.resize(std::size_t(n));
        for (step_t j = 0; j < n; ++j) {
            const double k = a_L * a_L_(j + 1) - a_s * a_s_(j + 1);
            psp[std::size_t(j)] = k;
            low[std::size_t(j)] = k * delta_(n - 1 - j);
        }
    }
    // Integrates the archive values dpi[0 .. m) of the last m steps of an n-step interval
    // (the others not archived: before the first step) into a synapse.
    void integrate(UrbanczikSennSynapse& s, step_t n, const double* psp, const double* low, const double* dpi,
                   step_t m) const {
        double dI = 0.0, dJ = 0.0;
        const step_t j0 = n - m;
        for (step_t j = 0; j < m; ++j) {
            dI += psp[j0 + j] * dpi[j];
            dJ += low[j0 + j] * dpi[j];
        }
        s.I += dI;
        s.J = s.J * delta_(n) + dJ;
    }
    double weight(const UrbanczikSennSynapse& s) const {
        return std::clamp(double(s.w_init) + (s.I - s.J) * scale_, p_.Wmin, p_.Wmax);
    }

private:
    UrbanczikSennParameters p_;
    TraceDecayCache a_L_, a_s_, delta_;
    double scale_;  // 15 C_m_d tau_s eta / (g_L_d (tau_L - tau_s))
};

}  // namespace apical
