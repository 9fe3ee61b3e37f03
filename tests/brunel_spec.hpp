// The Brunel (2000) network of models/brunel.yaml built in code, scaled by `scale` (1.0 =
// 10,000 E + 2,500 I with C_E = 1000, C_I = 250). The in-degrees scale with the network,
// so J is scaled by 1/scale to keep the mean input (and thus the firing regime) comparable.
#pragma once

#include "spec_builders.hpp"

namespace apical::test {

inline NetworkSpec brunel_spec(double scale, double t_stop_ms, int threads, std::uint32_t seed = 12345) {
    NetworkSpec spec;
    spec.file = "brunel (test)";
    spec.simulation.t_stop_ms = t_stop_ms;
    spec.simulation.threads = threads;
    spec.simulation.seed = seed;
    const std::map<std::string, double> neuron = {{"C_m", 1.0}, {"tau_m", 20.0}, {"t_ref", 2.0},
                                                  {"E_L", 0.0}, {"V_reset", 0.0}, {"V_th", 20.0}};
    const auto NE = std::uint64_t(10000 * scale), NI = std::uint64_t(2500 * scale);
    const auto CE = std::uint64_t(1000 * scale), CI = std::uint64_t(250 * scale);
    const double J = 0.1 / scale, g = 5.0;
    for (auto [name, n] : {std::pair{"E", NE}, std::pair{"I", NI}}) {
        auto p = population(name, "iaf_psc_delta", n, neuron);
        p.initial["V_m"] = constant(0.0);
        spec.populations.push_back(p);
    }
    for (auto [src, tgt] : {std::pair{"E", "E"}, {"E", "I"}, {"I", "E"}, {"I", "I"}}) {
        const bool exc = std::string(src) == "E";
        auto p = projection(src, tgt, ConnectionRule::fixed_indegree, exc ? J : -g * J, 1.5);
        p.degree = exc ? CE : CI;
        spec.projections.push_back(p);
    }
    StimulusSpec drive;
    drive.name = "external";
    drive.kind = StimulusSpec::Kind::poisson_generator;
    drive.targets = {"E", "I"};
    drive.rate_hz = 20000.0 * scale;  // C_E external inputs at 20 Hz each
    drive.weight = J;
    drive.delay_ms = 1.5;
    spec.stimuli.push_back(drive);
    spec.spike_recordings = {"E", "I"};
    return spec;
}

}  // namespace apical::test
