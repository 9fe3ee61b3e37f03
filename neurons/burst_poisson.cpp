// burst_poisson: the simplified stochastic-burst two-compartment neuron of Payeur et al. 2021
// (Nat Neurosci 24:1010), used for all five populations of the XOR task (Fig. 4). Source: the
// authors' BurstPoissonGroup (github apayeur/spikingburstprop, src/BurstPoissonGroup.{h,cpp}),
// which keeps the parameters of Auryn's NaudGroup (Naud & Sprekeler 2018, PNAS 115:E6329, SI
// eqs. S42, S44) but replaces the dendritic nonlinearity by a stochastic burst decision.
// Specification: docs/models.md section 2 (dynamics), 1.2-1.6 (inherited equations, parameters,
// synapses), 1.7 (step order).
//
// Units: mV, ms, pA, pF, nS. Conductances g are dimensionless, in units of the compartment's
// leak conductance (C/tau), as in Auryn; a synaptic weight w adds w to g.
//   V_s(t+dt) = V_s + dt/tau_s (E_L - V_s) + dt/C_s b w_s
//                   + dt/tau_s [g_s_E (E_exc - V_s) + g_s_I (E_inh - V_s)] + dt/C_s I_s
//   V_d(t+dt) = V_d + dt/tau_d (E_L - V_d) + dt/C_d a_w w_d
//                   + dt/tau_d [g_d_E (E_exc - V*) + g_d_I (E_inh - V*)] + dt/C_d I_d
//     V* = V_s (Auryn's synapses use the somatic potential for the dendritic driving force too;
//     option dendritic_driving_force: soma, the default) or V_d (option value dendrite).
//     No g_s f(V_d) and no g_d f(V_d) term, no back-propagating pulse: V_d is a passive low-pass
//     of dendritic input plus adaptation.
//   w_s <- w_s exp(-dt/tau_ws)                      (w_s: spike count, current b w_s)
//   w_d <- w_d + dt/tau_wd ((V_d(t+dt) - E_L) - w_d) (w_d: mV, current a_w w_d)
//   theta <- theta + dt/tau_theta (theta_0 - theta)
//   g <- g exp(-dt/tau_AMPA or tau_GABA) + the weights arriving in this step (they act from the
//   next step on; synaptic currents use the conductances at the start of the step).
//   I_s, I_d: the stimulus currents of the step (common plus per-neuron, e.g. noise_current).
// Forward Euler for V_s, V_d, w_d, theta and exact decay for w_s and g, as Auryn.
//
// Spikes (after the update of the step; refractory_count and burst_count are first counted
// down by one if positive):
// * Event (first spike): V_s > theta and refractory_count == 0. Emit; V_s <- V_reset;
//   theta += Delta_theta; w_s += 1; refractory_count <- t_ref/dt (200 steps). Burst decision
//   with p_b = f(V_d) = 1 / (1 + exp(-(V_d - E_d)/D_d)), V_d of this step (after its update):
//   two uniforms r1, r2 in [0,1); if r1 < p_b, burst_count <- n = n_min + floor(r2 n_range),
//   n_min = t_burst_min/dt (50), n_range = t_burst_range/dt (100): n uniform on {50..149}.
// * Otherwise, if burst_count == 1: the second spike, n - 1 steps after the first (intra-burst
//   ISI uniform on the grid 4.9 .. 14.8 ms). Emitted whatever the refractory state; sets
//   refractory_count <- t_ref/dt; does not reset V_s, move theta or increment w_s.
// V_s is not clamped while refractory (threshold crossings are only ignored). With the defaults
// (t_ref 20 ms > 14.8 ms) every burst has exactly two spikes and every event follows the
// previous spike by >= 20 ms. With t_ref shorter than the burst delay an event may occur while a
// second spike is pending; as in the source, the event takes that step (a second spike due in
// it is lost) and a new successful draw restarts burst_count.
//
// Random numbers: one Philox call per event, keyed (seed, neuron_noise purpose of the
// population) with counter (gid, step low 32 bits, step high 32 bits): words 0-1 give r1,
// words 2-3 give r2. A pure function of (seed, population, gid, step), so spikes do not depend
// on the rank/thread decomposition. (The source draws from one Mersenne Twister shared by all
// neurons, seeded with seed + salt; its streams cannot be matched.)
//
// Deviations from the source, both one-step-order details: an injected current of step s acts
// in the membrane update of step s (apical's stimulus convention), while Auryn's
// CurrentInjector adds dt I/C after the threshold check of the step; and w_d starts at 0
// (Auryn: 0.1 mV; set initial w_d to reproduce it).
//
// Vectorised: pass 1 of each step (membranes, adaptation, threshold, conductances, counters) is
// one Highway kernel over padded arrays (neurons/simd_inl.hpp, docs/architecture.md
// "Vectorised neuron updates"), the same operations in the same order as the scalar loop, so
// bitwise its results on every target; it reads and clears the input rows in the same pass.
// Pass 2 (spikes and burst draws) is a scalar loop over the neurons.
#ifndef APICAL_BURST_POISSON_SHARED  // compiled once, not per SIMD target
#define APICAL_BURST_POISSON_SHARED
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/random.hpp"
#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::burst_poisson_kernel {

