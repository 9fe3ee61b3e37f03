// Stimuli that act inside the target's own virtual process, without gids or synapses:
// - poisson_generator: an independent Poisson train into every target neuron (NEST's
//   poisson_generator semantics). The count for neuron gid emitted in step e is drawn by
//   inversion from a 32-bit uniform: one Philox call with key (seed, poisson purpose of the
//   stimulus) and counter (gid, e / 4) gives the words w of steps 4j .. 4j + 3 (word r for step
//   4j + r), each the uniform u = (w + 1/2) 2^-32 in (0, 1). It therefore does not depend on
//   the decomposition. Resolution: u takes 2^32 equally likely values, so each count k gets
//   the probability of the u-values in [F(k-1), F(k)), which differs from P(k) = F(k) - F(k-1)
//   by less than 2^-32 (one grid cell at each end, 2^-33 each): far below anything a rate,
//   variance or histogram can resolve (e.g. 10^4 neurons x 10^8 steps draw 2^40 counts, whose
//   sampling error for P(k) is ~2^-20). The count times the
//   weight is added to the ring-buffer row of step e + delay, after the network spikes
//   delivered to that row. For lambda >= 10 per step a RandomStream's exact PTRS sampler is
//   used instead (one stream per neuron and step).
// - dc_current, step_current, sine_current: a current (pA) common to all target neurons,
//   summed per step.
// - noise_current: an Ornstein-Uhlenbeck current independent for every target neuron,
//   tau dI/dt = mean - I + std sqrt(2 tau) xi(t) (see NoiseInput below), per neuron and step.
// - teaching_current: per target neuron, a current set at the start of periodic windows from
//   the neuron's own running event rate (TeachingInput below).
// - sine_input: one input per step into a receptor of every target neuron, its weight a sine
//   of the emission time (ReceptorInput below), added after the Poisson counts.
// Activity window: a stimulus on [start, stop) acts in the steps s whose interval
// ((s-1) dt, s dt] starts in [start, stop), i.e. round(start/dt) < s <= round(stop/dt).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/dispatch.hpp"
#include "core/error.hpp"
#include "core/periodic_windows.hpp"
#include "core/philox_batch.hpp"
#include "core/spike.hpp"
#include "engine/spike_classifier.hpp"

namespace apical {

struct PoissonInput {
    int group = 0;        // target NeuronGroup index in the VP
    int receptor = 0;
    double weight = 0.0;
    double lambda = 0.0;  // mean count per step: rate * dt
    int delay = 1;        // steps
    step_t first_emission = 1, last_emission = 0;  // inclusive window of emission steps
    std::uint32_t purpose = 0;
    // Cumulative Poisson probabilities F(0), F(1), ... for inversion (lambda < 10), computed
    // with the same recurrence as poisson_small() so the counts are identical to it.
    std::vector<double> cdf;
    // Guide table: guide[j] = the smallest k with F(k) > j / guide_size, where the search for
    // u in [j / guide_size, (j+1) / guide_size) can start (it cannot end earlier); the
    // result is the same as a search from 0, with fewer steps.
    static constexpr int guide_size = 256;
    std::vector<std::uint32_t> guide;
    // Word table (build_guide()), the same inversion on the 32-bit word w itself: with T(k) the
    // smallest w whose uniform(w) >= F(k), count(w) = #{k : T(k) <= w}. The words split into
    // 2^bucket_bits buckets (w >> bucket_shift); in a bucket that holds at most one T(k) above
    // its first word, count(w) = bucket_base + (w >= bucket_threshold), one comparison and no
    // branch (add_poisson_counts()). Buckets holding more (the tail near u = 1, probability
    // ~1e-4 per draw at lambda 2) are marked with tail_bucket and searched with count(u).
    static constexpr int bucket_bits = 12, bucket_shift = 32 - bucket_bits;
    static constexpr std::uint32_t tail_bucket = 0x80000000u;
    std::vector<std::uint32_t> bucket_base, bucket_threshold;
    // Scratch of add_poisson_input: the words of the four steps 4 words_group .. + 3, per target
    // neuron (step 4 words_group + r at r * size), kept for the next slice.
    std::vector<std::uint32_t> words;
    step_t words_group = -1;

    // The uniform of a word: (w + 1/2) 2^-32, exact in double, in (0, 1).
    static double uniform(std::uint32_t w) { return (double(w) + 0.5) * 0x1p-32; }

