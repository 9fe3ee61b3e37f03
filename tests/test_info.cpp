// `apical info` and io/run_summary: the summary of a run's output against an independent
// computation from the spike file itself (the test's own code below: counts, rates, CV of
// inter-spike intervals, event and burst rates, burst probability), for a completed run,
// a run interrupted by the library's stop request and a run killed with SIGKILL (files
// still marked as open by the SWMR writer, without the final metadata); a file of an older
// version without the population size attribute; bad input (exit code 2, one line).
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "cli_runner.hpp"
#include "hdf5_checks.hpp"
#include "io/run_summary.hpp"
#include "json_reader.hpp"
#include "run_in_process.hpp"
#include "small_brunel.hpp"
#include "spike_file.hpp"

using namespace apical;
using namespace apical::test;
namespace fs = std::filesystem;

namespace {

// The sizes small_brunel gives the populations (small_brunel.hpp).
const std::map<std::string, std::uint64_t> small_brunel_sizes = {{"E", 1000}, {"I", 250}};

struct Expected {
    std::uint64_t spikes = 0, events = 0, bursts = 0, cv_neurons = 0;
    double rate_hz = 0, event_rate_hz = 0, burst_rate_hz = 0, burst_probability = 0, cv = 0;
};

// From the spikes with time <= duration_ms: per neuron its sorted times, the CV of its
// intervals (std with divisor n over n intervals, two-pass), the mean over neurons with at
// least 3 spikes; classes counted as written (0 event, 1 burst).
Expected expected_from(const PopulationSpikes& p, std::uint64_t n_neurons, double duration_ms) {
    Expected e;
    std::map<std::uint64_t, std::vector<double>> trains;
    for (std::size_t k = 0; k < p.timestamps.size(); ++k) {
        if (p.timestamps[k] > duration_ms) continue;
        ++e.spikes;
        trains[p.node_ids[k]].push_back(p.timestamps[k]);
        e.events += p.spike_class[k] == 0;
        e.bursts += p.spike_class[k] == 1;
    }
    double cv_sum = 0;
    for (auto& [id, t] : trains) {
        if (t.size() < 3) continue;
        std::sort(t.begin(), t.end());
        std::vector<double> isi;
        for (std::size_t i = 1; i < t.size(); ++i) isi.push_back(t[i] - t[i - 1]);
        double mean = 0, var = 0;
        for (double x : isi) mean += x;
        mean /= double(isi.size());
        for (double x : isi) var += (x - mean) * (x - mean);
        var /= double(isi.size());
        cv_sum += std::sqrt(var) / mean;
        ++e.cv_neurons;
    }
    e.cv = cv_sum / double(e.cv_neurons);
    const double neuron_seconds = double(n_neurons) * duration_ms / 1000.0;
    e.rate_hz = double(e.spikes) / neuron_seconds;
    e.event_rate_hz = double(e.events) / neuron_seconds;
    e.burst_rate_hz = double(e.bursts) / neuron_seconds;
    e.burst_probability = double(e.bursts) / double(e.events);
    return e;
}

// The library's summary and the JSON of `apical info --json` against the expected values.
void check_population(const PopulationSummary& s, const Json& j, const Expected& e, std::uint64_t n_neurons) {
    INFO("population " << s.name);
    CHECK(s.n_neurons == n_neurons);
    CHECK(s.n_spikes == e.spikes);
    CHECK(s.events == e.events);
    CHECK(s.bursts == e.bursts);
    CHECK(s.cv_isi_neurons == e.cv_neurons);
    REQUIRE(s.rate_hz);
    CHECK(*s.rate_hz == Approx(e.rate_hz).epsilon(1e-12));
    CHECK(*s.event_rate_hz == Approx(e.event_rate_hz).epsilon(1e-12));
    CHECK(*s.burst_rate_hz == Approx(e.burst_rate_hz).epsilon(1e-12));
    CHECK(*s.burst_probability == Approx(e.burst_probability).epsilon(1e-12));
    CHECK(*s.cv_isi == Approx(e.cv).epsilon(1e-9));  // summation order differs
    // The JSON holds the same values, printed with 17 significant digits.
    CHECK(j["name"].string == s.name);
    CHECK(j["n_neurons"].number == double(n_neurons));
    CHECK(j["n_spikes"].number == double(e.spikes));
    CHECK(j["events"].number == double(e.events));
    CHECK(j["bursts"].number == double(e.bursts));
    CHECK(j["cv_isi_neurons"].number == double(e.cv_neurons));
    CHECK(j["rate_hz"].number == *s.rate_hz);
    CHECK(j["cv_isi"].number == *s.cv_isi);
    CHECK(j["event_rate_hz"].number == *s.event_rate_hz);
    CHECK(j["burst_rate_hz"].number == *s.burst_rate_hz);
    CHECK(j["burst_probability"].number == *s.burst_probability);
}

Json info_json(const fs::path& dir) {
    const CommandResult r = run_apical_capturing("info --json '" + dir.string() + "'", 1);
    REQUIRE(r.exit_code == 0);
    return JsonReader::parse(r.err);
}

// Every population of the summary against the spike file, over `duration_ms`.
void check_against_file(const fs::path& dir, const RunSummary& s, double duration_ms) {
    const SpikeFile file = read_spike_file(dir / "spikes.h5");
    const Json json = info_json(dir);
    CHECK(json["duration_ms"].number == duration_ms);
    REQUIRE(s.populations.size() == 2);
    REQUIRE(json["populations"].array.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        const PopulationSummary& p = s.populations[i];
        const std::uint64_t n = small_brunel_sizes.at(p.name);
        const Expected e = expected_from(file.populations.at(p.name), n, duration_ms);
        REQUIRE(e.bursts > 0);  // so that the burst figures are compared on something
        check_population(p, json["populations"].array[i], e, n);
    }
}

std::vector<std::string> small_brunel_with(std::vector<std::string> more) {
    auto overrides = small_brunel;
    overrides.insert(overrides.end(), more.begin(), more.end());
    return overrides;
}

}  // namespace

