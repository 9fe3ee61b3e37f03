// The simulation section: run settings and the spike classification, two field tables.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "io/description/sections.hpp"

namespace apical::description {

namespace {

constexpr std::uint64_t max_threads = 1024;

const Table<SpikeClassificationSpec>& classification_table() {
    using C = SpikeClassificationSpec;
    static const Table<C> table = {
        choice_field("rule", &C::rule, "a spike classification rule", enum_names(&classification_rule_name, 2)),
        time_field("threshold", &C::threshold_ms, positive_time()),
    };
    return table;
}

void read_classification(Reader& in, const Tree& t, const std::string& path, SimulationSpec& s) {
    SpikeClassificationSpec& c = s.spike_classification;
    c.where = {t.pos.line, t.pos.column, path};
    in.expect_map(t, path, "a mapping {rule: trace or isi, threshold: TIME}");
    in.check_keys(t, path, keys_of(classification_table()), "a key of spike_classification");
    read_fields(in, t, path, classification_table(), c);
    // The classifier counts in steps (engine/spike_classifier.hpp); dt is read before.
    if (const Tree* v = t.find("threshold")) in.check_steps(*v, path + ".threshold", c.threshold_ms, "a threshold");
}

const Table<SimulationSpec>& simulation_table() {
    using S = SimulationSpec;
    static const Table<S> table = {
        time_field("dt", &S::dt_ms, positive_time()),
        time_field("t_stop", &S::t_stop_ms, positive_time()),
        integer_field("seed", &S::seed, 0, 4294967295ull, "an integer in [0, 4294967295]"),
        // Each thread is a virtual process with its own buffers; more threads than the largest
        // machines have hardware threads (2 x 192 cores x 2) only cost memory and time, and
        // 100,000 crashed `apical check` (a segmentation fault while the network was built).
        integer_field("threads", &S::threads, 1, max_threads,
                      "a number of threads from 1 to " + std::to_string(max_threads)),
        custom_field<S>(
            "output",
            [](Reader& in, const Tree& t, const std::string& path, S& s) {
                s.output_dir = in.name(t, path, "an output directory (a path)");
                s.output_where = {t.pos.line, t.pos.column, path};
            },
            [](YAML::Emitter& out, const Reader&, const S& s) { out << s.output_dir; }),
        step_time_field("flush_interval", &S::flush_interval_ms, positive_time()),
        choice_field("spike_exchange", &S::spike_exchange, "a spike exchange",
                     enum_names(&spike_exchange_name, 2)),
        // Last: its threshold is bounded by dt.
        custom_field<S>("spike_classification", &read_classification,
                        [](YAML::Emitter& out, const Reader& in, const S& s) {
                            out << YAML::Flow << YAML::BeginMap;
                            write_fields(out, in, classification_table(), s.spike_classification);
                            out << YAML::EndMap;
                        }),
    };
    return table;
}

}  // namespace

void read_simulation(Reader& in, const Tree* t) {
    SimulationSpec& s = in.spec.simulation;
    s.output_where = {0, 0, "simulation.output"};
    if (!t || t->is_null()) return;
    const std::string path = "simulation";
    const auto keys = keys_of(simulation_table());
    in.expect_map(*t, path, "a mapping of simulation settings (" + join(keys) + ")");
    in.check_keys(*t, path, keys, "a key of simulation");
    read_fields(in, *t, path, simulation_table(), s);
    // The run lasts round(t_stop / dt) steps: at least one, and few enough that every step
    // number is exact (a t_stop of 1e30 ms must not overflow to a run of 0 steps).
    const double steps = s.t_stop_ms / s.dt_ms;
    if (!(std::nearbyint(steps) >= 1.0 && steps < 0x1p53)) {
        const Tree* at = t->find("t_stop") ? t->find("t_stop") : t->find("dt");
        in.fail(at ? at->pos : t->pos, path + (at == t->find("dt") ? ".dt" : ".t_stop"),
                "a t_stop of at least one step and at most 2^53 steps of dt (" + q(s.dt_ms, Dimension::time) + ")",
                q(s.t_stop_ms, Dimension::time));
    }
    // Defaults are counted in steps as well: the default threshold (16 ms) or flush_interval
    // (1000 ms) is too many steps of a tiny dt, said at dt.
    const Tree* classification = t->find("spike_classification");
    const std::pair<const char*, double> defaults[] = {
        {classification && classification->find("threshold") ? nullptr : "spike classification threshold",
         s.spike_classification.threshold_ms},
        {t->find("flush_interval") ? nullptr : "flush_interval", s.flush_interval_ms}};
    for (auto [what, ms] : defaults)
        if (const Tree* dt = t->find("dt"); what && dt && !fits_steps(ms, s.dt_ms))
            in.fail(dt->pos, path + ".dt",
                    "a dt of at least 2^-53 of the default " + std::string(what) + " (" + q(ms, Dimension::time) + ")",
                    q(s.dt_ms, Dimension::time));
}

void write_simulation(YAML::Emitter& out, const Reader& in) {
    out << YAML::Key << "simulation" << YAML::Value << YAML::BeginMap;
    write_fields(out, in, simulation_table(), in.spec.simulation);
    out << YAML::EndMap;
}

}  // namespace apical::description
