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
// t0 + h. V's equation is linear, dV/dt = b(t) - a(t) V, so each stage is b_j - a_j Y with
//   a_j = (g_L + g_ex(t_j) + g_in(t_j)) / C_m,  b_j = (g_L E_L + g_ex(t_j) E_ex + g_in(t_j) E_in + I) / C_m,
// and g_x(t_j) / C_m = g_x(t0) (decay_x(t_j) / C_m) is one multiplication by a constant. In
// fused multiply-adds (neurons/simd_inl.hpp `fma`: one rounding, the same bits on every target)
// the three a_j and b_j cost 12 operations, the four stages 11 (the textbook form costs 57
// separate ones). Local error O(h^5); the fastest time constant, C_m/(g_L + g_ex + g_in), is 0.8 ms
// for the COBA initial state, so h/tau = 0.125 at h = 0.1 ms, far inside RK4's stability
// region (|h lambda| < 2.78). Validated against an independent RK4 of the full system at a
// 100 times finer step (tests/test_iaf_cond_exp.cpp).
// Per step: if refractory, V is held at V_reset and the counter counts down; otherwise V
// advances by RK4. Then the conductances decay and the spikes arriving in this step are added
// (they act from the next step); then V >= V_th emits a spike and resets.
// Vectorised across neurons (neurons/simd_inl.hpp, docs/architecture.md "Vectorised neuron
// updates"): one pass per step does RK4, refractoriness, input and threshold for a vector of
// neurons; every lane does the same operations, so the results are the same bits on every
// target, the one-lane baseline included.
#ifndef APICAL_IAF_COND_EXP_SHARED  // compiled once, not per SIMD target
#define APICAL_IAF_COND_EXP_SHARED
#include <cmath>
#include <limits>

#include "core/dispatch.hpp"
#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::iaf_cond_exp_kernel {

// What the vectorised update reads: the constants and the group's arrays.
struct Group {
    double E_L, g_L, inv_C, E_ex, E_in, I_e, V_th, V_reset, h;
    double decay_ex_half, decay_in_half, decay_ex, decay_in, ref_steps;
    double *v, *ge, *gi;
    double* r;  // refractory steps left (whole numbers, as doubles: same lanes as V)
    RingBuffer *buf_ex, *buf_in;
    const gid_t* gids;
    std::size_t n;
};

}  // namespace apical::iaf_cond_exp_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/iaf_cond_exp.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::iaf_cond_exp_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

// The constants of the stage coefficients a_j, b_j (see the header) at t0, t0 + h/2, t0 + h.
struct Constants {
    Vd a_L, b_L, inv_C, half_h, h, h_6;
    StageConductances g;  // the conductances' share of a_j and b_j
    Vd dex, din;
    explicit Constants(const Group& p)
        : a_L(hn::Set(Dd(), p.g_L * p.inv_C)), b_L(hn::Set(Dd(), p.g_L * p.E_L * p.inv_C)),
          inv_C(hn::Set(Dd(), p.inv_C)), half_h(hn::Set(Dd(), 0.5 * p.h)), h(hn::Set(Dd(), p.h)),
          h_6(hn::Set(Dd(), p.h / 6.0)),
          g(p.decay_ex_half, p.decay_ex, p.decay_in_half, p.decay_in, p.inv_C, p.E_ex, p.E_in),
          dex(hn::Set(Dd(), p.decay_ex)), din(hn::Set(Dd(), p.decay_in)) {}
    // Classical RK4; b_I = (g_L E_L + I) / C_m.
    Vd rk4(Vd V, Vd ge, Vd gi, Vd b_I) const {
        Vd a[3], b[3];
        for (int j = 0; j < 3; ++j) a[j] = g.rate(j, ge, gi, a_L), b[j] = g.drive(j, ge, gi, b_I);
        const Vd k1 = fnma(a[0], V, b[0]);
        const Vd k2 = fnma(a[1], fma(half_h, k1, V), b[1]);
        const Vd k3 = fnma(a[1], fma(half_h, k2, V), b[1]);
        const Vd k4 = fnma(a[2], fma(h, k3, V), b[2]);
        return rk4_combine(V, k1, k2, k3, k4, h_6);
    }
};

// Noise: per-neuron stimulus currents (SliceInput::neuron_current) are present.
template <bool Noise>
void run_slice(const Group& group, const SliceInput& in, std::vector<Spike>& spikes) {
    const Group g = group;  // a local copy: no spike's push_back can change it, so its pointers stay in registers
    const Dd d;
    const Constants c(g);
    const Vd V_th = hn::Set(d, g.V_th), V_reset = hn::Set(d, g.V_reset);
    const Reset reset(g.V_reset, g.ref_steps, g.gids, g.n, spikes);
    const double* soma_current = in.stimulus_current(0);
    for (int k = 0; k < in.n_steps; ++k) {
        const step_t step = in.first_step + k;
        double* x_ex = g.buf_ex->row_of_step(step);
        double* x_in = g.buf_in->row_of_step(step);
        const Vd b_I = c.b_L + hn::Set(d, (g.I_e + soma_current[k]) * g.inv_C);
        const double* noise = Noise ? in.neuron_current_row(0, k, g.n) : nullptr;
        for (std::size_t i = 0; i < g.n; i += hn::Lanes(d)) {
            Vd v = hn::LoadU(d, g.v + i), r = hn::LoadU(d, g.r + i);
            const Vd ge = hn::LoadU(d, g.ge + i), gi = hn::LoadU(d, g.gi + i);
            const Vd v_free = c.rk4(v, ge, gi, Noise ? fma(load_unpadded(noise, i, g.n), c.inv_C, b_I) : b_I);
            // Refractory neurons are held at V_reset and count down.
            const Md free = is_free(r);
            v = hn::IfThenElse(free, v_free, V_reset);
            r = count_down(free, r);
            hn::StoreU(fma(c.dex, ge, take_input(x_ex, i)), d, g.ge + i);
            hn::StoreU(fma(c.din, gi, take_input(x_in, i)), d, g.gi + i);
            reset.apply(hn::And(is_free(r), hn::Ge(v, V_th)), v, r, g.v, g.r, i, step);
        }
    }
}

void run(const Group& g, const SliceInput& in, std::vector<Spike>& spikes) {
    with_neuron_current(in, [&](auto noise) { run_slice<decltype(noise)::value>(g, in, spikes); });
}

}  // namespace apical::iaf_cond_exp_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical {

namespace iaf_cond_exp_kernel {
APICAL_EXPORT_KERNEL(run)
}

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
          refractory_(size(), 0.0) {
        select_simd_target();
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const iaf_cond_exp_kernel::Group g{E_L_, g_L_, inv_C_, E_ex_, E_in_, I_e_, V_th_, V_reset_, h_,
                                           decay_ex_half_, decay_in_half_, decay_ex_, decay_in_,
                                           double(ref_steps_), state(V_m).data(), state(g_ex).data(),
                                           state(g_in).data(), refractory_.data(), &input(0), &input(1),
                                           gids_.data(), size()};
        iaf_cond_exp_kernel::run_best(g, in, spikes);
    }

    std::vector<OwnStateArray> own_state() override { return {{"refractory", refractory_.data()}}; }

private:
    double E_L_, g_L_, inv_C_, E_ex_, E_in_, I_e_, V_th_, V_reset_, h_;
    double decay_ex_half_, decay_in_half_, decay_ex_, decay_in_;
    int ref_steps_;
    PaddedVector<double> refractory_;
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
#endif  // HWY_ONCE