TEST_CASE("apical info: a completed run's summary equals the one computed from its spike file", "[info]") {
    // A quote and a backslash in the path: the JSON must escape them.
    const auto dir = scratch("info_completed \"q\\b\"");
    run_file(brunel_model, dir, small_brunel_with({"simulation.t_stop=300 ms", "simulation.threads=1"}));
    const RunSummary s = summarize_run(dir);
    CHECK(s.status == RunStatus::completed);
    CHECK_FALSE(s.open_for_writing);
    REQUIRE(s.duration_ms == 300.0);
    CHECK(s.version == APICAL_VERSION);
    CHECK(s.n_neurons == 1250);
    CHECK(s.ranks == 1);
    CHECK(s.threads == 1);
    CHECK(s.simulate_s.value() > 0);
    CHECK(s.peak_rss_bytes.value() > 0);
    CHECK(s.populations[0].n_neurons_from == "spike file");
    check_against_file(dir, s, 300.0);

    const Json json = info_json(dir);
    CHECK(json["spike_file"].string == (dir / "spikes.h5").string());
    CHECK(json["status"].string == "completed");
    CHECK(json["metadata"]["completed"].boolean);
    CHECK(json["metadata"]["version"].string == APICAL_VERSION);
    CHECK(json["metadata"]["simulated_ms"].number == 300.0);
    CHECK(json["metadata"]["flushed_ms"].number == 300.0);
    CHECK(json["metadata"]["peak_rss_bytes"].number == double(*s.peak_rss_bytes));

    // The table: one row per population with its counts, the status line.
    const CommandResult table = run_apical_capturing("info '" + dir.string() + "'", 1);
    REQUIRE(table.exit_code == 0);
    CHECK(table.err.find("completed (300.0 ms simulated)") != std::string::npos);
    const std::size_t row = table.err.find("\nE  ");
    REQUIRE(row != std::string::npos);
    const std::string line = table.err.substr(row + 1, table.err.find('\n', row + 1) - row - 1);
    CHECK(line.find(std::to_string(s.populations[0].n_spikes)) != std::string::npos);
}

TEST_CASE("apical info: files without the population size attribute take it from the description", "[info]") {
    const auto dir = scratch("info_older_file");
    run_file(brunel_model, dir, small_brunel_with({"simulation.t_stop=100 ms", "simulation.threads=1"}));
    {  // as an older version wrote it
        h5::Handle f = h5::open_file(dir / "spikes.h5", H5F_ACC_RDWR);
        REQUIRE(H5Adelete_by_name(f.get(), "spikes/E", "n_neurons", H5P_DEFAULT) >= 0);
        REQUIRE(H5Ldelete(f.get(), "apical/flushed_ms", H5P_DEFAULT) >= 0);
    }
    const RunSummary s = summarize_run(dir);
    CHECK(s.populations[0].n_neurons == 1000);  // populations.E.size of small_brunel
    CHECK(s.populations[0].n_neurons_from == "description");
    CHECK(s.populations[1].n_neurons_from == "spike file");
    CHECK_FALSE(s.flushed_ms);
    CHECK(info_json(dir)["metadata"]["flushed_ms"].is_null());
}

