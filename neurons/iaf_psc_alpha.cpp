// iaf_psc_alpha: leaky integrate-and-fire neuron with alpha-shaped synaptic currents,
// integrated exactly on the grid.
// Source: NEST's iaf_psc_alpha (nest-simulator, models/iaf_psc_alpha.{h,cpp}, NEST 3.9) and its
// propagators (libnestutil/iaf_propagator.{h,cpp}, IAFPropagatorAlpha), after Rotter &
// Diesmann (1999), Biol Cybern 81:381. Reimplemented, not copied; the arithmetic is NEST's,
// operation by operation, so that results agree with NEST's to the bit:
//   y3 = V_m - E_L (the state is kept relative to E_L, as in NEST; V_m = y3 + E_L is what the
//   model shows as its state V_m), I_x the synaptic current, dI_x its derivative.
//   Per step, if not refractory:
//     y3 = P30 (I_stim + I_e) + P31ex dI_ex + P32ex I_ex + P31in dI_in + P32in I_in
//          + expm1(-h/tau_m) y3 + y3,   then y3 = max(y3, V_min - E_L)   (in this order)
//   else the refractory count goes down by one (V is held). Then, refractory or not:
//     I_x = P21x dI_x + P22x I_x;  dI_x = P11x dI_x;  dI_x += (e / tau_syn_x) * (weights arriving)
//   then y3 >= V_th - E_L: y3 = V_reset - E_L, refractory for round(t_ref / h) steps, spike.
//   P11x = P22x = exp(-h/tau_syn_x), P21x = h P11x, P30 = -tau_m/C_m expm1(-h/tau_m),
//   P32x = gamma exp(-h/tau_syn_x) expm1(h/beta) (or, when that is not a positive normal
//   number, h/C_m exp(-h/tau_m)), P31x = gamma exp(-h/tau_syn_x) (beta expm1(h/beta) - h)
//   (or, when h <= 1e-7 tau_m^2 / |tau_m - tau_syn_x|, h^2/(2 C_m) exp(-h/tau_m)), with
//   beta = tau_syn tau_m / (tau_m - tau_syn), 1/beta = (tau_m - tau_syn)/(tau_syn tau_m),
//   gamma = beta / C_m.
// A weight w (pA) gives a current of peak w at tau_syn after its arrival. Positive weights go
// to the excitatory current, negative ones to the inhibitory one (route by sign).
// I_stim (the engine's stimulus currents over the step) takes the place of NEST's y0.
// Parameters may differ per neuron (ModelInfo::per_neuron_parameters, SONATA node types): all
// constants are per-neuron arrays, each computed as above from the neuron's own set.
// Vectorised across neurons (neurons/simd_inl.hpp): the same operations in the same order,
// lane by lane; no transcendental function in the update, so bitwise the same on every target.
#ifndef APICAL_IAF_PSC_ALPHA_SHARED  // compiled once, not per SIMD target
#define APICAL_IAF_PSC_ALPHA_SHARED
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>
#include <utility>

#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::iaf_psc_alpha_kernel {

// Per-neuron constants (padded arrays), in the order of Constant.
enum Constant {
    P30, P31ex, P32ex, P31in, P32in, expm1_m, P11ex, P21ex, P11in, P21in, EPSC, IPSC, I_e, theta, V_reset,
    lower_bound, ref_steps, n_constants
};

struct Group {
    const double* c[n_constants];
    double *y3, *i_ex, *di_ex, *i_in, *di_in;
    double* r;  // refractory steps left (whole numbers, as doubles)
    RingBuffer *buf_ex, *buf_in;
    const gid_t* gids;
    std::size_t n;
};

}  // namespace apical::iaf_psc_alpha_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/iaf_psc_alpha.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::iaf_psc_alpha_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

