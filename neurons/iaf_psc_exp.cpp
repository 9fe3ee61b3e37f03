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
// Vectorised across neurons (neurons/simd_inl.hpp, docs/architecture.md "Vectorised neuron
// updates"): the same operations in the same order as above, lane by lane, refractoriness and
// threshold as masks; bitwise the scalar results on every target.
#ifndef APICAL_IAF_PSC_EXP_SHARED  // compiled once, not per SIMD target
#define APICAL_IAF_PSC_EXP_SHARED
#include <cmath>
#include <limits>

#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::iaf_psc_exp_kernel {

// What the vectorised update reads: the constants and the group's arrays.
struct Group {
    double E_L, I_e, V_th, V_reset, P22, P20, P11ex, P11in, P21ex, P21in, ref_steps;
    double *v, *i_ex, *i_in;
    double* r;  // refractory steps left (whole numbers, as doubles: same lanes as V)
    RingBuffer *buf_ex, *buf_in;
    const gid_t* gids;
    std::size_t n;
};

}  // namespace apical::iaf_psc_exp_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/iaf_psc_exp.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::iaf_psc_exp_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

// Noise: per-neuron stimulus currents (SliceInput::neuron_current) are present.
template <bool Noise>
void run_slice(const Group& group, const SliceInput& in, std::vector<Spike>& spikes) {
    const Group g = group;  // a local copy: no spike's push_back can change it, so its pointers stay in registers
    const Dd d;
    const Vd E_L = hn::Set(d, g.E_L), P22 = hn::Set(d, g.P22), P20 = hn::Set(d, g.P20);
    const Vd P11ex = hn::Set(d, g.P11ex), P11in = hn::Set(d, g.P11in);
    const Vd P21ex = hn::Set(d, g.P21ex), P21in = hn::Set(d, g.P21in);
    const Vd V_th = hn::Set(d, g.V_th);
    const Reset reset(g.V_reset, g.ref_steps, g.gids, g.n, spikes);
    const double* soma_current = in.stimulus_current(0);
    for (int k = 0; k < in.n_steps; ++k) {
        const step_t step = in.first_step + k;
        double* x_ex = g.buf_ex->row_of_step(step);
        double* x_in = g.buf_in->row_of_step(step);
        const double I = g.I_e + soma_current[k];
        const Vd I_v = hn::Set(d, I), drive = hn::Set(d, g.P20 * I);
        const double* noise = Noise ? in.neuron_current_row(0, k, g.n) : nullptr;
        for (std::size_t i = 0; i < g.n; i += hn::Lanes(d)) {
            Vd v = hn::LoadU(d, g.v + i), r = hn::LoadU(d, g.r + i);
            const Vd i_ex = hn::LoadU(d, g.i_ex + i), i_in = hn::LoadU(d, g.i_in + i);
            const Vd drive_i = Noise ? P20 * (I_v + load_unpadded(noise, i, g.n)) : drive;
            const Vd v_free = E_L + P22 * (v - E_L) + P21ex * i_ex + P21in * i_in + drive_i;
            const Md free = is_free(r);
            v = hn::IfThenElse(free, v_free, v);
            hn::StoreU(P11ex * i_ex + take_input(x_ex, i), d, g.i_ex + i);
            hn::StoreU(P11in * i_in + take_input(x_in, i), d, g.i_in + i);
            reset.apply(hn::Ge(v, V_th), v, count_down(free, r), g.v, g.r, i, step);
        }
    }
}

void run(const Group& g, const SliceInput& in, std::vector<Spike>& spikes) {
    with_neuron_current(in, [&](auto noise) { run_slice<decltype(noise)::value>(g, in, spikes); });
}

}  // namespace apical::iaf_psc_exp_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical {

namespace iaf_psc_exp_kernel {
APICAL_EXPORT_KERNEL(run)
}

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
          refractory_(size(), 0.0) {
        select_simd_target();
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const iaf_psc_exp_kernel::Group g{E_L_,   I_e_,   V_th_,  V_reset_, P22_, P20_, P11ex_, P11in_, P21ex_,
                                          P21in_, double(ref_steps_), state(V_m).data(), state(I_syn_ex).data(),
                                          state(I_syn_in).data(), refractory_.data(), &input(0), &input(1),
                                          gids_.data(), size()};
        iaf_psc_exp_kernel::run_best(g, in, spikes);
    }

    std::vector<OwnStateArray> own_state() override { return {{"refractory", refractory_.data()}}; }

private:
    double E_L_, I_e_, V_th_, V_reset_, P22_, P20_, P11ex_, P11in_, P21ex_, P21in_;
    int ref_steps_;
    PaddedVector<double> refractory_;
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
#endif  // HWY_ONCE
