// Short-term plasticity of the Tsodyks-Markram family (docs/models.md 4): the extended model
// of Costa et al. 2013 (tsodyks_markram: U, f, tau_F, tau_D), which is NEST's
// tsodyks2_synapse for f = U, and the three-state model of NEST's tsodyks_synapse
// (tsodyks_3state: U, tau_F, tau_D, tau_psc).
//
// With parameters the same for the whole projection, the state belongs to a presynaptic
// neuron, not to a synapse: every synapse of one source in one projection sees the same
// efficacy (docs/models.md 4.4), and TsodyksMarkramSources keeps it once per source. With
// parameters (or the initial u, x) drawn per synapse, TsodyksMarkramSynapses keeps it per
// synapse. Either way it is advanced lazily, only at the source's spikes, with the exact
// exponential decay since the last one, by the same functions (so both give the same
// efficacies for the same parameters).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/spike.hpp"

namespace apical {

enum class SynapseModel { static_synapse, tsodyks_markram, tsodyks_3state };

struct TsodyksMarkramParameters {
    double U = 0.5;        // utilisation, in (0, 1]
    double f = 0.5;        // tsodyks_markram: facilitation increment, in (0, 1]; f = U: tsodyks2_synapse
    double tau_F_ms = 1000.0;
    double tau_D_ms = 800.0;
    double u0 = 0.5;       // initial u and x, in [0, 1]
    double x0 = 1.0;
    double tau_psc_ms = 3.0;  // tsodyks_3state: decay of the released (active) resources
};

// tsodyks_markram, one source. `first()` is the efficacy u x of the first spike, at (u0, x0);
// `spike(h)` advances the state to a spike h ms after the previous one and returns its
// efficacy. Update order of NEST tsodyks2_synapse (docs/models.md 4.3): x recovers from the
// release of the previous spike with the old u, then u relaxes to U from its post-jump
// value; the spike transmits the new u x.
struct TsodyksMarkramState {
    double u = 0.5, x = 1.0;

    explicit TsodyksMarkramState(const TsodyksMarkramParameters& p) : u(p.u0), x(p.x0) {}
    double first(const TsodyksMarkramParameters&) { return efficacy(); }
    // The relaxation over h_ms: it depends only on the time constants and the interval, so
    // a projection with constant time constants can keep it per interval (DecayCache).
    struct Decay {
        double D, F;
    };
    static Decay decay(const TsodyksMarkramParameters& p, double h_ms) {
        return {std::exp(-h_ms / p.tau_D_ms), std::exp(-h_ms / p.tau_F_ms)};
    }
    double spike(const TsodyksMarkramParameters& p, double h_ms) { return spike(p, decay(p, h_ms)); }
    double spike(const TsodyksMarkramParameters& p, const Decay& d) {
        x = 1.0 + (x - x * u - 1.0) * d.D;
        u = p.U + (u + p.f * (1.0 - u) - p.U) * d.F;
        return efficacy();
    }
    double efficacy() const { return u * x; }
};

// tsodyks_3state (NEST tsodyks_synapse, docs/models.md 4.3): resources x (recovered), y
// (active, decaying with tau_psc into the inactive z = 1 - x - y, which recovers with tau_D);
// u relaxes to 0 and jumps by U (1 - u) at a spike before the release u x moves to y. The
// spike transmits the released amount. The first spike releases from (u0, x0, y = 0) as given.
struct Tsodyks3State {
    double u = 0.0, x = 1.0, y = 0.0;
    double released = 0.0;  // by the last spike: its efficacy

