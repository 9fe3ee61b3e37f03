// Checkpoints through the run library, as `apical run --checkpoint-every` and `apical resume`
// make them (cli/main.cpp): a run that writes checkpoints at given steps, a resume from one,
// and the comparison of two output files by scripts/same_output (every dataset and
// attribute outside /apical, byte for byte). Any DistributedContext: one process or MPI.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "command_runner.hpp"
#include "engine/checkpoint.hpp"
#include "engine/distributed_context.hpp"
#include "engine/simulation.hpp"
#include "io/checkpoint_file.hpp"
#include "io/output_files.hpp"
#include "io/run_metadata.hpp"

namespace apical::test {

// Runs `spec` to its t_stop, writing a checkpoint at the first slice boundary at or after each
// of `at_ms`; returns their paths (<output>/checkpoints/...).
inline std::vector<std::filesystem::path> run_with_checkpoints(const NetworkSpec& spec, DistributedContext& ctx,
                                                               std::vector<double> at_ms) {
    Simulation sim(spec, ctx);
    RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
    OutputFiles files(sim, ctx, meta);
    std::vector<std::filesystem::path> written;
    std::size_t next = 0;
    sim.add_slice_observer([&](step_t now) {
        if (next < at_ms.size() && double(now) * spec.simulation.dt_ms >= at_ms[next]) {
            const auto path = checkpoint_path(spec.simulation.output_dir, now, spec.simulation.dt_ms);
            write_checkpoint(sim, ctx, files, path);
            written.push_back(path);
            ++next;
        }
    });
    run(sim, ctx, meta);
    files.finish(meta);
    return written;
}

// Resumes `checkpoint` with `threads` threads into `output` (empty: the original output files),
// with `more` overrides (as `apical resume --t-stop` gives).
inline void resume_checkpoint(const std::filesystem::path& checkpoint, DistributedContext& ctx, int threads,
                              const std::filesystem::path& output = {}, const std::vector<std::string>& more = {}) {
    CheckpointFileReader reader(checkpoint);
    std::vector<std::string> overrides = {"simulation.threads=" + std::to_string(threads)};
    overrides.insert(overrides.end(), more.begin(), more.end());
    if (!output.empty()) overrides.push_back("simulation.output=" + output.string());
    const NetworkSpec spec = resume_spec(reader, checkpoint, overrides, !output.empty());
    Simulation sim(spec, ctx);
    restore_state(sim, reader.info().step, reader);
    RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
    const OutputContinuation continuation = continuation_of(reader.info());
    OutputFiles files(sim, ctx, meta, &continuation);
    run(sim, ctx, meta);
    files.finish(meta);
}

// Small plastic networks for checkpoints. `plastic_network`: 60 Poisson sources drive 40
// iaf_psc_alpha cells through the plastic projection `learn` (`plasticity`, plus `synapse`
// short-term plasticity if given; initial `weight`), the cells inhibit each other and take a noise current; the
// spikes of both and `learn`'s weights, per synapse every 5 ms, are recorded (w.h5).
inline std::string plastic_network(const std::string& plasticity, const std::string& synapse = "",
                                   const std::string& weight = "150 pA") {
    return "simulation: {dt: 0.1 ms, t_stop: 300 ms, seed: 11}\n"
           "populations:\n"
           "  drive: {model: poisson_source, size: 60, parameters: {rate: 30 Hz}}\n"
           "  cells: {model: iaf_psc_alpha, size: 40}\n"
           "projections:\n"
           "  - {name: learn, source: drive, target: cells, connectivity: {rule: fixed_indegree, indegree: 15}, "
           "weight: " + weight + ", delay: 1.5 ms, plasticity: " + plasticity +
           (synapse.empty() ? "" : ", synapse: " + synapse) + "}\n"
           "  - {name: rec, source: cells, target: cells, connectivity: {rule: fixed_indegree, indegree: 5}, "
           "weight: -100 pA, delay: 2 ms}\n"
           "stimuli:\n"
           "  - {name: noise, model: noise_current, target: cells, mean: 300 pA, std: 150 pA, tau: 5 ms}\n"
           "recordings:\n"
           "  spikes: [drive, cells]\n"
           "  weights: [{name: w, projection: learn, interval: 5 ms, sources: all}]\n";
}

// The Urbanczik-Senn rule as models/urbanczik_senn.yaml drives it: 50 Poisson sources onto the
// dendrites of 6 pp_cond_exp_mc_urbanczik cells whose somata a sine conductance teaches.
inline std::string urbanczik_network() {
    return "simulation: {dt: 0.1 ms, t_stop: 300 ms, seed: 5}\n"
           "populations:\n"
           "  pattern: {model: poisson_source, size: 50, parameters: {rate: 20 Hz}}\n"
           "  neuron: {model: pp_cond_exp_mc_urbanczik, size: 6}\n"
           "projections:\n"
           "  - {name: learn, source: pattern, target: neuron, connectivity: {rule: all_to_all}, receptor: dendrite.exc, "
           "weight: 90 pA, delay: 1 ms, plasticity: {rule: urbanczik_senn, eta: 0.17, Wmax: 1350 pA}}\n"
           "stimuli:\n"
           "  - {name: teacher, model: sine_input, target: neuron, receptor: soma.exc, offset: 5.4 nS, amplitude: 4.8 nS, "
           "frequency: 10 Hz, delay: 0.1 ms, start: 20 ms, stop: 280 ms}\n"
           "recordings:\n"
           "  spikes: [pattern, neuron]\n"
           "  weights: [{name: w, projection: learn, interval: 5 ms, sources: all}]\n";
}

// models/xor.yaml with 100 cells per population (as tests/test_xor.cpp; with fewer the output
// is too quiet for the teaching current's state to show in the spikes), connection probability
// 1 and its schedule shrunk to 0.4 s examples (teaching and learning windows [0.3 s, 0.4 s] of
// each from 0.2 s to 1.4 s), 1.6 s long, with the directed spike exchange: BDSP,
// teaching_current, and projections that transmit events or bursts of sources whose spikes are
// not recorded (so deliver has its own classifier). Checked by mutation: without restoring the
// teaching state or the deliver classifier the resumed files differ.
inline std::vector<std::string> small_xor(double t_stop_s = 1.6) {
    std::vector<std::string> o = {"simulation.spike_exchange=directed",
                                  "simulation.spike_classification={rule: trace, threshold: 40 ms}",
                                  "simulation.t_stop=" + std::to_string(t_stop_s) + " s"};
    for (const char* p : {"input1", "input2", "hidden1", "hidden2", "output"})
        o.push_back(std::string("populations.") + p + ".size=100");
    for (const char* p : {"in1_hid1", "in2_hid1", "in1_hid2", "in2_hid2", "hid1_out", "hid2_out", "in1_hid1_inh",
                          "in2_hid1_inh", "in1_hid2_inh", "in2_hid2_inh", "hid1_out_inh", "hid2_out_inh",
                          "out_hid1_fb_exc", "out_hid1_fb_inh", "out_hid2_fb_exc", "out_hid2_fb_inh"})
        o.push_back(std::string("projections.") + p + ".connectivity.p=1");
    for (const char* p : {"in1_hid1", "in2_hid1", "in1_hid2", "in2_hid2", "hid1_out", "hid2_out"})
        o.push_back(std::string("projections.") + p +
                    ".plasticity.active={period: 400 ms, windows: [[300 ms, 400 ms]], start: 200 ms, stop: 1400 ms}");
    // Rates inside (e_min, e_max) grade the teaching current, so it depends on each cell's
    // running rate; a 40 ms burst window makes a spike's class depend on its neuron's history.
    for (const char* kv : {"period=400 ms", "window=[300 ms, 400 ms]", "start=200 ms", "stop=1400 ms", "e_min=0 Hz",
                           "e_max=50 Hz", "tolerance=0.1 Hz"})
        o.push_back(std::string("stimuli.teaching.") + kv);
    for (int k = 0; k < 6; ++k) o.push_back("recordings.weights[" + std::to_string(k) + "].interval=100 ms");
    o.push_back("recordings.population_rates=[{name: output_rates, population: output, bin: 50 ms}]");
    return o;
}

// scripts/same_output on two files: "" when equal, else its list of differences.
inline std::string output_differences(const std::filesystem::path& a, const std::filesystem::path& b) {
    const CommandResult r = run_command("/usr/bin/python3 " + std::string(APICAL_SOURCE_DIR) + "/scripts/same_output '" +
                                        a.string() + "' '" + b.string() + "' 2>&1");
    return r.exit_code == 0 ? std::string() : r.err.empty() ? std::string("same_output failed") : r.err;
}

}  // namespace apical::test
