// Drawing a value from a Distribution of the description (engine/network_spec.hpp).
#pragma once

#include <algorithm>
#include <cmath>

#include "engine/network_spec.hpp"
#include "engine/random.hpp"

namespace apical {

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
