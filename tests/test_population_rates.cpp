// Population rate monitors (engine/population_rate_monitor.hpp) and their HDF5 files
// (io/population_rate_writer.hpp): binned event rate, burst rate and burst probability.
//
// (a) hand-made spike lists with classes: exact counts, rates, bin edges, start/stop, the
//     bin cut by stop and the partial bin at the end of a run;
// (b) Poisson spike_source populations classified by the kernel with the ISI rule (docs/models.md
//     3.1, 16 ms): event rate and burst probability over the whole recording against docs/models.md
//     3.4 within 4 standard errors (derivation at that test);
// (c) the HDF5 file of a run, read back with the HDF5 C API, against an in-memory monitor
//     fed by the same run; attributes and units; a SWMR reader during the run.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/network.hpp"
#include "engine/population_rate_monitor.hpp"
#include "engine/simulation.hpp"
#include "io/hdf5.hpp"
#include "io/population_rate_writer.hpp"
#include "hdf5_checks.hpp"
#include "spec_builders.hpp"

#ifndef APICAL_TEST_TMP
#define APICAL_TEST_TMP "/tmp/apical_test"
#endif

using namespace apical;
using namespace apical::test;

namespace {

using C = SpikeClass;

struct MemorySink final : PopulationRateSink {
    void append(const PopulationRateBin& b) override { bins.push_back(b); }
    void flush() override { ++flushes; }
    std::vector<PopulationRateBin> bins;
    int flushes = 0;
};

// Appends one slice of (step, gid, class) triples (sorted by step, gid).
void append(PopulationRateMonitor& m, std::vector<std::tuple<step_t, gid_t, std::uint8_t>> list) {
    std::vector<Spike> spikes;
    std::vector<std::uint8_t> classes;
    for (auto [s, g, c] : list) {
        spikes.push_back({s, g, 0.0f});
        classes.push_back(c);
    }
    m.append(spikes, classes);
}

void check_bin(const PopulationRateBin& b, step_t first, step_t steps, std::uint64_t events, std::uint64_t bursts,
               double dt, double n) {
    CHECK(b.first_step == first);
    CHECK(b.steps == steps);
    CHECK(b.events == events);
    CHECK(b.bursts == bursts);
    CHECK(b.time_ms == double(first) * dt);  // the time spike files give step `first`
    const double width_s = double(steps) * dt * 1e-3;
    CHECK(b.width_ms == Approx(double(steps) * dt).epsilon(1e-15));
    CHECK(b.event_rate_hz == Approx(double(events) / (width_s * n)).epsilon(1e-14));
    CHECK(b.burst_rate_hz == Approx(double(bursts) / (width_s * n)).epsilon(1e-14));
    if (events == 0)
        CHECK(std::isnan(b.burst_probability));
    else
        CHECK(b.burst_probability == double(bursts) / double(events));
}

// Independent Poisson trains (ms) of `rate_hz` on [0, t_stop_ms), one per neuron.
std::vector<std::vector<double>> poisson_trains(std::size_t n, double rate_hz, double t_stop_ms,
                                                std::mt19937_64& gen) {
    std::vector<std::vector<double>> trains(n);
    for (auto& train : trains)
        for (double t = 0;;) {
            t += -std::log1p(-double(gen() >> 11) * 0x1p-53) / (rate_hz * 1e-3);
            if (t >= t_stop_ms) break;
            train.push_back(t);
        }
    return trains;
}

}  // namespace

