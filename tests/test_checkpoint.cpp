// Checkpoints on one process (engine/checkpoint.hpp, io/checkpoint_file.hpp): a run that
// writes checkpoints keeps the spike, report, rate and weight files of a run that does not; a
// resume from a checkpoint, on another thread count, into a new directory or into the original
// files, ends with files identical (scripts/same_output: everything outside /apical, byte for
// byte) to the uninterrupted run's. Plastic networks: every rule, its schedules, short-term
// plasticity composed with it, teaching_current and the directed exchange (a small XOR).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "checkpoint_runs.hpp"
#include "io/hdf5.hpp"
#include "run_in_process.hpp"
#include "small_brunel.hpp"
#include "spike_file.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

// With a population rate file of E (10 ms bins) and a report of V_m (0.5 ms).
NetworkSpec small_brunel_spec(const fs::path& output, double t_stop_ms, int threads = 1) {
    auto overrides = small_brunel;
    overrides.push_back("recordings.population_rates=[{name: e_rates, population: E, bin: 10 ms}]");
    overrides.push_back("recordings.state=[{name: v, population: E, variables: [V_m], nodes: [0, 1, 2, 3, 4, 5, 6], "
                        "interval: 0.5 ms}]");
    overrides.push_back("simulation.t_stop=" + std::to_string(t_stop_ms) + " ms");
    overrides.push_back("simulation.threads=" + std::to_string(threads));
    overrides.push_back("simulation.output=" + output.string());
    return load(brunel_model, overrides);
}

// The spike, report and rate files of `dir` against those of the reference.
void check_same_files(const fs::path& reference, const fs::path& dir) {
    for (const char* file : {"spikes.h5", "v_V_m.h5", "e_rates.h5"}) {
        INFO(file);
        CHECK(output_differences(reference / file, dir / file).empty());
    }
}

}  // namespace

TEST_CASE("scaled-down Brunel: resumed from checkpoints, the spike, report and rate files of the uninterrupted run",
          "[checkpoint][run]") {
    const fs::path dir = scratch("checkpoint_brunel");
    LocalContext ctx;
    run_spec(small_brunel_spec(dir / "reference", 300));
    const auto checkpoints = run_with_checkpoints(small_brunel_spec(dir / "checkpointed", 300), ctx, {60, 151, 240});
    REQUIRE(checkpoints.size() == 3);
    // Writing checkpoints changes nothing in the run.
    check_same_files(dir / "reference", dir / "checkpointed");
    for (std::size_t k = 0; k < checkpoints.size(); ++k)
        for (int threads : {1, 2}) {
            INFO("checkpoint " << checkpoints[k] << ", " << threads << " threads");
            const fs::path out = dir / ("resumed_" + std::to_string(k) + "_" + std::to_string(threads));
            resume_checkpoint(checkpoints[k], ctx, threads, out);
            check_same_files(dir / "reference", out);
        }
    // Without -o: the original files, rewritten from the checkpoint on (the later part the first
    // run wrote is replaced).
    resume_checkpoint(checkpoints[1], ctx, 2);
    check_same_files(dir / "reference", dir / "checkpointed");
    CHECK_FALSE(fs::exists(dir / "checkpointed" / "spikes.h5.before-resume"));
    CHECK_FALSE(fs::exists(dir / "checkpointed" / "e_rates.h5.before-resume"));
    CHECK_FALSE(fs::exists(dir / "checkpointed" / "v_V_m.h5.before-resume"));
}

TEST_CASE("a resume past the original t_stop: spikes to the new end, recordings in their original windows",
          "[checkpoint][run]") {
    const fs::path dir = scratch("checkpoint_extend");
    LocalContext ctx;
    run_spec(small_brunel_spec(dir / "short", 200));
    run_spec(small_brunel_spec(dir / "long", 300));
    const auto checkpoints = run_with_checkpoints(small_brunel_spec(dir / "checkpointed", 200), ctx, {100});
    REQUIRE(checkpoints.size() == 1);
    resume_checkpoint(checkpoints[0], ctx, 1, dir / "extended", {"simulation.t_stop=300 ms"});
    // The spikes of the run that was 300 ms long from the start (the network does not depend on
    // t_stop); the report and the rate file of the 200 ms run (their stop is the original t_stop).
    CHECK(output_differences(dir / "long" / "spikes.h5", dir / "extended" / "spikes.h5").empty());
    CHECK_FALSE(output_differences(dir / "short" / "spikes.h5", dir / "extended" / "spikes.h5").empty());
    for (const char* file : {"v_V_m.h5", "e_rates.h5"}) {
        INFO(file);
        CHECK(output_differences(dir / "short" / file, dir / "extended" / file).empty());
    }
}