template <bool Noise>
void run_slice(const Group& group, const SliceInput& in, std::vector<Spike>& spikes) {
    const Group g = group;  // a local copy: no spike's push_back can change it, so its pointers stay in registers
    const Dd d;
    const double* soma_current = in.stimulus_current(0);
    for (int k = 0; k < in.n_steps; ++k) {
        const step_t step = in.first_step + k;
        double* x_ex = g.buf_ex->row_of_step(step);
        double* x_in = g.buf_in->row_of_step(step);
        const Vd I_stim = hn::Set(d, soma_current[k]);
        const double* noise = Noise ? in.neuron_current_row(0, k, g.n) : nullptr;
        for (std::size_t i = 0; i < g.n; i += hn::Lanes(d)) {
            const auto c = [&](Constant which) { return hn::LoadU(d, g.c[which] + i); };
            Vd y3 = hn::LoadU(d, g.y3 + i), r = hn::LoadU(d, g.r + i);
            Vd i_ex = hn::LoadU(d, g.i_ex + i), di_ex = hn::LoadU(d, g.di_ex + i);
            Vd i_in = hn::LoadU(d, g.i_in + i), di_in = hn::LoadU(d, g.di_in + i);
            const Vd current = Noise ? I_stim + load_unpadded(noise, i, g.n) : I_stim;
            Vd y3_free = c(P30) * (current + c(I_e)) + c(P31ex) * di_ex + c(P32ex) * i_ex + c(P31in) * di_in +
                         c(P32in) * i_in + c(expm1_m) * y3 + y3;
            const Vd lb = c(lower_bound);
            y3_free = hn::IfThenElse(hn::Lt(y3_free, lb), lb, y3_free);
            const Md free = is_free(r);
            y3 = hn::IfThenElse(free, y3_free, y3);
            r = count_down(free, r);
            i_ex = c(P21ex) * di_ex + c(P11ex) * i_ex;
            di_ex = di_ex * c(P11ex);
            di_ex = di_ex + c(EPSC) * take_input(x_ex, i);
            i_in = c(P21in) * di_in + c(P11in) * i_in;
            di_in = di_in * c(P11in);
            di_in = di_in + c(IPSC) * take_input(x_in, i);
            const Md spiking = hn::Ge(y3, c(theta));
            hn::StoreU(hn::IfThenElse(spiking, c(V_reset), y3), d, g.y3 + i);
            hn::StoreU(hn::IfThenElse(spiking, c(ref_steps), r), d, g.r + i);
            hn::StoreU(i_ex, d, g.i_ex + i);
            hn::StoreU(di_ex, d, g.di_ex + i);
            hn::StoreU(i_in, d, g.i_in + i);
            hn::StoreU(di_in, d, g.di_in + i);
            collect_spikes(spiking, i, g.n, step, g.gids, spikes);
        }
    }
}

void run(const Group& g, const SliceInput& in, std::vector<Spike>& spikes) {
    with_neuron_current(in, [&](auto noise) { run_slice<decltype(noise)::value>(g, in, spikes); });
}

}  // namespace apical::iaf_psc_alpha_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical {

namespace iaf_psc_alpha_kernel {
APICAL_EXPORT_KERNEL(run)
}