    explicit Tsodyks3State(const TsodyksMarkramParameters& p) : u(p.u0), x(p.x0) {}
    double first(const TsodyksMarkramParameters& p) { return release(p); }
    // NEST's propagators over h_ms, exact for the linear x, y, z system; with u's decay.
    struct Decay {
        double yy, zz, xy, F;
    };
    static Decay decay(const TsodyksMarkramParameters& p, double h_ms) {
        const double p_yy = std::exp(-h_ms / p.tau_psc_ms), p_zz = std::expm1(-h_ms / p.tau_D_ms);
        const double p_xy = (p_zz * p.tau_D_ms - (p_yy - 1.0) * p.tau_psc_ms) / (p.tau_psc_ms - p.tau_D_ms);
        return {p_yy, p_zz, p_xy, std::exp(-h_ms / p.tau_F_ms)};
    }
    double spike(const TsodyksMarkramParameters& p, double h_ms) { return spike(p, decay(p, h_ms)); }
    double spike(const TsodyksMarkramParameters& p, const Decay& d) {
        const double z = 1.0 - x - y;
        u *= d.F;
        x += d.xy * y - d.zz * z;
        y *= d.yy;
        return release(p);
    }
    double efficacy() const { return released; }

private:
    double release(const TsodyksMarkramParameters& p) {
        u += p.U * (1.0 - u);
        released = u * x;
        x -= released;
        y += released;
        return released;
    }
};

constexpr step_t no_spike_yet = std::numeric_limits<step_t>::min();

// State::Decay for intervals of 1 .. n - 1 steps, computed once by the same function a spike
// would call (so a cached value is bitwise the one computed at the spike); longer intervals
// are computed when they occur. Two exponentials per spike become one load: the cost that
// dominates delivery for sources with few targets. 2048 steps (205 ms at dt = 0.1 ms) cover
// the intervals of every source firing above a few Hz in 32 KiB (64 KiB for tsodyks_3state).
template <class State>
class DecayCache {
public:
    static constexpr step_t n = 2048;
    DecayCache() = default;
    DecayCache(const TsodyksMarkramParameters& p, double dt_ms) : dt_ms_(dt_ms) {
        table_.resize(std::size_t(n));
        for (step_t k = 1; k < n; ++k) table_[std::size_t(k)] = State::decay(p, double(k) * dt_ms);
    }
    typename State::Decay operator()(const TsodyksMarkramParameters& p, step_t steps) const {
        return steps < n ? table_[std::size_t(steps)] : State::decay(p, double(steps) * dt_ms_);
    }
    std::size_t bytes() const { return table_.size() * sizeof(typename State::Decay); }

private:
    double dt_ms_ = 0.0;
    std::vector<typename State::Decay> table_;
};

// The states of one model for every source node, advanced lazily at the sources' spikes.
template <class State>
class PerSourceStates {
public:
    PerSourceStates() = default;
    PerSourceStates(const TsodyksMarkramParameters& p, std::uint32_t n_sources, double dt_ms)
        : state_(n_sources, State(p)), last_(n_sources, never), decay_(p, dt_ms) {}

    double efficacy(const TsodyksMarkramParameters& p, std::uint32_t node, step_t step) {
        State& s = state_[node];
        const step_t last = last_[node];
        if (last == step) return s.efficacy();
        last_[node] = step;
        return last == never ? s.first(p) : s.spike(p, decay_(p, step - last));
    }
    std::size_t bytes() const {
        return state_.size() * sizeof(State) + last_.size() * sizeof(step_t) + decay_.bytes();
    }
    // A source's state as doubles and the step of its last spike (checkpoints).
    static constexpr std::size_t values = sizeof(State) / sizeof(double);
    void get(std::uint32_t node, double* out, step_t& last) const {
        static_assert(std::is_trivially_copyable_v<State> && sizeof(State) % sizeof(double) == 0);
        std::memcpy(out, &state_[node], sizeof(State));
        last = last_[node];
    }
    void set(std::uint32_t node, const double* in, step_t last) {
        std::memcpy(static_cast<void*>(&state_[node]), in, sizeof(State));
        last_[node] = last;
    }

private:
    static constexpr step_t never = no_spike_yet;
    std::vector<State> state_;
    std::vector<step_t> last_;  // step of the last spike; `never` before the first
    DecayCache<State> decay_;
};

// The short-term state of every source node of one projection on one VP (docs/architecture.md,
// "Synapse storage"), beside the projection's tables. Each VP holding synapses of a source
// sees all its spikes in the same order and so keeps an identical copy; no exchange is needed.
class TsodyksMarkramSources {
public:
    TsodyksMarkramSources(SynapseModel model, const TsodyksMarkramParameters& p, std::uint32_t n_sources,
                          double dt_ms)
        : model_(model), p_(p) {
        if (model == SynapseModel::tsodyks_3state)
            three_ = PerSourceStates<Tsodyks3State>(p, n_sources, dt_ms);
        else
            two_ = PerSourceStates<TsodyksMarkramState>(p, n_sources, dt_ms);
    }

