// Counter-based random streams (Philox4x32-10 from Random123).
//
// docs/architecture.md, "Determinism": results are bitwise identical for any number of ranks and
// threads, so no stateful generator is ever shared between neurons or threads. Instead every
// random number is a pure function of where it is used:
//
//   key     = { seed, purpose }                       purpose = kind << 24 | index
//   counter = { id, sub, block_lo, block_hi }
//
// `id` names the owner of the stream (a gid, a projection, ...), `sub` a second coordinate
// (a step, a projection-local index, ...), and the 64-bit `block` counts the Philox calls
// this stream has made; each call gives 4 x 32-bit words, handed out in order. A stream is
// therefore fully determined by (seed, purpose, id, sub): whoever owns the neuron (whatever
// rank, thread or order) draws exactly the same numbers. Two streams differing in any of the
// four coordinates never share a (key, counter) pair, so they never share a block
// (until a single stream makes 2^64 Philox calls).
//
// Hot loops that would draw only one or two numbers per (neuron, step) call `philox()` /
// `philox_uniform()` directly: one Philox call, no stream object. The n-th block of a
// RandomStream equals philox(seed, purpose, id, sub, n), and the first uniform() of a fresh
// stream equals philox_uniform(seed, purpose, id, sub).
//
// All samplers are exact (given IEEE double arithmetic, up to the 2^-53 resolution of the
// uniforms) and consume a deterministic sequence of words. Compile with -ffp-contract=off
// (as the project does) so that no FMA contraction changes results between builds.
#pragma once

#include "core/error.hpp"

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace apical {

// What a stream is used for; the high 8 bits of the Philox key's second word.
enum class Purpose : std::uint32_t {
    connectivity = 1,   // which connections exist (index: projection)
    weight = 2,         // synaptic weights (index: projection)
    delay = 3,          // synaptic delays (index: projection)
    initial_state = 4,  // initial values of state variables (index: population)
    poisson_input = 5,  // Poisson generators / external drive (index: generator)
    neuron_noise = 6,   // noise currents inside neuron dynamics (index: population)
    sampling = 7,       // random samples of nodes, e.g. for recording (index: recorder)
    noise_current = 8,  // Ornstein-Uhlenbeck noise_current stimuli (index: stimulus)
    poisson_source = 9, // spikes of poisson_source populations (index: population)
    short_term = 10,    // short-term plasticity parameters drawn per synapse (index: projection)
    test = 255,         // reserved for tests; never used by the simulator
};

// Key word of a purpose: (kind << 24) | index, index < 2^24.
constexpr std::uint32_t purpose(Purpose kind, std::uint32_t index) {
    APICAL_ASSERT(index < (std::uint32_t(1) << 24));
    return (static_cast<std::uint32_t>(kind) << 24) | index;
}

using PhiloxBlock = std::array<std::uint32_t, 4>;

// One Philox4x32-10 call: key {seed, purpose}, counter {id, sub, block_lo, block_hi}.
inline PhiloxBlock philox(std::uint32_t seed, std::uint32_t purpose, std::uint32_t id,
                          std::uint32_t sub, std::uint64_t block = 0) {
    const philox4x32_ctr_t c = {{id, sub, static_cast<std::uint32_t>(block),
                                 static_cast<std::uint32_t>(block >> 32)}};
    const philox4x32_key_t k = {{seed, purpose}};
    const philox4x32_ctr_t r = philox4x32_R(10, c, k);
    return {r.v[0], r.v[1], r.v[2], r.v[3]};
}

// A uniform double in [0,1) with 53 random bits: the high 32 bits from `hi`, the next 21 from
// the top of `lo`. All values k * 2^-53, k = 0 .. 2^53-1, are equally likely.
inline double u01_53(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t x = (std::uint64_t(hi) << 32) | lo;
    return static_cast<double>(x >> 11) * 0x1p-53;
}

// One Philox call (block 0), words 0 and 1 as a 53-bit uniform in [0,1). Equal to the first
// uniform() of RandomStream(seed, purpose, id, sub).
inline double philox_uniform(std::uint32_t seed, std::uint32_t purpose, std::uint32_t id,
                             std::uint32_t sub) {
    const PhiloxBlock b = philox(seed, purpose, id, sub, 0);
    return u01_53(b[0], b[1]);
}

// Poisson(lambda) by inversion (sequential search of the CDF) from one uniform u in [0,1),
// for 0 <= lambda < 10; exp_minus_lambda = exp(-lambda) is precomputed by the caller
// (lambda itself is needed by the recurrence P(k) = P(k-1) lambda / k).
// Returns the smallest k with u < F(k). Exact up to the 2^-53 resolution of u and the
// rounding of the accumulated CDF (relative ~k * 2^-53); if the CDF saturates below u (a
// tail event of probability ~1e-16) the search stops where the terms no longer change it.
inline std::uint64_t poisson_small(double lambda, double exp_minus_lambda, double u) {
    std::uint64_t k = 0;
    double p = exp_minus_lambda;
    double cdf = p;
    while (u >= cdf) {
        ++k;
        p *= lambda / static_cast<double>(k);  // engine/stimuli.hpp poisson_cdf() matches this
        const double next = cdf + p;
        if (next == cdf) break;
        cdf = next;
    }
    return k;
}

namespace detail {

inline constexpr double half_log_2pi = 0.91893853320467274178;  // 0.5 * ln(2 pi)

// k! for k = 0..22 as doubles; every one is exactly representable, so the table is exact.
inline constexpr std::array<double, 23> factorials = [] {
    std::array<double, 23> f{};
    f[0] = 1.0;
    for (int k = 1; k < 23; ++k) f[k] = f[k - 1] * k;
    return f;
}();

// Stirling's series remainder fc(k) = ln k! - [(k+1/2) ln(k+1) - (k+1) + ln(2 pi)/2]
// (Hoermann 1993 notation). Exact table values for k <= 22 (from the exact factorials),
// asymptotic series in x = k+1 >= 24 otherwise (truncation error < 1e-18 there).
inline double stirling_tail(double k) {
    const double x = k + 1.0;
    if (k <= 22.0) {
        return std::log(factorials[static_cast<int>(k)]) - (k + 0.5) * std::log(x) + x -
               half_log_2pi;
    }
    const double r = 1.0 / x;
    const double r2 = r * r;
    return r * (1.0 / 12 -
                r2 * (1.0 / 360 -
                      r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188 -
                                                                   r2 * (691.0 / 360360))))));
}