TEST_CASE("grid: bin and start on the step grid, stop rounded up", "[population_rates]") {
    auto g = PopulationRateMonitor::grid(25, 0, 1000, 0.1);
    CHECK(g.bin == 250);
    CHECK(g.start == 0);
    CHECK(g.stop == 10000);
    g = PopulationRateMonitor::grid(0.7, 0.3, 10.05, 0.1);  // 0.7 / 0.1 = 6.9999999999999991
    CHECK(g.bin == 7);
    CHECK(g.start == 3);
    CHECK(g.stop == 101);  // spikes at steps <= 100 (10.0 ms < 10.05 ms) count
    CHECK(PopulationRateMonitor::grid(1, 0, 1.1, 0.1).stop == 11);  // 1.1 / 0.1 = 11.000000000000002
    CHECK(PopulationRateMonitor::grid(1, 0, 1e300, 0.1).stop > step_t(1) << 60);
    // The description layer refuses these with a located message (test_description_recordings);
    // the engine asserts.
    CHECK_THROWS_AS(PopulationRateMonitor::grid(0.15, 0, 10, 0.1), std::logic_error);
    CHECK_THROWS_AS(PopulationRateMonitor::grid(0, 0, 10, 0.1), std::logic_error);
    CHECK_THROWS_AS(PopulationRateMonitor::grid(1, 0.05, 10, 0.1), std::logic_error);
    CHECK_THROWS_AS(PopulationRateMonitor::grid(1, 10, 10, 0.1), std::logic_error);
}

TEST_CASE("monitor: counts, rates, bin edges, start and the bin cut by stop", "[population_rates]") {
    const double dt = 0.1;
    MemorySink sink;
    // Population gids [10, 15); bins of 10 steps from step 20, stop at step 55: [20, 30),
    // [30, 40), [40, 50), [50, 55).
    PopulationRateMonitor m(10, 5, dt, {10, 20, 55}, sink);
    step_t clock = 0;
    m.set_clock([&] { return clock; });

    append(m, {{5, 10, C::event}, {19, 11, C::event}, {20, 9, C::event}, {20, 10, C::event}});
    clock = 24;
    m.flush();
    CHECK(sink.bins.empty());  // [20, 30) is not complete at step 24
    CHECK(sink.flushes == 1);

    append(m, {{25, 12, C::burst}, {29, 13, C::other}, {29, 14, C::event}, {29, 15, C::event},
               {30, 10, C::event}});
    REQUIRE(sink.bins.size() == 1);  // the spike at 30 completes [20, 30)
    check_bin(sink.bins[0], 20, 10, 2, 1, dt, 5);
    CHECK(sink.bins[0].event_rate_hz == Approx(400.0));  // 2 / (1 ms x 5)
    CHECK(sink.bins[0].burst_rate_hz == Approx(200.0));
    CHECK(sink.bins[0].burst_probability == 0.5);
    CHECK_FALSE(sink.bins[0].partial());
    clock = 44;
    m.flush();  // a quiet stretch: the clock completes [30, 40)
    REQUIRE(sink.bins.size() == 2);
    check_bin(sink.bins[1], 30, 10, 1, 0, dt, 5);

    append(m, {{50, 11, C::burst}, {54, 11, C::other}, {54, 12, C::event}, {55, 10, C::event}, {60, 10, C::event}});
    REQUIRE(sink.bins.size() == 4);  // the spike at 55 >= stop completes everything
    check_bin(sink.bins[2], 40, 10, 0, 0, dt, 5);  // empty: NaN burst probability
    check_bin(sink.bins[3], 50, 5, 1, 1, dt, 5);   // cut by stop: 0.5 ms wide
    CHECK(sink.bins[3].partial());
    CHECK(sink.bins[3].event_rate_hz == Approx(400.0));  // 1 / (0.5 ms x 5)
    m.finish(64);
    CHECK(sink.bins.size() == 4);
    CHECK(m.finished());
}

