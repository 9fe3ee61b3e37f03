// Tests of core/random.hpp: Philox known answers, reproducibility of streams, and the
// moments of every sampler. Every statistical check allows 4 standard errors, computed from
// the analytic variance of the statistic (sources given next to each); the seeds are fixed,
// so the checks are deterministic.
#include "core/random.hpp"

#include <catch2/catch.hpp>

#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace apical;

namespace {

const std::uint32_t kSeed = 20240611;

struct Moments {
    double mean;
    double var;  // unbiased sample variance
};

template <class T>
Moments moments(const std::vector<T>& x) {
    double sum = 0;
    for (T v : x) sum += static_cast<double>(v);
    const double mean = sum / static_cast<double>(x.size());
    double ss = 0;
    for (T v : x) {
        const double d = static_cast<double>(v) - mean;
        ss += d * d;
    }
    return {mean, ss / static_cast<double>(x.size() - 1)};
}

// |value - expected| <= 4 standard errors.
void check_4se(const char* what, double value, double expected, double se) {
    INFO(what << ": value " << value << ", expected " << expected << ", SE " << se
              << ", deviation " << (value - expected) / se << " SE");
    CHECK(std::fabs(value - expected) <= 4.0 * se);
}

// Fraction of samples equal to k, checked against probability `prob`; the count of a
// category is Binomial(N, prob), so the fraction has SE sqrt(prob (1 - prob) / N).
template <class T>
void check_frequency(const char* what, const std::vector<T>& x, T k, double prob) {
    double count = 0;
    for (T v : x) count += (v == k);
    const double n = static_cast<double>(x.size());
    check_4se(what, count / n, prob, std::sqrt(prob * (1.0 - prob) / n));
}

std::vector<std::uint32_t> words(RandomStream s, int n) {
    std::vector<std::uint32_t> w;
    for (int i = 0; i < n; ++i) w.push_back(s.next_u32());
    return w;
}

}  // namespace