TEST_CASE("checkpoint file names give the time in ms to the step's decimals", "[checkpoint]") {
    const fs::path dir = "out";
    const auto name = [&](step_t step, double dt_ms) {
        return checkpoint_path(dir, step, dt_ms).lexically_relative(dir / "checkpoints").string();
    };
    // 4,000,000 steps of 0.1 ms: the shortest text of the product would be "4e+05";
    // 39,341,033 steps: "3934103.3000000003".
    CHECK(name(4000000, 0.1) == "checkpoint_400000ms.h5");
    CHECK(name(39341033, 0.1) == "checkpoint_3934103.3ms.h5");
    CHECK(name(0, 0.1) == "checkpoint_0ms.h5");
    CHECK(name(3, 0.025) == "checkpoint_0.075ms.h5");
    CHECK(name(7, 1e-5) == "checkpoint_0.00007ms.h5");
    CHECK(name(3, 2.5e-7) == "checkpoint_0.00000075ms.h5");
    CHECK(name(160700000, 0.1) == "checkpoint_16070000ms.h5");
}

TEST_CASE("a checkpoint written on 2 threads resumes on 1", "[checkpoint][run]") {
    const fs::path dir = scratch("checkpoint_threads");
    LocalContext ctx;
    run_spec(small_brunel_spec(dir / "reference", 200));
    const auto checkpoints = run_with_checkpoints(small_brunel_spec(dir / "two", 200, 2), ctx, {100});
    REQUIRE(checkpoints.size() == 1);
    resume_checkpoint(checkpoints[0], ctx, 1, dir / "one");
    check_same_files(dir / "reference", dir / "one");
}

namespace {

// A population of `model` driven by Poisson sources, recurrently connected, with a noise
// current unless the model takes none: every kind of state a model keeps (state variables,
// its own arrays, ring buffers or input events, the noise's current) is in flight at any step.
std::string model_network(const std::string& model, const std::string& in, const std::string& rec, bool noise) {
    std::string yaml = "simulation: {dt: 0.1 ms, t_stop: 200 ms, seed: 7}\n"
                       "populations:\n"
                       "  drive: {model: poisson_source, size: 200, parameters: {rate: 50 Hz}}\n"
                       "  cells: {model: " + model + ", size: 300}\n"
                       "projections:\n"
                       "  - {name: in, source: drive, target: cells, connectivity: {rule: fixed_indegree, indegree: 20}, "
                       "weight: " + in + ", delay: 1.5 ms}\n"
                       "  - {name: rec, source: cells, target: cells, connectivity: {rule: fixed_indegree, indegree: 10}, "
                       "weight: " + rec + ", delay: 2 ms}\n";
    if (noise)
        yaml += "stimuli:\n  - {name: noise, model: noise_current, target: cells, mean: 200 pA, std: 100 pA, tau: 5 ms}\n";
    return yaml + "recordings: {spikes: [drive, cells]}\n";
}

// Reference run, a run with a checkpoint at 77 ms, a resume from it on 2 threads: the same
// spike file all three times; `cells` must spike before and after the checkpoint.
void check_round_trip(const std::string& name, const std::string& yaml) {
    const fs::path dir = scratch("checkpoint_model_" + name);
    const auto spec = [&](const char* out) {
        return parse_description(yaml, (dir / "model.yaml").string(), {"simulation.output=" + (dir / out).string()});
    };
    run_spec(spec("reference"));
    LocalContext ctx;
    const auto checkpoints = run_with_checkpoints(spec("checkpointed"), ctx, {77});
    REQUIRE(checkpoints.size() == 1);
    resume_checkpoint(checkpoints[0], ctx, 2, dir / "resumed");
    const SpikeFile reference = read_spike_file(dir / "reference" / "spikes.h5");
    const auto& cells = reference.populations.at("cells").timestamps;
    CHECK(std::count_if(cells.begin(), cells.end(), [](double t) { return t < 77; }) > 5);
    CHECK(std::count_if(cells.begin(), cells.end(), [](double t) { return t > 77; }) > 5);
    CHECK(output_differences(dir / "reference" / "spikes.h5", dir / "checkpointed" / "spikes.h5").empty());
    CHECK(output_differences(dir / "reference" / "spikes.h5", dir / "resumed" / "spikes.h5").empty());
}

}  // namespace

