// Philox4x32-10 for many counters at once, written as plain loops over arrays so the compiler
// vectorises them (one AVX2 lane per counter; philox_word_quads also has an AVX-512 clone).
// Bitwise equal to philox() of core/random.hpp (Random123's philox4x32_R(10, ...));
// tests/test_random.cpp checks both functions.
// philox_uniform_pairs (two 53-bit uniforms per call) serves noise_current's Box-Muller, one
// call per neuron and two steps; philox_word_quads (four 32-bit words per call) serves the
// Poisson generator, one call per neuron and four steps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dispatch.hpp"

namespace apical {

// For i < n: the uniforms of the Philox block with key {seed, purpose} and counter
// {ids[i], sub, 0, 0}, as u01_53(w0, w1) -> u0[i] and u01_53(w2, w3) -> u1[i].
APICAL_TARGET_CLONES("avx2", "default")
inline void philox_uniform_pairs(std::uint32_t seed, std::uint32_t purpose, const std::uint32_t* __restrict ids,
                                 std::uint32_t sub, std::size_t n, double* __restrict u0,
                                 double* __restrict u1) {
    constexpr std::uint64_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t c0 = ids[i], c1 = sub, c2 = 0, c3 = 0;
        std::uint32_t k0 = seed, k1 = purpose;
        for (int round = 0; round < 10; ++round) {
            const std::uint64_t p0 = M0 * c0, p1 = M1 * c2;
            const std::uint32_t hi0 = std::uint32_t(p0 >> 32), lo0 = std::uint32_t(p0);
            const std::uint32_t hi1 = std::uint32_t(p1 >> 32), lo1 = std::uint32_t(p1);
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        const std::uint64_t a = (std::uint64_t(c0) << 32) | c1, b = (std::uint64_t(c2) << 32) | c3;
        u0[i] = double(a >> 11) * 0x1p-53;
        u1[i] = double(b >> 11) * 0x1p-53;
    }
}

// For i < n: the four words of the Philox block with key {seed, purpose} and counter
// {ids[i], sub, 0, 0}: word r -> w[r][i] (r = 0..3).
APICAL_TARGET_CLONES("avx512f", "avx2", "default")
inline void philox_word_quads(std::uint32_t seed, std::uint32_t purpose, const std::uint32_t* __restrict ids,
                              std::uint32_t sub, std::size_t n, std::uint32_t* __restrict w0,
                              std::uint32_t* __restrict w1, std::uint32_t* __restrict w2,
                              std::uint32_t* __restrict w3) {
    constexpr std::uint64_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t c0 = ids[i], c1 = sub, c2 = 0, c3 = 0;
        std::uint32_t k0 = seed, k1 = purpose;
        for (int round = 0; round < 10; ++round) {
            const std::uint64_t p0 = M0 * c0, p1 = M1 * c2;
            const std::uint32_t hi0 = std::uint32_t(p0 >> 32), lo0 = std::uint32_t(p0);
            const std::uint32_t hi1 = std::uint32_t(p1 >> 32), lo1 = std::uint32_t(p1);
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        w0[i] = c0;
        w1[i] = c1;
        w2[i] = c2;
        w3[i] = c3;
    }
}

}  // namespace apical