TEST_CASE("Philox4x32-10 known-answer vectors", "[random]") {
    // Source: Random123's kat_vectors file, lines "philox4x32 10 <ctr x4> <key x2> <out x4>";
    // the outputs were re-verified by running r123::Philox4x32 from librandom123-dev 1.14.0.
    struct Kat {
        std::uint32_t ctr[4], key[2], out[4];
    };
    const Kat kats[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (const Kat& t : kats) {
        // The library itself.
        r123::Philox4x32 lib;
        const r123::Philox4x32::ctr_type c = {{t.ctr[0], t.ctr[1], t.ctr[2], t.ctr[3]}};
        const r123::Philox4x32::key_type k = {{t.key[0], t.key[1]}};
        const auto r = lib(c, k);
        for (int i = 0; i < 4; ++i) CHECK(r[i] == t.out[i]);
        // Our wrapper: key {seed, purpose}, counter {id, sub, block_lo, block_hi}.
        const std::uint64_t block = (std::uint64_t(t.ctr[3]) << 32) | t.ctr[2];
        const PhiloxBlock b = philox(t.key[0], t.key[1], t.ctr[0], t.ctr[1], block);
        for (int i = 0; i < 4; ++i) CHECK(b[i] == t.out[i]);
    }
    // A fresh stream's first block is block 0: the first KAT vector.
    RandomStream s(0, 0, 0, 0);
    CHECK(s.next_u32() == 0x6627e8d5u);
    CHECK(s.next_u32() == 0xe169c58du);
    CHECK(s.next_u32() == 0xbc57ac4cu);
    CHECK(s.next_u32() == 0x9b00dbd8u);
}

TEST_CASE("purpose() packs kind and index", "[random]") {
    // Expected values: the definition (kind << 24) | index with the enum values.
    static_assert(purpose(Purpose::connectivity, 0) == 0x01000000u);
    static_assert(purpose(Purpose::weight, 5) == 0x02000005u);
    static_assert(purpose(Purpose::test, 0xffffff) == 0xffffffffu);
    CHECK(purpose(Purpose::sampling, 7) == 0x07000007u);
    CHECK_THROWS_AS(purpose(Purpose::delay, 1u << 24), std::logic_error);
}

TEST_CASE("a stream is determined by (seed, purpose, id, sub)", "[random]") {
    const std::uint32_t p = purpose(Purpose::test, 1);
    const auto ref = words(RandomStream(kSeed, p, 42, 7), 40);
    CHECK(words(RandomStream(kSeed, p, 42, 7), 40) == ref);
    CHECK(words(RandomStream(kSeed + 1, p, 42, 7), 40) != ref);
    CHECK(words(RandomStream(kSeed, purpose(Purpose::test, 2), 42, 7), 40) != ref);
    CHECK(words(RandomStream(kSeed, purpose(Purpose::weight, 1), 42, 7), 40) != ref);
    CHECK(words(RandomStream(kSeed, p, 43, 7), 40) != ref);
    CHECK(words(RandomStream(kSeed, p, 42, 8), 40) != ref);
    CHECK(words(RandomStream(kSeed, p, 42), 40) == words(RandomStream(kSeed, p, 42, 0), 40));

    // The n-th group of 4 words is philox(..., block n); next_u64 is (first << 32) | second.
    for (std::uint64_t n = 0; n < 10; ++n) {
        const PhiloxBlock b = philox(kSeed, p, 42, 7, n);
        for (int i = 0; i < 4; ++i) CHECK(ref[4 * n + i] == b[i]);
    }
    RandomStream s(kSeed, p, 42, 7);
    CHECK(s.next_u64() == ((std::uint64_t(ref[0]) << 32) | ref[1]));
    CHECK(s.next_u32() == ref[2]);
    CHECK(s.next_u64() == ((std::uint64_t(ref[3]) << 32) | ref[4]));  // across a block

    // philox_uniform == first uniform() of the stream == u01_53 of words 0 and 1.
    RandomStream t(kSeed, p, 42, 7);
    const double u = t.uniform();
    CHECK(philox_uniform(kSeed, p, 42, 7) == u);
    CHECK(u01_53(ref[0], ref[1]) == u);

    // Samplers that cache (normal) or reject are also reproducible call by call.
    RandomStream a(kSeed, p, 1, 2), b(kSeed, p, 1, 2);
    for (int i = 0; i < 1000; ++i) {
        CHECK(a.normal() == b.normal());
        CHECK(a.poisson(12.5) == b.poisson(12.5));
        CHECK(a.binomial(100, 0.3) == b.binomial(100, 0.3));
        CHECK(a.uniform_int(1000) == b.uniform_int(1000));
    }
}

TEST_CASE("u01_53 and uniform_open ranges", "[random]") {
    // Extremes from the definitions: k * 2^-53 and (k + 1/2) * 2^-52.
    CHECK(u01_53(0, 0) == 0.0);
    CHECK(u01_53(0xffffffffu, 0xffffffffu) == 1.0 - 0x1p-53);
    CHECK(u01_53(0xffffffffu, 0xffffffffu) < 1.0);
    CHECK(u01_53(0, 0x800u) == 0x1p-53);
}

TEST_CASE("uniform: mean 1/2, variance 1/12", "[random]") {
    const int n = 1000000;
    RandomStream s(kSeed, purpose(Purpose::test, 10), 0);
    std::vector<double> x(n), y(n);
    bool in_range = true;
    for (int i = 0; i < n; ++i) {
        x[i] = s.uniform();
        y[i] = s.uniform_open();
        in_range = in_range && x[i] >= 0.0 && x[i] < 1.0 && y[i] > 0.0 && y[i] < 1.0;
    }
    CHECK(in_range);
    // U(0,1): variance 1/12, fourth central moment 1/80; Var(s^2) ~ (mu4 - sigma^4) / N.
    const double var = 1.0 / 12, mu4 = 1.0 / 80;
    for (const auto* v : {&x, &y}) {
        const Moments m = moments(*v);
        check_4se("uniform mean", m.mean, 0.5, std::sqrt(var / n));
        check_4se("uniform variance", m.var, var, std::sqrt((mu4 - var * var) / n));
    }
}

TEST_CASE("uniform_int: unbiased buckets", "[random]") {
    RandomStream s(kSeed, purpose(Purpose::test, 11), 0);
    // n = 7: each bucket count is Binomial(N, 1/7): SE sqrt(N p (1-p)).
    const int k = 7, n = 700000;
    std::vector<double> count(k, 0.0);
    bool in_range = true;
    for (int i = 0; i < n; ++i) {
        const std::uint64_t v = s.uniform_int(k);
        in_range = in_range && v < std::uint64_t(k);
        if (v < std::uint64_t(k)) count[v] += 1;
    }
    CHECK(in_range);
    const double p = 1.0 / k;
    for (int b = 0; b < k; ++b) check_4se("bucket count", count[b], n * p, std::sqrt(n * p * (1 - p)));

    // n = 1 always gives 0.
    for (int i = 0; i < 100; ++i) CHECK(s.uniform_int(1) == 0);

    // A large n = 3 * 2^62, where a modulo reduction would be badly biased: P(v >= 2^63) = 1/3
    // exactly (2^62 of the 3 * 2^62 values); the count is Binomial(N, 1/3).
    const std::uint64_t big = 3 * (std::uint64_t(1) << 62);
    const int m = 300000;
    double upper = 0;
    bool big_in_range = true;
    for (int i = 0; i < m; ++i) {
        const std::uint64_t v = s.uniform_int(big);
        big_in_range = big_in_range && v < big;
        upper += (v >= (std::uint64_t(1) << 63));
    }
    CHECK(big_in_range);
    check_4se("fraction >= 2^63", upper / m, 1.0 / 3, std::sqrt((1.0 / 3) * (2.0 / 3) / m));
}

TEST_CASE("normal and exponential moments", "[random]") {
    const int n = 1000000;
    RandomStream s(kSeed, purpose(Purpose::test, 12), 0);
    std::vector<double> x(n);
    for (double& v : x) v = s.normal();
    // N(0,1): variance 1, mu4 = 3, so Var(s^2) ~ (3 - 1) / N.
    const Moments m = moments(x);
    check_4se("normal mean", m.mean, 0.0, std::sqrt(1.0 / n));
    check_4se("normal variance", m.var, 1.0, std::sqrt(2.0 / n));
    // Shape: P(X < 1) = Phi(1) = erfc(-1/sqrt 2) / 2 (definition of the normal CDF).
    double below = 0;
    for (double v : x) below += (v < 1.0);
    const double phi1 = 0.5 * std::erfc(-1.0 / std::sqrt(2.0));
    check_4se("P(X < 1)", below / n, phi1, std::sqrt(phi1 * (1 - phi1) / n));

    // normal(mean, std): N(5, 2^2), mean SE 2/sqrt(N), Var(s^2) ~ (3 - 1) sigma^4 / N.
    const int n2 = 200000;
    std::vector<double> z(n2);
    for (double& v : z) v = s.normal(5.0, 2.0);
    const Moments mz = moments(z);
    check_4se("normal(5,2) mean", mz.mean, 5.0, 2.0 / std::sqrt(n2));
    check_4se("normal(5,2) variance", mz.var, 4.0, std::sqrt(2.0 * 16.0 / n2));

    // Exp(1): mean 1, variance 1, mu4 = 9, so Var(s^2) ~ (9 - 1) / N.
    std::vector<double> e(n);
    bool positive = true;
    for (double& v : e) {
        v = s.exponential();
        positive = positive && v > 0.0 && std::isfinite(v);
    }
    CHECK(positive);
    const Moments me = moments(e);
    check_4se("exponential mean", me.mean, 1.0, std::sqrt(1.0 / n));
    check_4se("exponential variance", me.var, 1.0, std::sqrt(8.0 / n));
}

namespace {

// Poisson sample checks. Source of the expected values: Poisson(lambda) has mean = variance =
// lambda, fourth central moment lambda + 3 lambda^2, pmf exp(k ln lambda - lambda - ln k!).
//  - mean: SE sqrt(lambda / N)
//  - sample variance: Var(s^2) ~ (mu4 - sigma^4) / N = (lambda + 2 lambda^2) / N
//  - Fano factor s^2 / mean: (N-1) s^2 / mean is approximately chi^2 with N-1 degrees of
//    freedom (index-of-dispersion test), so its SE is sqrt(2 / (N-1))
//  - frequency of k = floor(lambda) (the mode): SE sqrt(f (1-f) / N)
void check_poisson(const std::vector<std::uint64_t>& x, double lambda) {
    INFO("lambda = " << lambda);
    const double n = static_cast<double>(x.size());
    const Moments m = moments(x);
    check_4se("poisson mean", m.mean, lambda, std::sqrt(lambda / n));
    check_4se("poisson variance", m.var, lambda, std::sqrt((lambda + 2 * lambda * lambda) / n));
    check_4se("poisson Fano factor", m.var / m.mean, 1.0, std::sqrt(2.0 / (n - 1)));
    const auto k = static_cast<std::uint64_t>(std::floor(lambda));
    const double kd = static_cast<double>(k);
    const double pmf = std::exp(kd * std::log(lambda) - lambda - std::lgamma(kd + 1));
    check_frequency("poisson P(X = floor(lambda))", x, k, pmf);
}

}  // namespace

TEST_CASE("poisson: mean, variance, Fano factor, mode frequency", "[random]") {
    const int n = 200000;
    std::uint32_t id = 0;
    for (double lambda : {0.05, 2.0, 9.9, 10.0, 30.0, 500.0}) {
        RandomStream s(kSeed, purpose(Purpose::test, 13), id++);
        std::vector<std::uint64_t> x(n);
        for (auto& v : x) v = s.poisson(lambda);
        check_poisson(x, lambda);
    }
    RandomStream s(kSeed, purpose(Purpose::test, 13), 100);
    CHECK(s.poisson(0.0) == 0);
}

TEST_CASE("poisson_small at lambda = 2", "[random]") {
    const int n = 1000000;
    const double lambda = 2.0, e = std::exp(-lambda);
    RandomStream s(kSeed, purpose(Purpose::test, 14), 0);
    std::vector<std::uint64_t> x(n);
    for (auto& v : x) v = poisson_small(lambda, e, s.uniform());
    check_poisson(x, lambda);
    // Boundaries of the inversion: u = 0 -> 0; u just below F(0) = e^-2 -> 0, at F(0) -> 1.
    CHECK(poisson_small(lambda, e, 0.0) == 0);
    CHECK(poisson_small(lambda, e, std::nextafter(e, 0.0)) == 0);
    CHECK(poisson_small(lambda, e, e) == 1);
    // The largest uniform terminates (CDF saturation guard) at a tail value.
    CHECK(poisson_small(9.99, std::exp(-9.99), 1.0 - 0x1p-53) < 60);
}

TEST_CASE("geometric_skip: implied Bernoulli success fraction", "[random]") {
    // Skipping over L trials: if the skips are right, the number of successes among the
    // first L trials is Binomial(L, p); the success fraction has SE sqrt(p (1-p) / L).
    std::uint32_t id = 0;
    for (double p : {0.02, 0.5}) {
        INFO("p = " << p);
        const std::uint64_t trials = p < 0.1 ? 5000000 : 2000000;
        const double log1m_p = std::log1p(-p);
        RandomStream s(kSeed, purpose(Purpose::test, 15), id++);
        double successes = 0;
        for (std::uint64_t i = s.geometric_skip(log1m_p); i < trials;
             i += 1 + s.geometric_skip(log1m_p))
            successes += 1;
        const double l = static_cast<double>(trials);
        check_4se("success fraction", successes / l, p, std::sqrt(p * (1 - p) / l));
    }
    RandomStream s(kSeed, purpose(Purpose::test, 15), 99);
    const double minus_inf = -std::numeric_limits<double>::infinity();
    CHECK(s.geometric_skip(minus_inf) == 0);  // p = 1: every trial succeeds
    CHECK(s.geometric_skip(0.0) == std::numeric_limits<std::uint64_t>::max());  // p = 0: never
}

TEST_CASE("binomial: mean, variance, mode frequency", "[random]") {
    // Source: Binomial(n, p) has mean np, variance npq, fourth central moment
    // npq (1 + 3 (n - 2) p q), pmf C(n,k) p^k q^(n-k). SEs as for the Poisson checks.
    struct Case {
        std::uint64_t n;
        double p;
    };
    // BTRS (np >= 10): (1000, .02), (50, .5), (10^6, .7) via symmetry;
    // inversion: (100, .03), (20, .9) via symmetry.
    const Case cases[] = {{1000, 0.02}, {50, 0.5}, {1000000, 0.7}, {100, 0.03}, {20, 0.9}};
    const int samples = 200000;
    std::uint32_t id = 0;
    for (const Case& c : cases) {
        INFO("n = " << c.n << ", p = " << c.p);
        RandomStream s(kSeed, purpose(Purpose::test, 16), id++);
        std::vector<std::uint64_t> x(samples);
        bool in_range = true;
        for (auto& v : x) {
            v = s.binomial(c.n, c.p);
            in_range = in_range && v <= c.n;
        }
        CHECK(in_range);
        const double n = static_cast<double>(c.n), p = c.p, q = 1 - p;
        const double var = n * p * q, mu4 = var * (1 + 3 * (n - 2) * p * q);
        const Moments m = moments(x);
        check_4se("binomial mean", m.mean, n * p, std::sqrt(var / samples));
        check_4se("binomial variance", m.var, var, std::sqrt((mu4 - var * var) / samples));
        const double k = std::floor((n + 1) * p);  // a mode
        const double pmf = std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) -
                                    std::lgamma(n - k + 1) + k * std::log(p) +
                                    (n - k) * std::log(q));
        check_frequency("binomial P(X = mode)", x, static_cast<std::uint64_t>(k), pmf);
    }
    RandomStream s(kSeed, purpose(Purpose::test, 16), 99);
    CHECK(s.binomial(0, 0.3) == 0);
    CHECK(s.binomial(17, 0.0) == 0);
    CHECK(s.binomial(17, 1.0) == 17);
}