    // The smallest k with u < F(k) (the count for uniform u).
    std::uint64_t count(double u) const {
        std::uint64_t k = guide[std::size_t(u * guide_size)];
        while (k < cdf.size() && u >= cdf[k]) ++k;
        return k;
    }
    // The count of word w from the word table; equal to count(uniform(w)).
    std::uint64_t count_word(std::uint32_t w) const {
        const std::uint32_t b = w >> bucket_shift;
        if (bucket_base[b] & tail_bucket) return count(uniform(w));
        return bucket_base[b] + std::uint32_t(w >= bucket_threshold[b]);
    }
    void build_guide() {
        guide.resize(guide_size);
        std::uint32_t k = 0;
        for (int j = 0; j < guide_size; ++j) {
            const double lower = double(j) / guide_size;
            while (k < cdf.size() && cdf[k] <= lower) ++k;
            guide[std::size_t(j)] = k;
        }
        // T(k) by bisection on the very comparison count() makes (2^32: no word reaches F(k)).
        constexpr std::uint64_t n_words = std::uint64_t(1) << 32;
        std::vector<std::uint64_t> T(cdf.size());
        for (std::size_t i = 0; i < cdf.size(); ++i) {
            std::uint64_t lo = 0, hi = n_words;
            while (lo < hi) {
                const std::uint64_t mid = (lo + hi) / 2;
                if (uniform(std::uint32_t(mid)) >= cdf[i]) hi = mid;
                else lo = mid + 1;
            }
            T[i] = lo;
        }
        constexpr std::size_t n_buckets = std::size_t(1) << bucket_bits;
        bucket_base.assign(n_buckets, 0);
        bucket_threshold.assign(n_buckets, 0);
        std::size_t below = 0;  // #{k : T(k) <= first word of the bucket}
        for (std::size_t b = 0; b < n_buckets; ++b) {
            const std::uint64_t lo = std::uint64_t(b) << bucket_shift, end = lo + (std::uint64_t(1) << bucket_shift);
            while (below < T.size() && T[below] <= lo) ++below;
            std::size_t inside = 0;  // T(k) in (lo, end)
            while (below + inside < T.size() && T[below + inside] < end) ++inside;
            if (inside > 1 || (inside == 0 && end == n_words)) {
                bucket_base[b] = tail_bucket;  // threshold 0: base + 1 keeps the mark
                continue;
            }
            bucket_base[b] = std::uint32_t(below);
            bucket_threshold[b] = std::uint32_t(inside == 1 ? T[below] : end);
        }
    }
};

// row[i] += count_word(w[i]) * in.weight for i < n, where the count is not 0 (as the scalar
// `if (count) row[i] += count * weight`, bitwise: a zero count adds -0.0, which changes no
// double). Blocks of 64 neurons go through the word table without branches (vectorised);
// a block with a tail word is then searched again for those words only (their table pass
// added -0.0).
APICAL_TARGET_CLONES("avx2", "default")
inline void add_poisson_counts(const PoissonInput& in, const std::uint32_t* __restrict w, std::size_t n,
                               double* __restrict row) {
    const std::uint32_t* base = in.bucket_base.data();
    const std::uint32_t* threshold = in.bucket_threshold.data();
    const double weight = in.weight;
    for (std::size_t b0 = 0; b0 < n; b0 += 64) {
        const std::size_t b1 = std::min(n, b0 + 64);
        std::uint32_t marks = 0;
        for (std::size_t i = b0; i < b1; ++i) {
            const std::uint32_t x = w[i], b = x >> PoissonInput::bucket_shift;
            const std::uint32_t c = base[b] + std::uint32_t(x >= threshold[b]);
            marks |= c;
            // 1 <= c < 2^31: a count to add; 0 or a tail mark: -0.0. The choice is made on the
            // bits (a ?: on doubles keeps GCC from vectorising: it would not compute the
            // product speculatively).
            const std::uint64_t keep = std::uint64_t(0) - std::uint64_t(c - 1u < PoissonInput::tail_bucket - 1u);
            const std::uint64_t add = (std::bit_cast<std::uint64_t>(double(std::int32_t(c)) * weight) & keep) |
                                      (std::bit_cast<std::uint64_t>(-0.0) & ~keep);
            row[i] += std::bit_cast<double>(add);
        }
        if (marks & PoissonInput::tail_bucket)
            for (std::size_t i = b0; i < b1; ++i)
                if (base[w[i] >> PoissonInput::bucket_shift] & PoissonInput::tail_bucket) {
                    const std::uint64_t count = in.count(PoissonInput::uniform(w[i]));
                    if (count) row[i] += double(count) * weight;
                }
    }
}

inline std::vector<double> poisson_cdf(double lambda) {
    std::vector<double> cdf;
    double p = std::exp(-lambda), c = p;
    cdf.push_back(c);
    for (std::uint64_t k = 1;; ++k) {
        p *= lambda / double(k);
        const double next = c + p;
        if (next == c) break;
        c = next;
        cdf.push_back(c);
    }
    return cdf;
}

// sine_input: emission step e (first_emission <= e <= last_emission) adds
//   offset + amplitude sin(omega_dt e + phase)
// to the ring-buffer row of step e + delay of `receptor`, for every neuron of the group (NEST's
// spike_generator with a spike at every step and those spike_weights). A function of the step
// alone: nothing depends on the decomposition or the slice.
struct ReceptorInput {
    int group = 0;
    int receptor = 0;
    int delay = 1;  // steps
    step_t first_emission = 1, last_emission = 0;
    double offset = 0.0, amplitude = 0.0;
    double omega_dt = 0.0;  // radians per step
    double phase = 0.0;     // radians
    double at_emission(step_t e) const { return offset + amplitude * std::sin(omega_dt * double(e) + phase); }
};

struct CurrentInput {
    int group = 0;
    int compartment = 0;  // index in the target model's ModelInfo::compartments
    // Piecewise constant: amplitude[k] (pA) for interval-start indices j >= start_index[k]
    // (j = s - 1), zero before start_index[0]; active for j < stop_index.
    std::vector<step_t> start_index;
    std::vector<double> amplitude;
    step_t stop_index = 0;
    // sine_current (if sine): amplitude[0] is the offset, and while active step s adds the
    // mean of A sin(omega t + phase) over its interval ((s-1) dt, s dt], exactly:
    //   (1/dt) integral = A sin(omega (s - 1/2) dt + phase) sin(omega dt / 2) / (omega dt / 2)
    // (the midpoint form of (cos(omega t0 + phase) - cos(omega t1 + phase)) / (omega dt), free
    // of its cancellation for small omega dt).
    bool sine = false;
    double sine_amplitude = 0.0;   // A, pA
    double omega_dt = 0.0;         // omega dt, radians per step
    double phase = 0.0;            // radians
    double mean_factor = 1.0;      // sin(omega dt / 2) / (omega dt / 2)

