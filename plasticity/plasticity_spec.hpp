// What a projection's `plasticity` key says: the rule, its parameters (homogeneous over the
// projection) and when weights may change (docs/description.md, "Plasticity").
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "plasticity/bdsp.hpp"
#include "plasticity/stdp_pair.hpp"
#include "plasticity/stdp_triplet.hpp"
#include "plasticity/urbanczik_senn.hpp"

namespace apical {

enum class PlasticityRule : std::uint8_t { none, stdp_pair, bdsp, stdp_triplet, urbanczik_senn };

// The rule's name in descriptions and output files.
inline const char* plasticity_rule_name(PlasticityRule r) {
    switch (r) {
    case PlasticityRule::stdp_pair: return "stdp_pair";
    case PlasticityRule::bdsp: return "bdsp";
    case PlasticityRule::stdp_triplet: return "stdp_triplet";
    case PlasticityRule::urbanczik_senn: return "urbanczik_senn";
    case PlasticityRule::none: break;
    }
    return "none";
}

struct PlasticitySpec {
    PlasticityRule rule = PlasticityRule::none;
    StdpPairParameters stdp;
    StdpPairing pairing = StdpPairing::all_to_all;
    BdspParameters bdsp;
    StdpTripletParameters triplet;
    StdpTripletPreset triplet_preset = StdpTripletPreset::none;
    UrbanczikSennParameters urbanczik;
    // Windows [start, stop) (ms, synapse time) in which weights change; empty: always. Outside
    // them every trace still follows the spikes (the authors' burn-in: averages settle first).
    std::vector<std::pair<double, double>> active_ms;
    // Learning-rate schedule (`rate_factors: [[t, f], ...]`): from synapse time t (ms) on, the
    // rule's learning rate (eta, lambda, the triplet amplitudes) is f times the given one;
    // 1 before the first time. Times ascending.
    std::vector<std::pair<double, double>> rate_factors;
    // Windows that repeat (`active: {period, windows, start, stop}`): in every period from
    // start_ms on, the same windows of offsets [w0, w1) (ms); period_ms 0: none. The list and
    // the periodic form exclude each other.
    struct Periodic {
        double period_ms = 0.0;
        std::vector<std::pair<double, double>> windows_ms;
        double start_ms = 0.0;
        double stop_ms = 1e300;
    } periodic;
};

}  // namespace apical