TEST_CASE("monitor: the partial bin at the end of a run, and a silent population", "[population_rates]") {
    const double dt = 0.1;
    SECTION("finish inside a bin") {
        MemorySink sink;
        PopulationRateMonitor m(0, 4, dt, PopulationRateMonitor::grid(1.0, 0, 1e300, dt), sink);
        append(m, {{3, 0, C::event}, {9, 3, C::event}});
        append(m, {{12, 1, C::event}, {15, 1, C::burst}, {17, 1, C::other}});
        m.finish(17);  // the run computed steps up to 17: [10, 18) is 8 steps wide
        REQUIRE(sink.bins.size() == 2);
        check_bin(sink.bins[0], 0, 10, 2, 0, dt, 4);
        check_bin(sink.bins[1], 10, 8, 1, 1, dt, 4);
        CHECK(sink.bins[1].partial());
        CHECK(sink.bins[1].event_rate_hz == Approx(1.0 / (0.8e-3 * 4)));
        const int flushes = sink.flushes;
        m.finish(30);  // idempotent
        append(m, {{40, 0, C::event}});
        m.flush();
        CHECK(sink.bins.size() == 2);
        CHECK(sink.flushes == flushes + 1);
    }
    SECTION("finish on the last step of a bin gives no empty bin after it") {
        MemorySink sink;
        PopulationRateMonitor m(0, 1, dt, {10, 0, 1000}, sink);
        m.finish(19);
        REQUIRE(sink.bins.size() == 2);
        CHECK_FALSE(sink.bins[1].partial());
    }
    SECTION("a run that ends before start hands on nothing") {
        MemorySink sink;
        PopulationRateMonitor m(0, 1, dt, {10, 100, 1000}, sink);
        append(m, {{50, 0, C::event}});
        m.finish(99);
        CHECK(sink.bins.empty());
    }
}