// What pass 1 reads: the constants ...
struct Constants {
    double E_L, theta_0, E_exc, E_inh, a_s, a_d, c_ws, c_wd, i_s, i_d, decay_ws, a_wd, a_theta, decay_exc,
        decay_inh;
    bool drive_soma;
};
// ... and one step's arrays (padded) and stimulus currents (pA).
struct Step {
    struct {
        double *vs, *vd, *ws, *wd, *th, *gsE, *gsI, *gdE, *gdI, *ref, *burst;
    } a;
    double* x[4];  // input rows: soma exc, soma inh, dendrite exc, dendrite inh (cleared)
    double cur_s, cur_d;  // common stimulus currents
    const double *noise_s, *noise_d;  // per-neuron ones (nullptr: none)
    std::size_t n;
    // Out: the neurons that may spike in pass 2 (an event or a burst's second spike due), in
    // increasing order; step_all returns their number.
    std::uint32_t* candidates;
};

}  // namespace apical::burst_poisson_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/burst_poisson.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::burst_poisson_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

template <bool DriveSoma, bool Noise>
std::size_t step_slice(const Constants& c, const Step& s) {
    const Dd d;
    const Vd E_L = hn::Set(d, c.E_L), theta_0 = hn::Set(d, c.theta_0), E_exc = hn::Set(d, c.E_exc),
             E_inh = hn::Set(d, c.E_inh), a_s = hn::Set(d, c.a_s), a_d = hn::Set(d, c.a_d), c_ws = hn::Set(d, c.c_ws),
             c_wd = hn::Set(d, c.c_wd), i_s = hn::Set(d, c.i_s), i_d = hn::Set(d, c.i_d),
             decay_ws = hn::Set(d, c.decay_ws), a_wd = hn::Set(d, c.a_wd), a_theta = hn::Set(d, c.a_theta),
             decay_exc = hn::Set(d, c.decay_exc), decay_inh = hn::Set(d, c.decay_inh);
    const Vd cur_s = hn::Set(d, s.cur_s), cur_d = hn::Set(d, s.cur_d);
    const Vd I_s_common = hn::Set(d, c.i_s * s.cur_s), I_d_common = hn::Set(d, c.i_d * s.cur_d);
    const Vd zero = hn::Zero(d), one = hn::Set(d, 1.0);
    const auto& a = s.a;
    std::size_t n_candidates = 0;
    for (std::size_t i = 0; i < s.n; i += hn::Lanes(d)) {
        const Vd I_s = Noise ? i_s * (cur_s + load_unpadded(s.noise_s, i, s.n)) : I_s_common;
        const Vd I_d = Noise ? i_d * (cur_d + load_unpadded(s.noise_d, i, s.n)) : I_d_common;
        const Vd v_s = hn::LoadU(d, a.vs + i), v_d = hn::LoadU(d, a.vd + i);
        const Vd v_drive = DriveSoma ? v_s : v_d;
        const Vd gsE = hn::LoadU(d, a.gsE + i), gsI = hn::LoadU(d, a.gsI + i);
        const Vd gdE = hn::LoadU(d, a.gdE + i), gdI = hn::LoadU(d, a.gdI + i);
        const Vd syn_s = gsE * (E_exc - v_s) + gsI * (E_inh - v_s);
        const Vd syn_d = gdE * (E_exc - v_drive) + gdI * (E_inh - v_drive);
        const Vd ws = hn::LoadU(d, a.ws + i), wd = hn::LoadU(d, a.wd + i), th = hn::LoadU(d, a.th + i);
        hn::StoreU(v_s + a_s * (E_L - v_s) + c_ws * ws + a_s * syn_s + I_s, d, a.vs + i);
        const Vd v_d_new = v_d + a_d * (E_L - v_d) + c_wd * wd + a_d * syn_d + I_d;
        hn::StoreU(v_d_new, d, a.vd + i);
        hn::StoreU(ws * decay_ws, d, a.ws + i);
        hn::StoreU(wd + a_wd * ((v_d_new - E_L) - wd), d, a.wd + i);
        hn::StoreU(th + a_theta * (theta_0 - th), d, a.th + i);
        hn::StoreU(decay_exc * gsE + take_input(s.x[0], i), d, a.gsE + i);
        hn::StoreU(decay_inh * gsI + take_input(s.x[1], i), d, a.gsI + i);
        hn::StoreU(decay_exc * gdE + take_input(s.x[2], i), d, a.gdE + i);
        hn::StoreU(decay_inh * gdI + take_input(s.x[3], i), d, a.gdI + i);
        // Counters (whole steps) count down to 0.
        const Vd ref = hn::Max(hn::LoadU(d, a.ref + i) - one, zero);
        const Vd burst = hn::Max(hn::LoadU(d, a.burst + i) - one, zero);
        hn::StoreU(ref, d, a.ref + i);
        hn::StoreU(burst, d, a.burst + i);
        // Pass 2's conditions, as masks: only these neurons are visited there.
        const Md event = hn::And(hn::Gt(hn::LoadU(d, a.vs + i), hn::LoadU(d, a.th + i)), hn::Eq(ref, zero));
        for_each_lane(hn::Or(event, hn::Eq(burst, one)), i, s.n,
                      [&](std::size_t k) { s.candidates[n_candidates++] = std::uint32_t(k); });
    }
    return n_candidates;
}

