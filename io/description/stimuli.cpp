// The stimuli section: one field table per stimulus model (poisson_generator, dc_current,
// step_current, noise_current, sine_current, teaching_current, sine_input) between the fields
// every stimulus has.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "io/description/sections.hpp"
#include "neurons/model_info.hpp"

namespace apical::description {

namespace {

using S = StimulusSpec;
using TargetRefs = std::vector<std::pair<const Tree*, std::string>>;  // node, key path

const char* model_name(S::Kind k) {
    switch (k) {
    case S::Kind::poisson_generator: return "poisson_generator";
    case S::Kind::dc_current: return "dc_current";
    case S::Kind::step_current: return "step_current";
    case S::Kind::noise_current: return "noise_current";
    case S::Kind::sine_current: return "sine_current";
    case S::Kind::teaching_current: return "teaching_current";
    case S::Kind::sine_input: return "sine_input";
    }
    return "";
}

const std::vector<std::string>& model_names() {
    static const auto names = enum_names(&model_name, 7);
    return names;
}

const ModelInfo& first_target(const Reader& in, const S& s) { return *population_named(in, s.targets[0]).info; }

// Current stimuli may target a compartment other than the soma; every target model must
// have it.
void read_compartment(Reader& in, const Tree& c, const std::string& path, S& s) {
    const std::string compartment = in.name(c, path, "a compartment name");
    for (auto& target : s.targets) {
        const PopulationSpec& pop = population_named(in, target);
        const ModelInfo& info = *pop.info;
        const int ci = info.find_compartment(compartment);
        if (ci < 0)
            in.fail(c.pos, path,
                    "a compartment of " + info.name + ", the model of population " + pop.name + " " +
                        one_of(info.compartments),
                    quote(compartment) + suggestion(compartment, info.compartments));
        s.compartments.push_back(ci);
    }
}

void read_stop(Reader& in, const Tree& t, const std::string& path, S& s) {
    s.stop_ms = in.quantity(t, path, Dimension::time);
    if (!(s.stop_ms >= s.start_ms))
        in.fail(t.pos, path, "a stop time at or after start (" + q(s.start_ms, Dimension::time) + ")",
                q(s.stop_ms, Dimension::time));
    in.check_steps(t, path, s.stop_ms, "a stop time");
}

void write_quantities(YAML::Emitter& out, const std::vector<double>& v, Dimension d) {
    out << YAML::Flow << YAML::BeginSeq;
    for (double x : v) out << q(x, d);
    out << YAML::EndSeq;
}

// The period of a periodic step_current or of a teaching_current: at least one step.
Field<S> period_field() {
    return custom_field<S>(
        "period",
        [](Reader& in, const Tree& t, const std::string& path, S& s) {
            s.period_ms = in.bounded(t, path, Dimension::time, positive_time());
            in.check_steps(t, path, s.period_ms, "a period");
            if (std::round(s.period_ms / in.spec.simulation.dt_ms) < 1)
                in.fail(t.pos, path, "a period of at least one step (dt)", q(s.period_ms, Dimension::time));
        },
        [](YAML::Emitter& out, const Reader&, const S& s) { out << q(s.period_ms, Dimension::time); });
}

const KindTables<S>& stimulus_tables() {
    auto write_name = [](YAML::Emitter& out, const Reader&, const S& s) { out << s.name; };
    const auto compartment =
        custom_field<S>("compartment", &read_compartment, [](YAML::Emitter& out, const Reader& in, const S& s) {
            out << first_target(in, s).compartments[std::size_t(s.compartments[0])];
        }).when([](const S& s) { return !s.compartments.empty(); });
    const auto delay = custom_field<S>(
                           "delay",
                           [](Reader& in, const Tree& t, const std::string& path, S& s) {
                               s.delay_ms = in.delay(t, path).value;
                           },
                           [](YAML::Emitter& out, const Reader&, const S& s) { out << q(s.delay_ms, Dimension::time); })
                           .require("the delay of each input, a time of at least dt");
    const auto receptor = custom_field<S>("receptor", nullptr,
                                          [](YAML::Emitter& out, const Reader& in, const S& s) {
                                              out << first_target(in, s).receptors[std::size_t(s.receptors[0])].name;
                                          })
                              .when([](const S& s) { return !s.receptors.empty(); });
    // A value in the weight unit of the (first) target's receptor.
    const auto weight = [](const char* key, double S::*member) {
        return custom_field<S>(key, nullptr, [member](YAML::Emitter& out, const Reader& in, const S& s) {
            const int r = s.receptors.empty() ? 0 : s.receptors[0];
            out << q(s.*member, first_target(in, s).receptors[std::size_t(r)].weight_dim);
        });
    };
    static const KindTables<S> tables = {
        {
            custom_field<S>("name", nullptr, write_name),
            choice_field("model", &S::kind, "a stimulus model", model_names())
                .require("the kind of stimulus " + one_of(model_names())),
            custom_field<S>("target", nullptr, nullptr),
            custom_field<S>(
                "targets", nullptr,
                [](YAML::Emitter& out, const Reader&, const S& s) { out << YAML::Flow << s.targets; }),
        },
        {
            {
                quantity_field("rate", &S::rate_hz, Dimension::frequency, at_least("a rate", 0.0))
                    .require("the rate of each neuron's Poisson train, e.g. 20 kHz"),
                weight("weight", &S::weight),
                delay,
                receptor,
            },
            {
                quantity_field("amplitude", &S::amplitude_pA, Dimension::current)
                    .require("the current, e.g. 100 pA"),
                compartment,
            },
            {
                custom_field<S>("times", nullptr,
                                [](YAML::Emitter& out, const Reader&, const S& s) {
                                    write_quantities(out, s.times_ms, Dimension::time);
                                }),
                custom_field<S>("amplitudes", nullptr,
                                [](YAML::Emitter& out, const Reader&, const S& s) {
                                    write_quantities(out, s.amplitudes_pA, Dimension::current);
                                }),
                period_field().when([](const S& s) { return s.period_ms > 0.0; }),
                compartment,
            },
            {
                quantity_field("mean", &S::mean_pA, Dimension::current),
                quantity_field("std", &S::std_pA, Dimension::current, at_least("a standard deviation", 0.0))
                    .require("the standard deviation of the current, e.g. 50 pA"),
                time_field("tau", &S::tau_ms, positive_time())
                    .require("the correlation time of the current, e.g. 2 ms"),
                compartment,
            },
            {
                quantity_field("amplitude", &S::amplitude_pA, Dimension::current)
                    .require("the amplitude of the sine, e.g. 100 pA"),
                quantity_field("offset", &S::offset_pA, Dimension::current),
                quantity_field("frequency", &S::frequency_hz, Dimension::frequency, at_least("a frequency", 0.0))
                    .require("the frequency of the sine, e.g. 2 Hz"),
                quantity_field("phase", &S::phase_deg, Dimension::dimensionless),
                compartment,
            },
            {
                quantity_field("amplitude", &S::amplitude_pA, Dimension::current, at_least("a current", 0.0))
                    .require("the base amplitude of the teaching current, e.g. 1 nA"),
                period_field().require("the duration of one example, after which the window repeats, e.g. 8 s"),
                custom_field<S>("window", nullptr,
                                [](YAML::Emitter& out, const Reader&, const S& s) {
                                    write_quantities(out, {s.window_ms.first, s.window_ms.second}, Dimension::time);
                                }),
                custom_field<S>("pattern", nullptr,
                                [](YAML::Emitter& out, const Reader&, const S& s) {
                                    out << YAML::Flow << s.pattern;
                                }),
                time_field("tau_avg", &S::tau_avg_ms, positive_time())
                    .require("the time constant of the running event rate, e.g. 2 s"),
                quantity_field("e_min", &S::e_min_hz, Dimension::frequency, at_least("a rate", 0.0)),
                quantity_field("e_max", &S::e_max_hz, Dimension::frequency, at_least("a rate", 0.0)),
                quantity_field("tolerance", &S::tolerance_hz, Dimension::frequency, above("a rate", 0.0)),
                compartment,
            },
            {
                weight("amplitude", &S::input_amplitude),
                weight("offset", &S::input_offset),
                quantity_field("frequency", &S::frequency_hz, Dimension::frequency, at_least("a frequency", 0.0))
                    .require("the frequency of the sine, e.g. 10 Hz"),
                quantity_field("phase", &S::phase_deg, Dimension::dimensionless),
                delay,
                receptor,
            },
        },
        {
            step_time_field("start", &S::start_ms, at_least("a start time", 0.0)),
            custom_field<S>(
                "stop", &read_stop,
                [](YAML::Emitter& out, const Reader&, const S& s) { out << q(s.stop_ms, Dimension::time); })
                .when([](const S& s) { return s.stop_ms < no_stop; }),
        },
    };
    return tables;
}

// target: NAME or targets: [NAME, ...], each a population whose neurons take input, once.
TargetRefs read_targets(Reader& in, const Tree& item, const std::string& path, S& s) {
    const Tree* one = item.find("target");
    const Tree* many = item.find("targets");
    if (one && many) in.fail(many->pos, path + ".targets", "either target or targets, not both", "both");
    if (!one && !many) in.require(item, path, "targets", "a list of population names (or target: NAME)");
    TargetRefs refs;
    if (one)
        refs.push_back({one, path + ".target"});
    else {
        if (!many->is_seq() || many->items.empty())
            in.fail(many->pos, path + ".targets", "a non-empty list of population names", describe(*many));
        for (std::size_t k = 0; k < many->items.size(); ++k)
            refs.push_back({&many->items[k], index_path(path + ".targets", k)});
    }
    for (auto& [node, tpath] : refs) {
        const PopulationSpec& pop = in.spec.populations[in.population_ref(*node, tpath)];
        const ModelInfo& tinfo = *pop.info;
        if (tinfo.is_spike_source)
            in.fail(node->pos, tpath, "a target population whose neurons take input",
                    quote(pop.name) + " (a spike_source population)");
        if (tinfo.receptors.empty() && tinfo.compartments.empty())  // e.g. poisson_source
            in.fail(node->pos, tpath, "a target population whose neurons take input",
                    quote(pop.name) + " (a " + pop.model + " population, which takes no input)");
        if (std::find(s.targets.begin(), s.targets.end(), pop.name) != s.targets.end())
            in.fail(node->pos, tpath, "each target population once", quote(pop.name) + " again");
        s.targets.push_back(pop.name);
    }
    return refs;
}

// One receptor name (or routing by sign) for every target; one weight dimension. Then the
// input's weight: `weight` (poisson_generator), or the sine's `amplitude` and `offset`
// (sine_input), in that dimension; onto a receptor of unsigned weights (a conductance) no input
// may be negative.
void read_input_weight(Reader& in, const Tree& item, const std::string& path, S& s, const TargetRefs& refs) {
    const ReceptorInfo* first = nullptr;
    for (std::size_t k = 0; k < s.targets.size(); ++k) {
        const PopulationSpec& pop = population_named(in, s.targets[k]);
        const int r = read_receptor(in, item, path, pop);
        if (r >= 0) s.receptors.push_back(r);
        const ReceptorInfo& ri = pop.info->receptors[std::size_t(std::max(r, 0))];
        if (!first)
            first = &ri;
        else if (ri.weight_dim != first->weight_dim)
            in.fail(refs[k].first->pos, refs[k].second,
                    "target populations whose receptors all take " +
                        std::string(dimension_name(first->weight_dim)) + " as weight (" + s.targets[0] +
                        " does)",
                    quote(pop.name) + " (its receptor " + ri.name + " takes " + dimension_name(ri.weight_dim) +
                        ")");
    }
    const bool sine = s.kind == S::Kind::sine_input;
    const Tree& w = sine ? in.require(item, path, "amplitude",
                                      "the amplitude of the sine, " + expected_quantity(first->weight_dim))
                         : in.require(item, path, "weight",
                                      "the weight of each input spike, " + expected_quantity(first->weight_dim));
    const std::string w_path = path + (sine ? ".amplitude" : ".weight");
    (sine ? s.input_amplitude : s.weight) = in.quantity(w, w_path, first->weight_dim);
    const Tree* offset = sine ? item.find("offset") : nullptr;
    if (offset) s.input_offset = in.quantity(*offset, path + ".offset", first->weight_dim);
    const double lowest = sine ? s.input_offset - std::abs(s.input_amplitude) : s.weight;
    for (std::size_t k = 0; k < s.targets.size(); ++k) {
        const ModelInfo& info = *population_named(in, s.targets[k]).info;
        const int r = s.receptors.empty() ? -1 : s.receptors[k];
        const ReceptorInfo& ri = info.receptors[std::size_t(std::max(r, 0))];
        if (r >= 0 && !ri.signed_weights && lowest < 0)
            in.fail(offset ? offset->pos : w.pos, offset ? path + ".offset" : w_path,
                    sine ? "an offset of at least the amplitude's size (receptor " + ri.name + " of " + info.name +
                               " takes only weights >= " + q(0, ri.weight_dim) + ")"
                         : "a non-negative weight (receptor " + ri.name + " of " + info.name +
                               " takes only weights >= " + q(0, ri.weight_dim) + ")",
                    sine ? q(s.input_offset, ri.weight_dim) + " with amplitude " + q(s.input_amplitude, ri.weight_dim)
                         : q(s.weight, ri.weight_dim));
    }
}

void read_steps(Reader& in, const Tree& item, const std::string& path, S& s) {
    const Tree& times = in.require(item, path, "times", "a list of times at which the amplitude changes");
    const Tree& amps = in.require(item, path, "amplitudes", "a list of currents, one per time");
    if (!times.is_seq() || times.items.empty())
        in.fail(times.pos, path + ".times", "a non-empty list of times, e.g. [100 ms, 200 ms]",
                describe(times));
    if (!amps.is_seq())
        in.fail(amps.pos, path + ".amplitudes", "a list of currents, e.g. [50 pA, 0 pA]", describe(amps));
    if (amps.items.size() != times.items.size())
        in.fail(amps.pos, path + ".amplitudes",
                "one amplitude per time (" + std::to_string(times.items.size()) + ")",
                std::to_string(amps.items.size()));
    for (std::size_t k = 0; k < times.items.size(); ++k) {
        const std::string tp = index_path(path + ".times", k);
        const double v = in.bounded(times.items[k], tp, Dimension::time,
                                    s.period_ms > 0.0 ? Range{"a time inside the period, after its start,", 0.0, s.period_ms}
                                                      : at_least("a time", 0.0));
        if (s.period_ms > 0.0 && !(v < s.period_ms))
            in.fail(times.items[k].pos, tp,
                    "a time inside the period (below " + q(s.period_ms, Dimension::time) + ", counted from start)",
                    q(v, Dimension::time));
        in.check_steps(times.items[k], tp, v, "a time");
        if (k > 0 && !(v > s.times_ms.back()))
            in.fail(times.items[k].pos, tp,
                    "times in strictly increasing order (after " + q(s.times_ms.back(), Dimension::time) + ")",
                    q(v, Dimension::time));
        s.times_ms.push_back(v);
        s.amplitudes_pA.push_back(
            in.quantity(amps.items[k], index_path(path + ".amplitudes", k), Dimension::current));
    }
}

// teaching_current: window [w0, w1] inside the period, pattern of targets 0 and 1.
void read_teaching(Reader& in, const Tree& item, const std::string& path, S& s) {
    const Tree& w = in.require(item, path, "window",
                               "the teaching window [start, stop] inside each period, e.g. [7.2 s, 8 s]");
    if (!w.is_seq() || w.items.size() != 2)
        in.fail(w.pos, path + ".window", "a window [start, stop] inside the period, e.g. [7.2 s, 8 s]", describe(w));
    s.window_ms = read_window_in_period(in, w, path + ".window", s.period_ms, 0.0);
    const Tree& pat = in.require(item, path, "pattern", "the target of each period in turn, a list of 0 and 1");
    if (!pat.is_seq() || pat.items.empty())
        in.fail(pat.pos, path + ".pattern", "a non-empty list of targets 0 and 1, e.g. [0, 1, 1, 0]", describe(pat));
    for (std::size_t k = 0; k < pat.items.size(); ++k)
        s.pattern.push_back(int(in.integer(pat.items[k], index_path(path + ".pattern", k), 0, 1, "a target, 0 or 1")));
}

// The middle range of the rule, (e_min + tolerance, e_max - tolerance), must not be empty.
void check_teaching_rates(Reader& in, const Tree& item, const std::string& path, const S& s) {
    if (s.e_max_hz >= s.e_min_hz + 2.0 * s.tolerance_hz) return;
    const Tree* at = item.find("e_max");
    in.fail(at ? at->pos : item.pos, path + ".e_max",
            "an e_max of at least e_min + 2 tolerance (" + q(s.e_min_hz + 2.0 * s.tolerance_hz, Dimension::frequency) +
                ")",
            q(s.e_max_hz, Dimension::frequency));
}

void read_stimulus(Reader& in, const Tree& item, const std::string& path, std::size_t i) {
    const KindTables<S>& tables = stimulus_tables();
    in.expect_map(item, path, "a stimulus (a mapping with model and targets)");
    in.check_keys(item, path, tables.keys(), "a key of a stimulus");
    S s;
    s.where = {item.pos.line, item.pos.column, path};
    FieldReader<S>(in, item, path, tables.head, s).read({"model"});
    const std::string model = model_name(s.kind);
    const Table<S> table = tables.of(std::size_t(s.kind));
    in.check_keys(item, path, keys_of(table), "a key of a " + model + " stimulus");
    std::vector<std::string> taken;
    for (auto& other : in.spec.stimuli) taken.push_back(other.name);
    s.name = entry_name(in, item, path, model + "_" + std::to_string(i), "stimulus", taken, "stimuli");
    const TargetRefs refs = read_targets(in, item, path, s);
    for (std::size_t k = 0; k < refs.size(); ++k) {
        const PopulationSpec& pop = population_named(in, s.targets[k]);
        const std::string what = quote(pop.name) + " (model " + pop.model;
        const bool spikes = s.kind == S::Kind::poisson_generator || s.kind == S::Kind::sine_input;
        if (spikes && pop.info->event_driven)
            in.fail(refs[k].first->pos, refs[k].second,
                    "a target population of a grid-based model (" + model +
                        (s.kind == S::Kind::sine_input ? " adds a weight" : " adds counts") +
                        " per step; exact "
                    "event-driven models take spikes through projections, e.g. from a poisson_source population)",
                    what + ", exact event-driven)");
        if (!spikes && pop.info->compartments.empty())
            in.fail(refs[k].first->pos, refs[k].second, "a target population whose neurons take currents",
                    what + ", which takes no current)");
    }
    FieldReader<S> fields(in, item, path, table, s);
    fields.done({"model"});
    fields.read({"compartment", "start", "stop"});
    if (s.kind == S::Kind::poisson_generator) {
        fields.read({"rate"});
        read_input_weight(in, item, path, s, refs);
    } else if (s.kind == S::Kind::sine_input) {
        read_input_weight(in, item, path, s, refs);
        fields.done({"amplitude", "offset"});
    } else if (s.kind == S::Kind::step_current) {
        fields.read({"period"});
        read_steps(in, item, path, s);
    } else if (s.kind == S::Kind::teaching_current) {
        fields.read({"period"});
        read_teaching(in, item, path, s);
    }
    fields.read_rest();
    if (s.kind == S::Kind::teaching_current) check_teaching_rates(in, item, path, s);
    in.spec.stimuli.push_back(std::move(s));
}

}  // namespace

void read_stimuli(Reader& in, const Tree* t) {
    read_list(
        in, t, "stimuli", "a list of stimuli",
        [&](const Tree& item, const std::string& path, std::size_t i) { read_stimulus(in, item, path, i); });
}

void write_stimuli(YAML::Emitter& out, const Reader& in) {
    write_list(out, in, "stimuli", in.spec.stimuli,
               [](const S& s) { return stimulus_tables().of(std::size_t(s.kind)); });
}

}  // namespace apical::description