    void set_sine(double amplitude_pA, double frequency_hz, double phase_deg, double dt_ms) {
        constexpr double pi = 3.14159265358979323846;
        sine = true;
        sine_amplitude = amplitude_pA;
        omega_dt = 2.0 * pi * frequency_hz * 1e-3 * dt_ms;
        phase = phase_deg * pi / 180.0;
        const double half = 0.5 * omega_dt;
        mean_factor = half == 0.0 ? 1.0 : std::sin(half) / half;
    }

    // Periodic step_current (period > 0): start_index holds offsets inside one period of
    // `period` steps counted from `origin`; the step's interval start j gets the amplitude of
    // the last offset <= (j - origin) mod period, before the first offset the last amplitude
    // (of the previous period), and 0 before origin and in the first period before the first
    // offset.
    step_t period = 0;
    step_t origin = 0;

    double at_step(step_t s) const {
        const step_t j = s - 1;
        if (j >= stop_index) return 0.0;
        if (period > 0) {
            if (j < origin) return 0.0;
            const step_t x = (j - origin) % period;
            double a = j - origin >= period ? amplitude.back() : 0.0;
            for (std::size_t k = 0; k < start_index.size() && start_index[k] <= x; ++k) a = amplitude[k];
            return a;
        }
        double a = 0.0;
        std::size_t k = 0;
        for (; k < start_index.size() && start_index[k] <= j; ++k) a = amplitude[k];
        if (sine && k > 0) a += sine_amplitude * mean_factor * std::sin(omega_dt * (double(j) + 0.5) + phase);
        return a;
    }
};

// noise_current: tau dI/dt = mean - I + std sqrt(2 tau) xi(t), independently for every
// target neuron, sampled exactly on the step grid. As every stimulus current, I is constant
// over a step: the current of step s (acting over ((s-1) dt, s dt]) is the process at the
// step's start, (s-1) dt. The first active step (its interval starts at `start`) draws I from
// the stationary N(mean, std^2); each later step moves by the exact transition over dt,
//   I_s = mean + (I_{s-1} - mean) e^{-dt/tau} + std sqrt(1 - e^{-2 dt/tau}) z_s,
// so I is stationary at every step and its law does not depend on dt (tau = 0 gives
// independent N(mean, std^2) values per step). Active steps: as for the other currents,
// round(start/dt) < s <= round(stop/dt).
// Random numbers: z_s of neuron gid comes from the Philox block with key (seed,
// noise_current purpose of the stimulus) and counter (gid, s / 2): uniforms u0 (words 0, 1)
// and u1 (words 2, 3), exact Box-Muller r = sqrt(-2 ln(1 - u0)) (1 - u0 in (0, 1] is exact),
// z = r cos(2 pi u1) for even s and r sin(2 pi u1) for odd s (exact up to the 2^-53
// resolution of the uniforms, which cuts the tails at |z| = 8.6). One Philox call serves two
// steps and is computed for all neurons at once (philox_batch.hpp); the odd step's normals
// are kept for the next slice when a slice ends between the two. Everything is a function of
// (seed, stimulus, gid, step), so no decomposition changes a value. Steps up to 2^33 have
// distinct counters (the Poisson input has the same limit).
struct NoiseInput {
    int group = 0;
    int compartment = 0;  // index in the target model's ModelInfo::compartments
    double mean = 0.0;    // pA
    double sigma = 0.0;   // pA, stationary standard deviation
    double decay = 0.0;   // e^{-dt/tau}
    double kick = 0.0;    // std sqrt(1 - e^{-2 dt/tau})
    step_t first_step = 1, last_step = 0;  // active steps, inclusive
    std::uint32_t seed = 0, purpose = 0;
    // Per target neuron, in the group's order: the current of step next_step - 1.
    std::vector<double> current;
    std::vector<double> normal[2];  // z of steps 2 pair and 2 pair + 1, per neuron
    step_t pair = -1;
    step_t next_step = 1;  // steps are generated in order, each once