std::size_t step_all(const Constants& c, const Step& s) {
    const bool noise = s.noise_s != nullptr;
    if (c.drive_soma)
        return noise ? step_slice<true, true>(c, s) : step_slice<true, false>(c, s);
    return noise ? step_slice<false, true>(c, s) : step_slice<false, false>(c, s);
}

}  // namespace apical::burst_poisson_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical::burst_poisson_kernel {
APICAL_EXPORT_KERNEL(step_all)
}

namespace apical {

namespace {

enum State { V_s, V_d, w_s, w_d, theta, g_s_E, g_s_I, g_d_E, g_d_I, refractory_count, burst_count };
enum Receptor { soma_exc, soma_inh, dendrite_exc, dendrite_inh };
// ModelInfo::options in declaration order, and the indices of their values.
enum Option { dendritic_driving_force };
enum DrivingForce { driving_soma, driving_dendrite };

class BurstPoisson final : public NeuronGroup {
public:
    BurstPoisson(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                 const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, h),
          E_L_(parameter(p, "E_L")), V_reset_(parameter(p, "V_reset")),
          theta_0_(parameter(p, "theta_0")), Delta_theta_(parameter(p, "Delta_theta")),
          E_exc_(parameter(p, "E_exc")), E_inh_(parameter(p, "E_inh")),
          E_d_(parameter(p, "E_d")), D_d_(parameter(p, "D_d")),
          a_s_(h / parameter(p, "tau_s")), a_d_(h / parameter(p, "tau_d")),
          c_ws_(h / parameter(p, "C_s") * parameter(p, "b")),
          c_wd_(h / parameter(p, "C_d") * parameter(p, "a_w")),
          i_s_(h / parameter(p, "C_s")), i_d_(h / parameter(p, "C_d")),
          decay_ws_(std::exp(-h / parameter(p, "tau_ws"))), a_wd_(h / parameter(p, "tau_wd")),
          a_theta_(h / parameter(p, "tau_theta")),
          decay_exc_(std::exp(-h / parameter(p, "tau_AMPA"))),
          decay_inh_(std::exp(-h / parameter(p, "tau_GABA"))),
          ref_steps_(refractory_steps(parameter(p, "t_ref"))),
          n_min_(refractory_steps(parameter(p, "t_burst_min"))),
          n_range_(refractory_steps(parameter(p, "t_burst_range"))),
          drive_soma_(ctx.option(dendritic_driving_force) == driving_soma),
          seed_(ctx.seed), purpose_(purpose(Purpose::neuron_noise, ctx.population)),
          kc_{E_L_, theta_0_, E_exc_, E_inh_, a_s_, a_d_, c_ws_, c_wd_, i_s_, i_d_, decay_ws_, a_wd_, a_theta_,
              decay_exc_, decay_inh_, drive_soma_},
          candidates_(size()) {
        select_simd_target();
        APICAL_ASSERT(n_min_ >= 2);  // ModelInfo::check
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        // Per-neuron stimulus currents (noise_current) or not, chosen once per slice.
        with_neuron_current(in, [&](auto noise) { run<decltype(noise)::value>(in, spikes); });
    }

private:
    template <bool Noise>
    void run(const SliceInput& in, std::vector<Spike>& spikes) {
        const std::size_t n = size();
        double* vs = state(V_s).data();
        double* vd = state(V_d).data();
        double* ws = state(w_s).data();
        double* wd = state(w_d).data();
        double* th = state(theta).data();
        double* gsE = state(g_s_E).data();
        double* gsI = state(g_s_I).data();
        double* gdE = state(g_d_E).data();
        double* gdI = state(g_d_I).data();
        double* ref = state(refractory_count).data();
        double* burst = state(burst_count).data();
        const double* soma_current = in.stimulus_current(0);
        const double* dend_current = in.stimulus_current(1);
        for (int k = 0; k < in.n_steps; ++k) {
            const step_t step = in.first_step + k;
            const int slot = input(soma_exc).slot_of(step);
            // Pass 1, branch-free: membranes, adaptation, threshold, conductances, counters.
            // It reads and clears the input rows.
            const burst_poisson_kernel::Step st{{vs, vd, ws, wd, th, gsE, gsI, gdE, gdI, ref, burst},
                                                {input(soma_exc).row(slot), input(soma_inh).row(slot),
                                                 input(dendrite_exc).row(slot), input(dendrite_inh).row(slot)},
                                                soma_current[k], dend_current[k],
                                                Noise ? in.neuron_current_row(0, k, n) : nullptr,
                                                Noise ? in.neuron_current_row(1, k, n) : nullptr, n,
                                                candidates_.data()};
            const std::size_t n_candidates = burst_poisson_kernel::step_all_best(kc_, st);
            // Pass 2: spikes, over the neurons pass 1 found meeting one of the conditions below.
            for (std::size_t c = 0; c < n_candidates; ++c) {
                const std::size_t i = candidates_[c];
                if (vs[i] > th[i] && ref[i] == 0.0) {
                    spikes.push_back({step, gids_[i], 0.0f});
                    vs[i] = V_reset_;
                    th[i] += Delta_theta_;
                    ws[i] += 1.0;
                    ref[i] = ref_steps_;
                    const PhiloxBlock r = philox(seed_, purpose_, gids_[i], std::uint32_t(step),
                                                 std::uint64_t(step) >> 32);
                    const double p_b = 1.0 / (1.0 + std::exp(-(vd[i] - E_d_) / D_d_));
                    if (u01_53(r[0], r[1]) < p_b)
                        burst[i] = double(n_min_ + int(u01_53(r[2], r[3]) * n_range_));
                } else if (burst[i] == 1.0) {
                    spikes.push_back({step, gids_[i], 0.0f});
                    ref[i] = ref_steps_;
                    burst[i] = 0.0;
                }
            }
        }
    }