TEST_CASE("every neuron model resumes from a checkpoint with the spikes of the uninterrupted run",
          "[checkpoint][models]") {
    struct Case {
        const char* model;
        const char* in;
        const char* rec;
        bool noise;
    };
    const Case cases[] = {
        {"iaf_psc_delta", "2 mV", "-1 mV", true},
        {"iaf_psc_delta_ps", "2 mV", "-1 mV", true},
        {"iaf_psc_exp", "100 pA", "-50 pA", true},
        {"iaf_psc_alpha", "100 pA", "-50 pA", true},
        {"iaf_cond_exp", "3 nS, receptor: exc", "2 nS, receptor: inh", true},
        {"aeif_cond_exp", "30 nS, receptor: exc", "2 nS, receptor: inh", true},
        {"intfire1", "0.3", "-0.1", false},
        {"burst_poisson", "0.5, receptor: soma.exc", "0.2, receptor: dendrite.exc", true},
        {"burst_pyramidal", "0.5, receptor: soma.exc", "0.2, receptor: dendrite.exc", true},
        {"pp_cond_exp_mc_urbanczik", "3 nS, receptor: soma.exc", "20 pA, receptor: dendrite.exc", true},
    };
    for (const Case& c : cases) {
        INFO(c.model);
        check_round_trip(c.model, model_network(c.model, c.in, c.rec, c.noise));
    }
}

TEST_CASE("short-term plasticity resumes from a checkpoint with the spikes of the uninterrupted run",
          "[checkpoint][stp]") {
    std::string yaml = model_network("iaf_psc_delta", "2 mV, synapse: {model: tsodyks_markram, preset: depressing}", "-1 mV", true);
    check_round_trip("tsodyks_markram", yaml);
    yaml = model_network("iaf_psc_delta", "2 mV, synapse: {model: tsodyks_3state, U: 0.5, tau_F: 10 ms, tau_D: 800 ms}",
                         "-1 mV, synapse: {model: tsodyks_markram, preset: facilitating}", true);
    check_round_trip("tsodyks_3state", yaml);
    // Parameters drawn per synapse: the state of every synapse, found again by (receptor,
    // source, target, occurrence) under the new decomposition.
    yaml = model_network("iaf_psc_delta",
                         "2 mV, synapse: {model: tsodyks_markram, U: {distribution: uniform, low: 0.1, high: 0.5}, "
                         "tau_F: {distribution: normal, mean: 100 ms, std: 10 ms, min: 1 ms}, tau_D: 50 ms}",
                         "-1 mV, synapse: {model: tsodyks_3state, U: {distribution: uniform, low: 0.2, high: 0.6}, "
                         "tau_F: 10 ms, tau_D: 300 ms}",
                         true);
    check_round_trip("stp_per_synapse", yaml);
}

namespace {

// The mean weight of `projection` at the start and at the end (weights.h5).
std::pair<double, double> mean_weights(const fs::path& dir, const std::string& projection) {
    h5::Handle f = h5::open_file_for_reading(dir / "weights.h5");
    h5::Handle g = h5::open_group(f.get(), "weights/" + projection);
    return {h5::read_attribute<double>(g.get(), "mean_start"), h5::read_attribute<double>(g.get(), "mean_end")};
}

// The mean weights a weight recording sampled, and when.
std::pair<std::vector<double>, std::vector<double>> recorded_means(const fs::path& file, const std::string& projection) {
    h5::Handle f = h5::open_file_for_reading(file);
    h5::Handle g = h5::open_group(f.get(), "weights/" + projection);
    return {h5::read_all<double>(h5::open_dataset(g.get(), "time").get()),
            h5::read_all<double>(h5::open_dataset(g.get(), "mean").get())};
}

// Reference run, a run with checkpoints at `at_ms`, resumes from each on 1 and 2 threads into new
// directories and one into the original files: every output file (spikes, the weight recording
// w.h5, weights.h5, ...) identical to the reference's. The weights of `projection` must change
// after the last checkpoint (else a lost plastic state could go unnoticed).
void check_plastic_round_trip(const std::string& name, const std::function<NetworkSpec(const fs::path&)>& spec,
                              const std::vector<double>& at_ms, const std::string& projection,
                              const std::string& recording) {
    const fs::path dir = scratch("checkpoint_plastic_" + name);
    run_spec(spec(dir / "reference"));
    const auto [start, end] = mean_weights(dir / "reference", projection);
    CHECK(start != end);
    const auto [time, mean] = recorded_means(dir / "reference" / (recording + ".h5"), projection);
    REQUIRE(time.size() > 2);
    std::size_t after = 0;  // the first sample after the last checkpoint
    while (after < time.size() && time[after] <= at_ms.back()) ++after;
    REQUIRE(after + 1 < time.size());
    CHECK(mean.back() != mean[after]);
    LocalContext ctx;
    const auto checkpoints = run_with_checkpoints(spec(dir / "checkpointed"), ctx, at_ms);
    REQUIRE(checkpoints.size() == at_ms.size());
    CHECK(output_differences(dir / "reference", dir / "checkpointed").empty());
    for (std::size_t k = 0; k < checkpoints.size(); ++k)
        for (int threads : {1, 2}) {
            INFO("checkpoint " << checkpoints[k] << ", " << threads << " threads");
            const fs::path out = dir / ("resumed_" + std::to_string(k) + "_" + std::to_string(threads));
            resume_checkpoint(checkpoints[k], ctx, threads, out);
            CHECK(output_differences(dir / "reference", out).empty());
        }
    resume_checkpoint(checkpoints[checkpoints.size() / 2], ctx, 2);  // in place
    CHECK(output_differences(dir / "reference", dir / "checkpointed").empty());
}

std::function<NetworkSpec(const fs::path&)> from_yaml(const std::string& yaml, const std::string& name) {
    return [yaml, name](const fs::path& output) {
        return parse_description(yaml, name + ".yaml", {"simulation.output=" + output.string()});
    };
}

}  // namespace

