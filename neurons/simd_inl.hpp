// Helpers for the vectorised neuron updates, compiled once per SIMD target (Highway's
// multiple-inclusion scheme: a model file defines HWY_TARGET_INCLUDE, includes
// <hwy/foreach_target.h> and then this header; see docs/architecture.md, "Vectorised neuron
// updates"). The include guard toggles per target, as Highway's own -inl headers do.
#if defined(APICAL_NEURONS_SIMD_INL_HPP) == defined(HWY_TARGET_TOGGLE)
#ifdef APICAL_NEURONS_SIMD_INL_HPP
#undef APICAL_NEURONS_SIMD_INL_HPP
#else
#define APICAL_NEURONS_SIMD_INL_HPP
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include "core/padded_array.hpp"
#include "core/spike.hpp"

HWY_BEFORE_NAMESPACE();
namespace apical {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using Dd = hn::ScalableTag<double>;
using Vd = hn::Vec<Dd>;
using Md = hn::Mask<Dd>;
static_assert(hn::MaxLanes(Dd()) <= simd_pad, "padding narrower than a vector");

// Single precision (burst_pyramidal's reference_step_order: auryn): twice the lanes.
using Df = hn::ScalableTag<float>;
using Vf = hn::Vec<Df>;
using Mf = hn::Mask<Df>;
static_assert(hn::MaxLanes(Df()) <= simd_pad, "padding narrower than a vector");

// Calls f(i + j) for every lane j set in `m` of the vector of neurons i .. i + lanes - 1 that
// is a neuron (index < n: padding lanes are never visited), in increasing order. One test per
// vector in the common case: the lanes are only visited when one is set. For double (Md) and
// float (Mf) masks.
template <class M, class F>
void for_each_lane(M m, std::size_t i, std::size_t n, F&& f) {
    using D = std::conditional_t<std::is_same_v<M, Mf>, Df, Dd>;
    const D d;
    if (hn::AllFalse(d, m)) return;
    std::uint8_t bits[(hn::MaxLanes(D()) + 7) / 8] = {};
    hn::StoreMaskBits(d, m, bits);
    const std::size_t lanes = hn::Lanes(d);
    for (std::size_t j = 0; j < lanes && i + j < n; ++j)
        if (bits[j / 8] >> (j % 8) & 1) f(i + j);
}

// Appends a spike at `step` for every neuron of the vector at i whose lane is set in `spiking`.
inline void collect_spikes(Md spiking, std::size_t i, std::size_t n, step_t step, const gid_t* gids,
                           std::vector<Spike>& spikes) {
    for_each_lane(spiking, i, n, [&](std::size_t k) { spikes.push_back({step, gids[k], 0.0f}); });
}

// Loads neurons i .. i + lanes - 1 of an array of n values that is not padded (the engine's
// per-neuron stimulus currents, SliceInput::neuron_current): the last, partial vector is
// copied first, with zeros for the padding lanes.
inline Vd load_unpadded(const double* x, std::size_t i, std::size_t n) {
    const Dd d;
    const std::size_t lanes = hn::Lanes(d);
    if (i + lanes <= n) return hn::LoadU(d, x + i);
    HWY_ALIGN double tail[hn::MaxLanes(Dd())] = {};
    for (std::size_t j = 0; i + j < n; ++j) tail[j] = x[i + j];
    return hn::Load(d, tail);
}

// a * b + c rounded once (fused multiply-add), the same bits on every target: the FMA
// instruction where the target has it (AVX2, AVX-512), std::fma per lane where it does not
// (SSE4, the portable baseline), which glibc computes exactly, with the instruction when the
// CPU has it. Never Highway's MulAdd on those targets: it rounds twice there.
template <class V>
HWY_INLINE V fma(V a, V b, V c) {
#if HWY_NATIVE_FMA
    return hn::MulAdd(a, b, c);
#else
    using D = hn::DFromV<V>;
    using T = hn::TFromD<D>;
    const D d;
    HWY_ALIGN T xa[hn::MaxLanes(D())], xb[hn::MaxLanes(D())], xc[hn::MaxLanes(D())];
    hn::Store(a, d, xa), hn::Store(b, d, xb), hn::Store(c, d, xc);
    for (std::size_t j = 0; j < hn::Lanes(d); ++j) xa[j] = std::fma(xa[j], xb[j], xc[j]);
    return hn::Load(d, xa);
#endif
}
// c - a * b rounded once.
template <class V>
HWY_INLINE V fnma(V a, V b, V c) {
#if HWY_NATIVE_FMA
    return hn::NegMulAdd(a, b, c);
#else
    return fma(hn::Neg(a), b, c);  // exact: negation does not round
#endif
}

// The last step of classical RK4: y + h/6 (k1 + 2 k2 + 2 k3 + k4), in fused multiply-adds.
inline Vd rk4_combine(Vd y, Vd k1, Vd k2, Vd k3, Vd k4, Vd h_6) {
    return fma(h_6, fma(hn::Set(Dd(), 2.0), k2 + k3, k1 + k4), y);
}

// The synaptic conductances' share of a right-hand side that is linear in the potential, at
// the three RK4 stage times t = 0, 1, 2 (t0, t0 + h/2, t0 + h). The conductances are known
// exactly there, g(t) = g(t0) decay(t), so g_ex(t) / C = g_ex(t0) (decay_ex(t) / C) is one
// multiplication by a constant: `rate` adds (g_ex(t) + g_in(t)) / C to a base and `drive` adds
// (g_ex(t) E_ex + g_in(t) E_in) / C, two fused multiply-adds each (iaf_cond_exp,
// aeif_cond_exp's V form, burst_pyramidal's compartments).
struct StageConductances {
    Vd ex[3], in[3], ex_E[3], in_E[3];
    StageConductances(double decay_ex_half, double decay_ex, double decay_in_half, double decay_in, double inv_C,
                      double E_ex, double E_in) {
        const double dex[3] = {1.0, decay_ex_half, decay_ex}, din[3] = {1.0, decay_in_half, decay_in};
        for (int t = 0; t < 3; ++t) {
            ex[t] = hn::Set(Dd(), dex[t] * inv_C), in[t] = hn::Set(Dd(), din[t] * inv_C);
            ex_E[t] = hn::Set(Dd(), dex[t] * inv_C * E_ex), in_E[t] = hn::Set(Dd(), din[t] * inv_C * E_in);
        }
    }
    Vd rate(int t, Vd g_ex, Vd g_in, Vd base) const { return fma(g_in, in[t], fma(g_ex, ex[t], base)); }
    Vd drive(int t, Vd g_ex, Vd g_in, Vd base) const { return fma(g_in, in_E[t], fma(g_ex, ex_E[t], base)); }
};

// Floats on the lanes of a double vector: half its width.
using Dh = hn::Rebind<float, Dd>;
using Vh = hn::Vec<Dh>;

// exp(x) in single precision on the lanes of a double vector (DemoteTo, then Highway's float
// Exp), for transcendental terms whose error budget allows a relative error of about 1e-7
// (docs/architecture.md, "Rounding"; aeif_cond_exp's exponential term, burst_pyramidal's
// sigmoid). x is capped at +-80 first: the float Exp then stays finite and its results normal,
// and there the term is 0 or overwhelming to float precision anyway (each caller says why the
// cap changes nothing).
inline Vh exp_float(Vd x) {
    const Dh dh;
    return hn::Exp(dh, hn::Min(hn::Max(hn::DemoteTo(dh, x), hn::Set(dh, -80.0f)), hn::Set(dh, 80.0f)));
}

// Refractory counters (whole steps left, as doubles): lanes at 0 are free, the others count down.
inline Md is_free(Vd r) { return hn::Eq(r, hn::Zero(Dd())); }
inline Vd count_down(Md free, Vd r) { return hn::IfThenElse(free, r, r - hn::Set(Dd(), 1.0)); }

// Threshold crossings of a group of point neurons: lanes that spike get V_reset and the
// refractory count; V and the count are stored at neuron i and the spikes collected.
struct Reset {
    Vd V_reset, ref_steps;
    const gid_t* gids;
    std::size_t n;
    std::vector<Spike>* spikes;
    Reset(double V_reset_, double ref_steps_, const gid_t* gids_, std::size_t n_, std::vector<Spike>& spikes_)
        : V_reset(hn::Set(Dd(), V_reset_)), ref_steps(hn::Set(Dd(), ref_steps_)), gids(gids_), n(n_),
          spikes(&spikes_) {}
    void apply(Md spiking, Vd v, Vd r, double* v_out, double* r_out, std::size_t i, step_t step) const {
        const Dd d;
        hn::StoreU(hn::IfThenElse(spiking, V_reset, v), d, v_out + i);
        hn::StoreU(hn::IfThenElse(spiking, ref_steps, r), d, r_out + i);
        collect_spikes(spiking, i, n, step, gids, *spikes);
    }
};

// How many vectors of neurons the RK4 kernels with an Exp per stage advance together (rk4_pair
// below; aeif_cond_exp, burst_pyramidal's default step); the padding holds whole groups of them.
constexpr std::size_t rk4_vectors = 4;
static_assert(simd_pad % (rk4_vectors * hn::MaxLanes(Dd())) == 0, "padding not a whole number of RK4 vector groups");

// One classical RK4 step of length h (half_h = h/2, h_6 = h/6) of a pair (x, y) whose
// right-hand side rhs(x, y, ge, gi, I, dx, dy) depends on two conductances known exactly at
// the stage times (ge0, gi0 at t0; times dex_half, din_half at t0 + h/2; times dex, din at
// t0 + h), for U vectors of neurons at once: each stage for all U before the next, so that the
// U independent chains of dependent instructions (an Exp per stage) overlap in the core. The
// operations in the order of the models' scalar RK4 (-ffp-contract=off: no fused multiply-add).
template <std::size_t U, class Rhs>
void rk4_pair(const Rhs& rhs, Vd (&x)[U], Vd (&y)[U], const Vd (&ge0)[U], const Vd (&gi0)[U], Vd dex_half,
              Vd din_half, Vd dex, Vd din, const Vd (&I)[U], Vd half_h, Vd h, Vd h_6) {
    const Vd two = hn::Set(Dd(), 2.0);
    Vd ge1[U], gi1[U], ge2[U], gi2[U], kx1[U], ky1[U], kx2[U], ky2[U], kx3[U], ky3[U], kx4[U], ky4[U];
    for (std::size_t u = 0; u < U; ++u) {
        ge1[u] = ge0[u] * dex_half, gi1[u] = gi0[u] * din_half, ge2[u] = ge0[u] * dex, gi2[u] = gi0[u] * din;
        rhs(x[u], y[u], ge0[u], gi0[u], I[u], kx1[u], ky1[u]);
    }
    for (std::size_t u = 0; u < U; ++u)
        rhs(x[u] + half_h * kx1[u], y[u] + half_h * ky1[u], ge1[u], gi1[u], I[u], kx2[u], ky2[u]);
    for (std::size_t u = 0; u < U; ++u)
        rhs(x[u] + half_h * kx2[u], y[u] + half_h * ky2[u], ge1[u], gi1[u], I[u], kx3[u], ky3[u]);
    for (std::size_t u = 0; u < U; ++u)
        rhs(x[u] + h * kx3[u], y[u] + h * ky3[u], ge2[u], gi2[u], I[u], kx4[u], ky4[u]);
    for (std::size_t u = 0; u < U; ++u) {
        x[u] = x[u] + h_6 * (kx1[u] + two * kx2[u] + two * kx3[u] + kx4[u]);
        y[u] = y[u] + h_6 * (ky1[u] + two * ky2[u] + two * ky3[u] + ky4[u]);
    }
}

// Reads a ring-buffer row's vector and clears it: the input of a step is consumed in the
// pass that uses it.
inline Vd take_input(double* row, std::size_t i) {
    const Dd d;
    const Vd x = hn::LoadU(d, row + i);
    hn::StoreU(hn::Zero(d), d, row + i);
    return x;
}

}  // namespace HWY_NAMESPACE
}  // namespace apical
HWY_AFTER_NAMESPACE();

#endif  // include guard