    // The efficacy of source `node`'s spike at `step`. A neuron spikes at most once per step,
    // so a second call for the same step (a second table of the projection: receptors
    // routed by sign) returns the same value without advancing the state again.
    double efficacy(std::uint32_t node, step_t step) {
        return model_ == SynapseModel::tsodyks_3state ? three_.efficacy(p_, node, step)
                                                      : two_.efficacy(p_, node, step);
    }
    std::size_t bytes() const { return two_.bytes() + three_.bytes(); }
    // Checkpoints (engine/checkpoint.hpp): the doubles of a source's state (u, x, and for
    // tsodyks_3state y and the last release), and reading and writing them with the step of
    // the source's last spike.
    std::size_t state_values() const {
        return model_ == SynapseModel::tsodyks_3state ? PerSourceStates<Tsodyks3State>::values
                                                      : PerSourceStates<TsodyksMarkramState>::values;
    }
    void get(std::uint32_t node, double* out, step_t& last) const {
        model_ == SynapseModel::tsodyks_3state ? three_.get(node, out, last) : two_.get(node, out, last);
    }
    void set(std::uint32_t node, const double* in, step_t last) {
        model_ == SynapseModel::tsodyks_3state ? three_.set(node, in, last) : two_.set(node, in, last);
    }

private:
    SynapseModel model_;
    TsodyksMarkramParameters p_;
    PerSourceStates<TsodyksMarkramState> two_;  // tsodyks_markram
    PerSourceStates<Tsodyks3State> three_;      // tsodyks_3state
};

// The parameters of tsodyks_markram / tsodyks_3state that a projection may draw per synapse
// (u0 and x0 only set the initial state, so they need no storage of their own).
struct ShortTermParameter {
    enum : int { U, f, tau_F, tau_D, tau_psc, count };
};

// The short-term state of every synapse of one table (one projection onto one receptor on one
// VP), for projections whose parameters or initial state are drawn per synapse
// (docs/models.md 4.4). Synapse k is the table's k-th (source-ordered). Each synapse keeps
// its state (u, x: 16 bytes; tsodyks_3state also y and the last release: 32 bytes) and its
// drawn parameters (4 bytes each, single precision as per-synapse weights); parameters
// given as constants stay once in double precision. The step of the last spike is kept per
// source: all synapses of a source see the same spikes.
class TsodyksMarkramSynapses {
public:
    // `drawn[i]`: parameter i (ShortTermParameter) differs between synapses.
    TsodyksMarkramSynapses(SynapseModel model, const TsodyksMarkramParameters& constants,
                           std::array<bool, ShortTermParameter::count> drawn, std::uint32_t n_sources,
                           std::size_t n_synapses, double dt_ms)
        : model_(model), constants_(constants), dt_ms_(dt_ms), last_(n_sources, no_spike_yet) {
        for (int i = 0; i < ShortTermParameter::count; ++i)
            if (drawn[std::size_t(i)]) drawn_[std::size_t(i)].resize(n_synapses);
        // Time constants the same for every synapse: their decays per interval are cached.
        cached_ = !drawn[ShortTermParameter::tau_F] && !drawn[ShortTermParameter::tau_D] &&
                  !drawn[ShortTermParameter::tau_psc];
        if (model == SynapseModel::tsodyks_3state) {
            three_.resize(n_synapses, Tsodyks3State(constants));
            if (cached_) decay_three_ = DecayCache<Tsodyks3State>(constants, dt_ms);
        } else {
            two_.resize(n_synapses, TsodyksMarkramState(constants));
            if (cached_) decay_two_ = DecayCache<TsodyksMarkramState>(constants, dt_ms);
        }
    }