TEST_CASE("plastic projections resume from checkpoints with the spikes and weights of the uninterrupted run",
          "[checkpoint][plasticity]") {
    const std::vector<double> at = {60, 151, 240};
    struct Case {
        const char* name;
        std::string yaml;
    };
    const Case cases[] = {
        {"stdp_all_to_all", plastic_network("{rule: stdp_pair, lambda: 0.05, Wmax: 300 pA}")},
        {"stdp_nn_symmetric", plastic_network("{rule: stdp_pair, pairing: nn_symmetric, lambda: 0.05, Wmax: 300 pA}")},
        {"stdp_nn_pre_centered",
         plastic_network("{rule: stdp_pair, pairing: nn_pre_centered, lambda: 0.05, Wmax: 300 pA}")},
        {"stdp_nn_restricted", plastic_network("{rule: stdp_pair, pairing: nn_restricted, lambda: 0.05, Wmax: 300 pA, "
                                               "rate_factors: [[100 ms, 0.5], [200 ms, 2]]}")},
        {"stdp_triplet", plastic_network("{rule: stdp_triplet, A2_plus: 1 pA, A3_plus: 0.5 pA, A2_minus: 1 pA, "
                                         "A3_minus: 0.1 pA, Wmax: 300 pA, active: [[30 ms, 130 ms], [170 ms, inf]]}")},
        {"stdp_triplet_nearest",
         plastic_network("{rule: stdp_triplet, preset: visual_cortex_nearest, A2_plus: 1 pA, A2_minus: 1 pA, Wmax: 300 pA}")},
        {"bdsp", plastic_network("{rule: bdsp, eta: 2 pA, w_max: 300 pA, tau_avg: 500 ms, e_min: 2 Hz, e_max: 12 Hz, "
                                 "active: [[50 ms, inf]], rate_factors: [[100 ms, 0.5], [200 ms, 2]]}")},
        {"bdsp_periodic", plastic_network("{rule: bdsp, eta: 2 pA, w_max: 300 pA, tau_avg: 500 ms, "
                                          "homeostasis_rate: event_rate, "
                                          "active: {period: 100 ms, windows: [[20 ms, 70 ms]], start: 30 ms}}")},
        // Bounds that allow negative weights, routed by sign: two plastic tables per VP.
        {"bdsp_signed", plastic_network("{rule: bdsp, eta: 2 pA, w_min: -300 pA, w_max: 300 pA, tau_avg: 500 ms}", "",
                                        "{distribution: uniform, low: -100 pA, high: 250 pA}")},
        // Short-term plasticity composed with the rule: per source, and drawn per synapse.
        {"stdp_stp", plastic_network("{rule: stdp_pair, lambda: 0.05, Wmax: 300 pA}",
                                     "{model: tsodyks_markram, preset: depressing}")},
        {"stdp_stp_per_synapse",
         plastic_network("{rule: stdp_pair, pairing: nn_pre_centered, lambda: 0.05, Wmax: 300 pA}",
                         "{model: tsodyks_markram, U: {distribution: uniform, low: 0.1, high: 0.5}, tau_F: 100 ms, "
                         "tau_D: 50 ms}")},
        {"urbanczik_senn", urbanczik_network()},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        check_plastic_round_trip(c.name, from_yaml(c.yaml, c.name), at, "learn", "w");
    }
}

// BDSP, teaching_current, and the directed exchange with projections that transmit events or
// bursts: 0.55 s and 0.93 s lie inside teaching windows, 1.2 s between them.
TEST_CASE("a scaled-down models/xor.yaml resumes from checkpoints with the files of the uninterrupted run",
          "[checkpoint][plasticity][xor]") {
    check_plastic_round_trip(
        "xor",
        [](const fs::path& output) {
            auto o = small_xor();
            o.push_back("simulation.threads=1");
            o.push_back("simulation.output=" + output.string());
            return load(std::string(APICAL_SOURCE_DIR) + "/models/xor.yaml", o);
        },
        {550, 930, 1200}, "in1_hid1", "in1_hid1_weights");
}