    NoiseInput() = default;
    NoiseInput(double mean_pA, double std_pA, double tau_ms, double dt_ms, std::size_t n_neurons)
        : mean(mean_pA), sigma(std_pA), decay(std::exp(-dt_ms / tau_ms)),
          kick(std_pA * std::sqrt(-std::expm1(-2.0 * dt_ms / tau_ms))),
          current(n_neurons, 0.0), normal{std::vector<double>(n_neurons), std::vector<double>(n_neurons)} {}

    // Adds the currents of steps first .. first + n_steps - 1 of the neurons `gids` (n of them,
    // the group's order) to out[k n + i]; the state moves on by those steps. No allocation.
    void add(const gid_t* gids, std::size_t n, step_t first, int n_steps, double* out) {
        APICAL_ASSERT(first == next_step && n == current.size());
        next_step = first + n_steps;
        const step_t begin = std::max(first, first_step), end = std::min(first + n_steps - 1, last_step);
        double* I = current.data();
        for (step_t s = begin; s <= end; ++s) {
            const double* z = normals(gids, n, s);
            double* row = out + std::size_t(s - first) * n;
            if (s == first_step) {
                for (std::size_t i = 0; i < n; ++i) {
                    I[i] = mean + sigma * z[i];
                    row[i] += I[i];
                }
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    I[i] = mean + (I[i] - mean) * decay + kick * z[i];
                    row[i] += I[i];
                }
            }
        }
    }

    // The standard normals z_s of every neuron.
    const double* normals(const gid_t* gids, std::size_t n, step_t s) {
        if (pair != (s >> 1)) {
            pair = s >> 1;
            double* u0 = normal[0].data();
            double* u1 = normal[1].data();
            philox_uniform_pairs(seed, purpose, gids, std::uint32_t(pair), n, u0, u1);
            constexpr double two_pi = 6.28318530717958647692;
            for (std::size_t i = 0; i < n; ++i) {
                const double r = std::sqrt(-2.0 * std::log(1.0 - u0[i]));
                const double a = two_pi * u1[i];
                u0[i] = r * std::cos(a);
                u1[i] = r * std::sin(a);
            }
        }
        return normal[s & 1].data();
    }
};