    // Synapse k's parameters and initial state, as drawn (`p`: every value of that synapse).
    void set(std::size_t k, const TsodyksMarkramParameters& p) {
        const double values[ShortTermParameter::count] = {p.U, p.f, p.tau_F_ms, p.tau_D_ms, p.tau_psc_ms};
        for (int i = 0; i < ShortTermParameter::count; ++i)
            if (!drawn_[std::size_t(i)].empty()) drawn_[std::size_t(i)][k] = float(values[i]);
        TsodyksMarkramParameters start = parameters(k);  // as stored, with the drawn initial state
        start.u0 = p.u0;
        start.x0 = p.x0;
        if (model_ == SynapseModel::tsodyks_3state)
            three_[k] = Tsodyks3State(start);
        else
            two_[k] = TsodyksMarkramState(start);
    }
    // Synapse k's parameters as stored.
    TsodyksMarkramParameters parameters(std::size_t k) const {
        TsodyksMarkramParameters p = constants_;
        double* values[ShortTermParameter::count] = {&p.U, &p.f, &p.tau_F_ms, &p.tau_D_ms, &p.tau_psc_ms};
        for (int i = 0; i < ShortTermParameter::count; ++i)
            if (!drawn_[std::size_t(i)].empty()) *values[i] = double(drawn_[std::size_t(i)][k]);
        return p;
    }

    // Marks a spike of source `node` at `step` and returns the step of its previous spike
    // (no_spike_yet before the first): the argument of efficacy() for its synapses.
    step_t spike(std::uint32_t node, step_t step) {
        const step_t last = last_[node];
        last_[node] = step;
        return last;
    }
    // Advances synapse k to its source's spike at `step` (previous spike at `last`) and
    // returns the efficacy; once per synapse and spike.
    double efficacy(std::size_t k, step_t last, step_t step) {
        const TsodyksMarkramParameters p = parameters(k);
        if (model_ == SynapseModel::tsodyks_3state) {
            if (last == no_spike_yet) return three_[k].first(p);
            const step_t h = step - last;  // after the test: no_spike_yet is INT64_MIN
            return three_[k].spike(p, cached_ ? decay_three_(p, h) : Tsodyks3State::decay(p, double(h) * dt_ms_));
        }
        if (last == no_spike_yet) return two_[k].first(p);
        const step_t h = step - last;
        return two_[k].spike(p, cached_ ? decay_two_(p, h) : TsodyksMarkramState::decay(p, double(h) * dt_ms_));
    }
    // Checkpoints (engine/checkpoint.hpp): synapse k's state as doubles (u, x, and for
    // tsodyks_3state y and the last release), and the step of a source's last spike.
    std::size_t state_values() const {
        return model_ == SynapseModel::tsodyks_3state ? sizeof(Tsodyks3State) / sizeof(double)
                                                      : sizeof(TsodyksMarkramState) / sizeof(double);
    }
    void get(std::size_t k, double* out) const {
        if (model_ == SynapseModel::tsodyks_3state)
            std::memcpy(out, &three_[k], sizeof(Tsodyks3State));
        else
            std::memcpy(out, &two_[k], sizeof(TsodyksMarkramState));
    }
    void set_state(std::size_t k, const double* in) {
        if (model_ == SynapseModel::tsodyks_3state)
            std::memcpy(static_cast<void*>(&three_[k]), in, sizeof(Tsodyks3State));
        else
            std::memcpy(static_cast<void*>(&two_[k]), in, sizeof(TsodyksMarkramState));
    }
    step_t& last_spike(std::uint32_t node) { return last_[node]; }

    std::size_t bytes() const {
        std::size_t b = two_.size() * sizeof(TsodyksMarkramState) + three_.size() * sizeof(Tsodyks3State) +
                        last_.size() * sizeof(step_t);
        for (auto& v : drawn_) b += v.size() * sizeof(float);
        return b + decay_two_.bytes() + decay_three_.bytes();
    }

private:
    SynapseModel model_;
    TsodyksMarkramParameters constants_;
    double dt_ms_;
    std::array<std::vector<float>, ShortTermParameter::count> drawn_;  // empty: a constant
    std::vector<TsodyksMarkramState> two_;  // tsodyks_markram, per synapse
    std::vector<Tsodyks3State> three_;      // tsodyks_3state, per synapse
    std::vector<step_t> last_;              // per source node
    bool cached_ = false;                   // decays from the caches below
    DecayCache<TsodyksMarkramState> decay_two_;
    DecayCache<Tsodyks3State> decay_three_;
};

}  // namespace apical