#include "core/philox_batch.hpp"

TEST_CASE("philox_uniform_pairs equals philox() for every counter", "[random][philox]") {
    // Expected: Random123's philox4x32_R(10, ...) through philox() and u01_53().
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < 1000; ++i) ids.push_back(i * 2654435761u);
    std::vector<double> u0(ids.size()), u1(ids.size());
    for (std::uint32_t sub : {0u, 1u, 77777u, 0xFFFFFFFFu}) {
        apical::philox_uniform_pairs(12345, apical::purpose(apical::Purpose::poisson_input, 3), ids.data(), sub,
                                     ids.size(), u0.data(), u1.data());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto b = apical::philox(12345, apical::purpose(apical::Purpose::poisson_input, 3), ids[i], sub);
            REQUIRE(u0[i] == apical::u01_53(b[0], b[1]));
            REQUIRE(u1[i] == apical::u01_53(b[2], b[3]));
        }
    }
}

TEST_CASE("philox_word_quads equals philox() for every counter", "[random][philox]") {
    // Expected: Random123's philox4x32_R(10, ...) through philox(), word by word.
    std::vector<std::uint32_t> ids;
    for (std::uint32_t i = 0; i < 1001; ++i) ids.push_back(i * 2654435761u);
    std::vector<std::uint32_t> w[4];
    for (auto& v : w) v.resize(ids.size());
    for (std::uint32_t sub : {0u, 1u, 77777u, 0xFFFFFFFFu}) {
        apical::philox_word_quads(12345, apical::purpose(apical::Purpose::poisson_input, 3), ids.data(), sub,
                                  ids.size(), w[0].data(), w[1].data(), w[2].data(), w[3].data());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto b = apical::philox(12345, apical::purpose(apical::Purpose::poisson_input, 3), ids[i], sub);
            for (int r = 0; r < 4; ++r) REQUIRE(w[r][i] == b[std::size_t(r)]);
        }
    }
}
