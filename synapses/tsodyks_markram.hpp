// Short-term plasticity of the Tsodyks-Markram family (docs/models.md 4): the extended model
// of Costa et al. 2013 (U, f, tau_F, tau_D), which is NEST's tsodyks2_synapse for f = U.
//
// The state (u, x) belongs to a presynaptic neuron, not to a synapse: every synapse of one
// source in one projection sees the same efficacy u x (docs/models.md 4.4). It is advanced
// lazily, only at the source's spikes, with the exact exponential decay since the last one.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/spike.hpp"

namespace apical {

enum class SynapseModel { static_synapse, tsodyks_markram };

struct TsodyksMarkramParameters {
    double U = 0.5;        // utilisation at rest, in (0, 1]
    double f = 0.5;        // facilitation increment, in (0, 1]; f = U: tsodyks2_synapse
    double tau_F_ms = 1000.0;
    double tau_D_ms = 800.0;
    double u0 = 0.5;       // u and x at the first spike, in [0, 1]
    double x0 = 1.0;
};

// One source's state. `spike(h)` advances it to a spike h ms after the previous one and
// returns the efficacy u x of that spike; the first spike uses (u0, x0) unchanged.
// Update order of NEST tsodyks2_synapse (docs/models.md 4.3): x recovers from the release of
// the previous spike with the old u, then u relaxes to U from its post-jump value; the
// spike transmits the new u x.
struct TsodyksMarkramState {
    double u = 0.5, x = 1.0;

    explicit TsodyksMarkramState(const TsodyksMarkramParameters& p) : u(p.u0), x(p.x0) {}
    double first() const { return u * x; }
    double spike(const TsodyksMarkramParameters& p, double h_ms) {
        const double decay_D = std::exp(-h_ms / p.tau_D_ms), decay_F = std::exp(-h_ms / p.tau_F_ms);
        x = 1.0 + (x - x * u - 1.0) * decay_D;
        u = p.U + (u + p.f * (1.0 - u) - p.U) * decay_F;
        return u * x;
    }
};

// The states of every source node of one projection on one VP (docs/architecture.md,
// "Synapse storage"): three arrays indexed by source node, beside the projection's tables.
// Each VP holding synapses of a source sees all its spikes in the same order and so keeps
// an identical copy; no exchange is needed.
class TsodyksMarkramSources {
public:
    TsodyksMarkramSources(const TsodyksMarkramParameters& p, std::uint32_t n_sources, double dt_ms)
        : p_(p), dt_ms_(dt_ms), u_(n_sources, p.u0), x_(n_sources, p.x0), last_(n_sources, never) {}

    // The efficacy of source `node`'s spike at `step`. A neuron spikes at most once per step,
    // so a second call for the same step (a second table of the projection: receptors
    // routed by sign) returns the same value without advancing the state again.
    double efficacy(std::uint32_t node, step_t step) {
        const step_t last = last_[node];
        if (last == step) return u_[node] * x_[node];
        last_[node] = step;
        TsodyksMarkramState s(p_);
        s.u = u_[node];
        s.x = x_[node];
        if (last == never) return s.first();
        const double e = s.spike(p_, double(step - last) * dt_ms_);
        u_[node] = s.u;
        x_[node] = s.x;
        return e;
    }
    std::size_t bytes() const {
        return u_.size() * sizeof(double) + x_.size() * sizeof(double) + last_.size() * sizeof(step_t);
    }

private:
    static constexpr step_t never = std::numeric_limits<step_t>::min();
    TsodyksMarkramParameters p_;
    double dt_ms_;
    std::vector<double> u_, x_;
    std::vector<step_t> last_;  // step of the last spike; `never` before the first
};

}  // namespace apical