namespace {

using namespace iaf_psc_alpha_kernel;

enum State { V_m, I_syn_ex, I_syn_in };

// NEST's IAFPropagatorAlpha::evaluate(h): {P31, P32} of one synaptic time constant.
std::pair<double, double> alpha_propagators(double tau_syn, double tau_m, double c_m, double h) {
    const double h_min_regular = 1e-7 * tau_m * tau_m / std::abs(tau_m - tau_syn);
    const double beta = tau_syn * tau_m / (tau_m - tau_syn);
    const double gamma = beta / c_m;
    const double inv_tau_syn = 1 / tau_syn, inv_tau_m = 1 / tau_m, inv_c_m = 1 / c_m;
    const double inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    const double exp_h_tau_syn = std::exp(-h * inv_tau_syn);
    const double expm1_h_tau = std::expm1(h * inv_beta);
    double P32 = gamma * exp_h_tau_syn * expm1_h_tau;
    double exp_h_tau = std::numeric_limits<double>::quiet_NaN();
    if (!(std::isnormal(P32) && P32 > 0)) {
        exp_h_tau = std::exp(-h * inv_tau_m);
        P32 = h * inv_c_m * exp_h_tau;
    }
    if (h > h_min_regular) return {gamma * exp_h_tau_syn * (beta * expm1_h_tau - h), P32};
    if (std::isnan(exp_h_tau)) exp_h_tau = std::exp(-h * inv_tau_m);
    return {0.5 * h * h * inv_c_m * exp_h_tau, P32};
}

// The constants of one parameter set, in Constant order.
std::array<double, n_constants> constants_of(const std::map<std::string, double>& p, double h, int refractory) {
    const double tau_m = p.at("tau_m"), C_m = p.at("C_m"), E_L = p.at("E_L");
    const double tau_ex = p.at("tau_syn_ex"), tau_in = p.at("tau_syn_in");
    std::array<double, n_constants> c{};
    c[P11ex] = std::exp(-h / tau_ex);
    c[P11in] = std::exp(-h / tau_in);
    c[expm1_m] = std::expm1(-h / tau_m);
    c[P30] = -tau_m / C_m * std::expm1(-h / tau_m);
    c[P21ex] = h * c[P11ex];
    c[P21in] = h * c[P11in];
    std::tie(c[P31ex], c[P32ex]) = alpha_propagators(tau_ex, tau_m, C_m, h);
    std::tie(c[P31in], c[P32in]) = alpha_propagators(tau_in, tau_m, C_m, h);
    c[EPSC] = 1.0 * std::numbers::e / tau_ex;
    c[IPSC] = 1.0 * std::numbers::e / tau_in;
    c[I_e] = p.at("I_e");
    c[theta] = p.at("V_th") - E_L;
    c[V_reset] = p.at("V_reset") - E_L;
    c[lower_bound] = p.at("V_min") - E_L;
    c[ref_steps] = double(refractory);
    return c;
}

class IafPscAlpha final : public NeuronGroup {
public:
    IafPscAlpha(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double h,
                const std::map<std::string, double>& p, const ModelContext& context)
        : NeuronGroup(info, std::move(gids), n_slots, h), y3_(size(), 0.0), refractory_(size(), 0.0),
          di_ex_(size(), 0.0), di_in_(size(), 0.0), E_L_(size(), 0.0) {
        select_simd_target();
        for (auto& a : constants_) a = PaddedVector<double>(size(), 0.0);
        std::vector<std::array<double, n_constants>> sets;
        std::vector<double> E_L_of_set;
        const auto add_set = [&](const std::map<std::string, double>& q) {
            sets.push_back(constants_of(q, h, refractory_steps(q.at("t_ref"))));
            E_L_of_set.push_back(q.at("E_L"));
        };
        if (context.parameter_sets)
            for (auto& q : *context.parameter_sets) add_set(q);
        else
            add_set(p);
        for (std::size_t i = 0; i < size(); ++i) {
            const std::size_t s = context.parameter_sets ? (*context.set_of_node)[gids_[i] - context.first_gid] : 0;
            APICAL_ASSERT(s < sets.size());
            for (int k = 0; k < n_constants; ++k) constants_[std::size_t(k)][i] = sets[s][std::size_t(k)];
            E_L_[i] = E_L_of_set[s];
        }
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        auto& v = state(V_m);
        // The engine sets V_m (absolute) before the first update; from then on the model keeps
        // y3 = V_m - E_L and shows V_m = y3 + E_L after every update, as NEST does.
        if (!started_) {
            for (std::size_t i = 0; i < size(); ++i) y3_[i] = v[i] - E_L_[i];
            started_ = true;
        }
        Group g{};
        for (int k = 0; k < n_constants; ++k) g.c[k] = constants_[std::size_t(k)].data();
        g.y3 = y3_.data();
        g.i_ex = state(I_syn_ex).data();
        g.di_ex = di_ex_.data();
        g.i_in = state(I_syn_in).data();
        g.di_in = di_in_.data();
        g.r = refractory_.data();
        g.buf_ex = &input(0);
        g.buf_in = &input(1);
        g.gids = gids_.data();
        g.n = size();
        iaf_psc_alpha_kernel::run_best(g, in, spikes);
        for (std::size_t i = 0; i < size(); ++i) v[i] = y3_[i] + E_L_[i];
    }

    std::vector<OwnStateArray> own_state() override {
        return {{"y3", y3_.data()}, {"refractory", refractory_.data()}, {"di_ex", di_ex_.data()}, {"di_in", di_in_.data()}};
    }
    void after_restore() override { started_ = true; }  // y3 is restored, not derived from V_m

private:
    std::array<PaddedVector<double>, n_constants> constants_;
    PaddedVector<double> y3_, refractory_;
    PaddedVector<double> di_ex_, di_in_;  // derivatives of the synaptic currents (pA/ms)
    std::vector<double> E_L_;
    bool started_ = false;
};

}  // namespace

const ModelInfo& iaf_psc_alpha_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "iaf_psc_alpha";
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
            {"V_min", Dimension::voltage, -inf},  // lower bound of V_m; NEST's default: none
            {"I_e", Dimension::current, 0.0},
        };
        m.state = {{"V_m", Dimension::voltage, "E_L"},
                   {"I_syn_ex", Dimension::current, ""},
                   {"I_syn_in", Dimension::current, ""}};
        m.receptors = {{"exc", Dimension::current, true}, {"inh", Dimension::current, true}};
        m.route_by_sign = true;
        m.per_neuron_parameters = true;
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!(p.at("V_reset") < p.at("V_th"))) return "V_reset below V_th";
            return "";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_iaf_psc_alpha(std::vector<gid_t> gids, int n_slots, double dt,
                                                const std::map<std::string, double>& p, const ModelContext& context) {
    return std::make_unique<IafPscAlpha>(iaf_psc_alpha_info(), std::move(gids), n_slots, dt, p, context);
}

}  // namespace apical
#endif  // HWY_ONCE
