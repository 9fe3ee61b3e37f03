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
// Vectorised across neurons (neurons/simd_inl.hpp, docs/architecture.md "Vectorised neuron
// updates"): the same operations in the same order as the scalar update above, lane by lane,
// refractoriness and threshold as masks; bitwise the scalar results on every target (no
// transcendental function in the loop, no contraction).
#ifndef APICAL_IAF_PSC_DELTA_SHARED  // compiled once, not per SIMD target
#define APICAL_IAF_PSC_DELTA_SHARED
#include <cmath>
#include <limits>

#include "neurons/models.hpp"
#include "neurons/simd.hpp"

namespace apical::iaf_psc_delta_kernel {

// What the vectorised update reads: the constants and the group's arrays.
struct Group {
    double E_L, I_e, V_th, V_reset, V_min, P33, P30, ref_steps;
    double* v;           // V_m
    double* r;           // refractory steps left (whole numbers, as doubles: same lanes as V)
    RingBuffer* buf;     // exc and inh both add to V: one buffer (see registry)
    const gid_t* gids;
    std::size_t n;
};

}  // namespace apical::iaf_psc_delta_kernel
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "neurons/iaf_psc_delta.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include "neurons/simd_inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical::iaf_psc_delta_kernel::HWY_NAMESPACE {
using namespace apical::HWY_NAMESPACE;

// Noise: per-neuron stimulus currents (SliceInput::neuron_current) are present.
template <bool Noise>
void run_slice(const Group& group, const SliceInput& in, std::vector<Spike>& spikes) {
    const Group g = group;  // a local copy: no spike's push_back can change it, so its pointers stay in registers
    const Dd d;
    const Vd E_L = hn::Set(d, g.E_L), P33 = hn::Set(d, g.P33), P30 = hn::Set(d, g.P30);
    const Vd V_min = hn::Set(d, g.V_min), V_th = hn::Set(d, g.V_th);
    const Reset reset(g.V_reset, g.ref_steps, g.gids, g.n, spikes);
    const double* soma_current = in.stimulus_current(0);
    for (int k = 0; k < in.n_steps; ++k) {
        const step_t step = in.first_step + k;
        double* x = g.buf->row_of_step(step);
        const double I = g.I_e + soma_current[k];
        const Vd I_v = hn::Set(d, I), drive = hn::Set(d, g.P30 * I);
        const double* noise = Noise ? in.neuron_current_row(0, k, g.n) : nullptr;
        for (std::size_t i = 0; i < g.n; i += hn::Lanes(d)) {
            Vd v = hn::LoadU(d, g.v + i), r = hn::LoadU(d, g.r + i);
            const Vd drive_i = Noise ? P30 * (I_v + load_unpadded(noise, i, g.n)) : drive;
            Vd vi = E_L + P33 * (v - E_L) + drive_i + take_input(x, i);
            vi = hn::IfThenElse(hn::Lt(vi, V_min), V_min, vi);
            // Refractory neurons keep V (and lose their input, NEST's default) and count down.
            const Md free = is_free(r);
            v = hn::IfThenElse(free, vi, v);
            reset.apply(hn::Ge(v, V_th), v, count_down(free, r), g.v, g.r, i, step);
        }
    }
}

void run(const Group& g, const SliceInput& in, std::vector<Spike>& spikes) {
    with_neuron_current(in, [&](auto noise) { run_slice<decltype(noise)::value>(g, in, spikes); });
}

}  // namespace apical::iaf_psc_delta_kernel::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace apical {

namespace iaf_psc_delta_kernel {
APICAL_EXPORT_KERNEL(run)
}

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
          refractory_(size(), 0.0) {
        select_simd_target();
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const iaf_psc_delta_kernel::Group g{E_L_,     I_e_, V_th_, V_reset_,           V_min_,
                                            P33_,     P30_, double(ref_steps_), state(V_m).data(),
                                            refractory_.data(), &input(0), gids_.data(), size()};
        iaf_psc_delta_kernel::run_best(g, in, spikes);
    }

    std::vector<OwnStateArray> own_state() override { return {{"refractory", refractory_.data()}}; }

private:
    double E_L_, I_e_, V_th_, V_reset_, V_min_, P33_, P30_;
    int ref_steps_;
    PaddedVector<double> refractory_;
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
#endif  // HWY_ONCE