// teaching_current: a current into each target neuron that depends on the neuron's own running
// event rate, switched on in periodic windows (the teaching signal of Payeur et al. 2021's XOR
// task, docs/models.md 14). Per neuron i, Ebar_i = (1/tau_avg) sum over its events t_k of
// e^{-(t - t_k)/tau_avg} (Hz; the BDSP rule's average of docs/models.md 13.1), events from a
// classifier of the VP's own spikes with the run's classification rule. Window w of cycle k
// (PeriodicWindows; a step s is in it when its interval start s - 1 is) gets, from its first
// step to its last, the constant current rule(pattern[k mod size], Ebar_i) with Ebar_i read at
// the window's start: the interval start j0 of its first step, i.e. Ebar over the events of
// steps <= j0. The kernel knows a slice's spikes only after the slice, so when the window
// starts inside a slice (not on a slice boundary) Ebar is read at the end of the slice before;
// with min_delay = dt every step is a slice boundary. Outside the windows the current is 0.
struct TeachingInput {
    int stimulus = 0;           // index in the description's stimuli (checkpoints find it by it)
    int group = 0;
    int compartment = 0;
    PeriodicWindows schedule;   // one window per cycle
    std::vector<std::uint8_t> pattern;  // the target (0 or 1) of cycle k is pattern[k % size]
    double amplitude = 0.0;     // pA, A
    double e_min = 0.0, e_max = 0.0, tolerance = 0.0;  // Hz
    double tau_steps = 1.0;     // tau_avg / dt
    double tau_s = 1.0;         // tau_avg in s
    SpikeClassifier classifier;
    std::vector<double> trace;  // per neuron: the event trace just after its last event
    std::vector<step_t> last;   // per neuron: the step of its last event
    std::vector<double> current;  // per neuron: the current of the window `window_cycle`
    step_t window_cycle = -1;

    TeachingInput(SpikeClassifier c, std::size_t n_neurons)
        : classifier(std::move(c)), trace(n_neurons, 0.0), last(n_neurons, 0), current(n_neurons, 0.0) {}

    // The current of the rule for target `target` at running event rate `e` (Hz).
    static double rule(int target, double e, double A, double e_min, double e_max, double tol) {
        if (target == 1) {
            if (e <= e_min + tol) return A;
            if (e >= e_max - tol) return 0.0;
            return A * tol / (e - e_min);
        }
        if (e >= e_max - tol) return -A;
        if (e <= e_min + tol) return 0.0;
        return -A * tol / (e_max - e);
    }

    // A spike of local neuron i at `step` (each neuron's spikes in step order).
    void spike(std::size_t i, step_t step) {
        if (classifier.classify(i, step) != SpikeClass::event) return;
        trace[i] = trace[i] * std::exp(-double(step - last[i]) / tau_steps) + 1.0;
        last[i] = step;
    }
    // Ebar of neuron i at `step` (events at steps <= step), Hz.
    double rate_hz(std::size_t i, step_t step) const {
        return trace[i] * std::exp(-double(step - last[i]) / tau_steps) / tau_s;
    }
    // Whether some step of first .. first + n - 1 is inside a window.
    bool active_in(step_t first, int n) const {
        for (step_t s = first; s < first + n; ++s)
            if (schedule.contains(s - 1)) return true;
        return false;
    }
    // Adds the currents of steps first .. first + n - 1 to out[k size + i]; the spikes of steps
    // before `first` must have been given.
    void add(step_t first, int n, double* out) {
        const std::size_t size = current.size();
        for (step_t s = first; s < first + n; ++s) {
            const step_t j = s - 1;
            if (!schedule.contains(j)) continue;
            const step_t k = schedule.cycle(j);
            if (k != window_cycle) {
                window_cycle = k;
                const int target = pattern[std::size_t(k % step_t(pattern.size()))];
                const step_t at = std::min(j, first - 1);
                for (std::size_t i = 0; i < size; ++i)
                    current[i] = rule(target, rate_hz(i, at), amplitude, e_min, e_max, tolerance);
            }
            double* row = out + std::size_t(s - first) * size;
            for (std::size_t i = 0; i < size; ++i) row[i] += current[i];
        }
    }
};

}  // namespace apical