TEST_CASE("apical info: a run interrupted by the stop request is summarised up to where it stopped", "[info][signals]") {
    const auto dir = scratch("info_stopped");
    const NetworkSpec spec = load(brunel_model, small_brunel_with({"simulation.t_stop=1000 ms", "simulation.threads=1",
                                                                   "simulation.output=" + dir.string()}));
    LocalContext ctx;
    Simulation sim(spec, ctx);
    RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
    OutputFiles files(sim, ctx, meta);
    sim.on_slice([](step_t s) {
        if (s >= 2000) stop_request.store(SIGINT);  // as Ctrl-C at 200 ms
    });
    run(sim, ctx, meta);
    stop_request.store(0);
    files.finish(meta);
    REQUIRE_FALSE(meta.completed);
    const double stopped_at = meta.simulated_ms;
    REQUIRE(stopped_at >= 200.0);
    REQUIRE(stopped_at < 210.0);

    const RunSummary s = summarize_run(dir);
    CHECK(s.status == RunStatus::stopped);
    CHECK(s.duration_ms == stopped_at);
    CHECK(info_json(dir)["status"].string == "stopped");
    check_against_file(dir, s, stopped_at);
}

TEST_CASE("apical info: a killed run's files (SWMR, no final metadata) are summarised up to the last flush",
          "[info][signals]") {
    const auto dir = scratch("info_killed");
    // flush every 50 ms; killed at 250 ms, without closing anything
    const NetworkSpec spec = load(brunel_model, small_brunel_with({"simulation.t_stop=1000 ms", "simulation.threads=1",
                                                                   "simulation.flush_interval=50 ms",
                                                                   "simulation.output=" + dir.string()}));
    run_killed_child([&] {
        LocalContext ctx;
        Simulation sim(spec, ctx);
        RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
        OutputFiles files(sim, ctx, meta);
        sim.on_slice([](step_t s) {
            if (s >= 2500) raise(SIGKILL);
        });
        run(sim, ctx, meta);
    });

    // What the writer left: read directly (SWMR reader), flushed_ms between 200 and 250 ms.
    double flushed = 0;
    {
        h5::Handle f(H5Fopen((dir / "spikes.h5").c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
        REQUIRE(f.valid());
        flushed = read_1d<double>(f.get(), "apical/flushed_ms").at(0);
        CHECK(read_attr<double>(h5::open_group(f.get(), "apical").get(), "simulated_ms") == 0.0);
    }
    CHECK(flushed >= 200.0);
    CHECK(flushed <= 250.0);

    const RunSummary s = summarize_run(dir);
    CHECK(s.status == RunStatus::unfinished);
    CHECK(s.open_for_writing);
    CHECK(s.duration_ms == flushed);
    CHECK_FALSE(s.simulate_s);
    CHECK_FALSE(s.peak_rss_bytes);
    check_against_file(dir, s, flushed);
    const Json json = info_json(dir);
    CHECK(json["status"].string == "unfinished");
    CHECK(json["open_for_writing"].boolean);
    CHECK(json["metadata"]["simulate_s"].is_null());
    CHECK_FALSE(json["metadata"]["completed"].boolean);
    const CommandResult table = run_apical_capturing("info " + dir.string(), 1);
    REQUIRE(table.exit_code == 0);
    CHECK(table.err.find("not finished: still running, or killed; spikes complete up to") != std::string::npos);
}

TEST_CASE("apical info: bad input is exit code 2 with one line", "[info][cli][errors]") {
    const auto dir = scratch("info_bad_input");
    fs::create_directories(dir / "empty");
    fs::create_directories(dir / "text");
    write_file(dir / "text" / "spikes.h5", "not HDF5\n");
    fs::create_directories(dir / "no_spikes");
    { h5::Handle f = h5::create_file(dir / "no_spikes" / "spikes.h5"); }
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"info " + (dir / "missing").string(), "no such directory or file"},
        {"info " + (dir / "empty").string(), "holds no spikes.h5"},
        {"info " + (dir / "text").string(), "cannot read"},
        {"info " + (dir / "no_spikes").string(), "has no group /spikes"},
        {"info", "expected an output directory"},
        {"info " + dir.string() + " --colour", "unrecognised option"},
    };
    CHECK(run_apical("info --help").exit_code == 0);
    for (const auto& [args, message] : cases) {
        const CommandResult r = run_apical(args);
        INFO(args << " -> " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(message) != std::string::npos);
    }
}