    double E_L_, V_reset_, theta_0_, Delta_theta_, E_exc_, E_inh_, E_d_, D_d_;
    double a_s_, a_d_, c_ws_, c_wd_, i_s_, i_d_, decay_ws_, a_wd_, a_theta_, decay_exc_, decay_inh_;
    int ref_steps_, n_min_, n_range_;
    bool drive_soma_;
    std::uint32_t seed_, purpose_;
    burst_poisson_kernel::Constants kc_;
    std::vector<std::uint32_t> candidates_;  // pass 2's neurons of the step (scratch)
};

}  // namespace

const ModelInfo& burst_poisson_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "burst_poisson";
        const double inf = std::numeric_limits<double>::infinity();
        // Defaults: Auryn NaudGroup::init (docs/models.md 1.6) with BurstPoissonGroup's E_d = -57 mV,
        // 20 ms absolute refractory period and burst delay (docs/models.md 2).
        m.parameters = {
            {"E_L", Dimension::voltage, -70.0},
            {"V_reset", Dimension::voltage, -70.0},
            {"theta_0", Dimension::voltage, -50.0},
            {"Delta_theta", Dimension::voltage, 2.0},
            {"tau_theta", Dimension::time, 27.0, -inf, inf, true},
            {"tau_s", Dimension::time, 16.0, -inf, inf, true},
            {"C_s", Dimension::capacitance, 370.0, -inf, inf, true},
            {"tau_ws", Dimension::time, 100.0, -inf, inf, true},
            {"b", Dimension::current, -200.0},
            {"tau_d", Dimension::time, 7.0, -inf, inf, true},
            {"C_d", Dimension::capacitance, 170.0, -inf, inf, true},
            {"tau_wd", Dimension::time, 30.0, -inf, inf, true},
            {"a_w", Dimension::conductance, -13.0},
            {"E_d", Dimension::voltage, -57.0},
            {"D_d", Dimension::voltage, 6.0, -inf, inf, true},
            {"tau_AMPA", Dimension::time, 5.0, -inf, inf, true},
            {"tau_GABA", Dimension::time, 10.0, -inf, inf, true},
            {"E_exc", Dimension::voltage, 0.0},
            {"E_inh", Dimension::voltage, -80.0},
            counted_in_steps({"t_ref", Dimension::time, 20.0, 0.0, inf}),
            counted_in_steps({"t_burst_min", Dimension::time, 5.0, -inf, inf, true}),
            counted_in_steps({"t_burst_range", Dimension::time, 10.0, 0.0, inf}),
        };
        m.state = {{"V_s", Dimension::voltage, "E_L"},
                   {"V_d", Dimension::voltage, "E_L"},
                   {"w_s", Dimension::dimensionless, ""},
                   {"w_d", Dimension::voltage, ""},
                   {"theta", Dimension::voltage, "theta_0"},
                   {"g_s_E", Dimension::dimensionless, ""},
                   {"g_s_I", Dimension::dimensionless, ""},
                   {"g_d_E", Dimension::dimensionless, ""},
                   {"g_d_I", Dimension::dimensionless, ""},
                   {"refractory_count", Dimension::dimensionless, ""},
                   {"burst_count", Dimension::dimensionless, ""}};
        // Weights in units of the compartment's leak conductance (Auryn's g_ampa, g_gaba,
        // g_ampa_dend, g_gaba_dend).
        m.receptors = {{"soma.exc", Dimension::dimensionless, false},
                       {"soma.inh", Dimension::dimensionless, false},
                       {"dendrite.exc", Dimension::dimensionless, false},
                       {"dendrite.inh", Dimension::dimensionless, false}};
        m.compartments = {"soma", "dendrite"};
        m.options = {{"dendritic_driving_force", {"soma", "dendrite"}}};
        m.route_by_sign = false;
        // The second spike of a burst comes t_burst_min - dt after the first (t_burst_min is
        // rounded to the grid as a refractory period).
        m.check = [](const std::map<std::string, double>& p, double dt_ms) -> std::string {
            if (int(p.at("t_burst_min") / dt_ms + 0.5) < 2) return "t_burst_min of at least 2 time steps (dt)";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_burst_poisson(std::vector<gid_t> gids, int n_slots, double dt,
                                                const std::map<std::string, double>& p,
                                                const ModelContext& context) {
    return std::make_unique<BurstPoisson>(burst_poisson_info(), std::move(gids), n_slots, dt, p, context);
}

}  // namespace apical
#endif  // HWY_ONCE