// ln k! for integer-valued k >= 0.
inline double log_factorial(double k) {
    if (k <= 22.0) return std::log(factorials[static_cast<int>(k)]);
    const double x = k + 1.0;
    return (k + 0.5) * std::log(x) - x + half_log_2pi + stirling_tail(k);
}

}  // namespace detail

class RandomStream {
public:
    RandomStream(std::uint32_t seed, std::uint32_t purpose, std::uint32_t id,
                 std::uint32_t sub = 0)
        : seed_(seed), purpose_(purpose), id_(id), sub_(sub) {}

    // The next 32-bit word of the stream.
    std::uint32_t next_u32() {
        if (pos_ == 4) {
            buf_ = philox(seed_, purpose_, id_, sub_, block_++);
            pos_ = 0;
        }
        return buf_[pos_++];
    }

    // Two words, the first one as the high half.
    std::uint64_t next_u64() {
        const std::uint64_t hi = next_u32();
        return (hi << 32) | next_u32();
    }

    // [0,1), 53 random bits (two words): k * 2^-53 with k uniform in [0, 2^53).
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1p-53; }

    // (0,1), 52 random bits (two words): (k + 1/2) * 2^-52, k uniform in [0, 2^52). Safe for log.
    double uniform_open() {
        return (static_cast<double>(next_u64() >> 12) + 0.5) * 0x1p-52;
    }

    // Uniform in [0, n), n >= 1, unbiased: Lemire's multiply-and-reject on 64-bit words
    // (D. Lemire, "Fast random integer generation in an interval", ACM TOMACS 2019).
    std::uint64_t uniform_int(std::uint64_t n) {
        APICAL_ASSERT(n > 0);
        __extension__ using u128 = unsigned __int128;
        u128 m = u128(next_u64()) * n;
        std::uint64_t low = static_cast<std::uint64_t>(m);
        if (low < n) {
            const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
            while (low < threshold) {
                m = u128(next_u64()) * n;
                low = static_cast<std::uint64_t>(m);
            }
        }
        return static_cast<std::uint64_t>(m >> 64);
    }

    // Standard normal by Marsaglia's polar method (only log and sqrt, no sin/cos). Each
    // accepted pair gives two values; the second is cached in the stream and returned by
    // the next call, so the sequence depends only on the stream and the number of calls.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double x, y, s;
        do {
            x = 2.0 * uniform() - 1.0;
            y = 2.0 * uniform() - 1.0;
            s = x * x + y * y;
        } while (s >= 1.0 || s == 0.0);
        const double f = std::sqrt(-2.0 * std::log(s) / s);
        spare_ = y * f;
        has_spare_ = true;
        return x * f;
    }

    double normal(double mean, double std) { return mean + std * normal(); }

    // Exponential with mean 1, by inversion.
    double exponential() { return -std::log(uniform_open()); }

    // Poisson(lambda), lambda >= 0, exact: inversion by sequential search (one uniform) for
    // lambda < 10, Hoermann's PTRS transformed rejection for lambda >= 10.
    std::uint64_t poisson(double lambda) {
        APICAL_ASSERT(lambda >= 0.0 && std::isfinite(lambda));
        if (lambda == 0.0) return 0;
        if (lambda < 10.0) return poisson_small(lambda, std::exp(-lambda), uniform());
        return poisson_ptrs(lambda);
    }

    // Number of failures before the next success in Bernoulli(p) trials, given
    // log1m_p = log(1 - p) (precompute with std::log1p(-p)). floor(ln U / ln(1-p)) with U
    // uniform in (0,1): P(result >= k) = P(U <= (1-p)^k) = (1-p)^k exactly. p = 1
    // (log1m_p = -inf) gives 0; p = 0 (log1m_p = 0) gives UINT64_MAX ("never").
    std::uint64_t geometric_skip(double log1m_p) {
        constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
        const double g = std::floor(std::log(uniform_open()) / log1m_p);
        if (!(log1m_p < 0.0) || !(g < 0x1p64)) return never;
        return static_cast<std::uint64_t>(g);
    }

    // Binomial(n, p), exact for n < 2^53. With q = min(p, 1-p) (symmetry n - X for p > 1/2):
    // n*q < 10: inversion by sequential search from one uniform (exact up to 2^-53, the
    // recurrence f(k+1) = f(k) (n-k)/(k+1) q/(1-q) is exact in real arithmetic);
    // n*q >= 10: Hoermann's BTRS transformed rejection (W. Hoermann, "The generation of
    // binomial random variates", J. Stat. Comput. Simul. 46, 1993), exact rejection with O(1)
    // expected cost, log-factorials through Stirling's series with exact small-k values.
    // (A sum of geometric skips would also be exact but costs O(n*q) logs.)
    std::uint64_t binomial(std::uint64_t n, double p) {
        APICAL_ASSERT(p >= 0.0 && p <= 1.0);
        if (n == 0 || p == 0.0) return 0;
        if (p == 1.0) return n;
        if (p > 0.5) return n - binomial_lower(n, 1.0 - p);
        return binomial_lower(n, p);
    }