// Plastic projections (io/weight_writer.hpp): weights.h5 holds every synapse of the projection at
// the step where the run stopped, its means agree with the datasets, and `apical info` reports
// the mean weight at the start and the end.
TEST_CASE("apical info: the plastic projections' mean weights, also of a run stopped early", "[info][plasticity]") {
    const auto dir = scratch("info_plastic");
    const NetworkSpec spec = load(
        brunel_model, small_brunel_with({"simulation.t_stop=1000 ms", "simulation.threads=2",
                                         "simulation.output=" + dir.string(),
                                         "projections.EE.plasticity={rule: stdp_pair, lambda: 0.05, Wmax: 2 mV}"}));
    LocalContext ctx;
    Simulation sim(spec, ctx);
    RunMetadata meta = start_metadata(sim, ctx, Checkpoint::now());
    OutputFiles files(sim, ctx, meta);
    sim.on_slice([](step_t s) {
        if (s >= 2000) stop_request.store(SIGTERM);
    });
    run(sim, ctx, meta);
    stop_request.store(0);
    files.finish(meta);
    REQUIRE_FALSE(meta.completed);

    h5::Handle f = h5::open_file_for_reading(dir / "weights.h5");
    h5::Handle g = h5::open_group(f.get(), "weights/EE");
    const auto w = h5::read_all<float>(h5::open_dataset(g.get(), "weight").get());
    const auto source = h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "source_node_id").get());
    const auto target = h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "target_node_id").get());
    REQUIRE(w.size() == 100000);  // indegree 100 onto 1000 neurons
    REQUIRE(source.size() == w.size());
    REQUIRE(target.size() == w.size());
    CHECK(std::is_sorted(source.begin(), source.end()));
    double sum = 0.0;
    for (float x : w) sum += double(x);
    const RunSummary s = summarize_run(dir);
    REQUIRE(s.plastic.size() == 1);
    const PlasticSummary& p = s.plastic[0];
    CHECK(p.name == "EE");
    CHECK(p.rule == "stdp_pair");
    CHECK(p.unit == "mV");
    CHECK(p.n_synapses == 100000);
    CHECK(p.mean_start == 1.0);  // the constant initial weight
    CHECK(p.mean_end == Approx(sum / double(w.size())).epsilon(1e-12));
    CHECK(p.mean_end != 1.0);  // the rule was at work
    CHECK(p.time_ms == meta.simulated_ms);
    const auto json = info_json(dir);
    CHECK(json["plastic_projections"].array.at(0)["mean_weight_end"].number == Approx(p.mean_end).epsilon(1e-12));
}

// Weight recordings (recordings.weights): the sample stamped t holds the weights at t exactly:
// a run to 300 ms recording every 100 ms has, at its third sample, the mean weight a run stopped
// at that time ends with (same spikes up to there). Samples come at the first slice boundary at
// or after start + k interval: slices of 1.5 ms here (the delay).
TEST_CASE("weight recordings: each sample is the weights at its time", "[info][plasticity]") {
    const auto dir = scratch("weight_recordings");
    const std::vector<std::string> plastic = {"projections.EE.plasticity={rule: bdsp, eta: 0.01 mV, w_max: 2 mV, "
                                              "initial_event_rate: 5 Hz, tau_avg: 200 ms}",
                                              "simulation.threads=2"};
    std::vector<std::string> long_run = small_brunel_with(plastic);
    long_run.push_back("recordings={weights: [{projection: EE, interval: 100 ms}]}");
    long_run.push_back("simulation.t_stop=300 ms");
    run_file(brunel_model, dir / "long", long_run);

    h5::Handle f = h5::open_file_for_reading(dir / "long" / "EE_weights.h5");
    h5::Handle g = h5::open_group(f.get(), "weights/EE");
    const auto time = h5::read_all<double>(h5::open_dataset(g.get(), "time").get());
    const auto mean = h5::read_all<double>(h5::open_dataset(g.get(), "mean").get());
    const auto sum = h5::read_all<double>(h5::open_dataset(g.get(), "sum").get());
    REQUIRE(time.size() == 3);
    CHECK(time[0] == 0.0);
    CHECK(time[1] == Approx(100.5));  // the slice boundaries at or after 100 and 200 ms
    CHECK(time[2] == Approx(201.0));
    CHECK(mean[0] == 1.0);  // the initial weight
    CHECK(sum[2] == Approx(mean[2] * 100000).epsilon(1e-12));
    CHECK(mean[2] != mean[1]);

    std::vector<std::string> short_run = small_brunel_with(plastic);
    short_run.push_back("simulation.t_stop=201 ms");
    run_file(brunel_model, dir / "short", short_run);
    const RunSummary s = summarize_run(dir / "short");
    REQUIRE(s.plastic.size() == 1);
    CHECK(s.plastic[0].time_ms == Approx(201.0));
    CHECK(s.plastic[0].mean_end == mean[2]);
}

