// simd_choice: the aeif_cond_exp RK4 step (4 exponentials per neuron) in plain C++ (std::exp),
// xsimd 8 (AVX2 and AVX-512 translation units) and Highway 1.0 (one translation unit, dynamic
// dispatch forced to each target); ns per neuron-step, median of 9 interleaved rounds, and the largest
// difference from the scalar result (ulp-level: the vectorised exp is not std::exp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include <hwy/targets.h>

#include "kernel.hpp"

int main() {
    const std::size_t n = 10000;
    const int steps = 200;
    AeifConstants c;
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> uv(-72.0, -51.0), ug(0.0, 20.0), uw(0.0, 100.0);
    std::vector<double> v(n), w(n), ge(n), gi(n), vo(n), wo(n), v_ref(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = uv(rng), w[i] = uw(rng), ge[i] = ug(rng), gi[i] = ug(rng);
    run_scalar(c, v.data(), w.data(), ge.data(), gi.data(), v_ref.data(), wo.data(), n, 1);
    struct Variant { const char* name; std::function<double()> f; };
    const Variant variants[] = {
        {"scalar std::exp", [&] { return run_scalar(c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
        {"xsimd avx2", [&] { return run_xsimd_avx2(c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
        {"xsimd avx512", [&] { return run_xsimd_avx512(c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
        {"highway scalar", [&] { return run_highway(HWY_STATIC_TARGET, c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
        {"highway sse4", [&] { return run_highway(HWY_SSE4, c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
        {"highway avx2", [&] { return run_highway(HWY_AVX2, c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
        {"highway avx3", [&] { return run_highway(HWY_AVX3, c, v.data(), w.data(), ge.data(), gi.data(), vo.data(), wo.data(), n, steps); }},
    };
    // Rounds interleave the variants, so that a change of the machine's load hits all of them.
    const int rounds = 9;
    std::vector<std::vector<double>> t(std::size(variants));
    std::vector<double> diff(std::size(variants), 0.0);
    for (int r = 0; r < rounds; ++r)
        for (std::size_t k = 0; k < std::size(variants); ++k) {
            t[k].push_back(variants[k].f());
            for (std::size_t i = 0; i < n; ++i) diff[k] = std::max(diff[k], std::abs(vo[i] - v_ref[i]));
        }
    for (std::size_t k = 0; k < std::size(variants); ++k) {
        std::sort(t[k].begin(), t[k].end());
        std::printf("%-16s %7.3f ns/neuron-step (range %.3f-%.3f)  max |dV| vs scalar %.2g mV\n", variants[k].name,
                    t[k][rounds / 2] * 1e9 / (double(n) * steps), t[k].front() * 1e9 / (double(n) * steps),
                    t[k].back() * 1e9 / (double(n) * steps), diff[k]);
    }
}
