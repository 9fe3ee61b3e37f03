// poisson_source: a population of independent Poisson spike sources, for inputs that several
// neurons share through ordinary projections (NEST: poisson_generator -> parrot_neuron;
// Brian2: PoissonGroup). Unlike the poisson_generator stimulus, which gives every target
// neuron a train of its own, a source here is a node with a gid whose spikes go to all of
// its targets (e.g. 25 000 sources at 5 Hz, each target drawing ~100 of them with
// pairwise_bernoulli p = 0.004, as Payeur et al. 2021's background input).
//
// Parameters: rate (Hz, >= 0), start, stop (ms; active on [start, stop) in the stimuli's step
// convention, engine/stimuli.hpp: the steps s with round(start/dt) < s <= round(stop/dt)), and
// period (ms, default 0: none). With a period of P steps, each source's train in the first P
// active steps repeats every P steps until stop: a frozen pattern presented again and again (as
// NEST's examples replay recorded Poisson trains through spike generators).
//
// Model on the step grid: in every active step each source spikes with probability
//   p = 1 - exp(-rate dt),
// independently of other steps and sources: at most one spike per step, as Brian2's
// PoissonGroup (which spikes when rand() < rate dt; 1 - exp(-rate dt) is the probability that
// a Poisson process of that rate has at least one event in the step, so the two agree to
// O((rate dt)^2)). A spike in step s is emitted at s (time s dt), as every spike of apical.
// The count of a source over n active steps is Binomial(n, p); its intervals are geometric:
// P(ISI = k dt) = (1 - p)^(k-1) p, mean dt / p.
//
// Sampling, by geometric skipping: each source keeps the step of its next spike. After a spike
// (or before the first active step) at step s, the next spike comes at
//   s + 1 + g,  g = floor(-ln U / (rate dt)),  U uniform in (0, 1),
// which is exact: P(g >= k) = P(U <= e^{-k rate dt}) = (1 - p)^k, because ln(1 - p) = -rate dt.
// A spike beyond the last active step means "never". One Philox call and one log per spike,
// and per slice one comparison per source: a 5 Hz source with dt = 0.1 ms spikes once per
// 2000 steps, where drawing a uniform for every source and step (as the poisson_generator
// stimulus does for its counts, two steps per Philox call) would cost ~1000 Philox calls
// per spike. (The 52-bit U caps -ln U at 36.7: intervals longer than 36.7 mean intervals, of
// probability 1e-16, are not produced.)
//
// Random numbers: U after step s of source gid comes from the Philox block with key (seed,
// poisson_source purpose of the population) and counter (gid, s low 32 bits, s high 32 bits,
// 0), words 0-1 as (k + 1/2) 2^-52 (RandomStream::uniform_open). The first draw uses
// s = round(start/dt), before every spike step, so no two draws of a source share a counter.
// Every spike is therefore a function of (seed, population, gid, rate, start, stop, period, dt)
// only: the same for any number of ranks and threads and any slice length. With a period, the
// draws are those of the first period, at the step of the same phase (s - P k in period k), so
// period k repeats period 0 exactly.
//
// No receptors (the description layer refuses projections onto it), no compartments (a
// current stimulus has nothing to act on and is ignored), no state variables (the next spike
// step is kept inside the group, not initialisable or recordable).
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/random.hpp"
#include "neurons/models.hpp"

namespace apical {

namespace {

class PoissonSource final : public NeuronGroup {
public:
    PoissonSource(const ModelInfo& info, std::vector<gid_t> gids, int n_slots, double dt,
                  const std::map<std::string, double>& p, const ModelContext& ctx)
        : NeuronGroup(info, std::move(gids), n_slots, dt),
          lambda_(parameter(p, "rate") * 1e-3 * dt),
          first_(steps(parameter(p, "start"), dt) + 1), last_(steps(parameter(p, "stop"), dt)),
          period_(parameter(p, "period") > 0.0 ? std::max<step_t>(1, steps(parameter(p, "period"), dt)) : 0),
          seed_(ctx.seed), purpose_(purpose(Purpose::poisson_source, ctx.population)) {
        next_.resize(gids_.size());
        for (std::size_t i = 0; i < gids_.size(); ++i) next_[i] = next_after(first_ - 1, gids_[i]);
    }