// (b) Poisson trains through the kernel, classified with the ISI rule (16 ms).
//
// Expected values. A spike_source puts the spike of time t on step round(t / dt) and merges
// spikes of one neuron on one step, so a Poisson train of rate r becomes independent
// Bernoulli steps with p = 1 - exp(-r dt): spike rate r_g = p / dt (= r (1 - r dt / 2 + ...),
// 0.25 % below r at 50 Hz), and a spike is an event iff none of the W = 160 steps before it
// holds a spike, probability q = (1 - p)^W = exp(-r theta) exactly. Hence
//   E = r_g q      (docs/models.md 3.4: r e^{-r theta}; the factor r_g / r is the grid's)
//   P = 1 - q      (exactly docs/models.md 3.4).
// Standard errors, recording of T steps over N neurons (stationary: it starts at 100 ms).
// * Events: per neuron a renewal-reward process with geometric cycles X (the ISIs, mean
//   1/p, variance (1 - p)/p^2) and reward R = 1{X > W} (E R = q). The renewal-reward CLT
//   gives Var(count) ~ (T / E X) Var(R - q p X) with Cov(R, X) = E[X; X > W] - q/p = q W:
//     Var(events) = N T p q (1 - q p - 2 q p W)   (continuum: N T' r q (1 - 2 q r theta)),
//   i.e. Fano factor 1 - 2 q r theta < 1 (events are more regular than Poisson).
// * Burst probability: the interval after an event is independent of everything before
//   it, so each event is followed by a burst spike with probability 1 - q independently:
//   given the event count E_n, bursts ~ Binomial(E_n, 1 - q) (up to the few events whose
//   next spike falls outside the recording; stationarity makes the expected counts exact),
//   SE(P) = sqrt(P (1 - P) / E_n).
TEST_CASE("Poisson populations: event rate and burst probability of the ISI rule match docs/models.md 3.4",
          "[population_rates][statistics]") {
    const double dt = 0.1, theta = 16.0, t_stop = 10000.0, start = 100.0;
    const std::uint64_t n = 1000;
    const std::vector<double> rates = {5, 10, 20, 50};
    // docs/models.md 3.4 table (E in Hz, P) for these rates: checks the formulas used below.
    const std::vector<double> table_e = {4.6156, 8.5214, 14.5230, 22.4664};
    const std::vector<double> table_p = {0.0769, 0.1479, 0.2739, 0.5507};

    NetworkSpec spec;
    spec.simulation.dt_ms = dt;
    spec.simulation.t_stop_ms = t_stop;
    spec.simulation.spike_classification.rule = ClassificationRule::isi;
    spec.simulation.spike_classification.threshold_ms = theta;
    std::mt19937_64 gen(20240611);
    for (std::size_t k = 0; k < rates.size(); ++k) {
        auto pop = population("P" + std::to_string(k), "spike_source", n);
        pop.spike_times_ms = poisson_trains(n, rates[k], t_stop, gen);
        spec.populations.push_back(pop);
        spec.spike_recordings.push_back(pop.name);  // the kernel classifies recorded populations
    }
    Network net(spec, 1, 0, 1);
    LocalContext ctx;
    Simulation sim(net, ctx);
    std::vector<MemorySink> sinks(rates.size());
    std::vector<std::unique_ptr<PopulationRateMonitor>> monitors;
    const auto grid = PopulationRateMonitor::grid(100.0, start, t_stop, dt);
    for (std::size_t k = 0; k < rates.size(); ++k) {
        const auto& layout = net.decomposition().populations()[k];
        monitors.push_back(std::make_unique<PopulationRateMonitor>(layout.first_gid, layout.size, dt, grid, sinks[k]));
        sim.add_recorder(monitors.back().get());
    }
    const step_t until = sim.run(step_t(std::llround(t_stop / dt)));
    for (auto& m : monitors) m->finish(until);

    const double W = theta / dt;
    for (std::size_t k = 0; k < rates.size(); ++k) {
        const double r = rates[k];
        INFO("rate " << r << " Hz");
        const auto& bins = sinks[k].bins;
        REQUIRE(bins.size() == 99);  // [100, 10000) ms in bins of 100 ms, none partial
        std::uint64_t events = 0, bursts = 0;
        step_t steps = 0;
        for (const auto& b : bins) {
            CHECK_FALSE(b.partial());
            events += b.events;
            bursts += b.bursts;
            steps += b.steps;
        }
        REQUIRE(steps == 99000);
        const auto total = PopulationRateMonitor::make_bin(bins.front().first_step, steps, steps, events, bursts, dt, n);

        const double q = std::exp(-r * theta * 1e-3);
        CHECK(r * q == Approx(table_e[k]).margin(5e-5));  // the analytic values of docs/models.md 3.4
        CHECK(1 - q == Approx(table_p[k]).margin(5e-5));
        const double p = -std::expm1(-r * dt * 1e-3);
        const double e_expected = p / (dt * 1e-3) * q;  // Hz
        const double mean_events = double(n) * double(steps) * p * q;
        const double se_events = std::sqrt(mean_events * (1 - q * p - 2 * q * p * W));
        const double se_rate = se_events / (double(n) * double(steps) * dt * 1e-3);
        const double se_p = std::sqrt((1 - q) * q / double(events));
        INFO("event rate " << total.event_rate_hz << " Hz, expected " << e_expected << " (docs/models.md " << r * q
                           << ") +- " << se_rate << "; burst probability " << total.burst_probability
                           << ", expected " << 1 - q << " +- " << se_p << "; " << events << " events");
        CHECK(std::abs(total.event_rate_hz - e_expected) < 4 * se_rate);
        CHECK(std::abs(total.burst_probability - (1 - q)) < 4 * se_p);
        // Bins: each bin's counts scatter around the same values (a coarse check that no
        // bin loses or doubles spikes: every bin within 6 of its own standard errors).
        for (const auto& b : bins)
            CHECK(std::abs(b.event_rate_hz - e_expected) < 6 * se_rate * std::sqrt(double(bins.size())));
        WARN("r = " << r << " Hz: E = " << total.event_rate_hz << " Hz (expected " << e_expected << ", "
                    << (total.event_rate_hz - e_expected) / se_rate << " SE), P = " << total.burst_probability
                    << " (expected " << 1 - q << ", " << (total.burst_probability - (1 - q)) / se_p << " SE)");
    }
}

// ---- (c) the HDF5 file ---------------------------------------------------------------------