// Per-synapse weight recordings (`sources`, `targets`): the synapses between the chosen nodes,
// in weights.h5's order, with one row of weights per sample; the row stamped 201 ms equals the
// final weights of a run stopped at 201 ms (weights.h5), on 1 and 2 threads alike.
TEST_CASE("weight recordings per synapse: each row is the chosen synapses' weights at its time", "[info][plasticity]") {
    const auto dir = scratch("weight_recordings_per_synapse");
    const std::string plasticity = "projections.EE.plasticity={rule: stdp_pair, lambda: 0.05, Wmax: 2 mV}";
    struct Recorded {
        std::vector<double> time;
        std::vector<std::uint32_t> source, target;
        std::vector<float> weight;  // rows of time.size() x source.size()
    };
    const auto read = [](const std::filesystem::path& file) {
        h5::Handle f = h5::open_file_for_reading(file);
        h5::Handle g = h5::open_group(f.get(), "weights/EE");
        Recorded r{h5::read_all<double>(h5::open_dataset(g.get(), "time").get()),
                   h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "source_node_id").get()),
                   h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "target_node_id").get()),
                   {}};
        h5::Handle w = h5::open_dataset(g.get(), "weight");
        const auto dims = h5::shape(w.get());
        REQUIRE(dims.size() == 2);
        CHECK(dims[0] == r.time.size());
        CHECK(dims[1] == r.source.size());
        r.weight.resize(dims[0] * dims[1]);
        REQUIRE(H5Dread(w.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, r.weight.data()) >= 0);
        return r;
    };
    std::vector<Recorded> runs;
    for (int threads : {1, 2}) {
        std::vector<std::string> o = small_brunel_with({plasticity, "simulation.threads=" + std::to_string(threads),
                                                        "simulation.t_stop=300 ms"});
        o.push_back("recordings={weights: [{projection: EE, interval: 100 ms, sources: [0, 7, 42, 799], "
                    "targets: {range: [0, 1000, 3]}}]}");
        const auto out = dir / ("t" + std::to_string(threads));
        run_file(brunel_model, out, o);
        runs.push_back(read(out / "EE_weights.h5"));
    }
    const Recorded& r = runs[1];
    REQUIRE(r.time.size() == 3);
    REQUIRE(r.source.size() > 50);  // 4 sources x 100 targets x p 0.1 x a third of the targets, about 130
    CHECK(runs[0].source == r.source);
    CHECK(runs[0].target == r.target);
    CHECK(runs[0].weight == r.weight);
    for (std::size_t k = 0; k < r.source.size(); ++k) {
        CHECK((r.source[k] == 0 || r.source[k] == 7 || r.source[k] == 42 || r.source[k] == 799));
        CHECK(r.target[k] % 3 == 0);
        CHECK(r.weight[k] == 1.0f);  // the first row: the initial weight
    }
    std::vector<std::string> short_run = small_brunel_with({plasticity, "simulation.threads=2"});
    short_run.push_back("simulation.t_stop=201 ms");
    run_file(brunel_model, dir / "short", short_run);
    h5::Handle f = h5::open_file_for_reading(dir / "short" / "weights.h5");
    h5::Handle g = h5::open_group(f.get(), "weights/EE");
    const auto source = h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "source_node_id").get());
    const auto target = h5::read_all<std::uint32_t>(h5::open_dataset(g.get(), "target_node_id").get());
    const auto weight = h5::read_all<float>(h5::open_dataset(g.get(), "weight").get());
    std::vector<float> expected;
    std::vector<std::uint32_t> expected_source;
    for (std::size_t k = 0; k < source.size(); ++k)
        if ((source[k] == 0 || source[k] == 7 || source[k] == 42 || source[k] == 799) && target[k] % 3 == 0) {
            expected.push_back(weight[k]);
            expected_source.push_back(source[k]);
        }
    CHECK(expected_source == r.source);
    const std::vector<float> last(r.weight.end() - std::ptrdiff_t(r.source.size()), r.weight.end());
    CHECK(r.time[2] == Approx(201.0));
    CHECK(last == expected);
    std::size_t changed = 0;
    for (float w : last) changed += w != 1.0f;
    CHECK(changed > last.size() / 2);
}