    void update(const SliceInput& in, std::vector<Spike>& spikes) override {
        const step_t end = in.first_step + in.n_steps;
        const std::size_t n = size();
        step_t* next = next_.data();
        for (std::size_t i = first_due(next, 0, n, end); i < n; i = first_due(next, i + 1, n, end))
            while (next[i] < end) {
                spikes.push_back({next[i], gids_[i], 0.0f});
                next[i] = next_after(next[i], gids_[i]);
            }
    }

    std::vector<OwnStateArray> own_state() override { return {{"next", next_.data()}}; }

private:
    static constexpr step_t never = std::numeric_limits<step_t>::max();

    // The first source from i on that spikes before `end` (n if none). Most sources do not
    // (a 5 Hz source in one slice of 8 steps: 1 in 250), so the scan is the update's main
    // cost: blocks of 8 by a branch-free minimum, in a loop of its own so that its index stays
    // in a register (inlined in the spike loop, the index lived on the stack: 5 cycles per source).
    static std::size_t first_due(const step_t* next, std::size_t i, std::size_t n, step_t end) {
        for (; i + 8 <= n; i += 8) {
            step_t m = next[i];
            for (std::size_t j = 1; j < 8; ++j) m = std::min(m, next[i + j]);
            if (m < end) break;
        }
        while (i < n && next[i] >= end) ++i;
        return i;
    }

    // round(ms / dt), times beyond the longest run (and infinity) as 2^62: never reached.
    static step_t steps(double ms, double dt) { return fits_steps(ms, dt) ? to_steps(ms, dt) : step_t(1) << 62; }

    // The step of the source's next spike after step s (never if beyond the active window).
    step_t next_after(step_t s, gid_t gid) const {
        if (period_ == 0) return next_in(s, gid, last_);
        // In the first period's phase: the next spike of the pattern after phase s, else the
        // pattern's first spike in the next period.
        if (s >= last_) return never;
        const step_t k = (s - (first_ - 1)) / period_, origin = k * period_;
        step_t next = next_in(s - origin, gid, first_ - 1 + period_);
        if (next == never) {
            next = next_in(first_ - 1, gid, first_ - 1 + period_);
            if (next == never) return never;  // a period without spikes
            next += period_;
        }
        next += origin;
        return next > last_ ? never : next;
    }

    // The step of the next spike after step s of the unrepeated train, never beyond step `last`.
    step_t next_in(step_t s, gid_t gid, step_t last) const {
        if (!(lambda_ > 0.0) || s >= last) return never;
        const PhiloxBlock b = philox(seed_, purpose_, gid, std::uint32_t(s), std::uint64_t(s) >> 32);
        const std::uint64_t x = (std::uint64_t(b[0]) << 32) | b[1];
        const double u = (double(x >> 12) + 0.5) * 0x1p-52;  // (0, 1)
        const double g = std::floor(-std::log(u) / lambda_);
        if (!(g < 0x1p62)) return never;
        const step_t next = s + 1 + step_t(g);
        return next > last ? never : next;
    }

    double lambda_;       // rate dt
    step_t first_, last_;  // active steps, inclusive
    step_t period_;        // steps; 0: no repetition
    std::uint32_t seed_, purpose_;
    std::vector<step_t> next_;  // per source: the step of its next spike
};

}  // namespace

const ModelInfo& poisson_source_info() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "poisson_source";
        const double inf = std::numeric_limits<double>::infinity();
        m.parameters = {
            {"rate", Dimension::frequency, 0.0, 0.0, inf},
            {"start", Dimension::time, 0.0, 0.0, inf},
            {"stop", Dimension::time, inf, 0.0, inf},
            {"period", Dimension::time, 0.0, 0.0, inf},
        };
        m.compartments = {};
        m.check = [](const std::map<std::string, double>& p, double) -> std::string {
            if (!std::isfinite(p.at("rate"))) return "a finite rate";
            if (!std::isfinite(p.at("start"))) return "a finite start";
            return p.at("stop") >= p.at("start") ? "" : "stop at or after start";
        };
        return m;
    }();
    return info;
}

std::unique_ptr<NeuronGroup> make_poisson_source(std::vector<gid_t> gids, int n_slots, double dt,
                                                 const std::map<std::string, double>& p,
                                                 const ModelContext& context) {
    return std::make_unique<PoissonSource>(poisson_source_info(), std::move(gids), n_slots, dt, p, context);
}

}  // namespace apical