namespace {

std::filesystem::path scratch_dir(const std::string& name) {
    const auto dir = std::filesystem::path(APICAL_TEST_TMP) / "population_rates" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// A 1-D dataset read with H5Dread, checking its stored type and its units attribute.
template <class T>
std::vector<T> read_column(hid_t group, const char* name, hid_t file_type, const std::string& units) {
    INFO("dataset " << name);
    h5::Handle d(H5Dopen2(group, name, H5P_DEFAULT));
    REQUIRE(d.valid());
    h5::Handle type(H5Dget_type(d.get()));
    CHECK(H5Tequal(type.get(), file_type) > 0);
    h5::Handle space(H5Dget_space(d.get()));
    REQUIRE(H5Sget_simple_extent_ndims(space.get()) == 1);
    hsize_t size = 0, max = 0;
    H5Sget_simple_extent_dims(space.get(), &size, &max);
    CHECK(max == H5S_UNLIMITED);
    h5::Handle dcpl(H5Dget_create_plist(d.get()));
    CHECK(H5Pget_layout(dcpl.get()) == H5D_CHUNKED);
    std::vector<T> v(size);
    if (size > 0) REQUIRE(H5Dread(d.get(), h5::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
    h5::Handle a(H5Aopen(d.get(), "units", H5P_DEFAULT));
    REQUIRE(a.valid());
    h5::Handle vlen = h5::vlen_string_type();
    char* s = nullptr;
    REQUIRE(H5Aread(a.get(), vlen.get(), &s) >= 0);
    CHECK(std::string(s) == units);
    H5free_memory(s);
    return v;
}

// The file's columns against the bins of an in-memory monitor of the same run.
void check_file_against(hid_t group, const std::vector<PopulationRateBin>& bins) {
    const auto time = read_column<double>(group, "time", H5T_IEEE_F64LE, "ms");
    const auto width = read_column<double>(group, "bin_width", H5T_IEEE_F64LE, "ms");
    const auto er = read_column<double>(group, "event_rate", H5T_IEEE_F64LE, "Hz");
    const auto br = read_column<double>(group, "burst_rate", H5T_IEEE_F64LE, "Hz");
    const auto pr = read_column<double>(group, "burst_probability", H5T_IEEE_F64LE, "1");
    const auto ec = read_column<std::uint64_t>(group, "event_count", H5T_STD_U64LE, "1");
    const auto bc = read_column<std::uint64_t>(group, "burst_count", H5T_STD_U64LE, "1");
    REQUIRE(time.size() == bins.size());
    for (auto* v : {&width, &er, &br, &pr}) REQUIRE(v->size() == bins.size());
    REQUIRE(ec.size() == bins.size());
    REQUIRE(bc.size() == bins.size());
    for (std::size_t i = 0; i < bins.size(); ++i) {
        INFO("bin " << i);
        CHECK(time[i] == bins[i].time_ms);
        CHECK(width[i] == bins[i].width_ms);
        CHECK(er[i] == bins[i].event_rate_hz);
        CHECK(br[i] == bins[i].burst_rate_hz);
        if (std::isnan(bins[i].burst_probability))
            CHECK(std::isnan(pr[i]));
        else
            CHECK(pr[i] == bins[i].burst_probability);
        CHECK(ec[i] == bins[i].events);
        CHECK(bc[i] == bins[i].bursts);
    }
}

}  // namespace

TEST_CASE("population rate files hold the monitor's bins, units and attributes; SWMR during the run",
          "[population_rates][io]") {
    const double dt = 0.1;
    const auto dir = scratch_dir("run");
    NetworkSpec spec;
    spec.simulation.dt_ms = dt;
    spec.simulation.t_stop_ms = 2000;
    spec.simulation.flush_interval_ms = 100;
    spec.simulation.spike_classification.rule = ClassificationRule::isi;
    auto a = population("A", "spike_source", 3);
    a.spike_times_ms = {{10, 15, 40, 100, 105, 110}, {12, 200}, {}};  // all within the first second
    auto b = population("B", "spike_source", 200);
    std::mt19937_64 gen(7);
    b.spike_times_ms = poisson_trains(200, 20, 2000, gen);
    spec.populations = {a, b};
    PopulationRateSpec rb;
    rb.name = "b_rates";
    rb.population = "B";
    rb.bin_ms = 250;
    rb.start_ms = 100;
    rb.stop_ms = 2000;
    PopulationRateSpec ra;
    ra.name = "a_rates";
    ra.population = "A";
    ra.bin_ms = 1000;
    ra.stop_ms = 5000;  // beyond t_stop: clipped to it
    spec.population_rates = {rb, ra};

    Network net(spec, 1, 0, 1);
    auto rates = make_population_rate_recorders(spec, net.decomposition(), dir);
    REQUIRE(rates);
    REQUIRE(rates->size() == 2);
    LocalContext ctx;
    Simulation sim(net, ctx);
    for (std::size_t i = 0; i < rates->size(); ++i) sim.add_recorder(&rates->monitor(i));
    rates->set_clock([&sim] { return sim.current_step(); });
    // Reference monitors of the same run, in memory.
    MemorySink sink_b, sink_a;
    const auto& pops = net.decomposition().populations();
    PopulationRateMonitor ref_b(pops[1].first_gid, pops[1].size, dt, PopulationRateMonitor::grid(250, 100, 2000, dt),
                                sink_b);
    PopulationRateMonitor ref_a(pops[0].first_gid, pops[0].size, dt, PopulationRateMonitor::grid(1000, 0, 2000, dt),
                                sink_a);
    sim.add_recorder(&ref_b);
    sim.add_recorder(&ref_a);

    // Mid-run: the clock has handed on [100, 350) and [350, 600) at the flush ending run().
    // (A reader in this process would share the writer's open file, so the SWMR view is
    // tested from another process below.)
    sim.run(6000);
    REQUIRE(sink_b.bins.size() == 2);
    CHECK(rates->writer(0).bins_written() == 2);
    CHECK(rates->writer(0).buffered() == 0);  // flushed
    // The run stops inside a bin (as after a signal): finish writes it, cut.
    sim.run(12345);
    rates->finish();
    ref_b.finish(12345);
    ref_a.finish(12345);
    rates->finish();  // idempotent

    REQUIRE(sink_b.bins.size() == 5);  // 100, 350, 600, 850, 1100 ms; the last 134.6 ms wide
    CHECK(sink_b.bins.back().steps == 1346);
    CHECK(sink_b.bins.back().partial());
    REQUIRE(sink_a.bins.size() == 2);  // [0, 1000) and [1000, 1234.6) ms
    CHECK(sink_a.bins[0].events == 5);  // classes as in test_spike_classes (the same under the ISI rule)
    CHECK(sink_a.bins[0].bursts == 2);
    CHECK(std::isnan(sink_a.bins[1].burst_probability));  // no spikes in the second

    for (auto [name, pop, sink, n, bin, start, stop] :
         {std::tuple{"b_rates", "B", &sink_b, 200, 250.0, 100.0, 2000.0},
          std::tuple{"a_rates", "A", &sink_a, 3, 1000.0, 0.0, 2000.0}}) {
        INFO(name);
        h5::Handle file(H5Fopen((dir / (std::string(name) + ".h5")).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
        REQUIRE(file.valid());  // closed cleanly: plain readers open it
        h5::Handle group(H5Gopen2(file.get(), (std::string("/population_rates/") + pop).c_str(), H5P_DEFAULT));
        REQUIRE(group.valid());
        check_file_against(group.get(), sink->bins);
        CHECK(read_attr<std::uint64_t>(group.get(), "n_neurons") == std::uint64_t(n));
        CHECK(read_attr<double>(group.get(), "bin_ms") == bin);
        CHECK(read_attr<double>(group.get(), "start_ms") == start);
        CHECK(read_attr<double>(group.get(), "stop_ms") == stop);
        CHECK(read_attr<double>(group.get(), "dt_ms") == dt);
        CHECK(read_string_attr(group.get(), "classification_rule") == "isi");
        CHECK(read_attr<double>(group.get(), "classification_threshold_ms") == 16.0);
        CHECK(read_string_attr(group.get(), "classification").rfind("isi (docs/models.md 3.1)", 0) == 0);
        CHECK(read_string_attr(group.get(), "definition").find("event_count / (bin_width n_neurons)") !=
              std::string::npos);
    }
}

TEST_CASE("a killed run leaves a file that SWMR readers see up to the last flush", "[population_rates][io][swmr]") {
    const double dt = 0.1;
    const auto dir = scratch_dir("killed");
    // The spikes of a run, taken in this process; a child feeds them to the file's monitor
    // slice by slice (no kernel after fork), flushes at 500 ms, appends more and is killed.
    NetworkSpec spec;
    spec.simulation.dt_ms = dt;
    spec.simulation.t_stop_ms = 1000;
    auto b = population("B", "spike_source", 50);
    std::mt19937_64 gen(11);
    b.spike_times_ms = poisson_trains(50, 30, 1000, gen);
    spec.populations = {b};
    PopulationRateSpec r;
    r.name = "b_rates";
    r.population = "B";
    r.bin_ms = 50;
    spec.population_rates = {r};
    Network net(spec, 1, 0, 1);
    MemorySpikeRecorder all;
    {
        LocalContext ctx;
        Simulation sim(net, ctx);
        sim.add_recorder(&all);
        sim.run(10000);
    }
    // Slices of 10 steps, as the kernel would hand them on, up to and including step `until`.
    auto feed = [&](PopulationRateMonitor& m, step_t from, step_t until) {
        for (step_t first = from; first <= until; first += 10) {
            std::size_t i = 0;
            while (i < all.spikes.size() && all.spikes[i].step < first) ++i;
            std::size_t j = i;
            while (j < all.spikes.size() && all.spikes[j].step < first + 10) ++j;
            m.append(std::span(all.spikes).subspan(i, j - i), std::span(all.classes).subspan(i, j - i));
        }
    };
    MemorySink reference;
    PopulationRateMonitor ref(0, 50, dt, PopulationRateMonitor::grid(50, 0, 1000, dt), reference);
    feed(ref, 1, 5000);
    ref.advance_to(5000);  // what the flush at step 5000 hands on: 10 bins
    REQUIRE(reference.bins.size() == 10);

    run_killed_child([&] {
        auto rates = make_population_rate_recorders(spec, net.decomposition(), dir);
        step_t clock = 0;
        rates->monitor(0).set_clock([&] { return clock; });
        feed(rates->monitor(0), 1, 5000);
        clock = 5000;
        rates->monitor(0).flush();
        feed(rates->monitor(0), 5001, 8000);  // completes bins that are only buffered
        raise(SIGKILL);
    });

    const auto path = dir / "b_rates.h5";
    h5::silence_error_printing();
    CHECK(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT) < 0);  // still marked as SWMR-written
    h5::Handle reader(H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT));
    REQUIRE(reader.valid());
    h5::Handle group(H5Gopen2(reader.get(), "/population_rates/B", H5P_DEFAULT));
    REQUIRE(group.valid());
    check_file_against(group.get(), reference.bins);  // every dataset holds the 10 flushed bins
    CHECK(read_attr<std::uint64_t>(group.get(), "n_neurons") == 50);
}

TEST_CASE("population rate recorders: errors and the empty case", "[population_rates][io]") {
    NetworkSpec spec;
    spec.populations = {population("A", "spike_source", 2)};
    Network net(spec, 1, 0, 1);
    const auto dir = scratch_dir("errors");
    CHECK(make_population_rate_recorders(spec, net.decomposition(), dir) == nullptr);
    PopulationRateSpec r;
    r.name = "x";
    r.population = "A";
    r.bin_ms = 0.3;
    spec.population_rates = {r};
    CHECK_THROWS_AS(make_population_rate_recorders(spec, net.decomposition(), dir / "missing"), UserError);
    spec.population_rates[0].bin_ms = 0.05;  // half a step: the description refuses it, the engine asserts
    CHECK_THROWS_AS(make_population_rate_recorders(spec, net.decomposition(), dir), std::logic_error);
    spec.population_rates[0].bin_ms = 1;
    spec.population_rates[0].population = "nope";
    CHECK_THROWS_AS(make_population_rate_recorders(spec, net.decomposition(), dir), UserError);
}
