// A quantity that is a constant or drawn from a distribution (weights, delays, initial
// state), and drawing it from a random stream.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "core/random.hpp"

namespace apical {

// A value that is a constant or drawn from a distribution (internal units).
// Clipping: a drawn value below min is set to min, above max to max.
struct Distribution {
    enum class Kind { constant, uniform, normal, lognormal };
    Kind kind = Kind::constant;
    double value = 0.0;             // constant
    double low = 0.0, high = 0.0;   // uniform on [low, high)
    double mean = 0.0, std = 0.0;   // normal; lognormal: mean and std of the value itself
    std::optional<double> min, max; // clipping bounds
    bool is_constant() const { return kind == Kind::constant; }
};

// The smallest and largest values a draw can take, after clipping (infinite when unbounded).
inline std::pair<double, double> draw_range(const Distribution& d) {
    const double inf = std::numeric_limits<double>::infinity();
    double lo = d.value, hi = d.value;
    switch (d.kind) {
    case Distribution::Kind::constant: return {d.value, d.value};
    case Distribution::Kind::uniform: lo = d.low, hi = d.high; break;
    case Distribution::Kind::normal:
        lo = d.std == 0.0 ? d.mean : -inf;
        hi = d.std == 0.0 ? d.mean : inf;
        break;
    case Distribution::Kind::lognormal: lo = 0.0, hi = inf; break;
    }
    if (d.min) lo = std::max(lo, *d.min), hi = std::max(hi, *d.min);
    if (d.max) lo = std::min(lo, *d.max), hi = std::min(hi, *d.max);
    return {lo, hi};
}


inline double draw(const Distribution& d, RandomStream& rng) {
    double x = d.value;
    switch (d.kind) {
    case Distribution::Kind::constant: break;
    case Distribution::Kind::uniform: x = d.low + (d.high - d.low) * rng.uniform(); break;
    case Distribution::Kind::normal: x = d.mean + d.std * rng.normal(); break;
    case Distribution::Kind::lognormal: {
        // mean and std are those of the value: sigma^2 = ln(1 + std^2/mean^2),
        // mu = ln(mean) - sigma^2/2.
        const double s2 = std::log1p((d.std * d.std) / (d.mean * d.mean));
        x = std::exp(std::log(d.mean) - 0.5 * s2 + std::sqrt(s2) * rng.normal());
        break;
    }
    }
    if (d.min) x = std::max(x, *d.min);
    if (d.max) x = std::min(x, *d.max);
    return x;
}

}  // namespace apical