private:
    // Hoermann, "The transformed rejection method for generating Poisson random variables",
    // Insurance: Mathematics and Economics 12, 1993: algorithm PTRS, lambda >= 10.
    std::uint64_t poisson_ptrs(double lambda) {
        const double slam = std::sqrt(lambda);
        const double loglam = std::log(lambda);
        const double b = 0.931 + 2.53 * slam;
        const double a = -0.059 + 0.02483 * b;
        const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        const double v_r = 0.9277 - 3.6224 / (b - 2.0);
        for (;;) {
            const double u = uniform() - 0.5;
            const double v = uniform();
            const double us = 0.5 - std::fabs(u);
            const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
            if (k < 0.0) continue;  // zero target mass; the paper tests this after the squeeze
            if (us >= 0.07 && v <= v_r) return static_cast<std::uint64_t>(k);
            if (us < 0.013 && v > us) continue;
            const double lhs = std::log(v * inv_alpha / (a / (us * us) + b));
            const double rhs = -lambda + k * loglam - detail::log_factorial(k);
            if (lhs <= rhs) return static_cast<std::uint64_t>(k);
        }
    }

    // 0 < p <= 1/2.
    std::uint64_t binomial_lower(std::uint64_t n_int, double p) {
        const double n = static_cast<double>(n_int);
        const double q = 1.0 - p;
        if (n * p < 10.0) {
            const double r = p / q;
            double f = std::exp(n * std::log1p(-p));  // P(X = 0) = q^n
            double cdf = f;
            const double u = uniform();
            std::uint64_t k = 0;
            while (u >= cdf && k < n_int) {
                f *= r * static_cast<double>(n_int - k) / static_cast<double>(k + 1);
                ++k;
                const double next = cdf + f;
                if (next == cdf) break;
                cdf = next;
            }
            return k;
        }
        // BTRS. fc() terms and log1p keep the acceptance test accurate for large n.
        const double spq = std::sqrt(n * p * q);
        const double b = 1.15 + 2.53 * spq;
        const double a = -0.0873 + 0.0248 * b + 0.01 * p;
        const double c = n * p + 0.5;
        const double v_r = 0.92 - 4.2 / b;
        const double alpha = (2.83 + 5.1 / b) * spq;
        const double r = p / q;
        const double m = std::floor((n + 1.0) * p);
        const double nm = n - m + 1.0;
        const double h = (m + 0.5) * std::log((m + 1.0) / (r * nm)) + detail::stirling_tail(m) +
                         detail::stirling_tail(n - m);
        for (;;) {
            const double u = uniform() - 0.5;
            double v = uniform();
            const double us = 0.5 - std::fabs(u);
            const double k = std::floor((2.0 * a / us + b) * u + c);
            if (k < 0.0 || k > n) continue;
            if (us >= 0.07 && v <= v_r) return static_cast<std::uint64_t>(k);
            v = std::log(v * alpha / (a / (us * us) + b));
            const double nk = n - k + 1.0;
            const double rhs = h + (n + 1.0) * std::log1p((k - m) / nk) +
                               (k + 0.5) * std::log(nk * r / (k + 1.0)) -
                               detail::stirling_tail(k) - detail::stirling_tail(n - k);
            if (v <= rhs) return static_cast<std::uint64_t>(k);
        }
    }

    std::uint32_t seed_, purpose_, id_, sub_;
    std::uint64_t block_ = 0;  // Philox calls made so far
    PhiloxBlock buf_{};
    unsigned pos_ = 4;         // next word of buf_; 4 = empty
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace apical
